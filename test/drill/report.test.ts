// From runs to verdicts, the availability figures, drill.md and drill.svg; the progress bar.
import { expect } from 'chai';
import {
  Progress,
  assembleResult,
  availabilityRows,
  escapeXml,
  evaluateTargets,
  fmtMs,
  fmtSeconds,
  logDomain,
  renderBar,
  renderChart,
  renderReport,
  summarizeRuns,
  table,
  type DrillOptionsRecord,
  type DrillRun,
} from '../../drill/index.ts';

function run({ scenario, link, ...over }: Partial<DrillRun> & Pick<DrillRun, 'scenario' | 'link'>): DrillRun {
  return {
    scenario,
    link,
    failoverMs: 40,
    visibleMs: 90,
    sent: 500,
    delivered: 500,
    lost: 0,
    duplicated: 0,
    throughputBefore: 100,
    throughputAfter: 100,
    bytesPerSecBefore: 9200,
    bytesPerSecAfter: 9200,
    run: 1,
    acked: 500,
    failoverFirstMs: 30,
    blockedDevices: 4,
    detectMs: 15,
    linkReadyMs: 38,
    spuriousFailovers: 0,
    loopDelayP99Ms: 12,
    loopDelayMaxMs: 20,
    windowMs: 3000,
    startedAt: '2026-11-22T10:00:00.000Z',
    faultAt: '2026-11-22T10:00:03.000Z',
    durationMs: 6000,
    ...over,
    // The interruption downtime is computed from: the failover, unless given (database faults).
    serviceMs: 'serviceMs' in over ? over.serviceMs : 'failoverMs' in over ? over.failoverMs : 40,
  };
}

const OPTIONS: DrillOptionsRecord = {
  runs: 3,
  scenarios: ['broker-planned', 'broker-crash', 'broker-partition', 'db-kill'],
  links: ['wired', 'wireless'],
  quick: false,
  failuresPerYear: { planned: 12, unplanned: 6 },
  failoverMs: 300,
  primaryProbeMs: 250,
  devices: 4,
  ratePerDevice: 25,
  windowMs: 3000,
  mongo: 'stand-in',
  electionDelayMs: [10000, 12000],
  redis: false,
  fleet: { slots: 40, arrivalsPerMinute: 30 },
};

const RUNS: DrillRun[] = [
  run({ scenario: 'broker-crash', link: 'wired', run: 1, failoverMs: 40 }),
  run({ scenario: 'broker-crash', link: 'wired', run: 2, failoverMs: 60 }),
  run({ scenario: 'broker-crash', link: 'wired', run: 3, failoverMs: 150, throughputAfter: 97 }),
  run({ scenario: 'broker-partition', link: 'wireless', run: 1, failoverMs: 420 }),
  run({ scenario: 'broker-partition', link: 'wireless', run: 2, failoverMs: null, visibleMs: null, error: 'devices did not all recover' }),
  run({ scenario: 'broker-planned', link: 'wired', run: 1, failoverMs: 70, lost: 3, delivered: 497, lostMessages: [{ device: 'drill-01', seq: 44, sentMs: -30, ackedMs: 50, ackedBy: 'primary' }] }),
  run({
    scenario: 'db-kill', link: 'wired', run: 1, failoverMs: 11_000, visibleMs: 12, durableMs: 11_200,
    availabilitySamples: 55, availabilityP50Ms: 6, availabilityP99Ms: 40, availabilityMaxMs: 40, gateSent: 60, gateAnswered: 60, gateP50Ms: 15, gateP99Ms: 80, gateMaxMs: 80, serviceMs: 80,
  }),
];

