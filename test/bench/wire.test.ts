import { expect } from 'chai';
import { startBroker, type RunningBroker } from '../../broker/index.ts';
import { encodeSlotState } from '../../contract/index.ts';
import { LoadGenerator } from '../../bench/load.ts';
import { SlotFleet } from '../../bench/slots.ts';
import { WireClient, type WireMessage } from '../../bench/wire.ts';

describe('bench: the lean MQTT client and the load against a broker', () => {
  let broker: RunningBroker;
  const clients: WireClient[] = [];
  const connect = async (clientId: string) => {
    const url = new URL(broker.url);
    const client = await WireClient.connect({ host: url.hostname, port: Number(url.port), clientId });
    clients.push(client);
    return client;
  };

  before(async () => {
    broker = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.end()));
    await broker.close();
  });

  it('publishes QoS 1 retained slot states, gets every PUBACK, and a subscriber receives them', async () => {
    const [pub, sub] = await Promise.all([connect('wire-pub'), connect('wire-sub')]);
    const received: WireMessage[] = [];
    const all = new Promise<void>((resolve) => {
      sub.onMessage = (message) => {
        received.push(message);
        if (received.length === 3) resolve();
      };
    });
    expect(await sub.subscribe([{ topic: 'parking/+/slot/+/+', qos: 1 }])).to.deep.equal([1]);
    const acked = new Promise<void>((resolve) => {
      pub.onAck = () => pub.inflight === 0 && resolve();
    });
    for (let seq = 1; seq <= 3; seq += 1) pub.publish(`parking/w/slot/L1/s${seq}`, encodeSlotState({ status: 'occupied', ts: 1000, seq }), 1, true);
    expect(pub.inflight).to.equal(3);
    await Promise.all([all, acked]);
    expect(pub.acked).to.equal(3);
    expect(received.map((m) => m.topic)).to.deep.equal(['parking/w/slot/L1/s1', 'parking/w/slot/L1/s2', 'parking/w/slot/L1/s3']);
    expect(JSON.parse(received[2].payload.toString())).to.deep.equal({ status: 'occupied', ts: 1000, seq: 3 });
    // The broker kept them retained: a new subscriber gets them at once.
    const late = await connect('wire-late');
    const retained = new Promise<WireMessage>((resolve) => (late.onMessage = resolve));
    await late.subscribe([{ topic: 'parking/w/slot/L1/s2', qos: 1 }]);
    expect((await retained).retain).to.equal(true);
    expect(await late.unsubscribe(['parking/w/slot/L1/s2'])).to.deep.equal([]);
  });

  it('the load generator sends a steady rate with probes and reports what it sent', async () => {
    const publishers = await Promise.all([connect('wire-gw0'), connect('wire-gw1')]);
    const probes: number[] = [];
    const load = new LoadGenerator(publishers, new SlotFleet({ lots: 1, levels: 2, slotsPerLevel: 10 }));
    const result = await load.run({ rate: 400, durationMs: 500, probeRate: 100, sendProbe: (i) => probes.push(i) });
    expect(result.sent).to.equal(200);
    expect(result.probes).to.equal(50);
    expect(probes).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    expect(publishers[0].published + publishers[1].published).to.equal(150);
    expect(load.seq).to.equal(151);
  });

  it('refuses a failed connection with the CONNACK code', async () => {
    const closed = await startBroker({ role: 'primary', allowAnonymous: false, wsPort: false });
    try {
      const url = new URL(closed.url);
      let error: Error | undefined;
      await WireClient.connect({ host: url.hostname, port: Number(url.port), clientId: 'nobody' }).catch((e: Error) => (error = e));
      expect(error?.message).to.match(/CONNACK 5/);
    } finally {
      await closed.close();
    }
  });
});
