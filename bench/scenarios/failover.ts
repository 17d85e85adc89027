// Site-scale failover: the fleet drill (drill/fleet, `parking drill --fleet`)
// run at the benchmark's size. A primary and a bridged standby broker, N
// device links in fleet processes (per-device accounts by default), a steady
// window, an idle window, then the broker faults. Every figure is the drill's
// own; this only sizes the run and files its result as the bench's section.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FLEET_NICE, fleetTargets, PROXY_MAX_DEVICES, renderFleetReport, runFleetDrill, summarizeFleet, type FleetDrillResult } from '../../drill/fleet/index.ts';
import type { BenchOptions } from '../options.ts';
import type { FailoverSection } from '../report.ts';
import type { Progress } from './pipeline.ts';

/** Each device publishes its slot state this often (the drill's default). */
const PERIOD_MS = 10_000;
/** Device links connecting per second, over all fleet processes (the drill's). */
const CONNECT_RATE = 1000;

/** The bench section of a fleet drill's result: the result itself, its medians per fault and its targets. */
export function failoverSection(drill: FleetDrillResult): FailoverSection {
  return { drill, scenarios: summarizeFleet(drill), targets: fleetTargets(drill) };
}

export async function runFailover(options: BenchOptions, progress: Progress): Promise<FailoverSection> {
  const { failoverDevices: devices, failoverScenarios: scenarios, failoverRuns: runs } = options;
  if (scenarios.includes('broker-partition') && devices > PROXY_MAX_DEVICES) {
    throw new Error(`broker-partition needs a link proxy with two descriptors a device in the benchmark's process: at most ${PROXY_MAX_DEVICES} devices, not ${devices}`);
  }
  const outDir = path.join(options.out, 'failover');
  progress(`failover: ${devices} device links${options.failoverAuth ? ' with per-device accounts' : ''}, ${scenarios.join(', ')} ${runs} time${runs === 1 ? '' : 's'} each; logs in ${path.join(outDir, 'logs')}`);
  const drill = await runFleetDrill({
    devices,
    auth: options.failoverAuth,
    runs,
    scenarios,
    steadyMs: options.failoverSteadyMs,
    idleMs: options.failoverIdleMs,
    ...(options.failoverIdleWarmupMs !== undefined ? { idleWarmupMs: options.failoverIdleWarmupMs } : {}),
    periodMs: PERIOD_MS,
    failbackWindowMs: options.failoverFailbackWindowMs,
    connectRate: CONNECT_RATE,
    spare: true,
    fleetNice: FLEET_NICE,
    outDir,
    onStatus: (text) => progress(`failover: ${text.trim()}`),
  });
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, 'fleet.md'), renderFleetReport(drill));
  const section = failoverSection(drill);
  for (const s of section.scenarios) {
    progress(`failover: ${s.scenario}: publish acknowledged p50 ${s.ackP50} / p99 ${s.ackP99} / max ${s.ackMax} ms; fleet on the standby after ${s.allOnStandbyMs} ms, back after ${s.allBackMs} ms; lost ${s.lost}`);
  }
  return section;
}
