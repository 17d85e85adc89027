// The fleet drill (`parking drill --fleet N [--auth]`): a steady window (no
// fault: every failover in it is spurious), an idle window (no publishes: what
// liveness alone costs the brokers), then broker faults, `runs` times each.
// At each fault every device publishes at the fault's moment; the drill
// measures how long each device's publish took to be acknowledged, when the
// whole fleet was on the standby and back on the primary, what the brokers
// spent, and what was lost or duplicated.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICE_KEEPALIVE_SEC } from '../../link/index.ts';
import { percentile } from '../stats.ts';
import { waitFor } from '../wait.ts';
import { fleetDevice, FLEET_LOT } from './devices.ts';
import { startFleetStack, type FleetStack } from './stack.ts';
import { usageOfAll, usageWindow, type Usage } from './usage.ts';

export const FLEET_SCENARIOS = ['broker-crash', 'broker-partition', 'broker-planned'] as const;
export type FleetScenario = (typeof FLEET_SCENARIOS)[number];

/** Above this many devices a partition is not drilled: its link proxy, in the drill's process, needs two descriptors per device. */
export const PROXY_MAX_DEVICES = 8000;

export interface FleetDrillOptions {
  devices: number;
  auth: boolean;
  runs: number;
  scenarios: readonly FleetScenario[];
  steadyMs: number;
  idleMs: number;
  /** From the pause until the idle window opens (default idleWarmupMs(): the devices' keep-alives running). */
  idleWarmupMs?: number;
  periodMs: number;
  failbackWindowMs: number;
  connectRate: number;
  /** The devices keep a spare connection to the standby (LinkOptions.spare). */
  spare: boolean;
  /** CPU priority (nice) of the fleet processes: above 0 the brokers come first (FLEET_NICE). */
  fleetNice: number;
  outDir: string;
  onStatus?: (text: string) => void;
}

export interface Spread {
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface FleetRun {
  scenario: FleetScenario;
  run: number;
  /** When the fault was injected (epoch ms). */
  faultAt: number;
  /** Per device: from the fault to its publish acknowledged, ms. */
  ackMs: Spread;
  /** Devices whose publish was not acknowledged within the wait. */
  unacked: number;
  /** From the fault until the last device was on the standby, ms. */
  allOnStandbyMs: number | null;
  /** Failovers beyond one per device (flapping), from the fault until back. */
  extraFailovers: number;
  /** From the primary being back until the last device was on it, ms, and the spread of the returns. */
  allBackMs: number | null;
  backMs: Spread;
  /** The standby from the fault for at least 5 s (until the fleet is on it). */
  standby: Usage;
  /** The fleet processes over the same window. */
  fleet: Usage;
  primaryDuringFailback: Usage;
  lost: number;
  duplicated: number;
}

export interface FleetDrillResult {
  devices: number;
  auth: boolean;
  /** The devices kept a spare connection to the standby. */
  spare: boolean;
  /** CPU priority (nice) of the fleet processes (absent in results from before it was set). */
  fleetNice?: number;
  startedAt: string;
  periodMs: number;
  failbackWindowMs: number;
  steady: { ms: number; spuriousFailovers: number; primary: Usage; standby: Usage; fleet: Usage };
  /** `warmupMs`: from the pause until the window opened (absent in results from before it was a keep-alive). */
  idle: { ms: number; warmupMs?: number; primary: Usage; standby: Usage };
  runs: FleetRun[];
  /** Slot states published and acknowledged over the whole drill. */
  published: number;
  lost: number;
  duplicated: number;
}

const spread = (values: ReadonlyArray<number | null>): Spread => {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1] : null };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runFleetDrill(o: FleetDrillOptions): Promise<FleetDrillResult> {
  const status = o.onStatus ?? (() => undefined);
  const logDir = join(o.outDir, 'logs');
  // Devices at a site reach their brokers directly: the steady window, the crashes and the planned
  // switchovers run so. A partition (no FIN) needs the link proxy in front of the primary; its runs
  // get a stack of their own, so the proxy's work never sits in the path of the other faults.
  const partitions = o.scenarios.filter((s) => s === 'broker-partition');
  const others = o.scenarios.filter((s) => s !== 'broker-partition');
  const start = (proxy: boolean, dir = logDir) => {
    mkdirSync(dir, { recursive: true });
    return startFleetStack({ devices: o.devices, auth: o.auth, proxy, periodMs: o.periodMs, failbackWindowMs: o.failbackWindowMs, connectRate: o.connectRate, spare: o.spare, niceness: o.fleetNice, logDir: dir, onStatus: status });
  };
  const startedAt = new Date().toISOString();
  const runs: FleetRun[] = [];
  const totals = { published: 0, lost: 0, duplicated: 0 };
  const first = await start(others.length === 0);
  let steady: FleetDrillResult['steady'];
  let idle: FleetDrillResult['idle'];
  try {
    await onPrimary(first, o.devices, settleMs(o), o.spare);
    status(`steady traffic for ${Math.round(o.steadyMs / 1000)} s`);
    const before = first.stats().failovers;
    const steadyUse = [usageWindow(() => first.primary.pid), usageWindow(() => first.standby.pid), fleetUsage(first)];
    await sleep(o.steadyMs);
    const [steadyPrimary, steadyStandby, steadyFleet] = steadyUse.map((u) => u.end());
    steady = { ms: o.steadyMs, spuriousFailovers: first.stats().failovers - before, primary: steadyPrimary, standby: steadyStandby, fleet: steadyFleet };
    // An idle device sends its first PINGREQ a keep-alive after its last publish: the window opens
    // when every device is past that, so it holds what liveness costs for good, not a lull before it.
    const warmMs = o.idleWarmupMs ?? idleWarmupMs();
    status(`idle (no publishes): ${Math.round(warmMs / 1000)} s until the keep-alives run, then ${Math.round(o.idleMs / 1000)} s measured`);
    first.tell({ cmd: 'pause' });
    await sleep(warmMs);
    const idleUse = [usageWindow(() => first.primary.pid), usageWindow(() => first.standby.pid)];
    await sleep(o.idleMs);
    const [idlePrimary, idleStandby] = idleUse.map((u) => u.end());
    idle = { ms: o.idleMs, warmupMs: warmMs, primary: idlePrimary, standby: idleStandby };
    first.tell({ cmd: 'resume' });
    await faultRuns(first, others.length ? others : partitions, o, runs, totals);
  } finally {
    await first.close();
  }
  if (others.length && partitions.length) {
    status('a stack with the link proxy in front of the primary, for the partitions');
    const proxied = await start(true, join(logDir, 'partition'));
    try {
      await faultRuns(proxied, partitions, o, runs, totals);
    } finally {
      await proxied.close();
    }
  }
  runs.sort((a, b) => a.run - b.run || o.scenarios.indexOf(a.scenario) - o.scenarios.indexOf(b.scenario));
  return { devices: o.devices, auth: o.auth, spare: o.spare, fleetNice: o.fleetNice, startedAt, periodMs: o.periodMs, failbackWindowMs: o.failbackWindowMs, steady, idle, runs, ...totals };
}

