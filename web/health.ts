// The /healthz report: its shape and the overall status derived from it. Pure.

export type OverallStatus = 'ok' | 'degraded' | 'down';

export interface BrokerReport {
  /** The broker's id (`$SYS/<id>/heartbeat`), when known. */
  id: string | null;
  role: 'primary' | 'standby';
  /** What clients connect to (credentials masked). */
  url: string;
  /** Serving, or answering a probe with a heartbeat. */
  reachable: boolean;
  /** Connected clients; null when not known (a broker in another process is only probed). */
  clients: number | null;
  /** Retained messages under the topic root; null when not known. */
  retained: number | null;
  /** A standby's bridge to the primary; null for a primary or when not known. */
  bridge: { connected: boolean; since: string | null; queued: number; dropped: number } | null;
  /** Publishes refused since start, by cause; null when not known. */
  refused: Record<string, number> | null;
  /** Why it is not reachable. */
  error?: string;
}

export interface IngestReport {
  /** Durability lag: age of the oldest accepted slot update not yet durable in MongoDB (state or history), ms; 0 when all are. */
  lagMs: number;
  /** Updates waiting to be written. */
  bufferDepth: number;
  /** Failed bulk writes since start (each retried). */
  writeErrors: number;
  /** Devices whose Last Will said `offline`. */
  offlineDevices: number;
  lastWriteAt: string | null;
}

export interface HealthReport {
  status: OverallStatus;
  /** Why the status is not `ok`, one sentence each. */
  problems: string[];
  checkedAt: string;
  brokers: BrokerReport[];
  /** The MongoDB replica set: `primary` is `host:port`, null while there is none. Null when this process does not use MongoDB. */
  mongo: { primary: string | null } | null;
  /** Null when ingest does not run in this process. */
  ingest: IngestReport | null;
}

export type HealthFacts = Omit<HealthReport, 'status' | 'problems'>;

export interface HealthThresholds {
  /** Ingest lag above this is `degraded` (default 10 000 ms). */
  maxLagMs?: number;
  /** Updates waiting above this are `degraded` (default 10 000). */
  maxBufferDepth?: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The overall status and its reasons:
 * - `down` when no broker is reachable (sensors, gates and signage have nowhere to go) or none is configured;
 * - `degraded` when a broker is unreachable, a standby's bridge is down while both brokers are up,
 *   MongoDB has no primary (ingest holds writes back, availability stands still),
 *   or ingest lags or holds too much;
 * - `ok` otherwise.
 * Offline devices and past write errors are reported, not judged: they are the field's state, not the platform's.
 */
export function deriveStatus(facts: HealthFacts, thresholds: HealthThresholds = {}): { status: OverallStatus; problems: string[] } {
  const maxLagMs = thresholds.maxLagMs ?? 10_000;
  const maxBufferDepth = thresholds.maxBufferDepth ?? 10_000;
  const down: string[] = [];
  const degraded: string[] = [];
  const reachable = facts.brokers.filter((b) => b.reachable);
  if (facts.brokers.length === 0) down.push('no MQTT broker is configured');
  else if (reachable.length === 0) down.push('no MQTT broker is reachable');
  for (const b of facts.brokers) {
    if (!b.reachable) degraded.push(`${b.role} broker ${b.url} is unreachable${b.error ? `: ${b.error}` : ''}`);
  }
  const primaryUp = facts.brokers.some((b) => b.role === 'primary' && b.reachable);
  for (const b of facts.brokers) {
    if (b.reachable && b.role === 'standby' && b.bridge && !b.bridge.connected && primaryUp) degraded.push(`standby broker ${b.url} has no bridge to the primary`);
  }
  if (facts.mongo && facts.mongo.primary === null) degraded.push('MongoDB has no primary: ingest holds writes back');
  if (facts.ingest) {
    if (facts.ingest.lagMs > maxLagMs) degraded.push(`ingest lag ${seconds(facts.ingest.lagMs)} is over ${seconds(maxLagMs)}`);
    if (facts.ingest.bufferDepth > maxBufferDepth) degraded.push(`ingest holds ${facts.ingest.bufferDepth} updates, over ${maxBufferDepth}`);
  }
  if (down.length) return { status: 'down', problems: [...down, ...degraded] };
  return { status: degraded.length ? 'degraded' : 'ok', problems: degraded };
}

/** The facts with their overall status. */
export function withStatus(facts: HealthFacts, thresholds?: HealthThresholds): HealthReport {
  const { status, problems } = deriveStatus(facts, thresholds);
  return { status, problems, ...facts };
}

/** HTTP status of /healthz: 200 when ok or degraded, 503 when down. */
export const httpStatusOf = (status: OverallStatus): number => (status === 'down' ? 503 : 200);
