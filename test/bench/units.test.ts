import { expect } from 'chai';
import mqttPacket from 'mqtt-packet';
import {
  FULL, Pacer, QUICK, TARGETS, capacityEstimates, checkTargets, cpuBudget, cpuPer1000, defaultOut, findBottleneck, judgeStep, parseCount, parseCounts, parseDuration,
  parseSections, peerRatios, percentile, probeRateFor, renderSvg, renderTable, resolveOptions, summarize, validateReport,
  type BenchReport, type PeerRun, type PipelineRun,
} from '../../bench/index.ts';
import { ProbeBook, occupiedOf, probeIndexOf } from '../../bench/probes.ts';
import { cpuPercent, othersOf, parseMachineTicks, parseOpenFilesLimit, parseRss, parseStat, type ProcessUsage } from '../../bench/procstat.ts';
import { SlotFleet, scatterStep, shapeFor } from '../../bench/slots.ts';
import { seqOf } from '../../bench/scenarios/peers.ts';
import { failoverSection } from '../../bench/scenarios/failover.ts';
import { fleetTargets, idleWarmupMs, renderFleetReport, type FleetDrillResult, type FleetRun } from '../../drill/fleet/index.ts';
import { DEVICE_KEEPALIVE_SEC } from '../../link/index.ts';
import { escapeXml, scaleY, ticks } from '../../bench/svg.ts';
import { columns, ms } from '../../bench/table.ts';
import { publishPacket } from '../../bench/wire.ts';
import { profileFlags } from '../../bench/platform.ts';
import { cpuModelOf } from '../../bench/machine.ts';
import { decodeSlotState } from '../../contract/index.ts';

const usage = (cpuPct: number, cpuMs = cpuPct * 10): ProcessUsage => ({ cpuPct, cpuPeakPct: cpuPct, cpuMs, rssBytes: 100 * 1024 ** 2, rssPeakBytes: 100 * 1024 ** 2 });

const summary = (p50: number | null, p99: number | null) => ({ count: p50 === null ? 0 : 100, p50, p95: p99, p99, max: p99, mean: p50 });

function run(overrides: Partial<PipelineRun> = {}): PipelineRun {
  return {
    rate: 1000, durationMs: 10_000, sent: 10_000, achievedRate: 1000,
    probes: { sent: 2000, visible: 2000, durable: 2000 },
    availability: summary(2, 9), durable: summary(1.5, 8),
    processes: { primary: usage(30), ingest: usage(40), mongo: usage(50), bench: usage(10) },
    othersCpuPct: 0, linkLosses: 0, unacked: 0,
    ...overrides,
  };
}

function peer(target: PeerRun['target'], rate: number, p50: number, p99: number, cpuMsPer1000: number): PeerRun {
  return { target, rate, sent: 1000, received: 1000, latency: summary(p50, p99), brokerCpuPct: 10, cpuMsPer1000, brokerRssBytes: 1, othersCpuPct: 0 };
}

function report(): BenchReport {
  return {
    version: 1, startedAt: '2026-11-22T10:00:00.000Z', finishedAt: '2026-11-22T10:05:00.000Z', durationMs: 300_000, quick: false,
    machine: { nproc: 2, cpuModel: 'Test CPU', memTotalBytes: 8 * 1024 ** 3, node: 'v20.20.2', platform: 'Linux', openFiles: { soft: 1024, hard: 4096 }, loadAvg: [0.5, 0.4, 0.3] },
    options: {}, mongo: { kind: 'stand-in', db: 'parking_bench' },
    latency: { method: 'probes', runs: [run({ rate: 100 }), run()] },
    throughput: {
      criterion: 'p99 < 100 ms', steps: [{ ...run({ rate: 500 }), pass: true, reason: 'ok' }, { ...run({ rate: 1000, availability: summary(50, 300) }), pass: false, reason: 'p99 300 ms' }],
      maxSustainedRate: 500, cpuMsPer1000: { primary: 30, ingest: 40, mongo: 50, bench: 10 }, estimates: { perProcess: { primary: 33_333 }, withoutMongoRate: 28_571, note: '' },
      bottleneck: { process: 'mongo', cpuPct: 99, machineCpuPct: 90, note: 'mongo saturates a core' },
    },
    scale: { brokerOpenFiles: { soft: 11_024, hard: 11_024 }, fleetOpenFiles: { soft: 11_024, hard: 11_024 }, baselineRssBytes: 90 * 1024 ** 2, holdMs: 5000, steps: [
      { devices: 10_000, connectMs: 20_000, connectPerSec: 500, rssBytes: 600 * 1024 ** 2, rssPerDeviceBytes: 50_000, cpuPct: 2, subscribeMs: 3000, heartbeatCpuPct: 100, heartbeatsPerSec: 90_000, heartbeatsExpectedPerSec: 100_000, heartbeatRssBytes: 700 * 1024 ** 2, lost: 0 },
    ] },
    peers: { runs: [peer('platform', 1000, 1, 5, 30), peer('aedes', 1000, 0.5, 2, 20), peer('mosquitto', 1000, 0.25, 1, 5)], ratios: [], skipped: [] },
    targets: [], errors: [],
  };
}

