// Runs the drill: starts the platform, drives traffic, injects each fault N
// times, measures, restores, and returns the result.
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { assembleResult } from './assemble.ts';
import type { FailureRates } from './availability.ts';
import { DrillDatabase, type DbFault } from './database.ts';
import type { DrillResult, DrillRun } from './result.ts';
import { LIMITS, QUICK_LIMITS, firstMarker, message, runOne, type Env } from './run.ts';
import { SCENARIO_INFO, planRuns, type LinkName, type ScenarioName } from './scenarios.ts';
import { startStack } from './stack.ts';
import { GateTraffic } from './gates.ts';
import { Traffic } from './traffic.ts';
import { AbortedError, measureFor, waitFor } from './wait.ts';

export interface DrillOptions {
  runs: number;
  scenarios: readonly ScenarioName[];
  links: readonly LinkName[];
  quick: boolean;
  failuresPerYear: FailureRates;
  /** The links' silence threshold (devices, fleet, ingest), ms. */
  failoverMs: number;
  /** How often a client on the standby checks the primary, ms. */
  primaryProbeMs: number;
  devices: number;
  ratePerDevice: number;
  /** Length of the throughput windows before and after, ms. */
  windowMs: number;
  mongodbUri?: string;
  electionDelayMs: readonly [number, number];
  dbName: string;
  redis: boolean;
  fleet: { slots: number; arrivalsPerMinute: number };
  /** Where the parts' logs go (`<outDir>/logs`). */
  outDir: string;
  /** Log level of the platform's parts in those logs (default info; debug shows every refused publish). */
  partsLogLevel?: string;
  progress?: DrillProgress;
  signal?: AbortSignal;
}

export interface DrillProgress {
  setTotal(total: number): void;
  status(text: string): void;
  step(line: string): void;
  print(line: string): void;
}

/** Gate events a second the drill's gate sends (a car enters, then leaves, every half second). */
const GATE_RATE = 4;

const quiet: DrillProgress = { setTotal: () => undefined, status: () => undefined, step: () => undefined, print: () => undefined };
const now = () => performance.now();

