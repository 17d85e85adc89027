import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { validateReport, type BenchReport } from '../../bench/index.ts';
import { runParking, type RunResult } from '../../proc/index.ts';

// The CI smoke run: `parking bench --quick` as a process, every section, seconds long.
// It checks that the command works and writes valid JSON; the figures of a loaded
// CI machine mean nothing, so none is asserted.
describe('parking bench --quick (process)', function () {
  this.timeout(120_000);
  let dir: string;
  let result: RunResult;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parking-bench-'));
    result = await runParking(['bench', '--quick', '--out', dir], { timeoutMs: 110_000 });
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and prints the table', () => {
    expect(result.code, result.stderr.slice(-3000)).to.equal(0);
    for (const heading of ['LATENCY', 'THROUGHPUT', 'SCALE', 'PEERS', 'FAILOVER', 'HISTORY BESIDE THE LIVE PATH', 'TARGETS']) expect(result.stdout).to.include(heading);
    expect(result.stdout).to.include(`written: ${join(dir, 'bench.json')}`);
  });

  it('writes a valid bench.json with every section, the table and the chart', () => {
    const report = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as BenchReport;
    expect(validateReport(report)).to.deep.equal([]);
    expect(report.errors).to.deep.equal([]);
    expect(report.quick).to.equal(true);
    expect(report.latency!.runs).to.have.length(1);
    expect(report.latency!.runs[0].probes.sent).to.be.above(0);
    expect(report.throughput!.steps.length).to.be.above(0);
    expect(report.throughput!.withoutMongo!.steps.length).to.be.above(0);
    expect(report.scale!.steps[0].devices).to.equal(100);
    expect(report.peers!.runs.map((r) => r.target)).to.include.members(['platform', 'aedes', 'bridge-direct', 'bridge-standby']);
    expect(report.failover!.drill.devices).to.equal(200);
    expect(report.failover!.drill.runs.map((r) => r.scenario)).to.deep.equal(['broker-crash']);
    expect(report.failover!.scenarios).to.have.length(1);
    expect(report.targets.some((t) => t.name.startsWith('failover: '))).to.equal(true);
    expect(report.history).to.deep.include({ days: 1, slots: 200 });
    expect(report.history!.changes).to.be.above(0);
    expect(report.history!.during.probes.sent).to.be.above(0);
    expect(existsSync(join(dir, 'failover', 'fleet.md'))).to.equal(true);
    expect(readFileSync(join(dir, 'bench.txt'), 'utf8')).to.equal(result.stdout.slice(0, result.stdout.indexOf('\nwritten: ')));
    expect(readFileSync(join(dir, 'bench.svg'), 'utf8')).to.match(/^<svg [^]*<\/svg>\n$/);
  });

  it('a bad flag is one line naming it, exit 2, nothing run', async () => {
    const bad = await runParking(['bench', '--rates', 'fast', '--out', join(dir, 'never')]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr.trim().split('\n')).to.have.length(1);
    expect(bad.stderr).to.match(/--rates/);
    expect(existsSync(join(dir, 'never'))).to.equal(false);
  });
});
