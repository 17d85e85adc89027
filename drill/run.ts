// One run of the drill: wait until everyone is on the primary, measure
// before, inject the fault, time the failover and the visibility, measure
// after, restore, count. Also the checks every run starts from.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isSpareClientId } from '../link/index.ts';
import type { DrillDatabase } from './database.ts';
import { injectFault, type InjectedFault } from './faults.ts';
import type { DrillResult, DrillRun } from './result.ts';
import type { DrillOptions, DrillProgress } from './runner.ts';
import { SCENARIO_INFO, type PlannedRun } from './scenarios.ts';
import type { Stack } from './stack.ts';
import type { GateStats, GateTraffic } from './gates.ts';
import { LINK_PROFILES } from '../testbed/linkproxy/index.ts';
import { clearWindow, coveredMs, percentile } from './stats.ts';
import type { Traffic } from './traffic.ts';
import { AbortedError, measureFor, waitFor, within } from './wait.ts';

/** Deadlines, ms: every wait of the drill ends. The quick version gives up sooner. */
export const LIMITS = {
  start: 60_000,
  baseline: 30_000,
  recovery: 20_000,
  backlog: 15_000,
  restore: 30_000,
  drain: 15_000,
  /** For MongoDB to hold every gate event of a run once it has a primary again. */
  gatesStored: 30_000,
};
export const QUICK_LIMITS: typeof LIMITS = { ...LIMITS, recovery: 8_000, backlog: 5_000, drain: 8_000 };

/** What a run works with. */
export interface Env {
  o: DrillOptions;
  stack: Stack;
  traffic: Traffic;
  gates: GateTraffic;
  db: DrillDatabase;
  now: () => number;
  progress: DrillProgress;
  signal?: AbortSignal;
  incidents: DrillResult['incidents'];
  limits: typeof LIMITS;
}

/** The most a throughput window moves out of a link stall: the longest stall (300 ms) and its margins, with room to spare. */
const WINDOW_SLACK_MS = 500;

const round = (ms: number | null) => (ms === null ? null : Math.round(ms * 10) / 10);
const rate = (v: number) => Math.round(v * 100) / 100;
export const message = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0] : String(error));

function roundDevices(devices: NonNullable<DrillRun['devices']>): NonNullable<DrillRun['devices']> {
  return Object.fromEntries(Object.entries(devices).map(([id, d]) => [id, { lostMs: round(d.lostMs), readyMs: round(d.readyMs), recoveredMs: round(d.recoveredMs) }]));
}

/** Availability latencies sampled during a database fault (publish to the availability topic), ms. */
function availabilityFigures(samples: readonly number[]): Partial<DrillRun> {
  if (!samples.length) return {};
  const sorted = [...samples].sort((a, b) => a - b);
  const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : round(v));
  return { availabilitySamples: samples.length, availabilityP50Ms: finite(percentile(sorted, 50)), availabilityP99Ms: finite(percentile(sorted, 99)), availabilityMaxMs: finite(sorted[sorted.length - 1]) };
}

function gateFigures(g: GateStats | undefined): Partial<DrillRun> {
  if (!g) return {};
  return { gateSent: g.sent, gateAnswered: g.answered, gateP50Ms: round(g.p50Ms), gateP99Ms: round(g.p99Ms), gateMaxMs: round(g.maxMs) };
}

/**
 * How long the service stopped for its users: for broker faults the failover (devices could
 * not publish); for database faults the longest a visitor's availability update or a gate's
 * answer took during the fault (MongoDB catching up is not an interruption of the service).
 * Null when unknown (a sample or a gate event went unanswered).
 */
function serviceMs(target: 'broker' | 'db' | 'redis', failoverMs: number | null, samples: readonly number[], gate: GateStats | undefined): number | null {
  if (target !== 'db') return failoverMs;
  if (!samples.length || !gate || gate.answered < gate.sent) return null;
  const worst = Math.max(...samples, gate.maxMs ?? 0);
  return Number.isFinite(worst) ? worst : null;
}

/** The marker's first state, seen end to end: ingest and MongoDB work before any fault; and a gate answered: the charging flow runs. */
export async function firstMarker(env: Env): Promise<void> {
  const { traffic, db, gates } = env;
  env.progress.status('checking the path from device to availability topic and MongoDB');
  const at = env.now();
  const marker = traffic.flipMarker();
  const seen = traffic.availabilitySeen(marker.expected, at);
  const deadline = at + LIMITS.start;
  const [shown] = await Promise.all([within(seen.promise, LIMITS.start, null), db.durable(marker.slotId, marker.seq, deadline, env.signal)]);
  seen.cancel();
  if (shown === null) throw new Error(`the marker state never showed on the availability topic within ${LIMITS.start} ms: is ingest running? (see ${env.o.outDir}/logs/ingest.log)`);
  env.progress.status('checking the path from a gate to its display (Node-RED)');
  gates.startDriving();
  await waitFor(() => gates.stats(at, env.now()).answered > 0, { timeoutMs: LIMITS.start, what: `a gate event answered on its display (is Node-RED running? see ${env.o.outDir}/logs/flows.log)`, pollMs: 50, signal: env.signal });
}

