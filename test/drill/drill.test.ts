// The drills CI runs, the platform's parts as processes:
// - the short drill: every scenario of the default drill (broker planned, crash
//   and partition over wired and wireless links; MongoDB stepdown, kill and
//   election with 1-1.5 s elections), two runs each, about two minutes on 2 cores;
// - a MongoDB primary kill with a real 10-12 s election, about 40 s.
// They fail on any lost message or gate event, a car charged twice or other
// than shown, a visitor or a gate that waited for the database.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { DrillResult } from '../../drill/index.ts';
import { runParking } from '../../proc/index.ts';

const DRILL_TIMEOUT_MS = 210_000;

interface DrillRunResult {
  dir: string;
  code: number | null;
  stdout: string;
  stderr: string;
  result: DrillResult;
}

/** Runs `parking drill ARGS --out <tmp>`; the drill bounds every wait itself, `timeoutMs` is the last resort. */
async function drill(args: string[], timeoutMs: number): Promise<DrillRunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'parking-drill-'));
  const { code, stdout, stderr } = await runParking(['drill', ...args, '--out', dir, '--log-level', 'warn'], { timeoutMs });
  expect(existsSync(join(dir, 'drill.json')), `no drill.json (exit ${code}):\n${stderr.slice(-4000)}`).to.equal(true);
  return { dir, code, stdout, stderr, result: JSON.parse(readFileSync(join(dir, 'drill.json'), 'utf8')) as DrillResult };
}

const runName = (run: DrillResult['runs'][number]) => `${run.scenario}/${run.link}#${run.run} (${run.error ?? 'no error'})`;

/**
 * Far below the 10-12 s of an election: a display or a gate that waited for MongoDB is over it
 * by an order of magnitude. The drill's own targets (availability p99 <= 100 ms, gates <= 500 ms,
 * drill/analysis.ts DB_LIMITS) are speed, which depends on the machine: the drill's report
 * judges them on its runs (docs/runs/), not this test, which must hold on a slow CI machine too
 * (one 3.7 times slower than the build machine measured 110-129 ms in a full test run).
 */
const NEVER_WAITED_MS = 1000;

/** What every database fault must show: visitors and gates never waited, MongoDB caught up, each gate event stored once. */
function expectServedThroughDatabaseFaults(result: DrillResult): void {
  const db = result.runs.filter((r) => r.scenario.startsWith('db-'));
  expect(db.length, 'database runs').to.be.greaterThan(0);
  for (const run of db) {
    const name = runName(run);
    expect(run.availabilitySamples, `${name}: availability changes timed during the fault`).to.be.greaterThan(0);
    expect(run.availabilityP99Ms, `${name}: availability p99, ms`).to.be.a('number').and.at.most(NEVER_WAITED_MS);
    expect(run.gateSent, `${name}: gate events during the fault`).to.be.greaterThan(0);
    expect(run.gateAnswered, `${name}: every gate event answered`).to.equal(run.gateSent);
    expect(run.gateP99Ms, `${name}: gate p99, ms`).to.be.a('number').and.at.most(NEVER_WAITED_MS);
    expect(run.durableMs, `${name}: the fault's state durable in MongoDB`).to.be.a('number');
  }
  const problems = result.runs.filter((r) => r.gateProblems?.length).map((r) => `${runName(r)}: ${r.gateProblems!.join('; ')}`);
  expect(problems, 'gate events in MongoDB: each once, no car charged twice or other than shown').to.deep.equal([]);
}

