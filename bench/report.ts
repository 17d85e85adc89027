// What `parking bench` writes to DIR/bench.json, and a structural check of it.
import type { FleetDrillResult, FleetTarget, ScenarioSummary } from '../drill/fleet/index.ts';
import type { ProcessUsage } from './procstat.ts';
import type { LatencySummary } from './stats.ts';
import type { BacktestResult } from '../history/backtest.ts';

export const SECTIONS = ['latency', 'throughput', 'scale', 'peers', 'failover', 'forecast', 'history'] as const;
export type Section = (typeof SECTIONS)[number];

export interface Machine {
  nproc: number;
  cpuModel: string;
  memTotalBytes: number;
  node: string;
  platform: string;
  /** Open-files limit of the benchmark process (soft/hard; null = unlimited). */
  openFiles: { soft: number | null; hard: number | null };
  /** 1, 5 and 15 minute load averages when the run started (other work on the machine shows here). */
  loadAvg: number[];
}

/** One steady-rate run through the pipeline, measured with probes. */
export interface PipelineRun {
  rate: number;
  durationMs: number;
  sent: number;
  achievedRate: number;
  /** `durable` is null where it is not measured (the acknowledge-only sink). */
  probes: { sent: number; visible: number; durable: number | null };
  /** Sensor publish -> availability summary seen by a signage subscriber. */
  availability: LatencySummary;
  /** Sensor publish -> the `slots` document, seen on a change stream. */
  durable: LatencySummary;
  /** Sensor publish -> the write that applied it, from the document's own `updatedAt` ($$NOW, server clock, millisecond resolution); read once after the run. */
  applied?: LatencySummary;
  /** CPU and memory of each process while the load ran (bench = the load generator and probes). */
  processes: Record<string, ProcessUsage>;
  /** CPU of everything else on the machine during the run (other users' processes), percent of one core. */
  othersCpuPct: number;
  /** Times ingest's MQTT link was declared lost during the run. */
  linkLosses: number;
  /** Publishes the brokers had not acknowledged at the end of the run. */
  unacked: number;
}

export interface ThroughputStep extends PipelineRun {
  pass: boolean;
  reason: string;
}

export interface Bottleneck {
  /** The process nearest to a full core at the first failing step (or at the highest step). */
  process: string | null;
  cpuPct: number | null;
  machineCpuPct: number;
  note: string;
}

export interface ThroughputSearch {
  steps: ThroughputStep[];
  maxSustainedRate: number | null;
  bottleneck: Bottleneck;
}

export interface ThroughputSection {
  criterion: string;
  steps: ThroughputStep[];
  maxSustainedRate: number | null;
  /** The same search with MongoDB replaced by an acknowledge-only sink: the brokers' and ingest's own limit (availability latency only). */
  withoutMongo?: ThroughputSearch;
  /** CPU milliseconds each process spends per 1,000 updates (at the highest passing step). */
  cpuMsPer1000: Record<string, number>;
  /** Rates one core per process would allow (1,000 ms / its CPU per update), and the pipeline without the MongoDB side. */
  estimates: { perProcess: Record<string, number>; withoutMongoRate: number | null; note: string };
  bottleneck: Bottleneck;
}

export interface LatencySection {
  method: string;
  runs: PipelineRun[];
}

export interface ScaleStep {
  devices: number;
  connectMs: number;
  connectPerSec: number;
  /** Broker RSS holding the devices (retained slot states, statuses, wills; no heartbeat subscriptions). */
  rssBytes: number;
  rssPerDeviceBytes: number;
  /** Broker CPU holding them, percent of one core. */
  cpuPct: number;
  /** Time for every device to subscribe to `$SYS/+/heartbeat` (as `parking device` does). */
  subscribeMs: number;
  /** Broker CPU with every device subscribed to the heartbeats. */
  heartbeatCpuPct: number;
  /** Heartbeat messages per second the devices received, and what the broker should send (devices × 10/s). */
  heartbeatsPerSec: number;
  heartbeatsExpectedPerSec: number;
  /** Highest broker RSS with the heartbeat subscriptions. */
  heartbeatRssBytes: number;
  lost: number;
}

