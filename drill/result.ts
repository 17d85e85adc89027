// The shape of DIR/drill.json (the contract's fields first, extras after).
import type { FailureRates } from './availability.ts';
import type { DeviceRecovery } from './ledger.ts';
import type { FaultClass, LinkName, ScenarioName } from './scenarios.ts';
import type { Stats } from './stats.ts';

export interface DrillRun {
  scenario: ScenarioName;
  link: LinkName;
  /** From the fault until the devices publish again (database faults: until a write is acknowledged again), ms; null when that did not happen before the deadline. */
  failoverMs: number | null;
  /** From the fault until the state changed at the fault is on the availability topic (what visitors see), ms; null past the deadline. */
  visibleMs: number | null;
  /** Messages the measuring devices sent during the run. */
  sent: number;
  /** Of those, seen by a subscriber on either broker (once per device and seq). */
  delivered: number;
  lost: number;
  /** Extra receipts of the same message by the same subscriber. */
  duplicated: number;
  /** Delivered messages per second in the window before the fault. */
  throughputBefore: number;
  /** Delivered messages per second in the window after the failover (once the backlog was delivered). */
  throughputAfter: number;
  bytesPerSecBefore: number;
  bytesPerSecAfter: number;
  /** 1-based run number within its scenario and link. */
  run: number;
  acked: number;
  /** When the first blocked device published again, ms after the fault. */
  failoverFirstMs: number | null;
  /** Devices with a publish blocked by the fault (not acknowledged by the primary, sent before the link was up on the standby). */
  blockedDevices: number;
  /** When the last device's link declared the primary gone, ms after the fault (broker and Redis faults). */
  detectMs: number | null;
  /** When the last device's link was up on the standby, ms after the fault. */
  linkReadyMs: number | null;
  /** From the fault until that state is durable in MongoDB, ms; null past the deadline. */
  durableMs?: number | null;
  /** Database faults: marker changes timed from publish to the availability topic while MongoDB recovered (one every 200 ms). */
  availabilitySamples?: number;
  availabilityP50Ms?: number | null;
  availabilityP99Ms?: number | null;
  availabilityMaxMs?: number | null;
  /** The drill gate's events sent from the fault to the end of the window after it, and answered on the display. */
  gateSent?: number;
  gateAnswered?: number;
  /** From a gate event's publish to its display at the gate, ms. */
  gateP50Ms?: number | null;
  gateP99Ms?: number | null;
  gateMaxMs?: number | null;
  /** What MongoDB holds of the run's gate events, when not all is well (unapplied events, cars charged twice or not as shown). */
  gateProblems?: string[];
  /** How long the service stopped for its users, ms: the failover for broker faults; for database faults the longest availability update or gate answer during the fault. */
  serviceMs?: number | null;
  /** Per measuring device that was on the primary: when its link noticed, was up on the standby, and its blocked publish was acknowledged, ms after the fault. */
  devices?: Record<string, DeviceRecovery>;
  /** Broker switches of the measuring devices that no fault caused (before the fault, in this run). */
  spuriousFailovers: number;
  /** Broker faults: how much of the failover fell in a stall of the link profile (either proxy; after a partition, the standby's), ms; absent when none did. */
  linkStallMs?: number;
  /** How far the throughput windows were moved to keep their edges out of link stalls (earlier before the fault, later after it). */
  windowShiftMs?: { before: number; after: number };
  /** The first lost messages (up to 20): when each was sent and acknowledged, ms after the fault, and by which broker. */
  lostMessages?: Array<{ device: string; seq: number; sentMs: number; ackedMs?: number; ackedBy?: 'primary' | 'standby' }>;
  /** 99th percentile of the drill process's event-loop delay during the run, ms: how late the drill may have noticed an event. */
  loopDelayP99Ms: number | null;
  /** Longest event-loop delay of the drill process during the run, ms. */
  loopDelayMaxMs: number | null;
  /** Length of each throughput window, ms. */
  windowMs: number;
  startedAt: string;
  faultAt: string;
  durationMs: number;
  /** Set when something in the run went wrong (a deadline passed, a restart failed). */
  error?: string;
}

