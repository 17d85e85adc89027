// The link's options, their defaults, and the types its users see. Pure.
import { createHash, randomBytes } from 'node:crypto';
import type { IClientOptions } from 'mqtt';
import type { QoS } from './outbox.ts';
import type { BackoffOptions, Role } from './policy.ts';
import { HEARTBEAT_FILTER } from './probe.ts';

type LogFn = (obj: Record<string, unknown>, msg: string) => void;

/** Anything with pino's `debug/info/warn(obj, msg)`. */
export interface LinkLogger {
  debug?: LogFn;
  info?: LogFn;
  warn?: LogFn;
  /** pino's: the link leaves out the methods of levels not written (linkLog). */
  isLevelEnabled?(level: string): boolean;
}

/**
 * The logger's methods for the levels it writes, the others absent: a call to a disabled level
 * (`log.debug?.({ url: redactUrls(…) }, …)`) then costs nothing, its fields included. A process
 * holding thousands of links logs on every move, and building the fields was 1.5 % of a fleet
 * process's work in a failover storm. The level is read once, when the link is made.
 */
export function linkLog(logger: LinkLogger | undefined): LinkLogger {
  if (!logger) return {};
  if (typeof logger.isLevelEnabled !== 'function') return logger;
  const out: LinkLogger = {};
  for (const level of ['debug', 'info', 'warn'] as const) {
    const write = logger[level];
    if (write && logger.isLevelEnabled(level)) out[level] = write.bind(logger);
  }
  return out;
}

export interface LinkWill {
  topic: string;
  payload: string | Buffer;
  qos?: QoS;
  retain?: boolean;
}

/**
 * How the link notices a dead or silent broker (see docs/devices.md, "Liveness"):
 * - `heartbeat`: it subscribes to the brokers' heartbeats and declares the broker dead after
 *   `failoverMs` without any packet. Every heartbeat costs the broker one message per such
 *   link, so this is for the few that must notice silence at once: ingest, signage, Node-RED.
 * - `ack`: no heartbeats. A publish in flight must be acknowledged within its deadline
 *   (`failoverMs`, or more when the broker answers slowly or just took the link in); an idle
 *   link relies on the MQTT keep-alive. An idle device costs the broker nothing but its
 *   keep-alive. For devices and gates.
 */
export type Liveness = 'heartbeat' | 'ack';