/** `o.runs` rounds of `scenarios` on `stack`, then what it published, lost and duplicated (added to `totals`). */
async function faultRuns(stack: FleetStack, scenarios: readonly FleetScenario[], o: FleetDrillOptions, runs: FleetRun[], totals: { published: number; lost: number; duplicated: number }): Promise<void> {
  for (let run = 1; run <= o.runs; run += 1) {
    for (const scenario of scenarios) {
      o.onStatus?.(`${scenario} run ${run}/${o.runs}`);
      runs.push(await faultRun(stack, o, scenario, run));
    }
  }
  const reports = await stack.reports(30_000);
  totals.lost += await countLoss(stack, reports.flatMap((r) => r.lastSeq.map((seq, i) => ({ index: r.first + i, seq }))));
  totals.published += stack.stats().acked;
  totals.duplicated += stack.deliveries.duplicated;
}

function fleetUsage(stack: FleetStack): { end(): Usage } {
  return usageOfAll(stack.workers.map((w) => () => w.part.pid));
}

/** From the last publishes until every link sends keep-alives: a keep-alive (the devices' by default) and 2 s. */
export function idleWarmupMs(keepaliveSec = DEVICE_KEEPALIVE_SEC): number {
  return keepaliveSec * 1000 + 2000;
}

/** How long the fleet may take to be all on the primary with its spares: the failback window, then a minute and 10 ms a device (busy brokers' backoffs, link/policy.ts). */
function settleMs(o: FleetDrillOptions): number {
  return o.failbackWindowMs + 60_000 + 10 * o.devices;
}

/**
 * Every device on the primary; with `spares`, all but one in a thousand holding their spare
 * connection to the standby too (at 10,000 a few are always between a lost spare and its next).
 */