export interface SummaryRow {
  scenario: ScenarioName;
  link: LinkName;
  class: FaultClass;
  runs: number;
  failoverMs: Stats;
  /** When the last device's link was up on the standby (broker faults). */
  linkReadyMs: Stats;
  visibleMs: Stats;
  /** Until the fault's state was durable in MongoDB. */
  durableMs: Stats;
  /** How long the service stopped for its users (DrillRun.serviceMs). */
  serviceMs: Stats;
  /** Worst of the runs' p99 (and the largest value): availability updates during database faults, gate answers from the fault to the end of the window after it. Null when not measured. */
  availabilityP99Ms: number | null;
  availabilityMaxMs: number | null;
  gateP99Ms: number | null;
  gateMaxMs: number | null;
  /** Gate events sent in the fault windows, and of those not answered. */
  gateSent: number;
  gateUnanswered: number;
  /** Runs whose failover or visibility did not happen before the deadline. */
  unrecovered: number;
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  /** Means over the runs, messages/s. */
  throughputBefore: number;
  throughputAfter: number;
  /** Worst relative change of the delivered rate, after vs before, over the runs. */
  worstThroughputChange: number | null;
}

export interface AvailabilityRow {
  label: string;
  class: FaultClass;
  failuresPerYear: number;
  /** The interruption used: the median of the runs' serviceMs (the failover for broker faults), ms. */
  failoverMs: number;
  downtimeSecondsPerYear: number;
  availability: number;
  /** Infinity (null in JSON) when no downtime was measured. */
  nines: number;
}

export interface TargetResult {
  target: string;
  scenario?: ScenarioName;
  link?: LinkName;
  limit: string;
  measured: string;
  /** null: nothing measured (scenario not run). */
  pass: boolean | null;
}

export interface DrillOptionsRecord {
  runs: number;
  scenarios: ScenarioName[];
  links: LinkName[];
  quick: boolean;
  failuresPerYear: FailureRates;
  failoverMs: number;
  primaryProbeMs: number;
  devices: number;
  ratePerDevice: number;
  windowMs: number;
  mongo: 'stand-in' | 'uri';
  electionDelayMs?: readonly [number, number];
  redis: boolean;
  fleet: { slots: number; arrivalsPerMinute: number };
}

export interface DrillResult {
  runs: DrillRun[];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  options: DrillOptionsRecord;
  /** Where it ran; load averages (1, 5, 15 min) at the start and the end, since other work on the machine slows every part. */
  machine: { node: string; platform: string; cpus: number; loadAverage?: { start: number[]; end: number[] } };
  units: Record<string, string>;
  summary: SummaryRow[];
  availability: { planned: AvailabilityRow[]; unplanned: AvailabilityRow[]; scenarios: AvailabilityRow[]; prior: AvailabilityRow[] };
  targets: TargetResult[];
  /** Every message of the drill, including those sent between runs. */
  totals: { sent: number; delivered: number; lost: number; duplicated: number };
  skipped: Array<{ scenario: ScenarioName; reason: string }>;
  /** Parts of the platform that exited without being told to (the drill restarted them). */
  incidents: Array<{ part: string; at: string; code: number | null; signal: string | null; message: string; run: string }>;
  /** Set when the drill was stopped (SIGINT, SIGTERM) before its last run: the run under way is left out, the totals include messages still in flight. */
  interrupted?: true;
}

export const UNITS: Record<string, string> = {
  failoverMs: 'ms',
  visibleMs: 'ms',
  durableMs: 'ms',
  serviceMs: 'ms',
  availabilityP50Ms: 'ms',
  availabilityP99Ms: 'ms',
  availabilityMaxMs: 'ms',
  gateP50Ms: 'ms',
  gateP99Ms: 'ms',
  gateMaxMs: 'ms',
  throughputBefore: 'messages/s delivered',
  throughputAfter: 'messages/s delivered',
  bytesPerSecBefore: 'bytes/s (topic + payload) delivered',
  bytesPerSecAfter: 'bytes/s (topic + payload) delivered',
  downtimeSecondsPerYear: 's/year',
};