/** Every `SAMPLE_EVERY_MS` while `until` is pending: change the marker and time it to the availability topic. */
const SAMPLE_EVERY_MS = 200;
async function sampleAvailability(env: Env, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done && !env.signal?.aborted) {
    const at = env.now();
    const marker = env.traffic.flipMarker();
    const seen = env.traffic.availabilitySeen(marker.expected, at);
    const shownAt = await within(seen.promise, 2000, null);
    seen.cancel();
    latencies.push(shownAt === null ? Number.POSITIVE_INFINITY : shownAt - at);
    if (!done) await measureFor(SAMPLE_EVERY_MS, env.signal);
  }
  return latencies;
}

/**
 * Everyone on the primary, each measuring device holding its spare, MongoDB healthy: where every
 * run starts (a device in service has held its spare since a few seconds after its last return).
 * Parts that crashed are started again first.
 */
async function baseline(env: Env, timeoutMs: number): Promise<void> {
  const { stack, traffic } = env;
  const revived = await stack.revive();
  if (revived.length) env.progress.print(`restarted after a crash: ${revived.join(', ')}`);
  // On the standby, only the failover links' spares (docs/devices.md): every client that serves is on the primary.
  await waitFor(() => stack.primary.running && traffic.allOnPrimary() && traffic.sparesUp() && stack.proxies.standby.stats().clientIds.every(isSpareClientId), {
    timeoutMs,
    what: 'every client back on the primary (drill devices, fleet, ingest), each drill device with its spare',
    on: [[traffic, 'change']],
    pollMs: 50,
    signal: env.signal,
  });
  await env.db.waitHealthy(timeoutMs, env.signal);
}

/** Before a database fault: no member still barred from election by an earlier stepdown (a known end time, no event to wait for). */
async function electable(env: Env): Promise<void> {
  const frozen = env.db.frozenForMs();
  if (frozen > 0) await measureFor(frozen + 100, env.signal);
}

