// In-process Aedes brokers for link and device tests: heartbeats on
// `$SYS/<id>/heartbeat`, a record of every publish the broker accepted, and a
// crash (every socket reset) and restart on the same port.
import net from 'node:net';
import { Aedes } from 'aedes';

export interface Accepted {
  topic: string;
  payload: Buffer;
  retain: boolean;
  clientId: string | undefined;
  at: number;
}

export interface TestBroker {
  readonly url: string;
  readonly port: number;
  readonly broker: Aedes;
  /** Every non-$SYS publish the broker accepted, in order (kept across restarts). */
  readonly accepted: Accepted[];
  /** Calls `listener` for every accepted publish from now on; returns the unsubscribe. */
  onAccepted(listener: (message: Accepted) => void): () => void;
  /** The retained message of `topic`, if any. */
  retained(topic: string): Promise<Buffer | undefined>;
  /** A stalled message bus: the heartbeats stop, publishes are still acknowledged. */
  stopHeartbeats(): void;
  /** A crash: every connection is reset, the port refuses connections. */
  kill(): Promise<void>;
  /** A fresh broker (no retained messages, no sessions) on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

interface RetainedStore {
  createRetainedStream(pattern: string): AsyncIterable<{ payload: Buffer | string }>;
}

export interface TestBrokerOptions {
  port?: number;
  heartbeatMs?: number;
}

export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const accepted: Accepted[] = [];
  const listeners = new Set<(message: Accepted) => void>();
  let broker!: Aedes;
  let server!: net.Server;
  let port = options.port ?? 0;
  const sockets = new Set<net.Socket>();

  async function boot(): Promise<void> {
    broker = await Aedes.createBroker({ heartbeatInterval: options.heartbeatMs ?? 100 });
    broker.on('publish', (packet, client) => {
      if (packet.topic.startsWith('$SYS/')) return;
      const message: Accepted = { topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain, clientId: client?.id, at: Date.now() };
      accepted.push(message);
      for (const listener of listeners) listener(message);
    });
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.address() as net.AddressInfo).port;
  }

  async function shutdown(crash: boolean): Promise<void> {
    if (crash) for (const socket of sockets) socket.resetAndDestroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }

  await boot();
  return {
    get url() {
      return `mqtt://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get broker() {
      return broker;
    },
    accepted,
    onAccepted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async retained(topic) {
      let found: Buffer | undefined;
      const store = (broker as unknown as { persistence: RetainedStore }).persistence;
      const stream = store.createRetainedStream(topic);
      for await (const packet of stream) found = Buffer.from(packet.payload);
      return found;
    },
    stopHeartbeats() {
      clearInterval((broker as unknown as { _heartbeatInterval: NodeJS.Timeout })._heartbeatInterval);
    },
    kill: () => shutdown(true),
    async restart() {
      if (server.listening) await shutdown(true);
      await boot();
    },
    close: () => (server.listening ? shutdown(false) : Promise.resolve()),
  };
}