function fleetRun(scenario: FleetRun['scenario'], ack: [number, number, number], overrides: Partial<FleetRun> = {}): FleetRun {
  return {
    scenario, run: 1, faultAt: 1_800_000_000_000, ackMs: { p50: ack[0], p99: ack[1], max: ack[2] }, unacked: 0, allOnStandbyMs: 1450, extraFailovers: 0, allBackMs: 10_600, backMs: { p50: 5000, p99: 9900, max: 10_600 },
    standby: { cpuPct: 87.5, rssMiB: 412 }, fleet: { cpuPct: 140.2, rssMiB: 900 }, primaryDuringFailback: { cpuPct: 35, rssMiB: 190 }, lost: 0, duplicated: 3,
    ...overrides,
  };
}

/** A drill of 2,000 links with accounts: the crash within its targets, the partition's p99 over its own. */
function fleetDrill(): FleetDrillResult {
  return {
    devices: 2000, auth: true, spare: true, startedAt: '2026-11-22T10:06:00.000Z', periodMs: 10_000, failbackWindowMs: 10_000,
    steady: { ms: 60_000, spuriousFailovers: 0, primary: { cpuPct: 12.4, rssMiB: 180 }, standby: { cpuPct: 6.1, rssMiB: 150 }, fleet: { cpuPct: 30, rssMiB: 800 } },
    idle: { ms: 15_000, primary: { cpuPct: 1.6, rssMiB: 181 }, standby: { cpuPct: undefined, rssMiB: undefined } },
    runs: [fleetRun('broker-crash', [240, 870, 1320]), fleetRun('broker-partition', [610, 1720, 2400], { allOnStandbyMs: null, duplicated: 0, standby: { cpuPct: undefined, rssMiB: 300 } })],
    published: 31_234, lost: 0, duplicated: 3,
  };
}

describe('bench: statistics and rate control', () => {
  it('percentiles are nearest-rank over sorted samples', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).to.equal(50);
    expect(percentile(sorted, 99)).to.equal(99);
    expect(percentile(sorted, 100)).to.equal(100);
    expect(percentile([7], 99)).to.equal(7);
    expect(percentile([], 50)).to.equal(undefined);
  });

  it('a summary ignores missing samples (NaN) and has nulls when empty', () => {
    const s = summarize([3, NaN, 1, 2]);
    expect(s).to.deep.equal({ count: 3, p50: 2, p95: 3, p99: 3, max: 3, mean: 2 });
    expect(summarize([NaN])).to.deep.equal({ count: 0, p50: null, p95: null, p99: null, max: null, mean: null });
    expect(summarize([1.23456789]).p50).to.equal(1.235);
  });

  it('the pacer keeps the average rate and catches up in bounded bursts', () => {
    const pacer = new Pacer(1000, 0, 10);
    expect(pacer.due(0)).to.equal(0);
    expect(pacer.due(5)).to.equal(5);
    pacer.commit(5);
    expect(pacer.due(5)).to.equal(0);
    // A 100 ms stall: 100 owed, sent 10 at a time.
    expect(pacer.behind(105)).to.equal(100);
    expect(pacer.due(105)).to.equal(10);
    pacer.commit(10);
    expect(pacer.behind(105)).to.equal(90);
    expect(() => new Pacer(0, 0)).to.throw(RangeError);
  });

  it('probe rates: half the load at low rates, at most 200/s', () => {
    expect(probeRateFor(100)).to.equal(50);
    expect(probeRateFor(1000)).to.equal(200);
    expect(probeRateFor(1)).to.equal(1);
  });
});