export async function runOne(p: PlannedRun, env: Env): Promise<{ run: DrillRun; fatal?: Error }> {
  const { o, stack, traffic, db } = env;
  const ledger = traffic.ledger;
  const info = SCENARIO_INFO[p.scenario];
  const label = `${p.scenario} ${p.link} #${p.run}`;
  const errors: string[] = [];
  const startedAt = new Date();
  const incidentsBefore = stack.incidents.length;
  // The drill's own event-loop delay bounds how exactly it can time events (it hosts the proxies and the devices).
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  stack.setProfile(p.link);
  env.progress.status(`${label}: waiting for every client on the primary`);
  const runStart = env.now();
  let fatal: Error | undefined;
  let faultAt = runStart;
  let faultDate = startedAt;
  let failoverMs: number | null = null;
  let failoverFirstMs: number | null = null;
  let visibleMs: number | null = null;
  let durableMs: number | null = null;
  let availabilitySamples: number[] = [];
  let gateWindow: [number, number] | undefined;
  let gateProblems: string[] = [];
  let blockedDevices = 0;
  let detectMs: number | null = null;
  let linkReadyMs: number | null = null;
  let devices: DrillRun['devices'];
  let spurious = 0;
  let linkStallMs: number | null = null;
  const windowShiftMs = { before: 0, after: 0 };
  let before = ledger.throughput(runStart, runStart);
  let after = before;
  try {
    await baseline(env, env.limits.baseline);
    if (info.target === 'db') await electable(env);
    const failoversAtStart = traffic.failoverCount;
    env.progress.status(`${label}: measuring before the fault`);
    await measureFor(o.windowMs + WINDOW_SLACK_MS, env.signal);
    spurious = traffic.failoverCount - failoversAtStart;

    const blocked = info.target === 'db' ? new Set<string>() : traffic.onPrimary();
    faultAt = env.now();
    faultDate = new Date();
    // The throughput windows keep their edges out of the wireless profile's stalls (stats.ts clearWindow):
    // before the fault, on the primary's link, ending at most WINDOW_SLACK_MS earlier; after it, below.
    const toDate = (t: number) => faultDate.getTime() + (t - faultAt);
    const fromDate = (ms: number) => faultAt + (ms - faultDate.getTime());
    const margin = LINK_PROFILES[p.link].latencyMs + LINK_PROFILES[p.link].jitterMs;
    const beforeStart = fromDate(clearWindow(stack.proxies.primary.stalls(toDate(faultAt - 3 * o.windowMs), faultDate.getTime() + 1000), toDate(faultAt - o.windowMs), o.windowMs, margin, -1, WINDOW_SLACK_MS));
    before = ledger.throughput(beforeStart, beforeStart + o.windowMs);
    windowShiftMs.before = faultAt - o.windowMs - beforeStart;
    const watch = traffic.watchRecovery(faultAt, blocked);
    // The wireless profile's stalls (testbed/linkproxy) do not depend on the traffic: those that fall in the failover are known.
    // A cut link's stalls change nothing: after a partition only the standby's count.
    const stalled = info.target === 'db' ? [] : p.scenario === 'broker-partition' ? [stack.proxies.standby] : [stack.proxies.primary, stack.proxies.standby];
    const stalls = stalled.flatMap((proxy) => proxy.stalls(faultDate.getTime(), faultDate.getTime() + 60_000));
    env.progress.status(`${label}: ${info.fault}`);
    const fault: InjectedFault = await injectFault(p.scenario, { stack, db });
    const flippedAt = env.now();
    const marker = traffic.flipMarker();
    const recoveryLimit = env.limits.recovery + (info.target === 'db' ? o.electionDelayMs[1] : 0);
    const visibleLimit = recoveryLimit + env.limits.backlog;
    const seen = traffic.availabilitySeen(marker.expected, faultAt);
    const shown = within(seen.promise, visibleLimit, null);
    const durable = db.durable(marker.slotId, marker.seq, faultAt + visibleLimit, env.signal).catch((error: unknown) => {
      errors.push(`not durable: ${message(error)}`);
      return null;
    });

    let recoveredAt: number | null = null;
    if (info.target === 'db') {
      const written = db.writeAcknowledged(faultAt + recoveryLimit, env.signal).catch((error: unknown) => {
        errors.push(`no write acknowledged: ${message(error)}`);
        return null;
      });
      // While MongoDB has no primary, visitors must still see each change at once: time many.
      const [acknowledged, first, samples] = await Promise.all([written, shown, shown.then(() => sampleAvailability(env, written))]);
      recoveredAt = acknowledged;
      availabilitySamples = [first === null ? Number.POSITIVE_INFINITY : first - flippedAt, ...samples];
      failoverMs = recoveredAt === null ? null : recoveredAt - faultAt;
      failoverFirstMs = failoverMs;
    } else {
      await waitFor(() => watch.complete, { timeoutMs: recoveryLimit, what: 'every device on the standby with its blocked publishes acknowledged', on: [[traffic, 'change']], throttleMs: 5, signal: env.signal }).catch((error: unknown) => {
        if (error instanceof AbortedError) throw error;
        errors.push(`devices did not all recover: ${message(error)}`);
      });
      const result = watch.result();
      failoverMs = result.failoverMs;
      failoverFirstMs = result.firstMs;
      blockedDevices = result.blocked;
      detectMs = result.detectMs;
      devices = result.perDevice;
      linkReadyMs = result.linkReadyMs;
      recoveredAt = failoverMs === null ? null : faultAt + failoverMs;
      if (failoverMs !== null) linkStallMs = coveredMs(stalls, faultDate.getTime(), faultDate.getTime() + failoverMs);
      if (blocked.size === 0) errors.push('no device was on the primary at the fault');
      else if (result.blocked === 0 && info.class === 'planned' && watch.complete) {
        // Every device moved while the primary still served it: no publish waited for the switch.
        failoverMs = 0;
        failoverFirstMs = 0;
        // The window after starts once every device is on the standby.
        recoveredAt = faultAt + (result.linkReadyMs ?? 0);
      } else if (result.blocked === 0) errors.push('no publish was blocked: the outage was shorter than the gap between publishes');
    }

    env.progress.status(`${label}: measuring after the failover`);
    const recoveryPoint = recoveredAt ?? env.now();
    const backlogDone = await waitFor(() => ledger.deliveredBy(runStart, recoveryPoint), {
      timeoutMs: env.limits.backlog,
      what: 'the messages sent during the outage delivered',
      subscribe: [(l) => ledger.onChange(l)],
      throttleMs: 20,
      signal: env.signal,
    }).catch((error: unknown) => {
      if (error instanceof AbortedError) throw error;
      return env.now();
    });
    // After the fault, on the link the devices are on now (the standby's, but for database faults).
    const carrier = info.target === 'db' ? stack.proxies.primary : stack.proxies.standby;
    const earliest = Math.max(recoveryPoint, backlogDone);
    const afterStart = fromDate(clearWindow(carrier.stalls(toDate(earliest - 1000), toDate(earliest + 2 * o.windowMs)), toDate(earliest), o.windowMs, margin, 1, WINDOW_SLACK_MS));
    windowShiftMs.after = afterStart - earliest;
    await measureFor(Math.max(0, afterStart + o.windowMs - env.now()), env.signal);
    after = ledger.throughput(afterStart, afterStart + o.windowMs);

    const [shownAt, durableAt] = await Promise.all([shown, durable]);
    seen.cancel();
    if (shownAt === null) errors.push(`the changed state did not show on the availability topic within ${visibleLimit} ms`);
    visibleMs = shownAt === null ? null : shownAt - faultAt;
    durableMs = durableAt === null ? null : durableAt - faultAt;
    gateWindow = [faultAt, afterStart + o.windowMs];

    env.progress.status(`${label}: restoring`);
    try {
      await fault.restore(env.limits.restore, env.signal);
      await baseline(env, env.limits.baseline);
    } catch (error) {
      fatal = error as Error;
      errors.push(`restoring failed: ${message(error)}`);
    }
    env.progress.status(`${label}: checking the gate events in MongoDB`);
    gateProblems = await env.gates.verify(db.db, runStart, env.now(), env.limits.gatesStored, env.signal);
    if (gateProblems.length) errors.push(`gate events: ${gateProblems.slice(0, 3).join('; ')}${gateProblems.length > 3 ? ` and ${gateProblems.length - 3} more` : ''}`);
  } catch (error) {
    fatal = error as Error;
    errors.push(message(error));
  }

  const runEnd = env.now();
  if (!fatal || !(fatal instanceof AbortedError)) {
    env.progress.status(`${label}: counting`);
    await waitFor(() => ledger.undelivered(runStart, runEnd) === 0, { timeoutMs: env.limits.drain, what: 'the run\'s messages delivered', subscribe: [(l) => ledger.onChange(l)], throttleMs: 50, signal: env.signal }).catch(() => undefined);
  }
  loop.disable();
  const counts = ledger.counts(runStart, runEnd);
  const gate = gateWindow ? env.gates.stats(gateWindow[0], gateWindow[1]) : undefined;
  for (const incident of stack.incidents.slice(incidentsBefore)) {
    env.incidents.push({ ...incident, run: `${p.scenario}/${p.link}#${p.run}` });
    errors.push(`${incident.part} exited unexpectedly (${incident.code ?? incident.signal}): ${incident.message}`);
  }
  const run: DrillRun = {
    scenario: p.scenario,
    link: p.link,
    failoverMs: round(failoverMs),
    visibleMs: round(visibleMs),
    sent: counts.sent,
    delivered: counts.delivered,
    lost: counts.lost,
    duplicated: counts.duplicated,
    throughputBefore: rate(before.messagesPerSec),
    throughputAfter: rate(after.messagesPerSec),
    bytesPerSecBefore: rate(before.bytesPerSec),
    bytesPerSecAfter: rate(after.bytesPerSec),
    run: p.run,
    acked: counts.acked,
    failoverFirstMs: round(failoverFirstMs),
    blockedDevices,
    detectMs: round(detectMs),
    linkReadyMs: round(linkReadyMs),
    durableMs: round(durableMs),
    ...availabilityFigures(availabilitySamples),
    ...gateFigures(gate),
    ...(gateProblems.length ? { gateProblems } : {}),
    serviceMs: round(serviceMs(info.target, failoverMs, availabilitySamples, gate)),
    ...(devices ? { devices: roundDevices(devices) } : {}),
    ...(counts.lost
      ? {
          lostMessages: ledger.missing(runStart, runEnd, 20).map((m) => ({
            device: m.device,
            seq: m.seq,
            sentMs: round(m.sentAt - faultAt)!,
            ...(m.ackedAt !== undefined ? { ackedMs: round(m.ackedAt - faultAt)!, ackedBy: m.ackVia } : {}),
          })),
        }
      : {}),
    spuriousFailovers: spurious,
    ...(linkStallMs ? { linkStallMs: Math.round(linkStallMs * 10) / 10 } : {}),
    ...(windowShiftMs.before || windowShiftMs.after ? { windowShiftMs: { before: round(windowShiftMs.before)!, after: round(windowShiftMs.after)! } } : {}),
    loopDelayP99Ms: round(loop.count ? loop.percentile(99) / 1e6 : null),
    loopDelayMaxMs: round(loop.count ? loop.max / 1e6 : null),
    windowMs: o.windowMs,
    startedAt: startedAt.toISOString(),
    faultAt: faultDate.toISOString(),
    durationMs: Math.round(runEnd - runStart),
    ...(errors.length ? { error: errors.join('; ') } : {}),
  };
  return { run, fatal };
}
