// Brokers backed by Redis (REDIS_URL): retained slot states survive a crash
// of the broker process, the newest-wins rule reads the shared store, and two
// brokers on one Redis serve the same topics.
import { expect } from 'chai';
import { startRedis, type ServiceHandle } from '../../testbed/services/index.ts';
import { startBrokerProcess, type BrokerProcess } from '../helpers/brokers.ts';
import { requireBinary } from '../helpers/services.ts';
import { closeAll, connect, recorder, unique } from './clients.ts';

const slot = (status: string, ts: number) => JSON.stringify({ status, ts });

describe('broker with Redis persistence (processes)', function () {
  this.timeout(90_000);
  let redis: ServiceHandle;
  let broker: BrokerProcess;

  before(requireBinary('redis-server', 'redis-server'));
  before(async () => {
    redis = await startRedis();
    broker = await startBrokerProcess({ role: 'primary', env: { REDIS_URL: redis.url, PARKING_BROKER_ID: 'node-a' } });
  });
  afterEach(closeAll);
  after(async () => {
    await closeAll();
    await broker?.stop();
    await redis?.stop();
  });

  it('a broker killed with SIGKILL and restarted on the same Redis still has the retained slot states', async () => {
    const lot = unique('lot');
    const a = `parking/${lot}/slot/B1/01`;
    const b = `parking/${lot}/availability`;
    const p = await connect(broker.url);
    await p.publishAsync(a, slot('occupied', 500), { qos: 1, retain: true });
    await p.publishAsync(b, '{"lot":"x"}', { qos: 1, retain: true });
    // Stored before it was delivered: once a subscriber sees it, Redis has it.
    await (await recorder(broker.url, `parking/${lot}/#`)).on(b);
    await closeAll();

    await broker.kill('SIGKILL');
    expect(broker.exit?.signal).to.equal('SIGKILL');
    await broker.restart();

    const late = await recorder(broker.url, `parking/${lot}/#`);
    const got = await late.on(a);
    expect(got.payload).to.equal(slot('occupied', 500));
    expect(got.retain).to.equal(true);
    expect((await late.on(b)).payload).to.equal('{"lot":"x"}');
  });

  it('after the restart an older slot state still does not replace the stored newer one', async () => {
    const lot = unique('lot');
    const a = `parking/${lot}/slot/B1/02`;
    const p = await connect(broker.url);
    await p.publishAsync(a, slot('free', 900), { qos: 1, retain: true });
    await (await recorder(broker.url, a)).on(a);
    await closeAll();
    await broker.kill();
    await broker.restart();
    const live = await recorder(broker.url, `parking/${lot}/#`);
    await live.on(a, slot('free', 900));
    const q = await connect(broker.url);
    await q.publishAsync(a, slot('occupied', 800), { qos: 1, retain: true }); // older: refused
    await q.publishAsync(a, slot('occupied', 950), { qos: 1, retain: true }); // newer: stored
    await live.on(a, slot('occupied', 950));
    expect(live.of(a).map((m) => m.payload)).to.deep.equal([slot('free', 900), slot('occupied', 950)]);
    const late = await recorder(broker.url, a);
    expect((await late.on(a)).payload).to.equal(slot('occupied', 950));
  });

  it('two brokers on one Redis: a message published on one reaches subscribers of the other, and both see the same retained state', async () => {
    const other = await startBrokerProcess({ role: 'primary', env: { REDIS_URL: redis.url, PARKING_BROKER_ID: 'node-b' } });
    try {
      const lot = unique('lot');
      const a = `parking/${lot}/slot/C/1`;
      const onB = await recorder(other.url, `parking/${lot}/#`);
      const heartbeats = await recorder(other.url, '$SYS/+/heartbeat');
      const p = await connect(broker.url);
      await p.publishAsync(a, slot('closed', 42), { qos: 1, retain: true });
      expect((await onB.on(a)).payload).to.equal(slot('closed', 42));
      expect(onB.count(a)).to.equal(1);
      const late = await recorder(other.url, a);
      expect((await late.on(a)).retain).to.equal(true);
      // Both nodes' heartbeats reach a client of either node.
      await heartbeats.on('$SYS/node-a/heartbeat');
      await heartbeats.on('$SYS/node-b/heartbeat');
    } finally {
      await other.stop();
    }
  });
});