describe('parking drill --quick (the short version CI runs)', function () {
  this.timeout(DRILL_TIMEOUT_MS + 30_000);
  let run: DrillRunResult;
  let result: DrillResult;

  before(async () => {
    run = await drill(['--quick'], DRILL_TIMEOUT_MS);
    result = run.result;
  });

  after(() => {
    if (run?.dir) rmSync(run.dir, { recursive: true, force: true });
  });

  it('ran every scenario of the default drill, two runs each (broker faults over both links)', () => {
    const rows = result.summary.map((s) => `${s.scenario}/${s.link}:${s.runs}`);
    expect(rows).to.deep.equal([
      'broker-planned/wired:2', 'broker-planned/wireless:2', 'broker-crash/wired:2', 'broker-crash/wireless:2', 'broker-partition/wired:2', 'broker-partition/wireless:2',
      'db-stepdown/wired:2', 'db-kill/wired:2', 'db-election/wired:2',
    ]);
    expect(result.skipped).to.deep.equal([]);
  });

  it("writes drill.json as the contract says, the report and the chart beside it, and prints the summary", () => {
    for (const r of result.runs) {
      expect(Object.keys(r).slice(0, 10)).to.deep.equal(['scenario', 'link', 'failoverMs', 'visibleMs', 'sent', 'delivered', 'lost', 'duplicated', 'throughputBefore', 'throughputAfter']);
      for (const key of ['sent', 'delivered', 'lost', 'duplicated', 'throughputBefore', 'throughputAfter'] as const) expect(r[key], key).to.be.a('number');
      expect(r.sent).to.be.greaterThan(0);
    }
    const md = readFileSync(join(run.dir, 'drill.md'), 'utf8');
    expect(md).to.match(/^# Failover drill/);
    expect(md).to.include('| broker-crash | wireless | 2 |');
    expect(md).to.include('## What visitors and gates saw (ms)');
    expect(readFileSync(join(run.dir, 'drill.svg'), 'utf8')).to.match(/^<svg [^>]*>[\s\S]*<\/svg>\s*$/);
    expect(run.stdout).to.include('## Targets');
    expect(run.stdout).to.include(`wrote ${join(run.dir, 'drill.json')}`);
  });

  it('lost no message in any run, nor between runs', () => {
    const lossy = result.runs.filter((r) => r.lost > 0);
    const detail = lossy.map((r) => `${r.scenario}/${r.link}#${r.run}: ${r.lost} lost, first ${JSON.stringify(r.lostMessages?.slice(0, 3))}`).join('\n');
    expect(detail || 'none', `runs that lost messages (incidents: ${JSON.stringify(result.incidents)})`).to.equal('none');
    expect(result.totals.lost, 'messages lost in all').to.equal(0);
    expect(result.totals.delivered).to.equal(result.totals.sent);
    expect(run.code, `exit code; stderr:\n${run.stderr.slice(-2000)}`).to.equal(0);
  });

  it('every run failed over: the blocked devices published again (a planned switchover: every device moved), and the changed state became visible', () => {
    for (const r of result.runs) {
      const name = runName(r);
      expect(r.failoverMs, name).to.be.a('number');
      expect(r.visibleMs, name).to.be.a('number');
      expect(r.visibleMs!, name).to.be.greaterThan(0);
      if (r.scenario === 'broker-planned') {
        expect(r.linkReadyMs, `${name}: every device on the standby`).to.be.a('number');
        if (r.blockedDevices === 0) expect(r.failoverMs, `${name}: nothing waited for the switch`).to.equal(0);
      } else if (r.scenario.startsWith('broker-')) expect(r.blockedDevices, name).to.be.greaterThan(0);
    }
  });

  it('through the database faults visitors and gates were served at once, and MongoDB holds every gate event once', () => {
    expectServedThroughDatabaseFaults(result);
  });
});

describe('parking drill: a MongoDB primary killed, with a real 10-12 s election', function () {
  const timeoutMs = 150_000;
  this.timeout(timeoutMs + 30_000);
  let run: DrillRunResult;

  before(async () => {
    run = await drill(['--scenarios', 'db-kill', '--runs', '1', '--window-ms', '1000'], timeoutMs);
  });

  after(() => {
    if (run?.dir) rmSync(run.dir, { recursive: true, force: true });
  });

  it('waited out the election: writes came back after 10-12 s and the state became durable, nothing lost', () => {
    expect(run.result.options.electionDelayMs).to.deep.equal([10_000, 12_000]);
    const [r] = run.result.runs;
    expect(r.scenario).to.equal('db-kill');
    expect(r.failoverMs, runName(r)).to.be.a('number').and.within(9_000, 25_000);
    expect(r.durableMs, runName(r)).to.be.a('number').and.at.least(r.failoverMs! - 1000);
    expect(r.lost).to.equal(0);
    expect(run.code, `exit code; stderr:\n${run.stderr.slice(-2000)}`).to.equal(0);
  });

  it('visitors and gates never waited for it, and MongoDB holds every gate event once', () => {
    expectServedThroughDatabaseFaults(run.result);
    const [r] = run.result.runs;
    expect(r.availabilitySamples, 'changes timed through the 10-12 s election').to.be.at.least(20);
  });
});
