// The short drill CI runs: the platform's parts as processes, every scenario
// of the default drill (broker planned, crash and partition over wired and
// wireless links; MongoDB stepdown, kill and election), two runs each. It
// fails on any lost message. About two minutes on a 2-core machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { DrillResult } from '../../drill/index.ts';

const BIN = fileURLToPath(new URL('../../bin/parking.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SETTING_VARS = /^(PARKING_|MONGODB_URI$|REDIS_URL$|LOG_LEVEL$)/;
const DRILL_TIMEOUT_MS = 210_000;

describe('parking drill --quick (the short version CI runs)', function () {
  this.timeout(DRILL_TIMEOUT_MS + 30_000);
  let dir: string;
  let child: ChildProcess | undefined;
  let code: number | null = null;
  let stdout = '';
  let stderr = '';
  let result: DrillResult;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parking-drill-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SETTING_VARS.test(name)));
    child = spawn(process.execPath, [BIN, 'drill', '--quick', '--out', dir, '--log-level', 'warn'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const running = child;
    code = await new Promise<number | null>((resolve) => {
      // The drill bounds every wait itself; this is the last resort.
      const timer = setTimeout(() => running.kill('SIGTERM'), DRILL_TIMEOUT_MS);
      running.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    child = undefined;
    expect(existsSync(join(dir, 'drill.json')), `no drill.json (exit ${code}):\n${stderr.slice(-4000)}`).to.equal(true);
    result = JSON.parse(readFileSync(join(dir, 'drill.json'), 'utf8')) as DrillResult;
  });

  after(() => {
    child?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
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
    for (const run of result.runs) {
      expect(Object.keys(run).slice(0, 10)).to.deep.equal(['scenario', 'link', 'failoverMs', 'visibleMs', 'sent', 'delivered', 'lost', 'duplicated', 'throughputBefore', 'throughputAfter']);
      for (const key of ['sent', 'delivered', 'lost', 'duplicated', 'throughputBefore', 'throughputAfter'] as const) expect(run[key], key).to.be.a('number');
      expect(run.sent).to.be.greaterThan(0);
    }
    const md = readFileSync(join(dir, 'drill.md'), 'utf8');
    expect(md).to.match(/^# Failover drill/);
    expect(md).to.include('| broker-crash | wireless | 2 |');
    expect(readFileSync(join(dir, 'drill.svg'), 'utf8')).to.match(/^<svg [^>]*>[\s\S]*<\/svg>\s*$/);
    expect(stdout).to.include('## Targets');
    expect(stdout).to.include(`wrote ${join(dir, 'drill.json')}`);
  });

  it('lost no message in any run, nor between runs', () => {
    const lossy = result.runs.filter((r) => r.lost > 0);
    const detail = lossy.map((r) => `${r.scenario}/${r.link}#${r.run}: ${r.lost} lost, first ${JSON.stringify(r.lostMessages?.slice(0, 3))}`).join('\n');
    expect(detail || 'none', `runs that lost messages (incidents: ${JSON.stringify(result.incidents)})`).to.equal('none');
    expect(result.totals.lost, 'messages lost in all').to.equal(0);
    expect(result.totals.delivered).to.equal(result.totals.sent);
    expect(code, `exit code; stderr:\n${stderr.slice(-2000)}`).to.equal(0);
  });

  it('every run failed over: the blocked devices published again (a planned switchover: every device moved), and the changed state became visible', () => {
    for (const run of result.runs) {
      const name = `${run.scenario}/${run.link}#${run.run} (${run.error ?? 'no error'})`;
      expect(run.failoverMs, name).to.be.a('number');
      expect(run.visibleMs, name).to.be.a('number');
      expect(run.visibleMs!, name).to.be.greaterThan(0);
      if (run.scenario === 'broker-planned') {
        expect(run.linkReadyMs, `${name}: every device on the standby`).to.be.a('number');
        if (run.blockedDevices === 0) expect(run.failoverMs, `${name}: nothing waited for the switch`).to.equal(0);
      } else if (run.scenario.startsWith('broker-')) expect(run.blockedDevices, name).to.be.greaterThan(0);
    }
  });
});
