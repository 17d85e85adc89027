// QoS 1 publishes written directly (link/direct.ts). Before the CONNACK: the
// publishes waiting when a connection opens go out right behind its CONNECT,
// so the first acknowledgement after a failover comes one round trip sooner.
// After it: every QoS 1 publish, with MQTT.js holding no record of it, and a
// clean end still waits for its answer.
import net from 'node:net';
import { expect } from 'chai';
import mqttPacket from 'mqtt-packet';
import { FailoverLink } from '../../link/index.ts';

interface FakeBroker {
  url: string;
  /** Every packet received, in order, with whether the CONNACK had been sent. */
  received: Array<{ cmd: string; payload?: string; afterConnack: boolean; at: number }>;
  /** When each PUBACK was written, by message id. */
  acked: Map<number, number>;
  close(): Promise<void>;
}

/**
 * A broker that answers the CONNECT only once it has also received `publishes` PUBLISH packets
 * (or after `holdMs`), and a publish after the CONNACK after `ackDelayMs`.
 */
async function fakeBroker(holdMs: number, publishes: number, ackDelayMs = 0): Promise<FakeBroker> {
  const received: FakeBroker['received'] = [];
  const acked = new Map<number, number>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let connacked = false;
    const pending: number[] = [];
    const write = (packet: object) => {
      const p = packet as mqttPacket.Packet;
      if (p.cmd === 'puback') acked.set(p.messageId!, Date.now());
      socket.write(mqttPacket.generate(p));
    };
    const connack = () => {
      if (connacked || socket.destroyed) return;
      connacked = true;
      write({ cmd: 'connack', returnCode: 0, sessionPresent: false });
      for (const messageId of pending.splice(0)) write({ cmd: 'puback', messageId });
    };
    let timer: NodeJS.Timeout | undefined;
    parser.on('packet', (packet: mqttPacket.Packet) => {
      received.push({ cmd: packet.cmd, ...(packet.cmd === 'publish' ? { payload: String(packet.payload) } : {}), afterConnack: connacked, at: Date.now() });
      if (packet.cmd === 'connect') timer = setTimeout(connack, holdMs);
      else if (packet.cmd === 'publish' && packet.qos === 1) {
        if (connacked) setTimeout(() => !socket.destroyed && write({ cmd: 'puback', messageId: packet.messageId }), ackDelayMs);
        else {
          pending.push(packet.messageId!);
          if (pending.length < publishes) return;
          clearTimeout(timer);
          connack();
        }
      } else if (packet.cmd === 'subscribe') write({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map(() => 0) });
      else if (packet.cmd === 'pingreq') write({ cmd: 'pingresp' });
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    received,
    acked,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('link: QoS 1 publishes written directly', function () {
  this.timeout(10_000);
  let broker: FakeBroker;
  let link: FailoverLink | undefined;

  afterEach(async () => {
    await link?.close();
    link = undefined;
    await broker.close();
  });

  it('sends the waiting publishes right behind the CONNECT, matches their PUBACKs, and does not send them again', async () => {
    // A broker that would answer only after 5 s unless two publishes arrive first.
    broker = await fakeBroker(5000, 2);
    link = new FailoverLink({ servers: [broker.url], failoverMs: 0, clientId: 'early-1' });
    const first = link.publishAcked('parking/lot1/slots/L1/s1', 'one', { qos: 1 });
    const second = link.publishAcked('parking/lot1/slots/L1/s2', 'two', { qos: 1 });
    const started = Date.now();
    link.start();
    expect(await first).to.equal(broker.url);
    expect(await second).to.equal(broker.url);
    expect(Date.now() - started, 'acknowledged without waiting for the broker to give up holding the CONNACK').to.be.below(4000);
    // A publish after the CONNACK (written directly too); once it is acknowledged, every earlier packet has arrived.
    expect(await link.publishAcked('parking/lot1/slots/L1/s3', 'three', { qos: 1 })).to.equal(broker.url);
    const publishes = broker.received.filter((p) => p.cmd === 'publish');
    expect(publishes.map((p) => [p.payload, p.afterConnack])).to.deep.equal([['one', false], ['two', false], ['three', true]]);
    expect(broker.received[0].cmd).to.equal('connect');
    expect(link.stats()).to.include({ acked: 3, resent: 0 });
  });

  it('after the CONNACK too: MQTT.js holds no record of the publish in flight, and a clean end waits for its answer before the DISCONNECT', async () => {
    broker = await fakeBroker(0, 1, 300);
    link = new FailoverLink({ servers: [broker.url], failoverMs: 0, clientId: 'direct-1' });
    link.start();
    await link.waitConnected();
    const done = link.publishAcked('parking/lot1/slots/L1/s1', 'one', { qos: 1 });
    const client = (link as unknown as { current: { client: { outgoing: object } } }).current.client;
    expect(Object.keys(client.outgoing), 'not in MQTT.js outgoing store').to.deep.equal([]);
    // Closed at once, no drain asked for: the end still waits for the answer (up to its deadline).
    const closed = link.close();
    expect(await done).to.equal(broker.url);
    await closed;
    link = undefined;
    const publish = broker.received.find((p) => p.cmd === 'publish')!;
    const disconnect = broker.received.find((p) => p.cmd === 'disconnect');
    expect(disconnect, 'a clean DISCONNECT').to.not.equal(undefined);
    const ackedAt = [...broker.acked.values()][0];
    expect(ackedAt - publish.at).to.be.at.least(250);
    expect(disconnect!.at, 'the DISCONNECT came after the PUBACK').to.be.at.least(ackedAt);
  });

  it('turns Nagle off on its sockets: a slot change is one small packet and must not wait for more', async () => {
    broker = await fakeBroker(0, 1);
    const calls: Array<{ socket: net.Socket; on: boolean | undefined }> = [];
    const original = net.Socket.prototype.setNoDelay;
    net.Socket.prototype.setNoDelay = function (this: net.Socket, on?: boolean) {
      calls.push({ socket: this, on });
      return original.call(this, on);
    };
    try {
      link = new FailoverLink({ servers: [broker.url], failoverMs: 0, clientId: 'nodelay-1' });
      link.start();
      await link.waitConnected();
    } finally {
      net.Socket.prototype.setNoDelay = original;
    }
    const stream = (link as unknown as { current: { client: { stream: net.Socket } } }).current.client.stream;
    expect(calls.some((c) => c.socket === stream && c.on !== false)).to.equal(true);
  });
});