export async function runDrill(o: DrillOptions): Promise<DrillResult> {
  const progress = o.progress ?? quiet;
  const startedAt = new Date();
  const loadAtStart = loadavg().map((v) => Math.round(v * 100) / 100);
  if (o.scenarios.includes('redis-loss') && !o.redis) throw new Error('the redis-loss scenario needs the brokers on Redis (--redis)');
  const logDir = join(o.outDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const stack = await startStack({
    mongodbUri: o.mongodbUri,
    electionDelayMs: o.electionDelayMs,
    dbName: o.dbName,
    redis: o.redis,
    failoverMs: o.failoverMs,
    primaryProbeMs: o.primaryProbeMs,
    fleet: o.fleet,
    logDir,
    dataDir: join(o.outDir, 'data'),
    partsLogLevel: o.partsLogLevel,
    onStatus: (text) => progress.status(text),
  });
  let db: DrillDatabase | undefined;
  let traffic: Traffic | undefined;
  let gates: GateTraffic | undefined;
  try {
    db = await DrillDatabase.connect(stack.mongodbUri, o.dbName, stack.mongoKind, now);
    const skipped: DrillResult['skipped'] = [];
    const scenarios = o.scenarios.filter((scenario) => {
      const info = SCENARIO_INFO[scenario];
      const reason = info.target === 'db' ? db!.supports(dbFault(scenario)) : undefined;
      if (reason) skipped.push({ scenario, reason });
      return !reason;
    });
    const plan = planRuns(scenarios, o.links, o.runs);
    progress.setTotal(plan.length);

    progress.status('starting the measuring devices and observers');
    traffic = new Traffic({ servers: stack.fieldUrls, brokers: stack.brokerUrls, devices: o.devices, ratePerDevice: o.ratePerDevice, failoverMs: o.failoverMs, primaryProbeMs: o.primaryProbeMs, now });
    await traffic.start(LIMITS.start);
    gates = new GateTraffic({ servers: stack.fieldUrls, rate: GATE_RATE, failoverMs: o.failoverMs, primaryProbeMs: o.primaryProbeMs, now });
    await gates.start(LIMITS.start);
    const env: Env = { o, stack, traffic, gates, db, now, progress, signal: o.signal, incidents: [], limits: o.quick ? QUICK_LIMITS : LIMITS };
    await firstMarker(env);
    traffic.startPublishing();
    gates.startDriving();
    progress.status('warming up');
    await measureFor(o.windowMs, o.signal);

    const runs: DrillRun[] = [];
    let interrupted = false;
    for (let i = 0; i < plan.length; i += 1) {
      const planned = plan[i];
      const { run, fatal } = await runOne(planned, env);
      if (fatal instanceof AbortedError || o.signal?.aborted) {
        // Cut short: its numbers mean nothing, and what follows is not run.
        interrupted = true;
        break;
      }
      runs.push(run);
      progress.step(runLine(run));
      if (fatal) {
        for (const rest of plan.slice(i + 1)) skipped.push({ scenario: rest.scenario, reason: `${rest.link} #${rest.run} not run: the drill stopped (${message(fatal)})` });
        break;
      }
    }

    progress.status('draining');
    traffic.stopPublishing();
    gates.stopDriving();
    const ledger = traffic.ledger;
    await waitFor(() => ledger.undelivered() === 0, { timeoutMs: env.limits.drain, what: 'every message delivered', subscribe: [(l) => ledger.onChange(l)], throttleMs: 50, signal: o.signal }).catch(() => undefined);
    const totals = ledger.counts();
    for (const incident of stack.incidents.slice(env.incidents.length)) env.incidents.push({ ...incident, run: 'between runs' });
    const finishedAt = new Date();
    return assembleResult({
      interrupted,
      incidents: env.incidents,
      runs,
      startedAt,
      finishedAt,
      skipped,
      totals: { sent: totals.sent, delivered: totals.delivered, lost: totals.lost, duplicated: totals.duplicated },
      machine: { node: process.versions.node, platform: `${process.platform}-${process.arch}`, cpus: cpus().length, loadAverage: { start: loadAtStart, end: loadavg().map((v) => Math.round(v * 100) / 100) } },
      options: {
        runs: o.runs,
        scenarios: [...o.scenarios],
        links: [...o.links],
        quick: o.quick,
        failuresPerYear: o.failuresPerYear,
        failoverMs: o.failoverMs,
        primaryProbeMs: o.primaryProbeMs,
        devices: o.devices,
        ratePerDevice: o.ratePerDevice,
        windowMs: o.windowMs,
        mongo: stack.mongoKind,
        ...(stack.mongoKind === 'stand-in' ? { electionDelayMs: o.electionDelayMs } : {}),
        redis: o.redis,
        fleet: o.fleet,
      },
    });
  } finally {
    progress.status('stopping the platform');
    await traffic?.close();
    await gates?.close();
    await db?.close();
    await stack.close();
  }
}
function dbFault(scenario: ScenarioName): DbFault {
  return scenario === 'db-stepdown' ? 'stepdown' : scenario === 'db-kill' ? 'kill' : 'election';
}
function runLine(r: DrillRun): string {
  const ms = (v: number | null) => (v === null ? 'none' : `${Math.round(v)} ms`);
  const db = r.availabilitySamples ? `, durable ${ms(r.durableMs ?? null)}, availability p99 ${ms(r.availabilityP99Ms ?? null)}, gate p99 ${ms(r.gateP99Ms ?? null)}` : '';
  return `${r.scenario} ${r.link} #${r.run}: failover ${ms(r.failoverMs)}, visible ${ms(r.visibleMs)}${db}, ${r.lost} lost of ${r.sent}, ${r.duplicated} dup., ${r.throughputBefore.toFixed(1)} -> ${r.throughputAfter.toFixed(1)} msg/s${r.error ? ` (${r.error})` : ''}`;
}