export interface LinkOptions {
  /** Broker URLs, primary first. */
  servers: readonly string[];
  /** MQTT client id, the same on every broker (default: random). */
  clientId?: string;
  /** Last Will, set on every connection. */
  will?: LinkWill;
  /** Clean session (default true). */
  clean?: boolean;
  /** See `Liveness` (default `heartbeat`). */
  liveness?: Liveness;
  /**
   * heartbeat: declare the link dead after this long without any packet. ack: the shortest
   * deadline of a publish in flight. ms; 0 = off (default 300).
   */
  failoverMs?: number;
  /**
   * heartbeat only: declare the link dead after this long without a heartbeat even while other
   * packets arrive, ms (default max(1000, 3 × failoverMs)). A broker whose message bus stalls
   * (its Redis gone) may still acknowledge publishes without passing them on.
   */
  stallMs?: number;
  /**
   * ack only: for this long after a failover or a move onto the spare, a publish in flight gets
   * at least `settleAckMs`: a broker that just took this link in is likely taking in a whole
   * fleet, and then its returns and refreshes (default 30000).
   */
  settleMs?: number;
  /** ack only: the deadline of a publish in flight while a connection made by a failover settles, ms (default 10000). */
  settleAckMs?: number;
  /** ack only: the longest deadline of a publish in flight, whatever the round-trip times, ms (default 10000). */
  maxAckWaitMs?: number;
  /**
   * ack only: for this long, the deadline of a publish in flight is at least the longest
   * acknowledgement the broker gave while it settled after a failover (settleMs), ms
   * (default 60000; 0 = only the smoothed estimate).
   */
  rttMemoryMs?: number;
  /**
   * heartbeat: while on a standby, probe the primary this often, ms; 0 = stay on the standby
   * (default 1000). ack: 0 = stay on the standby; otherwise failbackWindowMs applies.
   */
  probeIntervalMs?: number;
  /** heartbeat only: healthy probes in a row before moving back to the primary (default 2). */
  probeHealthy?: number;
  /** Budget of one probe or failback check (connect + first heartbeat), ms (default max(500, 2 × failoverMs)). */
  probeTimeoutMs?: number;
  /**
   * The return to the primary is spread over this window: each link waits a random time in it
   * before moving back (ack: before each attempt). ms (default: ack 10000, heartbeat 0).
   */
  failbackWindowMs?: number;
  /**
   * A broker announcing a graceful stop: each link waits a random time up to this before
   * connecting to the next one, so a fleet does not arrive at once. ms (default: ack 500, heartbeat 0).
   */
  handoverSpreadMs?: number;
  /**
   * After a connection ended, the first attempt on the next broker waits a random time up to
   * this, so a fleet that lost its broker together arrives spread. ms (default 0: the standby's
   * accept backlog takes a fleet's first attempts at once, and every later round is spread by
   * the backoff's jitter; see docs/devices.md "Liveness").
   */
  reconnectJitterMs?: number;
  /**
   * ack only: while on the primary, keep a spare connection open to the next broker (its own
   * client id, no Last Will, no subscriptions; it costs that broker a connection and a keep-alive,
   * nothing else). When the primary dies, or announces a stop, the link moves onto the spare at
   * once: the publishes in flight go out there without a new connection, so a fleet that loses
   * its primary does not storm the standby with connections, authentications and subscriptions
   * at the moment it matters. Default: true for ack links with two or more servers.
   */
  spare?: boolean;
  /**
   * ack only: the spare opens a random time up to this after the link is on the primary (at
   * start, and after each return), and again after it was lost, so a fleet's spares reach the
   * standby spread. ms (default 10000).
   */
  spareDelayMs?: number;
  /**
   * ack only: a link that moved onto its spare has no Last Will on that broker (a spare carries
   * none: its loss while the primary serves must not say the device is offline). Once settled
   * (`settleMs`), within a random time up to this, it replaces the spare with a connection that
   * carries the will, make before break (unless it went back to the primary first). ms (default 60000).
   */
  willRefreshMs?: number;
  /** Budget of one connection attempt until the TCP (or WebSocket) connection is up, ms (default 2000). */
  connectTimeoutMs?: number;
  /**
   * Budget for the CONNACK once the connection is up: a busy broker may take long to accept a
   * fleet, and dropping it then only adds to its load. ms (default: ack 5000, heartbeat connectTimeoutMs).
   */
  connackTimeoutMs?: number;
  /** MQTT keep-alive sent to the broker, seconds (default: heartbeat 10, ack 60: MQTT.js's own; an idle device costs a broker one PINGREQ a minute, docs/devices.md). */
  keepaliveSec?: number;
  /** Wait between rounds in which every server failed. */
  backoff?: BackoffOptions;
  /** Most publishes waiting for an acknowledgement (default 100000); beyond it publish() rejects. */
  maxQueue?: number;
  /** Where brokers publish their heartbeat (default `$SYS/+/heartbeat`). */
  heartbeatFilter?: string;
  /**
   * Where brokers announce a graceful stop (default `$SYS/+/leaving`, or the heartbeat filter's
   * sibling; '' = do not listen). On the notice the link connects to the next broker and moves
   * there once connected, still publishing on the old one meanwhile (make before break).
   */
  leavingFilter?: string;
  /**
   * Where a standby says whether its bridge to the primary is `synced` or `down` (default
   * `$SYS/+/bridge`, or the heartbeat filter's sibling; '' = do not listen). On a standby that
   * says `down` the link does not return to the primary: a primary just restarted has no
   * subscribers until the bridge is back, and what the link sent there would reach no one.
   */
  bridgeFilter?: string;
  /** Extra MQTT.js options for every connection: username, password, TLS, protocolVersion. */
  mqtt?: IClientOptions;
  logger?: LinkLogger;
  /** Replaceable for tests. */
  random?: () => number;
}

