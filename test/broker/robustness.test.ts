// Bad input never disturbs the broker or its other clients: raw garbage over
// TCP, protocol violations, a packet announcing a huge size, oversized and
// malformed payloads. A watching client stays connected throughout and keeps
// receiving both messages and heartbeats.
import { connect as tcpConnect, type Socket } from 'node:net';
import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import { mqttConnectPacket } from '../../testbed/services/index.ts';
import { mulberry32 } from '../../testbed/linkproxy/index.ts';
import { startBrokerProcess, type BrokerProcess } from '../helpers/brokers.ts';
import { Recorder, closeAll, connect, recorder, unique } from './clients.ts';

/** Opens a raw TCP connection, writes `bytes`, and resolves once the broker closed it (with what it answered). */
function rawExchange(port: number, bytes: Buffer[], timeoutMs = 15_000): Promise<{ closed: boolean; reply: Buffer }> {
  return new Promise((resolve) => {
    const socket: Socket = tcpConnect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closed: false, reply: Buffer.concat(chunks) });
    }, timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, reply: Buffer.concat(chunks) });
    });
    socket.on('connect', () => {
      for (const chunk of bytes) socket.write(chunk);
    });
  });
}

/** A CONNECT (MQTT 3.1.1) with `flags` (0x02: clean session) and `clientId`. */
function connectWith(clientId: string, flags: number): Buffer {
  const packet = mqttConnectPacket(clientId);
  packet[9] = flags; // fixed header (2) + protocol name (6) + level (1), then the flags
  return packet;
}

