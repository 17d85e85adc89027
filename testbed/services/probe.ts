// Readiness probes over raw TCP: no MQTT or Redis client library involved.
import net from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * Connect, write `request`, and collect the reply until `complete(reply)` is
 * true. Rejects on refusal, early close or after `timeoutMs`.
 */
export function exchange(
  host: string,
  port: number,
  request: Buffer,
  complete: (reply: Buffer) => boolean,
  timeoutMs = 1000,
  farewell?: Buffer,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let reply = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        if (farewell) socket.end(farewell);
        else socket.end();
        resolve(reply);
      }
    };
    const timer = setTimeout(() => finish(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (complete(reply)) finish(null);
    });
    socket.on('error', (err) => finish(err));
    socket.once('close', () => finish(new Error(`${host}:${port} closed the connection before replying`)));
  });
}

/** The MQTT "Remaining Length" varint. */
export function encodeRemainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let value = length;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

/** A minimal MQTT 3.1.1 CONNECT packet: clean session, no will, no credentials. */
export function mqttConnectPacket(clientId: string, keepAliveSec = 30): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const body = Buffer.concat([
    Buffer.from([0x00, 0x04]), Buffer.from('MQTT'), // protocol name
    Buffer.from([0x04, 0x02]), // level 4 (3.1.1), flags: clean session
    Buffer.from([(keepAliveSec >> 8) & 0xff, keepAliveSec & 0xff]),
    Buffer.from([(id.length >> 8) & 0xff, id.length & 0xff]), id,
  ]);
  return Buffer.concat([Buffer.from([0x10]), encodeRemainingLength(body.length), body]);
}

/** The MQTT DISCONNECT packet. */
export const MQTT_DISCONNECT = Buffer.from([0xe0, 0x00]);

export interface Connack {
  sessionPresent: boolean;
  /** 0 accepted; 4 bad credentials; 5 not authorised; ... */
  returnCode: number;
}

/** Parse a CONNACK at the start of `buf`; undefined if incomplete. Throws if it is something else. */
export function parseConnack(buf: Buffer): Connack | undefined {
  if (buf.length < 4) return undefined;
  if (buf[0] !== 0x20 || buf[1] !== 0x02) throw new Error(`expected CONNACK, got 0x${buf.subarray(0, 4).toString('hex')}`);
  return { sessionPresent: (buf[2] & 0x01) === 1, returnCode: buf[3] };
}

/**
 * MQTT CONNECT/CONNACK handshake. Resolves with the CONNACK (any return code:
 * a refusal still proves the broker is serving), then disconnects.
 */
export async function probeMqtt(host: string, port: number, timeoutMs = 1000): Promise<Connack> {
  const clientId = `probe-${randomBytes(6).toString('hex')}`;
  const reply = await exchange(host, port, mqttConnectPacket(clientId), (r) => r.length >= 4, timeoutMs, MQTT_DISCONNECT);
  return parseConnack(reply) as Connack;
}

/**
 * Redis `PING`. Resolves on `+PONG` (or `-NOAUTH`: the server is serving but
 * wants a password); rejects on any other error reply such as `-LOADING`.
 */
export async function probeRedis(host: string, port: number, timeoutMs = 1000): Promise<string> {
  const reply = await exchange(host, port, Buffer.from('PING\r\n'), (r) => r.includes('\r\n'), timeoutMs, Buffer.from('QUIT\r\n'));
  const line = reply.toString('utf8').split('\r\n')[0];
  if (line === '+PONG' || line.startsWith('-NOAUTH')) return line;
  throw new Error(`redis replied ${JSON.stringify(line)}`);
}
