// Benchmark settings: the full run's defaults, the --quick smoke run's, and
// the parsing of list flags (`100,1000,5k`).
import type { FleetScenario } from '../drill/fleet/index.ts';
import { SECTIONS, type Section } from './report.ts';

export interface BenchOptions {
  out: string;
  quick: boolean;
  only: Section[];
  /** Steady rates of the latency runs, updates/s. */
  rates: number[];
  /** Length of each latency run, throughput step and peer run, ms. */
  durationMs: number;
  /** Rates the throughput search tries, ascending; it stops at the first that fails. */
  steps: number[];
  /** Rates of the peer comparison runs. */
  peerRates: number[];
  /** Connected devices of the scale steps. */
  devices: number[];
  /** How long the scale test holds each device count while measuring, ms. */
  holdMs: number;
  /** Simulated slots the load updates. */
  slots: number;
  /** Sensor-gateway connections carrying the load. */
  publishers: number;
  /** Run the bridged standby in the pipeline, as `parking start` does. */
  standby: boolean;
  /** A real MongoDB instead of the stand-in (MONGODB_URI). */
  mongodbUri?: string;
  /** Database the benchmark's ingest writes (dropped at start on a real server). */
  db: string;
  /** How long to wait for the last probes after a run, ms. */
  drainMs: number;
  /** Device links of the failover scenario (the fleet drill), each its own MQTT connection. */
  failoverDevices: number;
  /** Per-device accounts (device tokens) on both brokers of the failover scenario. */
  failoverAuth: boolean;
  /** Times the failover scenario runs each fault. */
  failoverRuns: number;
  /** The broker faults of the failover scenario. */
  failoverScenarios: FleetScenario[];
  /** The failover scenario's steady window (every failover in it is spurious), ms. */
  failoverSteadyMs: number;
  /** Its window without publishes (what liveness alone costs the brokers), ms. */
  failoverIdleMs: number;
  /** From the pause until the idle window opens (default: the devices' keep-alives running). */
  failoverIdleWarmupMs?: number;
  /** The devices return to the primary spread over this window, ms. */
  failoverFailbackWindowMs: number;
}

export const FULL: Omit<BenchOptions, 'out'> = {
  quick: false,
  only: [...SECTIONS],
  rates: [100, 1000, 5000],
  durationMs: 10_000,
  steps: [100, 250, 500, 1000, 2000, 3000, 5000, 7500, 10_000, 15_000, 20_000, 25_000, 30_000, 40_000],
  peerRates: [1000, 5000],
  devices: [1000, 10_000],
  holdMs: 5000,
  slots: 10_000,
  publishers: 8,
  standby: true,
  db: 'parking_bench',
  drainMs: 10_000,
  failoverDevices: 2000,
  failoverAuth: true,
  failoverRuns: 1,
  failoverScenarios: ['broker-crash', 'broker-partition'],
  failoverSteadyMs: 60_000,
  failoverIdleMs: 15_000,
  failoverFailbackWindowMs: 10_000,
};

export const QUICK: Omit<BenchOptions, 'out'> = {
  ...FULL,
  quick: true,
  rates: [200],
  durationMs: 1000,
  steps: [250, 1000],
  peerRates: [500],
  devices: [100],
  holdMs: 1000,
  slots: 400,
  publishers: 2,
  drainMs: 5000,
  failoverDevices: 200,
  failoverScenarios: ['broker-crash'],
  failoverSteadyMs: 5000,
  failoverIdleMs: 2000,
  failoverIdleWarmupMs: 1000,
  failoverFailbackWindowMs: 2000,
};

/** A positive count with an optional k suffix: `5000`, `5k`, `1.5k`, `20,000` is not one (lists are comma-separated). */
export function parseCount(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(k?)$/i.exec(raw.trim());
  if (!match) throw new RangeError(`not a count: ${JSON.stringify(raw)} (use digits, optionally with k: 5000, 5k)`);
  const value = Math.round(Number(match[1]) * (match[2] ? 1000 : 1));
  if (value < 1) throw new RangeError(`must be at least 1: ${JSON.stringify(raw)}`);
  return value;
}

/** A comma-separated list of counts, ascending, without repeats. */
export function parseCounts(raw: string): number[] {
  const values = raw.split(',').filter((part) => part.trim() !== '').map(parseCount);
  if (!values.length) throw new RangeError('give at least one value');
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Seconds (`10`, `2.5`, `500ms`) to milliseconds. */
export function parseDuration(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(raw.trim());
  if (!match) throw new RangeError(`not a duration: ${JSON.stringify(raw)} (seconds, or with ms: 10, 2.5, 500ms)`);
  const ms = match[2] === 'ms' ? Number(match[1]) : Number(match[1]) * 1000;
  if (ms < 200 || ms > 600_000) throw new RangeError('must be between 0.2 s and 600 s');
  return Math.round(ms);
}

export function parseSections(raw: string): Section[] {
  const parts = raw.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = parts.filter((p) => !(SECTIONS as readonly string[]).includes(p));
  if (bad.length || !parts.length) throw new RangeError(`unknown section ${bad.join(', ') || '(none)'}: use ${SECTIONS.join(', ')}`);
  return SECTIONS.filter((s) => parts.includes(s));
}

/** `reports/bench-20261122-100000` for a start time. */
export function defaultOut(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `reports/bench-${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
}

/** The options of a run: the mode's defaults, then what was given. */
export function resolveOptions(given: Partial<BenchOptions> & { out: string }): BenchOptions {
  const base = given.quick ? QUICK : FULL;
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<BenchOptions>;
  return { ...base, ...defined, out: given.out };
}

/** Probes per second for a run at `rate`: half the load at low rates, at most 200/s. */
export const probeRateFor = (rate: number): number => Math.max(1, Math.min(200, Math.floor(rate / 2)));
