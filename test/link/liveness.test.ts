// Liveness by acknowledgement (devices and gates) and the spread return to the primary.
import { expect } from 'chai';
import { FailbackPlanner } from '../../link/failback.ts';
import { FailoverLink, Outbox, RoundTrip, ackDeadline, type LinkOptions } from '../../link/index.ts';
import { AckWatch } from '../../link/liveness.ts';
import { RecentAcks } from '../../link/replay.ts';
import { startLinkProxy, type LinkProxy } from '../../testbed/linkproxy/index.ts';
import { startTestBroker, type TestBroker } from './brokers.ts';
import { PassThrough } from 'node:stream';
import { blockEventLoop } from '../helpers/block.ts';
import { next, until } from './wait.ts';

const LIMITS = { failoverMs: 300, settleMs: 10_000, settleAckMs: 3000, maxAckWaitMs: 10_000 };

describe('link: liveness by acknowledgement (pure parts)', () => {
  it('the round trip follows RFC 6298: the first sample sets 3 × RTT, later ones smooth it', () => {
    const rtt = new RoundTrip();
    expect(rtt.timeoutMs).to.equal(0);
    rtt.sample(800);
    expect(rtt.timeoutMs).to.equal(800 + 4 * 400);
    for (let i = 0; i < 50; i++) rtt.sample(2);
    expect(rtt.timeoutMs).to.be.below(60);
  });

  it('the deadline is failoverMs at least, the CONNACK time of a busy broker stretches it, and only a failover adds the settling patience', () => {
    const quick = new RoundTrip();
    quick.sample(3);
    expect(ackDeadline(LIMITS, quick, 0, false, 100)).to.equal(300);
    expect(ackDeadline(LIMITS, quick, 0, true, 100), 'settling after a failover').to.equal(3000);
    expect(ackDeadline(LIMITS, quick, 0, true, 10_001), 'settled').to.equal(300);
    const busy = new RoundTrip();
    busy.sample(1500);
    expect(ackDeadline(LIMITS, busy, 0, false, 100)).to.equal(4500);
    const hung = new RoundTrip();
    hung.sample(9000);
    expect(ackDeadline(LIMITS, hung, 0, false, 100), 'capped').to.equal(10_000);
  });

  it('remembers the longest round trip taken while settling, for a window, and the deadline is never shorter than it', () => {
    const rtt = new RoundTrip();
    rtt.rememberUntil = 5000;
    rtt.sample(1500, 0);
    for (let i = 1; i <= 50; i++) rtt.sample(2, i * 100);
    expect(rtt.timeoutMs, 'the smoothed estimate forgot the storm').to.be.below(60);
    expect(rtt.peakMs(30_000, 60_000)).to.equal(1500);
    expect(rtt.peakMs(61_000, 60_000), 'past the window: the longest since, of those taken while settling').to.equal(2);
    const steady = new RoundTrip();
    steady.sample(1500, 0);
    expect(steady.peakMs(30_000, 60_000), 'an outlier outside a settling is not remembered').to.equal(0);
    const storm = new RoundTrip();
    storm.rememberUntil = 0;
    storm.sample(1500, 0);
    for (let i = 1; i <= 50; i++) storm.sample(2, i * 100);
    const limits = { ...LIMITS, rttMemoryMs: 60_000 };
    expect(ackDeadline(limits, storm, 0, false, 30_000), 'a broker that took 1.5 s a minute ago may again').to.equal(1500);
    expect(ackDeadline(LIMITS, storm, 0, false, 30_000), 'without the memory').to.equal(300);
    expect(ackDeadline(limits, storm, 0, false, 70_000), 'the minute over').to.equal(300);
  });

  it('replays only what was acknowledged within the window before the loss', () => {
    const recent = new RecentAcks(1000);
    const entry = (id: number) => ({ id, topic: 't', payload: Buffer.from(String(id)), qos: 1 as const, retain: false, queuedAt: 0, sentOn: undefined, sends: 1 });
    recent.add(entry(1), 1000);
    recent.add(entry(2), 2500);
    recent.add(entry(3), 2900);
    expect(recent.takeBefore(3000).map((e) => e.id)).to.deep.equal([2, 3]);
    expect(recent.takeBefore(3000)).to.deep.equal([]);
  });

  it('after a stop notice keeps every acknowledgement, past the window, until the link moved or lost that broker', () => {
    const entry = (id: number) => ({ id, topic: 't', payload: Buffer.from(String(id)), qos: 1 as const, retain: false, queuedAt: 0, sentOn: undefined, sends: 1 });
    const lost = new RecentAcks(1000);
    lost.add(entry(1), 1000);
    lost.keepSince(1500);
    lost.add(entry(2), 2000);
    lost.add(entry(3), 9000);
    lost.add(entry(4), 12_000);
    expect(lost.takeBefore(12_500).map((e) => e.id), 'lost: the window and everything since the notice').to.deep.equal([2, 3, 4]);
    lost.add(entry(5), 20_000);
    lost.add(entry(6), 30_000);
    expect(lost.takeBefore(30_500).map((e) => e.id), 'the notice was forgotten').to.deep.equal([6]);
    const moved = new RecentAcks(1000);
    expect(moved.takeSinceNotice(), 'no notice').to.deep.equal([]);
    moved.add(entry(1), 1000);
    moved.keepSince(1500);
    moved.add(entry(2), 2000);
    moved.add(entry(3), 9000);
    expect(moved.takeSinceNotice().map((e) => e.id), 'moved: since the notice').to.deep.equal([2, 3]);
    expect(moved.takeSinceNotice()).to.deep.equal([]);
  });

  it('puts publishes sent again after a loss ahead of the newer ones still waiting', () => {
    const outbox = new Outbox(2);
    outbox.add('t', Buffer.from('3'), 1, true, 0);
    outbox.add('t', Buffer.from('4'), 1, true, 0);
    outbox.prepend([{ topic: 't', payload: Buffer.from('1'), qos: 1, retain: true }, { topic: 't', payload: Buffer.from('2'), qos: 1, retain: true }], 1);
    expect(outbox.all().map((e) => e.payload.toString())).to.deep.equal(['1', '2', '3', '4']);
  });

  it('while settling, a silent broker is asked (PINGREQ) before it is dropped: an answer keeps it, no answer drops it one deadline later, and never past maxWaitMs', async () => {
    const run = async (answer: 'pingresp' | 'nothing', maxWaitMs = 10_000) => {
      let heard = Date.now();
      let asked = 0;
      let deadAt: number | undefined;
      const started = Date.now();
      const watch = new AckWatch(
        () => 60,
        () => heard,
        () => (deadAt = Date.now() - started),
        {
          ask: () => {
            asked += 1;
            if (answer === 'pingresp') setTimeout(() => (heard = Date.now()), 5);
            return true;
          },
          maxWaitMs,
        },
      );
      watch.sent(1, started);
      await until(() => deadAt !== undefined || Date.now() - started > 400, { timeoutMs: 1000 });
      watch.stop();
      return { asked, deadAt };
    };
    const silent = await run('nothing');
    expect(silent.asked, 'asked once per silence').to.equal(1);
    expect(silent.deadAt, 'dropped one deadline after the question').to.be.within(110, 300);
    const busy = await run('pingresp');
    expect(busy.deadAt, 'a broker that answers is kept').to.equal(undefined);
    expect(busy.asked).to.be.greaterThan(2);
    const capped = await run('pingresp', 150);
    expect(capped.deadAt, 'but not past maxWaitMs for the oldest publish').to.be.within(150, 300);
  });

  it('spreads the move back over the failback window, and probes first only with heartbeats', async () => {
    const moves: number[] = [];
    let probes = 0;
    const started = Date.now();
    const randoms = [0.5, 0.9];
    const planner = new FailbackPlanner(
      { liveness: 'ack', probeIntervalMs: 10, probeHealthy: 2, failbackWindowMs: 200 },
      { probe: async () => (probes++, true), canMove: () => true, move: () => moves.push(Date.now() - started) },
      () => randoms.shift() ?? 0,
    );
    planner.schedule();
    await until(() => moves.length === 1, { timeoutMs: 2000 });
    expect(probes, 'ack liveness: the move itself is the check').to.equal(0);
    expect(moves[0]).to.be.within(170, 400); // 10 ms × (0.8 + 0.4 × 0.5) + 200 ms × 0.9
    const hb = new FailbackPlanner({ liveness: 'heartbeat', probeIntervalMs: 10, probeHealthy: 2, failbackWindowMs: 0 }, { probe: async () => (probes++, true), canMove: () => true, move: () => moves.push(0) }, () => 0.5);
    hb.schedule();
    await until(() => moves.length === 2, { timeoutMs: 2000 });
    expect(probes).to.equal(2);
  });

  it('after each failed move back waits twice as long (to 32 times), and starts afresh once a return held', async () => {
    const moves: number[] = [];
    const planner = new FailbackPlanner({ liveness: 'ack', probeIntervalMs: 20, probeHealthy: 1, failbackWindowMs: 0 }, { probe: async () => true, canMove: () => true, move: () => moves.push(Date.now()) }, () => 0.5);
    const started = Date.now();
    planner.schedule();
    await until(() => moves.length === 1, { timeoutMs: 2000 });
    for (let n = 2; n <= 4; n += 1) {
      planner.moveFailed();
      await until(() => moves.length === n, { timeoutMs: 2000 });
    }
    const gaps = [moves[0] - started, moves[1] - moves[0], moves[2] - moves[1], moves[3] - moves[2]];
    expect(planner.backoff).to.equal(8);
    for (const [i, expected] of [20, 40, 80, 160].entries()) expect(gaps[i], `wait ${i + 1}`).to.be.within(expected - 2, expected + 60);
    for (let n = 0; n < 10; n += 1) planner.moveFailed();
    expect(planner.backoff, 'capped').to.equal(32);
    planner.cancel();
    expect(planner.backoff, 'a plan cancelled (the link moved back, or lost its broker): the failures still count').to.equal(32);
    planner.reset();
    expect(planner.backoff, 'the return held: a new start').to.equal(1);
    planner.returnFailed();
    expect(planner.backoff, 'a return lost soon after it counts as a failed move').to.equal(2);
    planner.cancel();
  });
});

