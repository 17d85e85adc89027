// A lean MQTT 3.1.1 client for load generation: many connections, cheap
// publishes (hand-built PUBLISH packets, what one tick queues goes out in one
// write), PUBACK accounting, and a receive path that only splits packets and
// decodes a PUBLISH when someone listens (a device fleet ignoring its
// heartbeats costs next to nothing).
// The platform's own clients use MQTT.js; this one exists so the benchmark's
// load costs as little CPU as possible on a machine it shares with the
// processes it measures.
import net from 'node:net';
import mqttPacket from 'mqtt-packet';

export interface WireConnectOptions {
  host: string;
  port: number;
  clientId: string;
  /** Seconds; the client sends PINGREQ itself only when `ping()` is called. Default 60. */
  keepalive?: number;
  clean?: boolean;
  will?: { topic: string; payload: string; qos: 0 | 1; retain: boolean };
  /** Connection + CONNACK budget, ms (default 10 s). */
  timeoutMs?: number;
}

export interface WireMessage {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
}

/** The PUBLISH packet as bytes (MQTT 3.1.1, no DUP). `packetId` is used for QoS 1. */
export function publishPacket(topic: string, payload: string | Buffer, qos: 0 | 1, retain: boolean, packetId: number): Buffer {
  const topicBytes = Buffer.byteLength(topic);
  const payloadBytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const remaining = 2 + topicBytes + (qos ? 2 : 0) + payloadBytes;
  const lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
  const buf = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  buf[0] = 0x30 | (qos << 1) | (retain ? 1 : 0);
  let at = 1;
  let rest = remaining;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (rest > 0);
  buf.writeUInt16BE(topicBytes, at);
  at += 2;
  at += buf.write(topic, at, 'utf8');
  if (qos) {
    buf.writeUInt16BE(packetId, at);
    at += 2;
  }
  if (typeof payload === 'string') buf.write(payload, at, 'utf8');
  else payload.copy(buf, at);
  return buf;
}

const PINGREQ = Buffer.from([0xc0, 0x00]);
const DISCONNECT = Buffer.from([0xe0, 0x00]);

