// The fleet drill CI runs: 300 device links with per-device accounts in their
// own process, a primary SIGKILL and a partition with no FIN, about a minute
// and a half on 2 cores. It fails on any spurious failover in the steady
// window, any device flapping, any publish left unacknowledged and any lost
// message. The latency figures are printed, not asserted: on a shared 2-core
// machine they belong to `parking drill --fleet 2000 --auth --runs 3`
// (docs/runs/), not to a pass/fail line.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { FleetDrillResult } from '../../drill/fleet/index.ts';
import { runParking } from '../../proc/index.ts';

describe('fleet drill: 300 device links with accounts (parking drill --fleet)', function () {
  this.timeout(300_000);

  it('no spurious failover, no flapping, every publish acknowledged, nothing lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parking-fleet-'));
    const args = ['drill', '--fleet', '300', '--auth', '--quick', '--steady-ms', '20000', '--idle-ms', '3000', '--scenarios', 'broker-crash,broker-partition,broker-planned', '--out', dir, '--log-level', 'warn'];
    const { code, stdout, stderr } = await runParking(args, { timeoutMs: 280_000 });
    expect(existsSync(join(dir, 'fleet.json')), `no fleet.json (exit ${code}):\n${stderr.slice(-4000)}`).to.equal(true);
    const result = JSON.parse(readFileSync(join(dir, 'fleet.json'), 'utf8')) as FleetDrillResult;
    for (const run of result.runs) console.log(`      ${run.scenario}: acknowledged p50 ${run.ackMs.p50} ms, p99 ${run.ackMs.p99} ms, max ${run.ackMs.max} ms; fleet on the standby after ${run.allOnStandbyMs} ms, back after ${run.allBackMs} ms`);
    expect(code, stdout.slice(-3000)).to.equal(0);
    expect(result.devices).to.equal(300);
    expect(result.steady.spuriousFailovers, 'failovers in 20 s without a fault').to.equal(0);
    expect(result.runs.map((r) => r.scenario)).to.deep.equal(['broker-crash', 'broker-partition', 'broker-planned']);
    for (const run of result.runs) {
      expect(run.unacked, `${run.scenario}: publishes never acknowledged`).to.equal(0);
      expect(run.extraFailovers, `${run.scenario}: failovers beyond one per device`).to.equal(0);
      expect(run.allOnStandbyMs, `${run.scenario}: every device on the standby`).to.be.a('number');
      expect(run.allBackMs, `${run.scenario}: every device back on the primary`).to.be.a('number');
      expect(run.lost, `${run.scenario}: lost`).to.equal(0);
    }
    expect(result.lost, 'messages lost over the drill').to.equal(0);
    expect(result.published).to.be.greaterThan(300 * 3);
  });
});