export interface ScaleSection {
  brokerOpenFiles: { soft: number | null; hard: number | null };
  fleetOpenFiles: { soft: number | null; hard: number | null };
  baselineRssBytes: number;
  holdMs: number;
  steps: ScaleStep[];
}

export type PeerTarget = 'platform' | 'aedes' | 'mosquitto' | 'bridge-direct' | 'bridge-standby';

export interface PeerRun {
  target: PeerTarget;
  rate: number;
  sent: number;
  received: number;
  latency: LatencySummary;
  /** CPU of the broker(s) the messages went through, percent of one core (both brokers for the bridge). */
  brokerCpuPct: number;
  /** Broker CPU milliseconds per 1,000 messages. */
  cpuMsPer1000: number;
  brokerRssBytes: number;
  /** CPU of other processes on the machine during the run, percent of one core. */
  othersCpuPct: number;
}

export interface PeerRatio {
  rate: number;
  /** platform / other; above 1 = the platform costs more. */
  cpuVsAedes: number | null;
  cpuVsMosquitto: number | null;
  p50VsAedes: number | null;
  p50VsMosquitto: number | null;
  p99VsAedes: number | null;
  p99VsMosquitto: number | null;
  /** Subscriber on the standby vs on the primary, same messages. */
  bridgeP50VsDirect: number | null;
  bridgeP99VsDirect: number | null;
}

export interface PeersSection {
  runs: PeerRun[];
  ratios: PeerRatio[];
  skipped: string[];
}

/**
 * Site-scale failover: the fleet drill's result as it returned it (drill/fleet),
 * its medians per fault (`summarizeFleet`) and its targets (`fleetTargets`).
 */
export interface FailoverSection {
  drill: FleetDrillResult;
  scenarios: ScenarioSummary[];
  targets: FleetTarget[];
}

/** What a throughput target leaves each update in CPU, against what this run's parts used. */
export interface CpuBudget {
  /** The target rate, updates/s, and the cores it must run on. */
  rate: number;
  cores: number;
  /** CPU ms per 1,000 updates the target leaves for every process together. */
  budgetMsPer1000: number;
  /** The throughput step the costs come from (the highest that ran) and its costs per process. */
  measuredAt: number;
  costs: Record<string, number>;
  totalMsPer1000: number;
  /** Lowest CPU ms per 1,000 messages of one publish -> subscriber hop through plain Aedes and Mosquitto (peers), if they ran. */
  aedesHopMsPer1000: number | null;
  mosquittoHopMsPer1000: number | null;
}

export interface TargetCheck {
  name: string;
  target: string;
  value: string;
  met: boolean | null;
}

/** The same load before, during and after the historian rolls up `days` of a site's past in the same MongoDB. */
export interface HistorySection {
  rate: number;
  days: number;
  slots: number;
  /** Slot changes of the simulated past. */
  changes: number;
  /** Occupancy buckets the historian had written when the run beside it ended. */
  buckets: number;
  before: PipelineRun;
  during: PipelineRun;
  after: PipelineRun;
}