describe('bench: the simulated slots', () => {
  it('visits every slot once per round in a scattered order, flipping its status, with canonical payloads', () => {
    const fleet = new SlotFleet({ lots: 2, levels: 2, slotsPerLevel: 5 });
    expect(fleet.size).to.equal(20);
    const seen = new Set<number>();
    for (let i = 0; i < 20; i += 1) seen.add(fleet.next(i + 1, 1000 + i, 'gw0').index);
    expect(seen.size).to.equal(20);
    const again = fleet.next(21, 2000, 'gw1');
    const state = decodeSlotState(again.payload, 0);
    expect(state).to.deep.equal({ status: 'free', ts: 2000, seq: 21, device: 'gw1' });
    expect(again.topic).to.match(/^parking\/lot0[12]\/slot\/L[12]\/s00[1-5]$/);
  });

  it('the scatter step is coprime with the size; shapes cover the asked slots', () => {
    for (const size of [1, 2, 10, 97, 1000, 10_000]) {
      const step = scatterStep(size);
      let a = step;
      let b = size;
      while (b) [a, b] = [b, a % b];
      expect(a, `size ${size}`).to.equal(1);
    }
    const shape = shapeFor(10_000);
    expect(shape.lots * shape.levels * shape.slotsPerLevel).to.equal(10_000);
    expect(shapeFor(400)).to.deep.equal({ lots: 10, levels: 4, slotsPerLevel: 10 });
  });
});

describe('bench: probes', () => {
  it('an availability count makes every probe below it visible; durable ids count once', () => {
    const book = new ProbeBook();
    for (let i = 0; i < 4; i += 1) book.markSent(i * 10);
    book.markVisibleUpTo(2, 25);
    book.markVisibleUpTo(1, 30); // an older summary changes nothing
    book.markVisibleUpTo(4, 50);
    book.markDurable(3, 40);
    book.markDurable(3, 45);
    expect(book.complete).to.equal(false);
    for (const i of [0, 1, 2]) book.markDurable(i, 40);
    expect(book.complete).to.equal(true);
    const r = book.results();
    expect(r.visible).to.equal(4);
    expect(r.durable).to.equal(4);
    expect(r.availability.max).to.equal(30); // probe 2: sent 20, seen 50
    expect(r.availability.p50).to.equal(20); // delays 25, 15, 30, 20
    expect(r.durableLatency.max).to.equal(40);
  });

  it('settles when everything arrived, or says false at the timeout', async () => {
    const book = new ProbeBook(false);
    book.markSent(0);
    const waiting = book.settled(5000);
    book.markVisibleUpTo(1, 3);
    expect(await waiting).to.equal(true);
    book.markSent(4);
    expect(await book.settled(1)).to.equal(false);
    expect(book.results().durable).to.equal(null);
  });

  it('recognises probe documents and availability payloads', () => {
    expect(probeIndexOf('probe-lat-1', 'probe-lat-1/P/p17')).to.equal(17);
    expect(probeIndexOf('probe-lat-1', 'probe-lat-10/P/p17')).to.equal(undefined);
    expect(probeIndexOf('probe-lat-1', 'lot01/L1/s001')).to.equal(undefined);
    expect(occupiedOf(Buffer.from('{"lot":"x","occupiedSpotNumber":12}'))).to.equal(12);
    expect(occupiedOf('12')).to.equal(undefined);
    expect(occupiedOf('{broken')).to.equal(undefined);
  });
});

