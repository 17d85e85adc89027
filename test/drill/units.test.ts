// The drill's pure parts: statistics, availability maths, scenarios and plan, message accounting.
import { expect } from 'chai';
import {
  Ledger,
  PRIOR_WORK,
  RecoveryWatch,
  SECONDS_PER_YEAR,
  availabilityOf,
  clearWindow,
  coveredMs,
  defaultScenarios,
  downtimePerYear,
  formatAvailability,
  nines,
  parseFailureRates,
  parseLinkList,
  parseScenarioList,
  percentile,
  planRuns,
  relativeChange,
  summarize,
} from '../../drill/index.ts';
import { fleetProcesses, partNodeFlags } from '../../drill/fleet/index.ts';

describe('drill: statistics', () => {
  it('min, median, nearest-rank p95, max and mean, leaving out runs without a value', () => {
    const s = summarize([30, null, 10, 20, undefined, 40, NaN]);
    expect(s).to.deep.equal({ n: 4, min: 10, median: 25, p95: 40, max: 40, mean: 25 });
    expect(summarize([7])).to.include({ n: 1, min: 7, median: 7, p95: 7, max: 7 });
    expect(summarize([null])).to.deep.equal({ n: 0, min: null, median: null, p95: null, max: null, mean: null });
  });

  it('p95 is the smallest value with 95 % of the values at or below it', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 95)).to.equal(95);
    expect(percentile(values.slice(0, 20), 95)).to.equal(19);
    expect(percentile([1, 2, 3], 95)).to.equal(3);
    expect(percentile([], 95)).to.equal(null);
    expect(() => percentile([1], 0)).to.throw(RangeError);
  });

  it('covered time: the part of an interval inside windows, overlaps counted once', () => {
    expect(coveredMs([], 0, 100)).to.equal(0);
    expect(coveredMs([{ start: 50, end: 300 }], 0, 100)).to.equal(50);
    expect(coveredMs([{ start: -20, end: 10 }, { start: 5, end: 30 }, { start: 90, end: 95 }], 0, 100)).to.equal(35);
    expect(coveredMs([{ start: 100, end: 200 }], 0, 100)).to.equal(0);
  });

  it('a throughput window is moved until neither edge is in a link stall or within the margin of one', () => {
    // Nothing in the way: where it was asked for.
    expect(clearWindow([], 1000, 3000, 35, 1, 2000)).to.equal(1000);
    expect(clearWindow([{ start: 2000, end: 2300 }], 1000, 3000, 35, 1, 2000), 'a stall inside changes nothing').to.equal(1000);
    // The end in a stall: later, to end past it and its margin.
    expect(clearWindow([{ start: 3900, end: 4100 }], 1000, 3000, 35, 1, 2000)).to.equal(1135);
    // Within the margin before a stall (its messages in flight would be held): moved past it too.
    expect(clearWindow([{ start: 4020, end: 4200 }], 1000, 3000, 35, 1, 2000)).to.equal(1235);
    // The start in a stall: after it.
    expect(clearWindow([{ start: 950, end: 1100 }], 1000, 3000, 35, 1, 2000)).to.equal(1135);
    // Past one stall into the next: past both.
    expect(clearWindow([{ start: 3900, end: 4100 }, { start: 1100, end: 1200 }], 1000, 3000, 35, 1, 2000)).to.equal(1235);
    // Earlier (the window before a fault): ends before the stall and its margin.
    expect(clearWindow([{ start: -100, end: 150 }], -3000, 3000, 35, -1, 3000)).to.equal(-3136);
    // No clear place within the limit: where it was asked for.
    expect(clearWindow([{ start: 3900, end: 4100 }], 1000, 3000, 35, 1, 100)).to.equal(1000);
  });

  it('relative change, none from zero', () => {
    expect(relativeChange(100, 98)).to.be.closeTo(-0.02, 1e-12);
    expect(relativeChange(0, 5)).to.equal(null);
  });
});