export class WireClient {
  /** QoS 1 publishes sent and not yet acknowledged. */
  inflight = 0;
  published = 0;
  acked = 0;
  received = 0;
  bytesIn = 0;
  /** Called for every PUBLISH received; without it PUBLISH packets are only counted (and acknowledged). */
  onMessage?: (message: WireMessage) => void;
  /** Called for every PUBACK of our QoS 1 publishes. */
  onAck?: (packetId: number) => void;
  onClose?: (error?: Error) => void;
  closed = false;
  private nextId = 1;
  private readonly waiting = new Map<number, (granted: number[] | undefined) => void>();
  private readonly pending: Buffer[] = [];
  private scheduled = false;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => {
      this.closed = true;
      for (const fail of this.waiting.values()) fail(undefined);
      this.waiting.clear();
      this.onClose?.();
    });
    socket.on('error', () => {});
  }

  /** Opens the TCP connection and resolves after a successful CONNACK. */
  static connect(options: WireConnectOptions): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: options.host, port: options.port });
      const client = new WireClient(socket);
      const timer = setTimeout(() => fail(new Error(`no CONNACK from ${options.host}:${options.port} within ${options.timeoutMs ?? 10_000} ms`)), options.timeoutMs ?? 10_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once('error', fail);
      client.connackWaiter = (code) => {
        clearTimeout(timer);
        socket.off('error', fail);
        if (code === 0) resolve(client);
        else fail(new Error(`CONNACK ${code} from ${options.host}:${options.port}`));
      };
      socket.once('connect', () => {
        socket.write(
          mqttPacket.generate({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clientId: options.clientId,
            clean: options.clean ?? true,
            keepalive: options.keepalive ?? 60,
            ...(options.will ? { will: { ...options.will, payload: Buffer.from(options.will.payload) } } : {}),
          }),
        );
      });
    });
  }

  private connackWaiter?: (code: number) => void;

  /** Splits the byte stream into packets (fixed header, remaining length) and handles each. */
  private receive(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let at = 0;
    while (buf.length - at >= 2) {
      let length = 0;
      let multiplier = 1;
      let header = 1;
      let complete = false;
      while (header <= 4 && at + header < buf.length) {
        const byte = buf[at + header];
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        header += 1;
        if (!(byte & 0x80)) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (header > 4) return void this.socket.destroy(new Error('malformed remaining length'));
        break;
      }
      if (buf.length - at < header + length) break;
      this.handle(buf[at], buf.subarray(at + header, at + header + length));
      at += header + length;
    }
    if (at < buf.length) this.rest = Buffer.from(buf.subarray(at));
  }

  private rest?: Buffer;

  private handle(first: number, body: Buffer): void {
    switch (first >> 4) {
      case 3: {
        this.received += 1;
        const qos = (first >> 1) & 3;
        const topicLength = body.readUInt16BE(0);
        let at = 2 + topicLength;
        if (qos > 0) {
          const id = body.readUInt16BE(at);
          at += 2;
          if (qos === 1) this.queue(Buffer.from([0x40, 0x02, id >> 8, id & 0xff]));
        }
        if (this.onMessage) this.onMessage({ topic: body.toString('utf8', 2, 2 + topicLength), payload: body.subarray(at), qos, retain: (first & 1) === 1 });
        return;
      }
      case 4:
        this.inflight -= 1;
        this.acked += 1;
        this.onAck?.(body.readUInt16BE(0));
        return;
      case 9:
      case 11: {
        const id = body.readUInt16BE(0);
        const done = this.waiting.get(id);
        this.waiting.delete(id);
        done?.(first >> 4 === 9 ? [...body.subarray(2)] : []);
        return;
      }
      case 2:
        this.connackWaiter?.(body[1] ?? 255);
        this.connackWaiter = undefined;
        return;
      default:
        return;
    }
  }

  private packetId(): number {
    const id = this.nextId;
    this.nextId = id >= 65_535 ? 1 : id + 1;
    return id;
  }

  /** Queues bytes; everything queued in one tick goes out in one write. */
  private queue(bytes: Buffer): void {
    if (this.closed) return;
    this.pending.push(bytes);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Writes what is queued now. */
  flush(): void {
    this.scheduled = false;
    if (!this.pending.length || this.closed) return;
    const bytes = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending.length = 0;
    this.socket.write(bytes);
  }

  /** Queues a PUBLISH; returns its packet id (0 at QoS 0). */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1, retain: boolean): number {
    const id = qos ? this.packetId() : 0;
    if (qos) this.inflight += 1;
    this.published += 1;
    this.queue(publishPacket(topic, payload, qos, retain, id));
    return id;
  }

  /** Bytes the socket has not handed to the kernel yet (backpressure). */
  get buffered(): number {
    return this.socket.writableLength;
  }

  subscribe(filters: ReadonlyArray<{ topic: string; qos: 0 | 1 }>): Promise<number[]> {
    const messageId = this.packetId();
    return this.request(messageId, mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: filters.map((f) => ({ topic: f.topic, qos: f.qos })) }));
  }

  unsubscribe(topics: readonly string[]): Promise<number[]> {
    const messageId = this.packetId();
    return this.request(messageId, mqttPacket.generate({ cmd: 'unsubscribe', messageId, unsubscriptions: [...topics] }));
  }

  private request(messageId: number, bytes: Buffer): Promise<number[]> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('connection closed'));
      this.waiting.set(messageId, (granted) => (granted ? resolve(granted) : reject(new Error('connection closed before the acknowledgement'))));
      this.queue(bytes);
    });
  }

  ping(): void {
    this.queue(PINGREQ);
  }

  /** A clean DISCONNECT, then close. */
  end(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.flush();
      this.socket.end(DISCONNECT);
      setTimeout(() => this.socket.destroy(), 2000).unref();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}
