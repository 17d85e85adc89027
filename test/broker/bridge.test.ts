// The standby's bridge to the primary, with real broker processes: both
// directions, retain flags, every message exactly once (no loops), and the
// retained state brought up to date after a restart or a cut link, the newest
// slot state winning.
import { expect } from 'chai';
import { startLinkProxy, type LinkProxy } from '../../testbed/linkproxy/index.ts';
import { startBrokerProcess, type BrokerProcess } from '../helpers/brokers.ts';
import { closeAll, connect, recorder, unique, type Recorder } from './clients.ts';

const RESYNCED = /bridge: resynchronised with the primary/;
const slot = (status: string, ts: number, seq?: number) => JSON.stringify(seq === undefined ? { status, ts } : { status, ts, seq });

/** Publishes a marker on `from` and waits until every recorder got it: what was sent before it on that path has arrived. */
async function flush(fromUrl: string, lot: string, recorders: Recorder[]): Promise<void> {
  const topic = `parking/${lot}/gate/${unique('m')}/event`;
  const payload = JSON.stringify({ eventId: unique('e'), direction: 'entry', carId: 'B1', ts: 1 });
  const client = await connect(fromUrl);
  await client.publishAsync(topic, payload, { qos: 1 });
  await Promise.all(recorders.map((rec) => rec.on(topic, payload)));
  await client.endAsync();
}