describe('drill: downtime and availability', () => {
  it('downtime a year is failures a year times the failover time', () => {
    expect(downtimePerYear(12, 250)).to.equal(3);
    expect(downtimePerYear(0, 10_000)).to.equal(0);
  });

  it('availability is one minus the downtime over a year, with its nines', () => {
    expect(availabilityOf(SECONDS_PER_YEAR / 1000)).to.be.closeTo(0.999, 1e-12);
    expect(nines(0.999)).to.equal(3);
    expect(nines(0.99999)).to.equal(5);
    expect(nines(0.9)).to.equal(1);
    expect(nines(1)).to.equal(Infinity);
    expect(formatAvailability(0.999)).to.equal('99.900 %');
  });

  it("puts the VoIP work's planned downtime at seven nines by this formula (it stated six)", () => {
    const a = availabilityOf(PRIOR_WORK.voip.downtimeSecondsPerYear.planned);
    expect(a).to.be.closeTo(1 - 0.8537 / 31_536_000, 1e-15);
    expect(nines(a)).to.equal(7);
    expect(formatAvailability(a)).to.equal('99.9999973 %');
    expect(nines(PRIOR_WORK.voip.availabilityStated)).to.equal(6);
  });

  it('parses one rate for both classes, or planned,unplanned', () => {
    expect(parseFailureRates('12')).to.deep.equal({ planned: 12, unplanned: 12 });
    expect(parseFailureRates('12, 4.5')).to.deep.equal({ planned: 12, unplanned: 4.5 });
    for (const bad of ['', 'x', '1,2,3', '-1', '1,']) expect(() => parseFailureRates(bad), bad).to.throw(/failures a year/);
  });
});

describe('drill: scenarios and the plan', () => {
  it('runs broker faults over every link, database and Redis faults over the first one only', () => {
    const plan = planRuns(['broker-crash', 'db-kill'], ['wireless', 'wired'], 2);
    expect(plan.map((p) => `${p.scenario}/${p.link}#${p.run}`)).to.deep.equal([
      'broker-crash/wireless#1', 'broker-crash/wireless#2', 'broker-crash/wired#1', 'broker-crash/wired#2', 'db-kill/wireless#1', 'db-kill/wireless#2',
    ]);
    expect(() => planRuns(['broker-crash'], [], 1)).to.throw(/link/);
  });

  it('leaves redis-loss out unless the brokers run on Redis', () => {
    expect(defaultScenarios(false)).to.not.include('redis-loss');
    expect(defaultScenarios(true)).to.include('redis-loss').and.have.length(7);
  });

  it('parses scenario and link lists, naming what is unknown', () => {
    expect(parseScenarioList('db-kill, broker-crash,db-kill')).to.deep.equal(['db-kill', 'broker-crash']);
    expect(parseLinkList('wireless')).to.deep.equal(['wireless']);
    expect(() => parseScenarioList('broker-crash,meteor')).to.throw(/unknown scenario 'meteor'/);
    expect(() => parseLinkList('wired,,wireless')).to.throw(/comma-separated/);
  });
});

describe('drill: message accounting', () => {
  it('counts sent, acknowledged, delivered once per device and seq, lost and duplicated', () => {
    const ledger = new Ledger();
    ledger.sent('a', 1, 100, 0);
    ledger.sent('a', 2, 100, 10);
    ledger.sent('b', 1, 50, 20);
    ledger.sent('b', 2, 50, 30);
    ledger.acked('a', 1, 5, 'primary');
    ledger.acked('a', 2, 15, 'primary');
    ledger.seen('primary', 'a', 1, 6, false);
    ledger.seen('standby', 'a', 1, 7, false); // the bridge's copy on the other broker: not a duplicate
    ledger.seen('standby', 'a', 1, 8, false); // the same subscriber twice: a duplicate
    ledger.seen('primary', 'a', 1, 9, true); // a retained replay on resubscribing: not a duplicate
    ledger.seen('standby', 'b', 1, 25, true);
    ledger.seen('standby', 'zz', 9, 26, false);
    expect(ledger.counts()).to.deep.equal({ sent: 4, acked: 2, delivered: 2, lost: 2, duplicated: 1 });
    expect(ledger.counts(10, 30)).to.deep.equal({ sent: 2, acked: 1, delivered: 1, lost: 1, duplicated: 0 });
    expect(ledger.unknown).to.equal(1);
    expect(ledger.undelivered()).to.equal(2);
    expect(ledger.missing(0, 100, 10).map((m) => `${m.device}#${m.seq}`)).to.deep.equal(['a#2', 'b#2']);
    expect(ledger.missing(0, 100, 10)[0]).to.include({ ackedAt: 15, ackVia: 'primary' });
  });

  it('measures the delivered rate by when a subscriber first saw each message', () => {
    const ledger = new Ledger();
    for (let i = 0; i < 10; i += 1) {
      ledger.sent('a', i, 20, i * 100);
      ledger.seen('standby', 'a', i, i * 100 + 50, false);
    }
    const rate = ledger.throughput(0, 500);
    expect(rate).to.deep.equal({ messages: 5, bytes: 100, windowMs: 500, messagesPerSec: 10, bytesPerSec: 200 });
    expect(ledger.throughput(1000, 2000).messages).to.equal(0);
  });

  it('tells when the messages sent in a span were all delivered', () => {
    const ledger = new Ledger();
    ledger.sent('a', 1, 1, 0);
    ledger.sent('a', 2, 1, 10);
    expect(ledger.deliveredBy(0, 20)).to.equal(undefined);
    ledger.seen('primary', 'a', 2, 40, false);
    ledger.seen('primary', 'a', 1, 30, false);
    expect(ledger.deliveredBy(0, 20)).to.equal(40);
    expect(ledger.deliveredBy(50, 60)).to.equal(50);
  });

  it('refuses times that go back and messages sent twice', () => {
    const ledger = new Ledger();
    ledger.sent('a', 1, 1, 10);
    expect(() => ledger.sent('a', 2, 1, 5)).to.throw(RangeError);
    expect(() => ledger.sent('a', 1, 1, 11)).to.throw(/already sent/);
  });

  it('calls its listeners on sends, acknowledgements and first sightings only', () => {
    const ledger = new Ledger();
    let calls = 0;
    const off = ledger.onChange(() => (calls += 1));
    ledger.sent('a', 1, 1, 0);
    ledger.acked('a', 1, 1, 'primary');
    ledger.acked('a', 1, 2, 'primary');
    ledger.seen('x', 'a', 1, 3, false);
    ledger.seen('y', 'a', 1, 4, false);
    off();
    ledger.sent('a', 2, 1, 5);
    expect(calls).to.equal(3);
  });
});