describe('bench: /proc parsing', () => {
  it('reads utime+stime even when the command name has spaces and parentheses', () => {
    const line = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 1000 100';
    expect(parseStat(line).ticks).to.equal(300);
    expect(() => parseStat('garbage')).to.throw();
  });

  it('reads RSS, the open-files limits and the machine ticks', () => {
    expect(parseRss('Name:\tnode\nVmRSS:\t  123456 kB\n')).to.equal(123456 * 1024);
    expect(parseOpenFilesLimit('Max open files            20000                20000                files\n')).to.deep.equal({ soft: 20000, hard: 20000 });
    expect(parseOpenFilesLimit('Max open files            unlimited            unlimited            files\n').soft).to.equal(Infinity);
    expect(parseMachineTicks('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3\n')).to.deep.equal({ busy: 150, total: 1000 });
    expect(cpuPercent(0, 50, 1000, 100)).to.equal(50);
    expect(othersOf(150, { a: usage(40), b: usage(30) })).to.equal(80);
    expect(othersOf(10, { a: usage(40) })).to.equal(0);
    expect(cpuModelOf('processor\t: 0\nmodel name\t: AMD EPYC 7B13\n')).to.equal('AMD EPYC 7B13');
  });

  it('profiles the children only when PARKING_BENCH_CPU_PROF names a directory, one folder per child', () => {
    expect(profileFlags('ingest', {})).to.deep.equal([]);
    expect(profileFlags('ingest', { PARKING_BENCH_CPU_PROF: '/tmp/prof' })).to.deep.equal(['--cpu-prof', '--cpu-prof-dir=/tmp/prof/ingest']);
  });
});