/** Why the link moved: the broker went silent, closed, failed; back to the primary; or the broker announced a graceful stop. */
export type SwitchReason = 'heartbeat' | 'closed' | 'error' | 'failback' | 'planned';

export interface PublishOptions {
  /** Default 1. */
  qos?: QoS;
  retain?: boolean;
}

export interface FailoverRecord {
  from: string;
  to: string;
  reason: SwitchReason;
  /** From the last packet heard on the old link (or the start of a failback or planned move) to the new link being ready. */
  ms: number;
  /** From the last packet heard to the link being declared dead (0 for a failback or planned move). */
  detectMs: number;
  at: number;
}

/** FailoverLink.totals: the running totals (the link's own object: read, never keep or change) and three states. */
export interface LinkTotals {
  counts: Readonly<Pick<LinkStats, 'failovers' | 'failbacks' | 'failedReturns' | 'published' | 'acked'>>;
  queued: number;
  spareUp: boolean;
  lastReturnError: string | undefined;
}

export interface LinkStats {
  state: 'idle' | 'connecting' | 'connected' | 'closed';
  url: string | undefined;
  role: Role | undefined;
  clientId: string;
  liveness: Liveness;
  connects: number;
  failovers: number;
  failbacks: number;
  /** Moves back to the primary that failed (no CONNACK or heartbeat in time, refused, lost) and why the latest did. */
  failedReturns: number;
  lastReturnError: string | undefined;
  lastFailover: FailoverRecord | undefined;
  /** Publishes waiting for an acknowledgement (queued or in flight). */
  queued: number;
  oldestQueuedMs: number;
  published: number;
  acked: number;
  /** Sends beyond the first of a publish (each one a possible duplicate). */
  resent: number;
  /** Publishes acknowledged just before an unplanned switch, sent again to the new broker. */
  replayed: number;
  droppedQos0: number;
  received: number;
  heartbeats: number;
  lastHeartbeatAt: number | undefined;
  probes: { healthy: number; failed: number };
  connectedSince: number | undefined;
  /** ack: the current deadline of a publish in flight, ms. */
  ackDeadlineMs: number | undefined;
  /** ack: the spare connection to the next broker (see LinkOptions.spare). */
  spare: 'none' | 'connecting' | 'up';
}

export interface LinkEvents {
  connected: [url: string, role: Role];
  disconnected: [url: string, reason: string];
  /** A broker refused the link's credentials (CONNACK 4 or 5: `Connection refused: Not authorized`); the link keeps trying. */
  refused: [url: string, reason: string];
  failover: [from: string, to: string, reason: SwitchReason, ms: number];
  message: [topic: string, payload: Buffer, packet: import('mqtt').IPublishPacket];
  closed: [];
}

/** The options with every default filled in. */
export interface LinkConfig {
  servers: readonly string[];
  clientId: string;
  liveness: Liveness;
  failoverMs: number;
  stallMs: number;
  /** How far back acknowledged publishes are sent again after an unplanned switch. */
  replayMs: number;
  settleMs: number;
  settleAckMs: number;
  maxAckWaitMs: number;
  rttMemoryMs: number;
  probeIntervalMs: number;
  probeHealthy: number;
  probeTimeoutMs: number;
  failbackWindowMs: number;
  handoverSpreadMs: number;
  reconnectJitterMs: number;
  connectTimeoutMs: number;
  connackTimeoutMs: number;
  keepaliveSec: number;
  heartbeatFilter: string;
  leavingFilter: string;
  bridgeFilter: string;
  spare: boolean;
  spareDelayMs: number;
  willRefreshMs: number;
  /** The spare connection's client id (see spareClientId). */
  spareClientId: string;
}