describe('drill: failover as the devices see it', () => {
  /** Device `a` publishes every 40 ms; `b` every 40 ms, 20 ms later. */
  function traffic(until: number): Ledger {
    const ledger = new Ledger();
    const sends: Array<[string, number, number]> = [];
    for (let t = 0, n = 1; t < until; t += 40, n += 1) sends.push(['a', n, t], ['b', n, t + 20]);
    for (const [device, seq, at] of sends.sort((x, y) => x[2] - y[2])) ledger.sent(device, seq, 10, at);
    return ledger;
  }

  it('takes, per device with a blocked publish, its first acknowledgement from the standby; the failover is the last of them', () => {
    const ledger = traffic(400);
    // Before the fault at 100 ms the primary acknowledged everything.
    for (const [device, seq] of [['a', 1], ['a', 2], ['a', 3], ['b', 1], ['b', 2]] as const) ledger.acked(device, seq, 0, 'primary');
    const watch = new RecoveryWatch(ledger, 100, new Set(['a', 'b']));
    // b #3 (sent at 100) and a #4 (sent at 120) are blocked; a is up on the standby at 150, b at 170.
    watch.linkLost('a', 110);
    watch.linkLost('b', 112);
    watch.linkReady('a', 150);
    expect(watch.complete).to.equal(false);
    ledger.acked('a', 4, 152, 'standby');
    watch.linkReady('b', 170);
    expect(watch.complete).to.equal(false);
    ledger.acked('b', 3, 171, 'standby');
    expect(watch.complete, 'b #4, sent at 140, still unacknowledged').to.equal(false);
    ledger.acked('b', 4, 172, 'standby');
    expect(watch.complete).to.equal(true);
    const result = watch.result();
    expect(result).to.include({ failoverMs: 71, firstMs: 52, blocked: 2, detectMs: 12, linkReadyMs: 70 });
    expect(result.perDevice.a).to.deep.equal({ lostMs: 10, readyMs: 50, recoveredMs: 52 });
  });

  it('does not count a device whose next publish came after its link was back (it was never blocked)', () => {
    const ledger = traffic(400);
    ledger.acked('a', 1, 0, 'primary');
    const watch = new RecoveryWatch(ledger, 30, new Set(['a', 'b']));
    // a's link is back at 35, before its next publish at 40: a was never blocked.
    watch.linkReady('a', 35);
    ledger.acked('a', 2, 41, 'standby');
    // b's publish at 20 was in flight at the fault; its link is back at 60.
    watch.linkReady('b', 60);
    ledger.acked('b', 1, 62, 'standby');
    expect(watch.complete).to.equal(true);
    const result = watch.result();
    expect(result.blocked).to.equal(1);
    expect(result.failoverMs).to.equal(32);
    expect(result.perDevice.a.recoveredMs).to.equal(null);
  });

  it('does not count publishes acknowledged by the broker they were sent to (a device that moved while still served)', () => {
    const ledger = new Ledger();
    // Fault (the stop notice) at 100: a publishes to the primary until its link is up on the standby at 130, then there.
    ledger.sent('a', 1, 10, 90, 'primary');
    ledger.sent('a', 2, 10, 120, 'primary');
    ledger.sent('a', 3, 10, 135, 'standby');
    ledger.acked('a', 1, 91, 'primary');
    ledger.acked('a', 3, 137, 'standby');
    const watch = new RecoveryWatch(ledger, 100, new Set(['a']));
    watch.linkReady('a', 130);
    expect(watch.complete, 'a #2 still in flight on the primary').to.equal(false);
    ledger.acked('a', 2, 140, 'primary');
    expect(watch.complete).to.equal(true);
    expect(watch.result()).to.include({ blocked: 0, failoverMs: null, linkReadyMs: 30 });
    // The same publish in flight on the primary, but acknowledged by the standby after a resend: it waited for the switch.
    const resent = new Ledger();
    resent.sent('a', 1, 10, 120, 'primary');
    resent.acked('a', 1, 150, 'standby');
    const watch2 = new RecoveryWatch(resent, 100, new Set(['a']));
    watch2.linkReady('a', 130);
    expect(watch2.result()).to.include({ blocked: 1, failoverMs: 50 });
  });

  it('has no failover time while a blocked device never got an acknowledgement', () => {
    const ledger = traffic(200);
    const watch = new RecoveryWatch(ledger, 50, new Set(['a', 'b']));
    watch.linkReady('a', 60);
    ledger.acked('a', 2, 61, 'standby');
    expect(watch.complete).to.equal(false);
    expect(watch.result()).to.include({ failoverMs: null, firstMs: 11, linkReadyMs: null });
  });

  it('ignores acknowledgements from the primary and events before the fault or of other devices', () => {
    const ledger = traffic(200);
    const watch = new RecoveryWatch(ledger, 50, new Set(['a']));
    watch.linkReady('a', 40);
    watch.linkReady('b', 60);
    watch.linkReady('a', 80);
    ledger.acked('a', 1, 81, 'primary');
    ledger.acked('a', 2, 82, 'standby');
    const result = watch.result();
    expect(result.perDevice).to.have.keys(['a']);
    expect(result.perDevice.a.readyMs).to.equal(30);
    expect(result.failoverMs).to.equal(32);
  });
});