describe('link: liveness by acknowledgement (brokers)', function () {
  this.timeout(20_000);
  let primary: TestBroker;
  let standby: TestBroker;
  let toPrimary: LinkProxy;
  let toStandby: LinkProxy;
  const links: FailoverLink[] = [];

  const link = (options: Partial<LinkOptions> = {}): FailoverLink => {
    const l = new FailoverLink({ liveness: 'ack', servers: [toPrimary.url('mqtt'), toStandby.url('mqtt')], failoverMs: 300, probeIntervalMs: 0, connectTimeoutMs: 1000, ...options });
    links.push(l);
    return l.start();
  };

  beforeEach(async () => {
    primary = await startTestBroker();
    standby = await startTestBroker();
    toPrimary = await startLinkProxy({ target: { host: '127.0.0.1', port: primary.port } });
    toStandby = await startLinkProxy({ target: { host: '127.0.0.1', port: standby.port } });
  });

  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.close()));
    await Promise.all([toPrimary.close(), toStandby.close()]);
    await Promise.all([primary.close(), standby.close()]);
  });

  it('costs an idle link nothing: no heartbeat subscription, nothing received', async () => {
    const l = link();
    await l.waitConnected();
    await new Promise((resolve) => setTimeout(resolve, 400)); // four broker heartbeats would arrive meanwhile
    expect(l.stats()).to.include({ liveness: 'ack', heartbeats: 0, received: 0 });
    expect(l.keepaliveSec).to.equal(60);
  });

  it('notices a silent partition at the deadline of the publish in flight and loses nothing', async () => {
    const l = link();
    await l.waitConnected();
    await l.publish('test/ack', '1');
    toPrimary.partition();
    const cut = Date.now();
    const acked = l.publishAcked('test/ack', '2');
    const [, to, reason] = await next<[string, string, string]>(l, 'failover', { timeoutMs: 3000 });
    expect([to, reason]).to.deep.equal([toStandby.url('mqtt'), 'heartbeat']);
    expect(await acked).to.equal(toStandby.url('mqtt'));
    expect(Date.now() - cut).to.be.within(280, 1200);
    expect(standby.accepted.map((m) => m.payload.toString())).to.include('2');
  });

  it('after a failover, does not drop a standby that is only slow (busy taking in a fleet)', async () => {
    const l = link();
    await l.waitConnected();
    const moved = next(l, 'failover', { timeoutMs: 3000 });
    toPrimary.reset(); // the primary's connection ends (a crash); the link moves to the standby
    await moved;
    // PUBACKs now take about 1.2 s: four times the usual deadline, inside the settling patience.
    toStandby.setProfile({ latencyMs: 600, jitterMs: 0 });
    const started = Date.now();
    await l.publish('test/slow', 'x');
    expect(Date.now() - started).to.be.above(1000);
    expect(l.stats().failovers).to.equal(1);
    expect(l.connected).to.equal(true);
  });

  it('does not drop a broker that stops for less than its slowest acknowledgement of the last minute, once settled and its estimate back to normal', async () => {
    const l = link({ settleMs: 1500, settleAckMs: 3000 });
    await l.waitConnected();
    const moved = next(l, 'failover', { timeoutMs: 3000 });
    toPrimary.reset(); // a crash: the link moves to the standby, which settles for 1.5 s
    await moved;
    // One acknowledgement takes about 1.2 s (the standby taking in a fleet), then many come at once.
    toStandby.setProfile({ latencyMs: 600, jitterMs: 0 });
    await l.publish('test/slow', '0');
    toStandby.setProfile({ latencyMs: 0, jitterMs: 0 });
    for (let i = 1; i <= 20; i++) await l.publish('test/slow', String(i));
    await until(() => (l.stats().ackDeadlineMs ?? 0) < 3000, { what: () => `settled (deadline ${l.stats().ackDeadlineMs} ms)` });
    expect(l.stats().ackDeadlineMs, 'the slowest acknowledgement of the last minute, not the estimate (300 ms)').to.be.at.least(1000);
    // Now a stop of about 800 ms: past the estimate, within the slowest of the last minute.
    toStandby.setProfile({ latencyMs: 400, jitterMs: 0 });
    expect(await l.publishAcked('test/slow', 'after')).to.equal(toStandby.url('mqtt'));
    expect(l.stats().failovers).to.equal(1);
  });

  it('after a crash, sends what the lost broker acknowledged last ahead of what it never acknowledged (a slot state the lost broker did not pass on is not refused as stale)', async () => {
    const l = link();
    await l.waitConnected();
    await l.publish('test/order', '1', { retain: true });
    toPrimary.partition(); // 2 goes out but is never acknowledged
    const second = l.publish('test/order', '2', { retain: true });
    await until(() => l.stats().queued === 1, { what: () => 'publish 2 in flight' });
    toPrimary.reset(); // then the primary's connection ends: 1 (acknowledged 0 s ago) is sent again, before 2
    await second;
    const order = () => standby.accepted.filter((m) => m.topic === 'test/order').map((m) => m.payload.toString());
    await until(() => order().length === 2, { what: () => `the standby accepted ${order().join(',')}` });
    expect(order()).to.deep.equal(['1', '2']);
    expect(l.stats().replayed).to.equal(1);
  });

  it('after a crash it noticed late (its process busy with other links), still sends what the lost broker acknowledged just before it died', async () => {
    const l = link();
    await l.waitConnected();
    await l.publish('test/late', '1', { retain: true });
    toPrimary.reset();
    // The loss is read 1.5 s after the last acknowledgement, past the 1 s replay window.
    blockEventLoop(1500);
    const accepted = () => standby.accepted.filter((m) => m.topic === 'test/late').map((m) => m.payload.toString());
    await until(() => accepted().length === 1, { what: () => 'the standby accepted the state acknowledged before the crash' });
    expect(accepted()).to.deep.equal(['1']);
    expect(l.stats().replayed).to.equal(1);
  });

  /** What the standby says of its bridge (retained `$SYS/sb/bridge`), as a standby broker does. */
  const sayBridge = (state: string) => new Promise<void>((resolve) => standby.broker.publish({ cmd: 'publish', topic: '$SYS/sb/bridge', payload: Buffer.from(state), qos: 0, retain: true, dup: false } as never, () => resolve()));

  /** Cut from the primary: on the standby after a publish (the cut stays). */
  const cutOff = async (l: FailoverLink, topic: string) => {
    await l.waitConnected();
    toPrimary.partition();
    await l.publish(topic, '1');
    expect(l.role).to.equal('standby');
  };
  /** Cut from the primary: on the standby after a publish; then the cut healed. */
  const cutOffAndHealed = async (l: FailoverLink, topic: string) => {
    await cutOff(l, topic);
    toPrimary.heal();
  };
  /** The link's next move back to the primary. */
  const failback = (l: FailoverLink, timeoutMs: number) => next(l, 'failover', { timeoutMs, filter: (_f: string, _t: string, reason: string) => reason === 'failback' });
  /** Still on the standby (its bridge said down), and back on the primary once the standby says synced. */
  const backOnceSynced = async (l: FailoverLink) => {
    expect(l.role).to.equal('standby');
    expect(l.stats().failbacks).to.equal(0);
    const back = failback(l, 5000);
    await sayBridge('synced');
    await back;
    expect(l.role).to.equal('primary');
  };

  it('waits on a standby whose bridge to the primary is down, and returns once it says synced (a restarted primary has no subscribers before)', async () => {
    await sayBridge('down');
    const l = link({ probeIntervalMs: 50, failbackWindowMs: 100 });
    await cutOffAndHealed(l, 'test/bridge');
    await new Promise((resolve) => setTimeout(resolve, 800)); // several plans' worth: none may move while the bridge is down
    await backOnceSynced(l);
  });

  it('takes the SUBACK for the bridge state as no answer: waits for the retained state that follows it (a slow standby: 400 ms late)', async () => {
    await sayBridge('down');
    // The standby's retained messages now leave 400 ms after their SUBACK: several plans' worth at this probe interval.
    const persistence = (standby.broker as unknown as { persistence: { createRetainedStreamCombi(topics: string[]): NodeJS.ReadableStream } }).persistence;
    const original = persistence.createRetainedStreamCombi.bind(persistence);
    const delivered: string[] = [];
    persistence.createRetainedStreamCombi = (topics) => {
      const late = new PassThrough({ objectMode: true });
      setTimeout(() => original(topics).on('data', (p: { topic: string }) => delivered.push(p.topic)).pipe(late), 400);
      return late;
    };
    try {
      const l = link({ probeIntervalMs: 50, failbackWindowMs: 50 });
      await cutOffAndHealed(l, 'test/late');
      await until(() => delivered.includes('$SYS/sb/bridge'), { what: () => `the bridge state delivered (${delivered.join(',')})` });
      await new Promise((resolve) => setTimeout(resolve, 300)); // several plans' worth once it is in: none may move while it says down
      await backOnceSynced(l);
    } finally {
      persistence.createRetainedStreamCombi = original;
    }
  });

  /** On the standby after a cut, then back on the primary; resolves once the link returned. */
  const backOnPrimary = async (l: FailoverLink): Promise<void> => {
    await cutOff(l, 'test/return');
    const back = failback(l, 5000);
    toPrimary.heal();
    await back;
  };

  it('just back on the primary (the rest of the fleet may still be arriving), asks a slow primary before dropping it', async () => {
    // Returning lasts the failback window and the spare delay: a short window (the return comes soon), a long delay.
    const l = link({ probeIntervalMs: 50, failbackWindowMs: 200, spareDelayMs: 5000, random: () => 0.01 });
    await backOnPrimary(l);
    // PUBACKs now take about 400 ms, past the 300 ms deadline: the PINGREQ at the deadline finds the primary alive.
    toPrimary.setProfile({ latencyMs: 200, jitterMs: 0 });
    expect(await l.publishAcked('test/return', '2')).to.equal(toPrimary.url('mqtt'));
    expect(l.stats()).to.include({ failovers: 1, failbacks: 1 });
    expect(l.role).to.equal('primary');
  });

  it('once the failback window (and the spare delay) is over, a primary that stops acknowledging is dropped at the usual deadline', async () => {
    const l = link({ probeIntervalMs: 50, failbackWindowMs: 200, spare: false, random: () => 0.01 });
    await backOnPrimary(l);
    await new Promise((resolve) => setTimeout(resolve, 250)); // the window, a fixed time: no event marks its end
    toPrimary.setProfile({ latencyMs: 200, jitterMs: 0 });
    const moved = next(l, 'failover', { timeoutMs: 3000 });
    expect(await l.publishAcked('test/return', '2')).to.equal(toStandby.url('mqtt'));
    await moved;
    expect(l.stats().failovers).to.equal(2);
  });

  it('counts the moves back to the primary that failed, and says why the last one did', async () => {
    const l = link({ probeIntervalMs: 50, failbackWindowMs: 0, random: () => 0.5 });
    await cutOff(l, 'test/back');
    // The standby never says what its bridge does (a plain broker): the link asks, waits out BRIDGE_STATE_GRACE_MS, then tries.
    await until(() => l.stats().failedReturns >= 1, { timeoutMs: 15_000, what: () => JSON.stringify(l.stats()) });
    expect(l.stats().lastReturnError).to.match(/^no CONNACK within \d+ ms$/);
    toPrimary.heal();
    await failback(l, 10_000);
    expect(l.role).to.equal('primary');
  });

  it('returns to the primary once it is back, after a random wait within the failback window', async () => {
    const l = link({ probeIntervalMs: 50, failbackWindowMs: 600, random: () => 0.5 });
    await cutOffAndHealed(l, 'test/back');
    const healed = Date.now();
    await failback(l, 5000);
    expect(Date.now() - healed).to.be.within(250, 3000);
    expect(l.role).to.equal('primary');
    await l.publish('test/back', '2');
    expect(primary.accepted.map((m) => m.payload.toString())).to.include('2');
  });
});