describe('drill: summary, targets and availability', () => {
  const summary = summarizeRuns(RUNS);

  it('summarises each scenario and link in the order they ran', () => {
    expect(summary.map((s) => `${s.scenario}/${s.link}`)).to.deep.equal(['broker-crash/wired', 'broker-partition/wireless', 'broker-planned/wired', 'db-kill/wired']);
    const crash = summary[0];
    expect(crash.failoverMs).to.include({ n: 3, min: 40, median: 60, p95: 150, max: 150 });
    expect(crash).to.include({ runs: 3, sent: 1500, lost: 0, unrecovered: 0 });
    expect(crash.worstThroughputChange).to.be.closeTo(-0.03, 1e-12);
    expect(summary[1]).to.include({ unrecovered: 1 });
    expect(summary[1].failoverMs.n).to.equal(1);
  });

  it('judges every target from the medians, failing a scenario with a run that did not recover', () => {
    const targets = evaluateTargets(RUNS, summary);
    const verdict = (name: string, link?: string) => targets.find((t) => t.target === name && (!link || t.link === link))!;
    expect(verdict('crash failover', 'wired')).to.include({ pass: true, measured: 'median 60 ms' });
    expect(verdict('partition failover, wired')).to.include({ pass: null, measured: 'not run' });
    expect(verdict('partition failover, wireless').pass).to.equal(false);
    expect(verdict('partition failover, wireless').measured).to.match(/median 420 ms; 1 of 2 runs did not recover/);
    expect(verdict('planned switchover', 'wired')).to.include({ pass: false, measured: 'median 70 ms' });
    const loss = verdict('zero lost messages in every run');
    expect(loss.pass).to.equal(false);
    expect(loss.measured).to.match(/^1 of 7 runs lost messages \(3 in all\): broker-planned\/wired#1/);
    const throughput = verdict('throughput after failover within 2 % of before');
    expect(throughput.pass).to.equal(false);
    expect(throughput.measured).to.match(/^1 of 7 runs outside; worst -3\.00 %: broker-crash\/wired#3/);
  });

  it('judges the database faults by what visitors and gates saw, and every run by the gate events MongoDB holds', () => {
    const verdict = (targets: ReturnType<typeof evaluateTargets>, name: string) => targets.find((t) => t.target === name)!;
    const good = evaluateTargets(RUNS, summary);
    expect(verdict(good, 'availability updated through database faults')).to.include({ pass: true, measured: 'worst p99 40 ms (db-kill/wired#1), 55 changes timed' });
    expect(verdict(good, 'gates answered through database faults')).to.include({ pass: true, measured: 'worst p99 80 ms (db-kill/wired#1)' });
    expect(verdict(good, 'every gate event recorded once; no car charged twice, lost, or charged other than shown')).to.include({ pass: true });
    const bad = [
      ...RUNS.slice(0, 6),
      run({ scenario: 'db-election', link: 'wired', availabilitySamples: 50, availabilityP99Ms: 130, gateSent: 50, gateAnswered: 49, gateP99Ms: 90, gateProblems: ['DRL1: 2 sessions (closed, closed)'] }),
    ];
    const targets = evaluateTargets(bad, summarizeRuns(bad));
    expect(verdict(targets, 'availability updated through database faults').pass).to.equal(false);
    expect(verdict(targets, 'gates answered through database faults')).to.include({ pass: false, measured: 'worst p99 90 ms (db-election/wired#1); unanswered events in db-election/wired#1' });
    expect(verdict(targets, 'every gate event recorded once; no car charged twice, lost, or charged other than shown')).to.include({ pass: false, measured: '1 of 7 runs: db-election/wired#1' });
    const none = evaluateTargets(RUNS.slice(0, 2), summarizeRuns(RUNS.slice(0, 2)));
    expect(verdict(none, 'gates answered through database faults').pass, 'no database run').to.equal(null);
  });

  it('passes the loss and throughput targets when every run is clean', () => {
    const clean = [run({ scenario: 'broker-crash', link: 'wired' }), run({ scenario: 'broker-crash', link: 'wired', run: 2, throughputAfter: 98 })];
    const targets = evaluateTargets(clean, summarizeRuns(clean));
    expect(targets.filter((t) => t.pass === false)).to.deep.equal([]);
  });

  it('computes downtime per class from the slowest median of that class, and the earlier work at the same rates', () => {
    const rows = availabilityRows(summary, { planned: 12, unplanned: 6 });
    expect(rows.planned.map((r) => r.label)).to.deep.equal(['field link (broker faults), planned: worst is broker-planned (wired)', 'platform, planned: worst is broker-planned (wired)']);
    expect(rows.planned[0]).to.include({ failoverMs: 70, failuresPerYear: 12 });
    expect(rows.planned[0].downtimeSecondsPerYear).to.be.closeTo(0.84, 1e-12);
    expect(rows.unplanned[0]).to.include({ failoverMs: 420 }); // the field link: partition is the slowest broker fault
    // The platform: the database election stops nobody (its slowest answer was 80 ms), so the partition is the worst.
    expect(rows.unplanned[1]).to.include({ failoverMs: 420, label: 'platform, unplanned: worst is broker-partition (wireless)' });
    expect(rows.scenarios.find((r) => r.label === 'db-kill (wired)')).to.include({ failoverMs: 80 });
    expect(rows.prior.map((r) => r.downtimeSecondsPerYear)).to.deep.equal([24, 36.198]);
    expect(rows.scenarios).to.have.length(4);
  });
});

describe('drill: the report', () => {
  const result = assembleResult({
    runs: RUNS,
    options: OPTIONS,
    startedAt: new Date('2026-11-22T10:00:00Z'),
    finishedAt: new Date('2026-11-22T10:07:30Z'),
    machine: { node: '20.20.2', platform: 'linux-x64', cpus: 2, loadAverage: { start: [1.5, 1, 1], end: [2, 1, 1] } },
    totals: { sent: 4000, delivered: 3997, lost: 3, duplicated: 0 },
    skipped: [{ scenario: 'db-election', reason: 'needs the stand-in' }],
    incidents: [{ part: 'ingest', at: '2026-11-22T10:03:00.000Z', code: 1, signal: null, message: 'TypeError: boom', run: 'broker-crash/wired#2' }],
  });

  it('carries the runs, totals, skips and incidents, with the summary, availability and targets worked out', () => {
    expect(result.runs).to.equal(RUNS);
    expect(result.durationMs).to.equal(450_000);
    expect(result.summary).to.have.length(4);
    expect(result.availability.planned).to.have.length(2);
    expect(result.targets.map((t) => t.pass)).to.include(false);
    expect(result.units.throughputBefore).to.equal('messages/s delivered');
    expect(result.incidents).to.have.length(1);
  });

  it('renders Markdown tables with the summary, targets, availability, prior work, incidents and lost messages', () => {
    const md = renderReport(result);
    expect(md).to.match(/^# Failover drill\n/);
    expect(md).to.include('took 7 min 30 s');
    expect(md).to.include('| broker-crash | wired | 3 | 40 | 60 | 150 | 150 | 38 | 90 | 90 | 90 | 90 | 1,500 | 1,500 | 0 | 0 |');
    expect(md).to.include('| planned switchover | broker-planned | wired | median <= 50 ms | median 70 ms | **FAIL** |');
    expect(md).to.include('| crash failover | broker-crash | wired | median <= 100 ms | median 60 ms | **pass** |');
    expect(md).to.include('| VoIP master/backup (as published; its failure rates are not given there) | 0.8537 s | 1.1858 s |');
    expect(md).to.include('- db-election not run: needs the stand-in');
    expect(md).to.include('| 2026-11-22T10:03:00.000Z | ingest | broker-crash/wired#2 | 1 | TypeError: boom |');
    expect(md).to.include('| broker-planned/wired#1 | drill-01 | 44 | -30.0 | 50 | primary |');
    expect(md).to.include('| \\|change\\| <= 2 % |');
    expect(md).to.include('Totals over the whole drill, between runs included: 4,000 sent, 3,997 delivered, 3 lost, 0 duplicated.');
  });

  it('escapes pipes in cells and aligns numeric columns', () => {
    expect(table(['a', 'b'], [['x|y', '1']], ['l', 'r'])).to.equal('| a | b |\n| --- | ---: |\n| x\\|y | 1 |');
    expect(fmtMs(null)).to.equal('–');
    expect(fmtMs(4.25)).to.equal('4.3');
    expect(fmtMs(12_345.6)).to.equal('12,346');
    expect(fmtSeconds(0.85374)).to.equal('0.8537 s');
    expect(fmtSeconds(10356)).to.equal('172 min 36 s');
  });

  it('draws one dot per run that recovered, a median bar per row and a target tick where one applies', () => {
    const svg = renderChart(result);
    expect(svg).to.match(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trimEnd()).to.match(/<\/svg>$/);
    expect(svg.match(/<circle /g)).to.have.length(RUNS.filter((r) => r.failoverMs !== null).length);
    expect(svg.match(/<title>median /g)).to.have.length(4);
    expect(svg.match(/<title>target /g)).to.have.length(3); // crash, partition (wireless), planned; not db-kill
    expect(svg).to.include('broker-partition · wireless');
    expect(svg).to.include('6.033 s wireless');
    expect(escapeXml('<a & "b">')).to.equal('&lt;a &amp; &quot;b&quot;&gt;');
  });

  it('spans whole decades holding every value, from 1 ms to at least 10 s', () => {
    expect(logDomain([40, 11_000])).to.deep.equal([0, 5]);
    expect(logDomain([0.2, 50])).to.deep.equal([-1, 4]);
    expect(logDomain([])).to.deep.equal([0, 4]);
  });
});

describe('drill: progress', () => {
  it('renders a bar with the count, the label, the time so far and an estimate of the rest', () => {
    expect(renderBar({ done: 5, total: 20, label: 'broker-crash wired #2', elapsedMs: 50_000 })).to.equal('[#####...............] 5/20 broker-crash wired #2 · 0:50, ~2:30 left');
    expect(renderBar({ done: 0, total: 4, label: 'x', elapsedMs: 0 })).to.equal('[....................] 0/4 x · 0:00');
    expect(renderBar({ done: 1, total: 2, label: 'a very long label indeed', elapsedMs: 1000 }, 30)).to.have.length(30);
  });

  it('prints plain lines off a terminal', () => {
    const out: string[] = [];
    const progress = new Progress({ write: (t: string) => out.push(t), isTTY: false }, 2);
    progress.status('starting');
    progress.step('broker-crash wired #1: failover 40 ms');
    progress.stop();
    expect(out).to.deep.equal(['starting\n', '1/2 broker-crash wired #1: failover 40 ms\n']);
  });

  it('redraws one line in place on a terminal and clears it at the end', () => {
    const out: string[] = [];
    let clock = 0;
    const progress = new Progress({ write: (t: string) => out.push(t), isTTY: true, columns: 80 }, 2, () => clock);
    progress.status('starting');
    clock = 3000;
    progress.step('run one done');
    progress.stop();
    expect(out[0]).to.equal('\r\x1b[2K[....................] 0/2 starting · 0:00');
    expect(out[1]).to.equal('\r\x1b[2K1/2 run one done\n');
    expect(out[2]).to.equal('\r\x1b[2K[##########..........] 1/2 starting · 0:03, ~0:03 left');
    expect(out[out.length - 1]).to.equal('\r\x1b[2K');
  });
});