describe('bridge: Aedes standby to Aedes primary (processes)', function () {
  this.timeout(90_000);
  let primary: BrokerProcess;
  let standby: BrokerProcess;

  before(async () => {
    primary = await startBrokerProcess({ role: 'primary' });
    standby = await startBrokerProcess({ role: 'standby', primaryUrl: primary.url });
    await standby.waitForOutput(RESYNCED);
  });
  afterEach(closeAll);
  after(async () => {
    await closeAll();
    await standby?.stop();
    await primary?.stop();
  });

  it('carries messages both ways with their retain flag, each exactly once on each side', async () => {
    const lot = unique('lot');
    const onPrimary = await recorder(primary.url, `parking/${lot}/#`);
    const onStandby = await recorder(standby.url, `parking/${lot}/#`);
    const p = await connect(primary.url);
    const s = await connect(standby.url);
    const a = `parking/${lot}/slot/B1/01`;
    const b = `parking/${lot}/slot/B1/02`;
    const e1 = `parking/${lot}/gate/north/event`;
    const e2 = `parking/${lot}/gate/south/event`;
    const event = (id: string) => JSON.stringify({ eventId: id, direction: 'entry', carId: 'B1234XYZ', ts: 5 });
    await p.publishAsync(a, slot('occupied', 10), { qos: 1, retain: true });
    await s.publishAsync(b, slot('free', 11), { qos: 1, retain: true });
    await p.publishAsync(e1, event('e1'), { qos: 1 });
    await s.publishAsync(e2, event('e2'), { qos: 1 });
    await flush(primary.url, lot, [onPrimary, onStandby]);
    await flush(standby.url, lot, [onPrimary, onStandby]);
    for (const rec of [onPrimary, onStandby]) {
      for (const topic of [a, b, e1, e2]) expect(rec.count(topic), topic).to.equal(1);
    }
    // Retained on both sides (the bridge kept the retain flag): a new subscriber on either side gets both states, flagged retained, once.
    for (const url of [primary.url, standby.url]) {
      const late = await recorder(url, `parking/${lot}/#`);
      expect((await late.on(a)).payload).to.equal(slot('occupied', 10));
      expect((await late.on(b)).payload).to.equal(slot('free', 11));
      expect([late.of(a)[0].retain, late.of(b)[0].retain], url).to.deep.equal([true, true]);
      await flush(url, lot, [late]);
      expect(late.messages.filter((m) => m.topic.includes('/slot/'))).to.have.length(2);
    }
  });

  it('never loops: after many messages each way, each arrived once and nothing keeps coming', async () => {
    const lot = unique('lot');
    const onPrimary = await recorder(primary.url, `parking/${lot}/#`);
    const onStandby = await recorder(standby.url, `parking/${lot}/#`);
    const p = await connect(primary.url);
    const s = await connect(standby.url);
    const n = 50;
    for (let i = 0; i < n; i += 1) {
      await p.publishAsync(`parking/${lot}/slot/P/${i}`, slot('occupied', 1000 + i), { qos: 1, retain: true });
      await s.publishAsync(`parking/${lot}/slot/S/${i}`, slot('free', 2000 + i), { qos: 1, retain: true });
    }
    // Two round trips of markers: a loop would still be delivering copies.
    for (let round = 0; round < 2; round += 1) {
      await flush(primary.url, lot, [onPrimary, onStandby]);
      await flush(standby.url, lot, [onPrimary, onStandby]);
    }
    const slots = (rec: Recorder) => rec.messages.filter((m) => m.topic.includes('/slot/'));
    expect(slots(onPrimary)).to.have.length(2 * n);
    expect(slots(onStandby)).to.have.length(2 * n);
    expect(new Set(slots(onPrimary).map((m) => m.topic)).size).to.equal(2 * n);
  });

  it('forwards within a few milliseconds (median over 40 messages each way)', async () => {
    const lot = unique('lot');
    const onPrimary = await recorder(primary.url, `parking/${lot}/#`);
    const onStandby = await recorder(standby.url, `parking/${lot}/#`);
    const p = await connect(primary.url);
    const s = await connect(standby.url);
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const measure = async (pub: typeof p, rec: Recorder, side: string) => {
      const times: number[] = [];
      for (let i = 0; i < 40; i += 1) {
        const topic = `parking/${lot}/slot/${side}/${i}`;
        const sent = performance.now();
        const arrived = rec.on(topic);
        await pub.publishAsync(topic, slot('free', i + 1), { qos: 1, retain: true });
        times.push((await arrived).at - sent);
      }
      return median(times);
    };
    const down = await measure(p, onStandby, 'down');
    const up = await measure(s, onPrimary, 'up');
    process.stdout.write(`      bridge latency median: primary->standby ${down.toFixed(2)} ms, standby->primary ${up.toFixed(2)} ms\n`);
    expect(down).to.be.below(50);
    expect(up).to.be.below(50);
  });

  it('after the primary restarts empty, the standby gives it back the retained state, newest first', async () => {
    const lot = unique('lot');
    const x = `parking/${lot}/slot/B1/01`;
    const y = `parking/${lot}/slot/B1/02`;
    const p = await connect(primary.url);
    await p.publishAsync(x, slot('occupied', 100), { qos: 1, retain: true });
    await p.publishAsync(y, slot('occupied', 100), { qos: 1, retain: true });
    const onStandby = await recorder(standby.url, `parking/${lot}/#`);
    await onStandby.on(y);
    await p.endAsync(true);

    const mark = standby.mark();
    await primary.kill();
    const s = await connect(standby.url);
    await s.publishAsync(y, slot('free', 200), { qos: 1, retain: true });
    await primary.restart();
    await standby.waitForOutput(RESYNCED, { from: mark });

    const late = await recorder(primary.url, `parking/${lot}/#`);
    expect((await late.on(x)).payload).to.equal(slot('occupied', 100));
    expect((await late.on(y)).payload).to.equal(slot('free', 200));
    // Nothing came back to the standby twice.
    await flush(primary.url, lot, [late, onStandby]);
    expect(onStandby.count(x)).to.equal(1);
    expect(onStandby.count(y)).to.equal(2);
    expect(late.count(x)).to.equal(1);
    expect(late.count(y)).to.equal(1);
  });

  it('says on the standby, retained, whether the bridge is synced or down ($SYS/<id>/bridge: failover links wait for synced before they return)', async () => {
    const states = await recorder(standby.url, '$SYS/+/bridge');
    expect((await states.next((m) => m.topic.endsWith('/bridge'), 5000, 'the retained bridge state')).payload).to.equal('synced');
    const mark = standby.mark();
    await primary.kill();
    const down = await states.next((m) => m.topic.endsWith('/bridge') && m.payload === 'down', 10_000, 'down');
    await primary.restart();
    await standby.waitForOutput(RESYNCED, { from: mark });
    await states.next((m) => m.topic.endsWith('/bridge') && m.payload === 'synced' && states.messages.indexOf(m) > states.messages.indexOf(down), 10_000, 'synced again');
  });

  it('after the standby restarts empty, it gets the primary retained state', async () => {
    const lot = unique('lot');
    const x = `parking/${lot}/slot/B2/01`;
    const mark = standby.mark();
    await standby.kill();
    const p = await connect(primary.url);
    await p.publishAsync(x, slot('closed', 300, 1), { qos: 1, retain: true });
    await standby.restart();
    await standby.waitForOutput(RESYNCED, { from: mark });
    // The primary sends its retained messages after the bridge subscribed; once one arrived here it is stored.
    await (await recorder(standby.url, `parking/${lot}/#`)).on(x);
    const late = await recorder(standby.url, `parking/${lot}/#`);
    expect((await late.on(x)).payload).to.equal(slot('closed', 300, 1));
    expect(late.of(x)[0].retain).to.equal(true);
  });
});