/** The broker's first 4 bytes after `bytes` (a CONNACK), then the connection is dropped. */
function firstReply(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tcpConnect({ port, host: '127.0.0.1' }, () => socket.write(bytes));
    let got = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 4) {
        socket.destroy();
        resolve(got.subarray(0, 4));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${got.length} bytes`)));
  });
}

function randomBytes(seed: number, n: number): Buffer {
  const next = mulberry32(seed);
  return Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
}

describe('broker robustness: garbage, violations, oversize (process)', function () {
  this.timeout(90_000);
  let broker: BrokerProcess;
  let watcher: Recorder;
  let watcherClosed = false;
  let publisher: MqttClient;
  const lot = unique('lot');

  /** The watcher still gets a fresh message and a fresh heartbeat. */
  async function stillServing(): Promise<void> {
    const topic = `parking/${lot}/availability/${unique('L')}`;
    const heartbeat = watcher.waitNew((m) => m.topic.startsWith('$SYS/'), 5000, 'a heartbeat');
    const arrived = watcher.waitNew((m) => m.topic === topic, 5000, topic);
    await publisher.publishAsync(topic, '7', { qos: 1 });
    await Promise.all([arrived, heartbeat]);
    expect(watcherClosed).to.equal(false);
  }

  before(async () => {
    broker = await startBrokerProcess({ role: 'primary' });
    watcher = await recorder(broker.url, [`parking/${lot}/#`, '$SYS/+/heartbeat']);
    watcher.client.on('close', () => (watcherClosed = true));
    publisher = await connect(broker.url);
  });
  after(async () => {
    await closeAll();
    await broker?.stop();
  });

  it('random bytes instead of MQTT: that connection is closed, nothing else notices', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const result = await rawExchange(broker.port, [randomBytes(seed, 512)]);
      expect(result.closed, `seed ${seed}`).to.equal(true);
    }
    await stillServing();
  });

  it('protocol violations: PUBLISH before CONNECT, a second CONNECT, a bad protocol name, a reserved packet type', async () => {
    const publishFirst = Buffer.from([0x30, 0x07, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x68, 0x69]);
    const reserved = Buffer.from([0xf0, 0x00]);
    const badName = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x58, 0x58, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]);
    const connect1 = mqttConnectPacket(unique('raw'));
    for (const bytes of [[publishFirst], [reserved], [badName], [connect1, connect1], [connect1, reserved]]) {
      const result = await rawExchange(broker.port, bytes);
      expect(result.closed).to.equal(true);
    }
    await stillServing();
  });

  it('an empty client id without a clean session: CONNACK 0x02 (identifier rejected), then closed [MQTT-3.1.3-8]', async () => {
    expect(connectWith('', 0x02).subarray(7, 10).toString('hex'), 'level 4, clean session').to.equal('540402');
    const refused = await rawExchange(broker.port, [connectWith('', 0x00)]);
    expect(refused.closed).to.equal(true);
    expect(refused.reply.toString('hex')).to.equal('20020002');
    // An empty id with a clean session is fine (the broker names the client), and so is a given id without one.
    expect((await firstReply(broker.port, connectWith('', 0x02))).toString('hex')).to.equal('20020000');
    expect((await firstReply(broker.port, connectWith(unique('persistent'), 0x00))).toString('hex')).to.match(/^20020[01]00$/);
    await stillServing();
  });

  it('a packet announcing more than the size cap: closed at its header, before the body is buffered', async () => {
    const connect1 = mqttConnectPacket(unique('big'));
    // PUBLISH announcing 100 MiB (remaining length 0x80 0x80 0x80 0x32), then a little of it.
    const huge = Buffer.concat([Buffer.from([0x30, 0x80, 0x80, 0x80, 0x32]), Buffer.alloc(1000)]);
    const result = await rawExchange(broker.port, [connect1, huge]);
    expect(result.closed).to.equal(true);
    expect(broker.output()).to.include('connection closed: packet over the size cap');
    await stillServing();
  });

  it('oversized and malformed payloads on contract topics are dropped; the publisher stays connected', async () => {
    const client = await connect(broker.url);
    let closed = false;
    client.on('close', () => (closed = true));
    const slot = `parking/${lot}/slot/B1/01`;
    const status = `parking/${lot}/device/pi-9/status`;
    const gate = `parking/${lot}/gate/g1/event`;
    await client.publishAsync(slot, Buffer.alloc(200 * 1024, 0x41), { qos: 1, retain: true });
    await client.publishAsync(slot, JSON.stringify({ status: 'free', ts: 1, note: 'x'.repeat(1025) }), { qos: 1, retain: true });
    await client.publishAsync(slot, '{{{', { qos: 1, retain: true });
    await client.publishAsync(status, 'sleeping', { qos: 1, retain: true });
    await client.publishAsync(gate, '{"eventId":"e1","direction":"entry"}', { qos: 1 });
    await client.publishAsync(slot, '{"status":"free","ts":1}', { qos: 0, retain: true });
    await client.publishAsync(slot, '{"status":"occupied","ts":2}', { qos: 2, retain: true });
    await watcher.on(slot, '{"status":"occupied","ts":2}');
    expect(watcher.of(slot).map((m) => m.payload)).to.deep.equal(['{"status":"free","ts":1}', '{"status":"occupied","ts":2}']);
    expect(watcher.count(status)).to.equal(0);
    expect(watcher.count(gate)).to.equal(0);
    expect(closed).to.equal(false);
    await stillServing();
  });

  it('an older retained slot state is refused without disconnecting its publisher (QoS 0, 1 and 2)', async () => {
    const client = await connect(broker.url);
    let closed = false;
    client.on('close', () => (closed = true));
    const slot = `parking/${lot}/slot/B1/02`;
    await client.publishAsync(slot, '{"status":"occupied","ts":500,"seq":3}', { qos: 1, retain: true });
    // Aedes acknowledges a QoS 1 publish before it stores it: wait until it is stored (delivered) before racing it.
    await watcher.on(slot, '{"status":"occupied","ts":500,"seq":3}');
    for (const qos of [0, 1, 2] as const) await client.publishAsync(slot, '{"status":"free","ts":400}', { qos, retain: true });
    await client.publishAsync(slot, '{"status":"free","ts":500,"seq":2}', { qos: 1, retain: true });
    await client.publishAsync(slot, '{"status":"occupied","ts":500,"seq":3}', { qos: 1, retain: true });
    await client.publishAsync(slot, '{"status":"free","ts":500,"seq":4}', { qos: 1, retain: true });
    await watcher.on(slot, '{"status":"free","ts":500,"seq":4}');
    expect(watcher.of(slot).map((m) => m.payload)).to.deep.equal(['{"status":"occupied","ts":500,"seq":3}', '{"status":"free","ts":500,"seq":4}']);
    expect(closed).to.equal(false);
    const late = await recorder(broker.url, slot);
    expect((await late.on(slot)).payload).to.equal('{"status":"free","ts":500,"seq":4}');
  });

  it('a subscription with too many topic levels closes that connection (as Aedes does), nothing else', async () => {
    const client = await connect(broker.url);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const deep = Array.from({ length: 40 }, (_, i) => `l${i}`).join('/');
    const outcome = await client.subscribeAsync([deep], { qos: 0 }).then(
      () => 'granted',
      (e: Error) => e.message,
    );
    expect(outcome).to.equal('Connection closed');
    await closed;
    await stillServing();
  });
});