export interface BenchReport {
  version: 1;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  quick: boolean;
  machine: Machine;
  options: Record<string, unknown>;
  mongo: { kind: 'stand-in' | 'uri' | 'sink'; db: string };
  latency?: LatencySection;
  throughput?: ThroughputSection;
  scale?: ScaleSection;
  peers?: PeersSection;
  failover?: FailoverSection;
  /** The forecasts' backtest on a simulated month (history/backtest.ts). */
  forecast?: BacktestResult;
  /** The live path before, during and after the historian catches up beside it (bench/scenarios/history.ts). */
  history?: HistorySection;
  budget?: CpuBudget;
  targets: TargetCheck[];
  errors: Array<{ section: string; message: string }>;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumOrNull = (v: unknown) => v === null || isNum(v);

function checkSummary(v: unknown, where: string, problems: string[]): void {
  if (!isObject(v)) return void problems.push(`${where}: not an object`);
  if (!isNum(v.count)) problems.push(`${where}.count: not a number`);
  for (const key of ['p50', 'p95', 'p99', 'max', 'mean']) if (!isNumOrNull(v[key])) problems.push(`${where}.${key}: not a number or null`);
}

function checkRun(v: unknown, where: string, problems: string[]): void {
  if (!isObject(v)) return void problems.push(`${where}: not an object`);
  for (const key of ['rate', 'durationMs', 'sent', 'achievedRate']) if (!isNum(v[key])) problems.push(`${where}.${key}: not a number`);
  checkSummary(v.availability, `${where}.availability`, problems);
  checkSummary(v.durable, `${where}.durable`, problems);
  if (!isObject(v.processes)) problems.push(`${where}.processes: not an object`);
}

function checkFailover(v: unknown, problems: string[]): void {
  if (!isObject(v) || !isObject(v.drill)) return void problems.push('failover.drill: not an object');
  const drill = v.drill;
  if (!isNum(drill.devices) || !isNum(drill.published) || !isNum(drill.lost) || !isNum(drill.duplicated)) problems.push('failover.drill: devices, published, lost, duplicated must be numbers');
  if (!isObject(drill.steady) || !isNum(drill.steady.spuriousFailovers)) problems.push('failover.drill.steady.spuriousFailovers: not a number');
  if (!isObject(drill.idle) || !isObject(drill.idle.primary)) problems.push('failover.drill.idle.primary: not an object');
  if (!Array.isArray(drill.runs)) problems.push('failover.drill.runs: not an array');
  else drill.runs.forEach((run, i) => {
    if (!isObject(run) || typeof run.scenario !== 'string' || !isObject(run.ackMs) || !isObject(run.standby)) problems.push(`failover.drill.runs[${i}]: scenario, ackMs and standby required`);
    else for (const key of ['p50', 'p99', 'max']) if (!isNumOrNull(run.ackMs[key])) problems.push(`failover.drill.runs[${i}].ackMs.${key}: not a number or null`);
  });
  if (!Array.isArray(v.scenarios)) problems.push('failover.scenarios: not an array');
  if (!Array.isArray(v.targets)) problems.push('failover.targets: not an array');
}

/** Problems with the shape of a parsed bench.json (empty when it is well formed). */
export function validateReport(value: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(value)) return ['not a JSON object'];
  if (value.version !== 1) problems.push('version: not 1');
  for (const key of ['startedAt', 'finishedAt']) if (typeof value[key] !== 'string' || Number.isNaN(Date.parse(value[key] as string))) problems.push(`${key}: not a date`);
  if (!isNum(value.durationMs)) problems.push('durationMs: not a number');
  if (!isObject(value.machine) || !isNum(value.machine.nproc)) problems.push('machine.nproc: not a number');
  if (!Array.isArray(value.targets)) problems.push('targets: not an array');
  if (!Array.isArray(value.errors)) problems.push('errors: not an array');
  if (value.latency !== undefined) {
    const latency = value.latency as Record<string, unknown>;
    if (!Array.isArray(latency.runs)) problems.push('latency.runs: not an array');
    else latency.runs.forEach((run, i) => checkRun(run, `latency.runs[${i}]`, problems));
  }
  if (value.throughput !== undefined) {
    const throughput = value.throughput as Record<string, unknown>;
    if (!Array.isArray(throughput.steps)) problems.push('throughput.steps: not an array');
    else throughput.steps.forEach((step, i) => checkRun(step, `throughput.steps[${i}]`, problems));
    if (!isNumOrNull(throughput.maxSustainedRate)) problems.push('throughput.maxSustainedRate: not a number or null');
  }
  if (value.scale !== undefined) {
    const scale = value.scale as Record<string, unknown>;
    if (!Array.isArray(scale.steps)) problems.push('scale.steps: not an array');
    else scale.steps.forEach((step, i) => {
      if (!isObject(step) || !isNum(step.devices) || !isNum(step.rssBytes) || !isNum(step.cpuPct)) problems.push(`scale.steps[${i}]: devices, rssBytes, cpuPct must be numbers`);
    });
  }
  if (value.peers !== undefined) {
    const peers = value.peers as Record<string, unknown>;
    if (!Array.isArray(peers.runs)) problems.push('peers.runs: not an array');
    else peers.runs.forEach((run, i) => {
      if (!isObject(run) || typeof run.target !== 'string' || !isNum(run.rate)) problems.push(`peers.runs[${i}]: target and rate required`);
      else checkSummary(run.latency, `peers.runs[${i}].latency`, problems);
    });
  }
  if (value.failover !== undefined) checkFailover(value.failover, problems);
  return problems;
}