describe('bench: judgements', () => {
  it('a throughput step passes only with both p99 under 100 ms, the rate reached and every probe in', () => {
    expect(judgeStep(run()).pass).to.equal(true);
    expect(judgeStep(run({ durable: summary(50, 150) }))).to.deep.include({ pass: false });
    expect(judgeStep(run({ achievedRate: 900 })).reason).to.match(/reached 900\/s of 1000\/s/);
    expect(judgeStep(run({ probes: { sent: 2000, visible: 1990, durable: 2000 } })).reason).to.match(/10 not in availability/);
    // Without a durable measurement (the sink) only availability counts.
    expect(judgeStep(run({ probes: { sent: 2000, visible: 2000, durable: null }, durable: summary(null, null) })).pass).to.equal(true);
  });

  it('names the saturated process, or the saturated machine, or neither', () => {
    expect(findBottleneck({ primary: usage(30), mongo: usage(97) }, 2).note).to.match(/^mongo saturates a core/);
    expect(findBottleneck({ primary: usage(85), ingest: usage(88) }, 2).note).to.match(/cores are saturated together/);
    expect(findBottleneck({ primary: usage(30) }, 2, 150).note).to.match(/cores are saturated together.*other processes 150%/);
    expect(findBottleneck({ primary: usage(30) }, 2).note).to.match(/not saturated/);
    expect(findBottleneck({}, 2).process).to.equal(null);
  });

  it('CPU per 1,000 updates and the rates it allows, with and without MongoDB', () => {
    const cost = cpuPer1000({ primary: usage(50, 500), ingest: usage(50, 250), mongo: usage(100, 1000), bench: usage(10, 100) }, 10_000);
    expect(cost).to.deep.equal({ primary: 50, ingest: 25, mongo: 100, bench: 10 });
    const est = capacityEstimates(cost, 2);
    expect(est.perProcess).to.deep.equal({ primary: 20_000, ingest: 40_000, mongo: 10_000, bench: 100_000 });
    // Broker and ingest: each under its own core (20,000/s for the broker) and both on 2 cores (2,000 ms / 75 ms per 1,000).
    expect(est.withoutMongoRate).to.equal(20_000);
    expect(capacityEstimates({}, 2).withoutMongoRate).to.equal(null);
  });

  it('the CPU budget of the throughput target, against the highest step and a plain broker hop', () => {
    const r = report();
    r.peers!.runs.push(peer('aedes', 5000, 0.5, 2, 12));
    const b = cpuBudget(r, 2)!;
    // 2 cores at 20,000/s: 100 ms per 1,000 updates; the 1,000/s step used 30 + 40 + 50 + 10.
    expect(b).to.deep.include({ rate: 20_000, cores: 2, budgetMsPer1000: 100, measuredAt: 1000, totalMsPer1000: 130, aedesHopMsPer1000: 12, mosquittoHopMsPer1000: 5 });
    expect(b.costs).to.deep.equal({ primary: 30, ingest: 40, mongo: 50, bench: 10 });
    expect(cpuBudget({ throughput: r.throughput }, 2)).to.deep.include({ aedesHopMsPer1000: null, mosquittoHopMsPer1000: null });
    expect(cpuBudget({}, 2)).to.equal(undefined);
  });

  it('peer ratios compare the platform with each peer and the bridge with direct, per rate', () => {
    const [r] = peerRatios([peer('platform', 1000, 1, 5, 30), peer('aedes', 1000, 0.5, 2, 20), peer('mosquitto', 1000, 0.25, 1, 5), peer('bridge-direct', 1000, 1, 4, 60), peer('bridge-standby', 1000, 2, 8, 60)]);
    expect(r).to.deep.equal({ rate: 1000, cpuVsAedes: 1.5, cpuVsMosquitto: 6, p50VsAedes: 2, p50VsMosquitto: 4, p99VsAedes: 2.5, p99VsMosquitto: 5, bridgeP50VsDirect: 2, bridgeP99VsDirect: 2 });
    expect(peerRatios([peer('platform', 500, 1, 5, 30)])[0].cpuVsAedes).to.equal(null);
  });

  it('checks the issue targets against the runs', () => {
    const targets = checkTargets(report());
    const byName = Object.fromEntries(targets.map((t) => [t.name, t]));
    expect(byName['availability p50 at 1000/s'].met).to.equal(true);
    expect(byName['durable p99 at 1000/s'].met).to.equal(true);
    expect(byName['sustained updates/s with p99 < 100 ms'].met).to.equal(false);
    expect(byName['broker RSS with 10,000 devices'].met).to.equal(true);
    expect(byName['slot change to display vs prior work (mean)'].value).to.match(/x faster/);
    expect(TARGETS.priorMeanMs).to.equal(733);
    const none = checkTargets({});
    expect(none.every((t) => t.met === null)).to.equal(true);
  });

  it('takes the fleet drill\'s targets for its size as the failover targets', () => {
    const targets = checkTargets({ failover: failoverSection(fleetDrill()) });
    const byName = Object.fromEntries(targets.map((t) => [t.name, t]));
    expect(byName['failover: spurious failovers in 60 s of steady traffic']).to.deep.equal({ name: 'failover: spurious failovers in 60 s of steady traffic', target: '0', value: '0', met: true });
    expect(byName['failover: crash: publish acknowledged, p99'].met).to.equal(true);
    expect(byName['failover: crash: the whole fleet on the standby (onto its spares, accepted before the fault)'].value).to.equal('1450 ms');
    const cold = Object.fromEntries(checkTargets({ failover: failoverSection({ ...fleetDrill(), spare: false }) }).map((t) => [t.name, t]));
    expect(cold['failover: crash: every device account accepted by the standby (which never saw them)'].value, 'without spares: the cold accept').to.equal('1450 ms');
    expect(byName['failover: partition (no FIN): publish acknowledged, p99']).to.include({ value: '1720 ms', met: false });
    expect(targets.filter((t) => t.name.startsWith('failover: '))).to.have.length(fleetTargets(fleetDrill()).length);
  });

  it('the fleet report says at what CPU priority the fleet ran', () => {
    expect(renderFleetReport({ ...fleetDrill(), fleetNice: 10 })).to.include('the fleet processes at nice 10 (the brokers first)');
    expect(renderFleetReport({ ...fleetDrill(), fleetNice: 0 })).to.not.include('nice');
  });

  it('the idle window says how long after the last publishes it opened (the keep-alives running by then)', () => {
    const drill = fleetDrill();
    expect(renderFleetReport({ ...drill, idle: { ...drill.idle, warmupMs: 62_000 } })).to.include('| idle, liveness only (15 s, from 62 s after the last publishes) |');
    expect(renderFleetReport(drill), 'a result from before the warm-up was recorded').to.include('| idle, liveness only (15 s) |');
    expect(idleWarmupMs(), 'a keep-alive and 2 s').to.equal(DEVICE_KEEPALIVE_SEC * 1000 + 2000);
  });
});