describe('bridge: resynchronisation after a cut link, newest slot state wins on both sides', function () {
  this.timeout(90_000);
  let primary: BrokerProcess;
  let standby: BrokerProcess;
  let link: LinkProxy;

  before(async () => {
    primary = await startBrokerProcess({ role: 'primary' });
    link = await startLinkProxy({ target: { host: '127.0.0.1', port: primary.port } });
    standby = await startBrokerProcess({ role: 'standby', primaryUrl: link.url('mqtt') });
    await standby.waitForOutput(RESYNCED);
  });
  after(async () => {
    await closeAll();
    await standby?.stop();
    await link?.close();
    await primary?.stop();
  });

  it('each side keeps the newer state of each slot (ts, then seq) and nothing is delivered twice', async () => {
    const lot = unique('lot');
    const t = (n: string) => `parking/${lot}/slot/L/${n}`;
    const p = await connect(primary.url);
    const s = await connect(standby.url);
    // Before the cut: both sides hold the same states.
    for (const n of ['1', '2', '3', '4']) await p.publishAsync(t(n), slot('free', 100), { qos: 1, retain: true });
    const onPrimary = await recorder(primary.url, `parking/${lot}/#`);
    const onStandby = await recorder(standby.url, `parking/${lot}/#`);
    await flush(primary.url, lot, [onPrimary, onStandby]);

    const mark = standby.mark();
    link.partition();
    link.reset();
    // While cut: each side gets updates the other does not see.
    await p.publishAsync(t('1'), slot('occupied', 200), { qos: 1, retain: true }); // newer on the primary
    await s.publishAsync(t('2'), slot('occupied', 300), { qos: 1, retain: true }); // newer on the standby
    await p.publishAsync(t('3'), slot('occupied', 150, 2), { qos: 1, retain: true });
    await s.publishAsync(t('3'), slot('closed', 150, 5), { qos: 1, retain: true }); // same ts, higher seq on the standby
    await s.publishAsync(t('5'), slot('free', 400), { qos: 1, retain: true }); // only on the standby
    await flush(primary.url, lot, [onPrimary]);
    await flush(standby.url, lot, [onStandby]);
    const beforeHeal = { primary: onPrimary.messages.length, standby: onStandby.messages.length };
    link.heal();
    await standby.waitForOutput(RESYNCED, { from: mark, timeoutMs: 30_000 });
    await flush(primary.url, lot, [onPrimary, onStandby]);
    await flush(standby.url, lot, [onPrimary, onStandby]);

    const expected: Record<string, string> = {
      [t('1')]: slot('occupied', 200),
      [t('2')]: slot('occupied', 300),
      [t('3')]: slot('closed', 150, 5),
      [t('4')]: slot('free', 100),
      [t('5')]: slot('free', 400),
    };
    for (const url of [primary.url, standby.url]) {
      const late = await recorder(url, `parking/${lot}/#`);
      for (const [topic, payload] of Object.entries(expected)) expect((await late.on(topic)).payload, `${url} ${topic}`).to.equal(payload);
      await flush(url, lot, [late]);
      expect(late.messages.filter((m) => m.topic.includes('/slot/') && m.retain), url).to.have.length(5);
    }
    // What the resynchronisation delivered: only what each side was missing, once.
    const deliveredAfterHeal = (rec: Recorder, from: number) => rec.messages.slice(from).filter((m) => m.topic.includes('/slot/')).map((m) => `${m.topic} ${m.payload}`).sort();
    expect(deliveredAfterHeal(onPrimary, beforeHeal.primary)).to.deep.equal([`${t('2')} ${slot('occupied', 300)}`, `${t('3')} ${slot('closed', 150, 5)}`, `${t('5')} ${slot('free', 400)}`].sort());
    expect(deliveredAfterHeal(onStandby, beforeHeal.standby)).to.deep.equal([`${t('1')} ${slot('occupied', 200)}`]);
  });
});
