// One client connection through the proxy and its connection to the target.
import net, { type Socket } from 'node:net';
import { DirectionPipe } from './pipe.ts';

export interface LinkCounters {
  bytesUp: number;
  bytesDown: number;
  droppedUp: number;
  droppedDown: number;
}

export interface ConnectionContext {
  target: { host: string; port: number };
  partitioned(): boolean;
  releaseAt(previous: number, now: number): number;
  counters: LinkCounters;
  log(level: 'debug' | 'info' | 'warn', msg: string, extra?: Record<string, unknown>): void;
  /** The connection is gone (both sides closed or torn down). */
  closed(conn: ProxiedConnection): void;
}

/** Destroy with an RST when possible (the peer sees ECONNRESET), else a plain destroy. */
function hardClose(socket: Socket, reset: boolean): void {
  if (socket.destroyed) return;
  if (reset && !socket.connecting) {
    try {
      socket.resetAndDestroy();
      return;
    } catch {
      // not connected: fall through
    }
  }
  socket.destroy();
}

/**
 * The client id of an MQTT 3.1/3.1.1/5 CONNECT at the start of `chunk`, or undefined. The proxy
 * forwards bytes and knows nothing of MQTT otherwise; the id only tells a drill which client a
 * connection is (a failover link's spare says `.s` at its end).
 */
export function connectClientId(chunk: Buffer): string | undefined {
  if (chunk.length < 2 || chunk[0] !== 0x10) return undefined;
  let at = 1;
  for (let i = 0; i < 4 && at < chunk.length; i++) if ((chunk[at++] & 0x80) === 0) break;
  if (at + 2 > chunk.length) return undefined;
  const nameLength = chunk.readUInt16BE(at);
  at += 2 + nameLength;
  if (at + 4 > chunk.length) return undefined;
  const level = chunk[at];
  at += 4; // level, flags, keep-alive
  if (level === 5) {
    // MQTT 5: the CONNECT properties (a variable byte length) before the payload.
    let length = 0;
    let shift = 0;
    for (let i = 0; i < 4 && at < chunk.length; i++) {
      const byte = chunk[at++];
      length += (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    at += length;
  }
  if (at + 2 > chunk.length) return undefined;
  const idLength = chunk.readUInt16BE(at);
  if (at + 2 + idLength > chunk.length) return undefined;
  return chunk.toString('utf8', at + 2, at + 2 + idLength);
}

export class ProxiedConnection {
  private target: Socket | undefined;
  private readonly up: DirectionPipe;
  private readonly down: DirectionPipe;
  private clientEnded = false;
  private targetEnded = false;
  private clientClosed = false;
  private targetClosed = false;
  /** A FIN or RST was swallowed by a partition: the connection is dead once healed. */
  private broken = false;
  /** The MQTT client id of its CONNECT, when the first bytes from the client were one. */
  clientId: string | undefined;
  private torn = false;

  constructor(readonly id: number, readonly client: Socket, private readonly ctx: ConnectionContext) {
    const { counters } = ctx;
    this.up = new DirectionPipe({
      dest: () => this.target,
      source: () => this.client,
      releaseAt: ctx.releaseAt,
      partitioned: ctx.partitioned,
      forwarded: (n) => (counters.bytesUp += n),
      dropped: (n) => (counters.droppedUp += n),
      onEnd: () => this.target?.end(),
      onReset: () => this.teardown(true, 'client side broke'),
      onLostSignal: () => (this.broken = true),
    });
    this.down = new DirectionPipe({
      dest: () => this.client,
      source: () => this.target,
      releaseAt: ctx.releaseAt,
      partitioned: ctx.partitioned,
      forwarded: (n) => (counters.bytesDown += n),
      dropped: (n) => (counters.droppedDown += n),
      onEnd: () => this.client.end(),
      onReset: () => this.teardown(true, 'target side broke'),
      onLostSignal: () => (this.broken = true),
    });
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => {
      if (this.clientId === undefined) this.clientId = connectClientId(chunk) ?? '';
      this.up.push(chunk);
    });
    client.on('end', () => {
      this.clientEnded = true;
      this.up.pushSignal('end');
    });
    client.on('error', (err) => ctx.log('debug', 'client socket error', { conn: id, err: err.message }));
    client.on('close', (hadError) => {
      this.clientClosed = true;
      if (!this.torn && (hadError || !this.clientEnded)) this.up.pushSignal('reset');
      this.maybeDone();
    });
    if (!ctx.partitioned()) this.connectTarget();
  }

  /** Whether the target side has been dialled. */
  get dialled(): boolean {
    return this.target !== undefined;
  }

  /** Forwarding resumes: dial the target if the connection arrived during the partition; drop it if it broke meanwhile. */
  heal(): void {
    if (this.torn) return;
    if (this.broken) this.teardown(true, 'a side closed during the partition');
    else if (!this.target && !this.clientClosed) this.connectTarget();
  }

  /** Destroy both sides (with RST when `reset`). */
  teardown(reset: boolean, why: string): void {
    if (this.torn) return;
    this.torn = true;
    this.ctx.log('debug', 'connection torn down', { conn: this.id, why });
    this.up.clear();
    this.down.clear();
    hardClose(this.client, reset);
    if (this.target) hardClose(this.target, reset);
    this.ctx.closed(this);
  }

  private connectTarget(): void {
    const { host, port } = this.ctx.target;
    const target = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    this.target = target;
    target.on('data', (chunk: Buffer) => this.down.push(chunk));
    target.on('end', () => {
      this.targetEnded = true;
      this.down.pushSignal('end');
    });
    target.on('error', (err) => this.ctx.log('debug', 'target socket error', { conn: this.id, err: err.message }));
    target.on('close', (hadError) => {
      this.targetClosed = true;
      if (!this.torn && (hadError || !this.targetEnded)) this.down.pushSignal('reset');
      this.maybeDone();
    });
  }

  private maybeDone(): void {
    if (this.torn) return;
    if (this.clientClosed && (this.targetClosed || !this.target)) {
      this.torn = true;
      this.up.clear();
      this.down.clear();
      if (this.target) hardClose(this.target, false);
      this.ctx.closed(this);
    }
  }
}