describe('bench: options', () => {
  it('parses counts, lists, durations and sections, refusing the rest', () => {
    expect(parseCount('5k')).to.equal(5000);
    expect(parseCount('1.5k')).to.equal(1500);
    expect(parseCounts('5000,100, 1k,100')).to.deep.equal([100, 1000, 5000]);
    expect(() => parseCounts('')).to.throw(RangeError);
    expect(() => parseCount('-1')).to.throw(RangeError);
    expect(() => parseCount('0')).to.throw(RangeError);
    expect(parseDuration('10')).to.equal(10_000);
    expect(parseDuration('500ms')).to.equal(500);
    expect(() => parseDuration('0.1')).to.throw(RangeError);
    expect(parseSections('peers,latency')).to.deep.equal(['latency', 'peers']);
    expect(parseSections('failover,scale')).to.deep.equal(['scale', 'failover']);
    expect(() => parseSections('latency,bogus')).to.throw(/unknown section bogus/);
  });

  it('the quick run is smaller than the full one; given values win', () => {
    expect(QUICK.durationMs).to.be.below(FULL.durationMs);
    expect(Math.max(...QUICK.devices)).to.be.below(Math.max(...FULL.devices));
    expect(QUICK.failoverDevices).to.be.below(FULL.failoverDevices);
    expect(QUICK.failoverSteadyMs).to.be.below(FULL.failoverSteadyMs);
    expect(QUICK.failoverScenarios).to.deep.equal(['broker-crash']);
    expect(FULL.failoverScenarios).to.deep.equal(['broker-crash', 'broker-partition']);
    expect(FULL.failoverAuth && QUICK.failoverAuth).to.equal(true);
    const o = resolveOptions({ out: 'x', quick: true, rates: [300], durationMs: undefined });
    expect(o.rates).to.deep.equal([300]);
    expect(o.durationMs).to.equal(QUICK.durationMs);
    expect(defaultOut(new Date(2026, 10, 22, 9, 5, 7))).to.equal('reports/bench-20261122-090507');
  });
});