/**
 * A spare connection's client id: never one `clientIdFor` makes (it has a '.'), so it takes over
 * no other client, and within the 23 characters every broker accepts.
 */
export function spareClientId(clientId: string): string {
  const base = clientId.length <= 21 ? clientId : createHash('sha256').update(clientId).digest('base64url').replace(/[^A-Za-z0-9]/g, '').slice(0, 21);
  return `${base}.s`;
}

/** A client id `spareClientId` makes: a link's spare, not a client serving anything. */
export function isSpareClientId(clientId: string): boolean {
  return clientId.endsWith('.s');
}

/** At least this far back acknowledged publishes are sent again after an unplanned switch. */
const REPLAY_MS = 1000;

/** `$SYS/+/leaving` from `$SYS/+/heartbeat`; '' for a heartbeat filter of another shape. */
const sibling = (heartbeatFilter: string, name: string): string => (heartbeatFilter.endsWith('/heartbeat') ? `${heartbeatFilter.slice(0, -'heartbeat'.length)}${name}` : '');

/** The MQTT keep-alive of links with ack liveness (devices): MQTT.js's own. An idle device costs its broker one PINGREQ a minute (docs/devices.md). */
export const DEVICE_KEEPALIVE_SEC = 60;
/** The MQTT keep-alive of links with heartbeat liveness (services): they hear heartbeats anyway. */
export const SERVICE_KEEPALIVE_SEC = 10;

export function resolveOptions(options: LinkOptions): LinkConfig {
  if (options.servers.length === 0) throw new Error('a link needs at least one server URL');
  const liveness = options.liveness ?? 'heartbeat';
  const ack = liveness === 'ack';
  const failoverMs = options.failoverMs ?? 300;
  const stallMs = Math.max(failoverMs, options.stallMs ?? Math.max(1000, 3 * failoverMs));
  const heartbeatFilter = options.heartbeatFilter ?? HEARTBEAT_FILTER;
  const clientId = options.clientId ?? `link-${randomBytes(6).toString('hex')}`;
  return {
    servers: [...options.servers],
    clientId,
    liveness,
    failoverMs,
    stallMs,
    replayMs: Math.max(REPLAY_MS, ack ? failoverMs : stallMs),
    settleMs: options.settleMs ?? 30_000,
    settleAckMs: options.settleAckMs ?? 10_000,
    maxAckWaitMs: Math.max(failoverMs, options.maxAckWaitMs ?? 10_000),
    rttMemoryMs: Math.max(0, options.rttMemoryMs ?? 60_000),
    probeIntervalMs: options.probeIntervalMs ?? 1000,
    probeHealthy: Math.max(1, options.probeHealthy ?? 2),
    probeTimeoutMs: options.probeTimeoutMs ?? Math.max(500, 2 * failoverMs),
    failbackWindowMs: Math.max(0, options.failbackWindowMs ?? (ack ? 10_000 : 0)),
    handoverSpreadMs: Math.max(0, options.handoverSpreadMs ?? (ack ? 500 : 0)),
    reconnectJitterMs: Math.max(0, options.reconnectJitterMs ?? 0),
    connectTimeoutMs: options.connectTimeoutMs ?? 2000,
    connackTimeoutMs: Math.max(options.connectTimeoutMs ?? 2000, options.connackTimeoutMs ?? (ack ? 5000 : 0)),
    keepaliveSec: options.keepaliveSec ?? (ack ? DEVICE_KEEPALIVE_SEC : SERVICE_KEEPALIVE_SEC),
    heartbeatFilter,
    leavingFilter: options.leavingFilter ?? sibling(heartbeatFilter, 'leaving'),
    bridgeFilter: options.bridgeFilter ?? sibling(heartbeatFilter, 'bridge'),
    spare: ack && options.servers.length > 1 && options.clean !== false && (options.spare ?? true),
    spareDelayMs: Math.max(0, options.spareDelayMs ?? 10_000),
    willRefreshMs: Math.max(0, options.willRefreshMs ?? 60_000),
    spareClientId: spareClientId(clientId),
  };
}