function onPrimary(stack: FleetStack, devices: number, timeoutMs: number, spares = false): Promise<unknown> {
  return waitFor(() => {
    const now = stack.stats();
    return now.primary === devices && (!spares || now.spares >= devices - Math.floor(devices / 1000));
  }, { timeoutMs, what: () => `all ${devices} devices on the primary${spares ? ' with a spare connection' : ''} (${JSON.stringify(stack.stats())}; not back, by why their last return failed: ${JSON.stringify(stack.notBack())})`, pollMs: 100 });
}

async function faultRun(stack: FleetStack, o: FleetDrillOptions, scenario: FleetScenario, run: number): Promise<FleetRun> {
  // A fault comes at any time; a fleet that has been on the primary a while holds its spares.
  await onPrimary(stack, o.devices, settleMs(o), o.spare);
  const failoversBefore = stack.stats().failovers;
  const duplicatedBefore = stack.deliveries.duplicated;
  const at = Date.now() + 500;
  stack.tell({ cmd: 'burst', at });
  await sleep(at - Date.now());
  const standbyUse = usageWindow(() => stack.standby.pid);
  const fleetUse = fleetUsage(stack);
  const exited = scenario === 'broker-partition' ? undefined : stack.primary.kill(scenario === 'broker-crash' ? 'SIGKILL' : 'SIGTERM', 40_000);
  if (scenario === 'broker-partition') stack.proxy!.partition();
  await waitFor(() => stack.stats().standby === o.devices && stack.stats().queued === 0, { timeoutMs: 60_000, what: () => `all devices on the standby, nothing queued (${JSON.stringify(stack.stats())})`, pollMs: 100 }).catch((error: Error) => status(o, error.message));
  await sleep(Math.max(0, at + 5000 - Date.now()));
  const standby = standbyUse.end();
  const fleet = fleetUse.end();
  const atFault = await stack.reports(20_000);
  const ackMs = atFault.flatMap((r) => r.burstAckMs);
  const standbyMs = atFault.flatMap((r) => r.standbyMs);
  // Restore: the primary comes back (or the cut heals); the fleet returns spread over the failback window.
  if (exited) {
    await exited;
    await stack.restartPrimary();
  } else stack.proxy!.heal();
  const restoredAt = Date.now();
  const primaryUse = usageWindow(() => stack.primary.pid);
  await onPrimary(stack, o.devices, settleMs(o)).catch((error: Error) => status(o, error.message));
  const primaryDuringFailback = primaryUse.end();
  const back = await stack.reports(20_000);
  const backMs = back.flatMap((r) => r.backAt.map((t) => (t === null ? null : t - restoredAt)));
  const lost = await countLoss(stack, back.flatMap((r) => r.lastSeq.map((seq, i) => ({ index: r.first + i, seq }))));
  const moved = standbyMs.filter((v) => v !== null).length;
  return {
    scenario,
    run,
    faultAt: at,
    ackMs: spread(ackMs),
    unacked: ackMs.filter((v) => v === null).length,
    allOnStandbyMs: moved === o.devices ? Math.max(...(standbyMs as number[])) : null,
    extraFailovers: Math.max(0, stack.stats().failovers - failoversBefore - o.devices),
    allBackMs: backMs.every((v) => v !== null) ? Math.max(...(backMs as number[])) : null,
    backMs: spread(backMs),
    standby,
    fleet,
    primaryDuringFailback,
    lost,
    duplicated: stack.deliveries.duplicated - duplicatedBefore,
  };
}

function status(o: FleetDrillOptions, text: string): void {
  o.onStatus?.(`  ! ${text}`);
}

/** Acknowledged slot states no observer was delivered (waiting up to 10 s for stragglers). */
async function countLoss(stack: FleetStack, last: ReadonlyArray<{ index: number; seq: number }>): Promise<number> {
  const observers = stack.observers.map((ob) => ob.name);
  /** Per device with a gap: what no observer was delivered. */
  const gaps = () =>
    last
      .map(({ index, seq }) => {
        const d = fleetDevice(index);
        return { device: d.device, seq, missing: stack.deliveries.missing(`parking/${FLEET_LOT}/slot/${d.level}/${d.slot}`, seq, observers) };
      })
      .filter((g) => g.missing.length > 0);
  await waitFor(() => gaps().length === 0, { timeoutMs: 10_000, what: 'every acknowledged state delivered', pollMs: 250 }).catch(() => undefined);
  const left = gaps();
  if (left.length) stack.onLost?.(left.slice(0, 10).map((g) => `${g.device} seq ${g.missing.join(',')} of ${g.seq}`));
  return left.reduce((n, g) => n + g.missing.length, 0);
}
