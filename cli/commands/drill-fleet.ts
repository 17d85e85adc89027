// `parking drill --fleet N [--auth]`: the broker faults with a fleet of N device links.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';

export interface FleetDrillFlags {
  fleet: number;
  auth?: boolean;
  runs?: number;
  out: string;
  fleetScenarios?: string;
  steadyMs?: number;
  idleMs?: number;
  periodMs?: number;
  failbackWindowMs?: number;
  quick?: boolean;
  spare?: boolean;
  fleetNice?: number;
}

export async function runFleetDrillCommand(ctx: CliContext, flags: FleetDrillFlags, signals: { onShutdown(fn: () => Promise<void> | void): void }): Promise<number> {
  const fleet = await import('../../drill/fleet/index.ts');
  const { killAllParts } = await import('../../proc/index.ts');
  const scenarios = (flags.fleetScenarios ?? fleet.FLEET_SCENARIOS.filter((s) => s !== 'broker-partition' || flags.fleet <= fleet.PROXY_MAX_DEVICES).join(',')).split(',').map((s) => s.trim());
  for (const s of scenarios) if (!(fleet.FLEET_SCENARIOS as readonly string[]).includes(s)) throw new UsageError(`--scenarios with --fleet: unknown scenario '${s}': use ${fleet.FLEET_SCENARIOS.join(', ')}`);
  if (scenarios.includes('broker-partition') && flags.fleet > fleet.PROXY_MAX_DEVICES) throw new UsageError(`--fleet ${flags.fleet}: broker-partition needs a link proxy with two descriptors a device in the drill's process; drill it with at most ${fleet.PROXY_MAX_DEVICES} devices`);
  const quick = flags.quick === true;
  mkdirSync(flags.out, { recursive: true });
  signals.onShutdown(() => killAllParts());
  const started = Date.now();
  const result = await fleet.runFleetDrill({
    devices: flags.fleet,
    auth: flags.auth === true,
    runs: flags.runs ?? (quick ? 1 : 3),
    scenarios: scenarios as typeof fleet.FLEET_SCENARIOS[number][],
    steadyMs: flags.steadyMs ?? (quick ? 20_000 : 600_000),
    idleMs: flags.idleMs ?? (quick ? 5000 : 30_000),
    // --quick: the window opens a second after the pause, before the keep-alives run (its figure is no target then).
    ...(quick ? { idleWarmupMs: 1000 } : {}),
    periodMs: flags.periodMs ?? 10_000,
    failbackWindowMs: flags.failbackWindowMs ?? 10_000,
    connectRate: 1000,
    spare: flags.spare !== false,
    fleetNice: flags.fleetNice ?? fleet.FLEET_NICE,
    outDir: flags.out,
    onStatus: (text) => ctx.stderr.write(`[${Math.round((Date.now() - started) / 1000)} s] ${text}\n`),
  });
  const report = fleet.renderFleetReport(result);
  writeFileSync(join(flags.out, 'fleet.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(flags.out, 'fleet.md'), report);
  ctx.stdout.write(`${report}\nwrote ${join(flags.out, 'fleet.json')}, ${join(flags.out, 'fleet.md')} (logs in ${join(flags.out, 'logs')})\n`);
  const unacked = result.runs.reduce((n, r) => n + r.unacked, 0);
  if (result.lost > 0 || unacked > 0) ctx.stderr.write(`parking drill: ${result.lost} messages lost, ${unacked} publishes never acknowledged\n`);
  return result.lost > 0 || unacked > 0 ? 1 : 0;
}