describe('drill: the fleet drill parts', () => {
  it('spreads the links over at most 4 processes of about 1,000', () => {
    expect(fleetProcesses(300)).to.deep.equal([300]);
    expect(fleetProcesses(2000)).to.deep.equal([1000, 1000]);
    expect(fleetProcesses(10_001).reduce((a, b) => a + b, 0)).to.equal(10_001);
    expect(fleetProcesses(10_000)).to.have.length(4);
  });

  it('profiles the parts FLEET_PROFILE_PARTS names, none without FLEET_PROFILE_DIR', () => {
    expect(partNodeFlags('brokers', {})).to.deep.equal({});
    expect(partNodeFlags('brokers', { FLEET_PROFILE_DIR: '/p' }).nodeFlags).to.deep.equal(['--cpu-prof', '--cpu-prof-dir=/p']);
    expect(partNodeFlags('fleet', { FLEET_PROFILE_DIR: '/p' }).nodeFlags).to.deep.equal(['--cpu-prof', '--cpu-prof-dir=/p/fleet']);
    expect(partNodeFlags('fleet', { FLEET_PROFILE_DIR: '/p', FLEET_PROFILE_PARTS: 'brokers' })).to.deep.equal({});
    expect(partNodeFlags('brokers', { FLEET_PROFILE_DIR: '/p', FLEET_PROFILE_PARTS: 'brokers' }).nodeFlags).to.have.length(2);
    expect(partNodeFlags('brokers', { FLEET_NODE_FLAGS_BROKERS: ' --trace-gc  --trace-gc-nvp ' }).nodeFlags).to.deep.equal(['--trace-gc', '--trace-gc-nvp']);
    expect(partNodeFlags('fleet', { FLEET_NODE_FLAGS_BROKERS: '--trace-gc' })).to.deep.equal({});
    expect(partNodeFlags('fleet', { FLEET_PROFILE_DIR: '/p', FLEET_NODE_FLAGS_FLEET: '--trace-gc' }).nodeFlags).to.deep.equal(['--cpu-prof', '--cpu-prof-dir=/p/fleet', '--trace-gc']);
  });
});