describe('bench: rendering', () => {
  it('the table has a line per run and the targets', () => {
    const r = report();
    r.targets = checkTargets(r);
    r.budget = cpuBudget(r, 2);
    const table = renderTable(r);
    expect(table).to.match(/CPU BUDGET {2}20,000 updates\/s on 2 cores leaves 100\.0 ms/);
    expect(table).to.match(/used at 1,000\/s: 130\.0 ms per 1,000 \(1\.3x the budget\)/);
    expect(table).to.match(/plain Aedes 20\.0, Mosquitto 5\.0 ms per 1,000/);
    expect(table).to.match(/^parking bench {2}2026-11-22T10:00:00.000Z {2}full run/);
    expect(table).to.match(/machine: 2 x Test CPU/);
    expect(table).to.match(/LATENCY[^\n]*\n[^\n]*rate\/s[^\n]*\n\s+100 /);
    expect(table).to.match(/highest steady rate with both p99 < 100 ms: 500\/s/);
    expect(table).to.match(/first failure at 1,000\/s: p99 300 ms/);
    expect(table).to.match(/\n\s+10,000 /);
    expect(table).to.match(/platform broker \/ peer/);
    expect(table).to.match(/\[MISSED\]\s+sustained updates/);
    expect(ms(null)).to.equal('-');
    expect(ms(1.234)).to.equal('1.23');
    expect(ms(123.4)).to.equal('123');
    expect(columns(['a', 'name'], [['1', 'x'], ['100', 'long']], '')).to.equal('  a  name\n  1  x\n100  long');
  });

  it('the failover section: the windows, a line per fault with the drill\'s medians, its targets with the others', () => {
    const r = report();
    r.failover = failoverSection(fleetDrill());
    r.targets = checkTargets(r);
    const table = renderTable(r);
    const section = table.slice(table.indexOf('FAILOVER'), table.indexOf('TARGETS'));
    expect(section).to.match(/^FAILOVER {2}2,000 device links with per-device accounts in fleet processes/);
    expect(section).to.match(/each device publishes every 10 s; spurious failovers in 60 s of steady traffic: 0; over the run 31,234 slot states acknowledged, 0 lost, 3 duplicated/);
    expect(section).to.match(/\n {2}steady traffic, 60 s\s+12\s+180\s+6\s+150\s+30\n/);
    expect(section).to.match(/\n {2}idle \(liveness only\), 15 s\s+2\s+181\s+-\s+-\s+-\n/);
    expect(section).to.match(/medians over 1 run; .*failback window 10 s/);
    expect(section).to.match(/\n {2}broker-crash\s+1\s+240\s+870\s+1320\s+0\s+1450\s+10600\s+0\s+88\s+412\s+140\s+35\s+0\s+3\n/);
    expect(section).to.match(/\n {2}broker-partition\s+1\s+610\s+1720\s+2400\s+0\s+-\s+10600\s+0\s+-\s+300\s+140\s+35\s+0\s+0\n/);
    expect(table).to.match(/\[met\]\s+failover: messages lost\s+0\s+0\n/);
    expect(table).to.match(/\[MISSED\]\s+failover: partition \(no FIN\): publish acknowledged, p99\s+≤ 1,500 ms\s+1720 ms/);
    expect(r.failover.scenarios.map((x) => x.scenario)).to.deep.equal(['broker-crash', 'broker-partition']);
    expect(validateReport(JSON.parse(JSON.stringify(r)))).to.deep.equal([]);
    const broken = JSON.parse(JSON.stringify(r)) as { failover: { drill: { steady: unknown; runs: unknown[] } } };
    broken.failover.drill.steady = {};
    broken.failover.drill.runs = [{ scenario: 'broker-crash', ackMs: { p50: 'fast' }, standby: {} }];
    expect(validateReport(broken)).to.include.members(['failover.drill.steady.spuriousFailovers: not a number', 'failover.drill.runs[0].ackMs.p50: not a number or null']);
  });

  it('the SVG is one well-formed document with a panel per section and escaped text', () => {
    const r = report();
    r.machine.cpuModel = 'CPU <fast> & "new"';
    const svg = renderSvg(r);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
    expect(svg.trimEnd().endsWith('</svg>')).to.equal(true);
    expect(svg).to.include('CPU &lt;fast&gt; &amp; &quot;new&quot;');
    expect(svg.match(/<g class="panel">/g)).to.have.length(5);
    expect(svg).to.include('target p99 25 ms');
    const opened = (svg.match(/<(rect|line|text|g|title|style)\b/g) ?? []).length;
    const closed = (svg.match(/<\/(rect|text|g|title|style)>|\/>/g) ?? []).length;
    expect(opened).to.equal(closed);
    expect(escapeXml(`<a href="x">'&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });

  it('axes: log scales map decades evenly, linear ticks are round', () => {
    expect(scaleY(1, 100, 1, true, 200)).to.equal(200);
    expect(scaleY(10, 100, 1, true, 200)).to.equal(100);
    expect(scaleY(100, 100, 1, true, 200)).to.equal(0);
    expect(scaleY(50, 100, 0, false, 200)).to.equal(100);
    expect(ticks(1000, 0.1, true)).to.deep.equal([0.1, 1, 10, 100, 1000]);
    expect(ticks(100, 0, false)).to.deep.equal([0, 20, 40, 60, 80, 100]);
  });

  it('validates the report structure', () => {
    expect(validateReport(report())).to.deep.equal([]);
    expect(validateReport(JSON.parse(JSON.stringify(report())))).to.deep.equal([]);
    expect(validateReport(null)).to.deep.equal(['not a JSON object']);
    const broken = report() as unknown as Record<string, unknown>;
    (broken.latency as { runs: unknown[] }).runs = [{ rate: 'fast' }];
    delete broken.targets;
    expect(validateReport(broken)).to.include.members(['targets: not an array', 'latency.runs[0].rate: not a number', 'latency.runs[0].availability: not an object']);
  });
});

describe('bench: the lean MQTT client', () => {
  it('builds the same PUBLISH bytes as mqtt-packet, for QoS 0 and 1 and long payloads', () => {
    for (const [qos, retain, payload] of [[0, false, 'x'], [1, true, '{"status":"free","ts":1,"seq":2}'], [1, false, 'y'.repeat(200)], [1, true, 'z'.repeat(20_000)]] as const) {
      const expected = mqttPacket.generate({ cmd: 'publish', topic: 'parking/l/slot/L1/s1', payload: Buffer.from(payload), qos, retain, dup: false, messageId: qos ? 513 : undefined });
      expect(publishPacket('parking/l/slot/L1/s1', payload, qos, retain, 513).equals(expected), `${qos} ${retain} ${payload.length}`).to.equal(true);
    }
  });

  it('reads the seq of a canonical slot payload without parsing it', () => {
    expect(seqOf(Buffer.from('{"status":"free","ts":1795307315123,"seq":42,"device":"gw1"}'))).to.equal(42);
    expect(seqOf(Buffer.from('{"status":"free"}'))).to.equal(-1);
  });
});
