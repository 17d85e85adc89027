// A failover-aware MQTT client. MQTT.js carries each connection; this class
// decides which broker to use, notices a silent link from missing broker
// heartbeats, switches at once, returns to the primary when it is healthy
// again, and keeps its own queue of unacknowledged QoS 1/2 publishes so that
// nothing is lost across a switch (duplicates are possible, loss is not).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { EARLY_MAX, writeEarly } from './early.ts';
import { Outbox, type OutboxEntry, type QoS } from './outbox.ts';
import { ServerRotation, roleOf, type BackoffOptions, type NextAttempt, type Role } from './policy.ts';
import { HEARTBEAT_FILTER, probeBroker, type ProbeResult } from './probe.ts';
import { filterProblem, publishTopicProblem, topicMatches } from './topic.ts';
import { Watchdog } from './watchdog.ts';

type LogFn = (obj: Record<string, unknown>, msg: string) => void;

/** Anything with pino's `debug/info/warn(obj, msg)`. */
export interface LinkLogger {
  debug?: LogFn;
  info?: LogFn;
  warn?: LogFn;
}

export interface LinkWill {
  topic: string;
  payload: string | Buffer;
  qos?: QoS;
  retain?: boolean;
}

export interface LinkOptions {
  /** Broker URLs, primary first. */
  servers: readonly string[];
  /** MQTT client id, the same on every broker (default: random). */
  clientId?: string;
  /** Last Will, set on every connection. */
  will?: LinkWill;
  /** Clean session (default true). */
  clean?: boolean;
  /** Declare the link dead after this long without any packet (heartbeats included), ms; 0 = off (default 300). */
  failoverMs?: number;
  /**
   * Declare the link dead after this long without a heartbeat even while other packets arrive,
   * ms (default max(1000, 3 × failoverMs); off with failoverMs 0). A broker whose message bus
   * stalls (its Redis gone) may still acknowledge publishes without passing them on.
   */
  stallMs?: number;
  /** While on a standby, probe the primary this often, ms; 0 = stay on the standby (default 1000). */
  probeIntervalMs?: number;
  /** Healthy probes in a row before moving back to the primary (default 2). */
  probeHealthy?: number;
  /** Budget of one probe (connect + first heartbeat), ms (default max(500, 2 × failoverMs)). */
  probeTimeoutMs?: number;
  /** Budget of one connection attempt (TCP + CONNACK), ms (default 2000). */
  connectTimeoutMs?: number;
  /** MQTT keep-alive sent to the broker, seconds (default 10). */
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

export interface LinkStats {
  state: 'idle' | 'connecting' | 'connected' | 'closed';
  url: string | undefined;
  role: Role | undefined;
  clientId: string;
  connects: number;
  failovers: number;
  failbacks: number;
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
}

export interface LinkEvents {
  connected: [url: string, role: Role];
  disconnected: [url: string, reason: string];
  failover: [from: string, to: string, reason: SwitchReason, ms: number];
  message: [topic: string, payload: Buffer, packet: IPublishPacket];
  closed: [];
}

export class LinkClosedError extends Error {
  override readonly name = 'LinkClosedError';
}

interface Connection {
  id: number;
  index: number;
  url: string;
  client: MqttClient;
  /** main: the link's connection; failback: back to the primary; handover: away from a broker that is leaving. */
  purpose: 'main' | 'failback' | 'handover';
  startedAt: number;
  lastHeard: number;
  /** When its last heartbeat arrived (the CONNACK before the first). */
  lastHeartbeat: number;
  up: boolean;
  ready: boolean;
  draining: boolean;
  closed: boolean;
  heartbeats: number;
  /** Publishes written before the CONNACK, by message id (see early.ts). */
  early: Map<number, OutboxEntry>;
  guard?: ReturnType<typeof setTimeout>;
  watchdog?: Watchdog;
}

interface Deferred {
  /** With the URL of the broker that acknowledged. */
  resolve: (url?: string) => void;
  reject: (error: Error) => void;
}

interface Death {
  url: string;
  reason: SwitchReason;
  lastHeard: number;
  at: number;
}

const noop = (): void => {};

/** How far back acknowledged publishes are sent again after an unplanned switch. */
const REPLAY_MS = 1000;

/** A URL for logs: the password hidden. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]*@/i, '$1:***@');
}

export class FailoverLink extends EventEmitter<LinkEvents> {
  readonly servers: readonly string[];
  readonly clientId: string;
  private readonly failoverMs: number;
  private readonly stallMs: number;
  /** How far back acknowledged publishes are sent again after an unplanned switch: at least stallMs. */
  private readonly replayMs: number;
  private readonly probeIntervalMs: number;
  private readonly probeHealthy: number;
  private readonly probeTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly heartbeatFilter: string;
  private readonly leavingFilter: string;
  private readonly rotation: ServerRotation;
  private readonly outbox: Outbox;
  private readonly waiting = new Map<number, Deferred>();
  private readonly subscriptions = new Map<string, QoS>();
  private readonly log: LinkLogger;
  private readonly random: () => number;
  private nextConnection = 1;
  private current: Connection | undefined;
  private pending: Connection | undefined;
  /** A connection being opened to move to (a failback or a handover); the current one serves meanwhile. */
  private failback: Connection | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  private probing = false;
  private healthyStreak = 0;
  private death: Death | undefined;
  /** After a move between two live connections: publishes wait until the old one's in flight are acknowledged. */
  private hold: { on: number; left: number } | undefined;
  /**
   * Publishes a broker acknowledged in the last replayMs. A broker that dies
   * right after a PUBACK may not have passed the message on (to the bridge, to
   * subscribers), so after an unplanned switch these go out again on the new
   * broker: a possible duplicate (harmless: slot states are newest-wins, gate
   * events carry an eventId), never a loss.
   */
  private recentAcks: Array<{ entry: OutboxEntry; at: number }> = [];
  private failedRounds = 0;
  private lastError: string | undefined;
  private started = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private drainWaiters: Array<() => void> = [];
  private readonly counters = {
    connects: 0,
    failovers: 0,
    failbacks: 0,
    published: 0,
    acked: 0,
    resent: 0,
    replayed: 0,
    droppedQos0: 0,
    received: 0,
    heartbeats: 0,
    probesHealthy: 0,
    probesFailed: 0,
  };
  private lastFailover: FailoverRecord | undefined;
  private lastHeartbeatAt: number | undefined;
  private connectedSince: number | undefined;

  constructor(private readonly options: LinkOptions) {
    super();
    if (options.servers.length === 0) throw new Error('a link needs at least one server URL');
    this.servers = [...options.servers];
    this.clientId = options.clientId ?? `link-${randomBytes(6).toString('hex')}`;
    this.failoverMs = options.failoverMs ?? 300;
    this.stallMs = Math.max(this.failoverMs, options.stallMs ?? Math.max(1000, 3 * this.failoverMs));
    this.replayMs = Math.max(REPLAY_MS, this.stallMs);
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.probeHealthy = Math.max(1, options.probeHealthy ?? 2);
    this.probeTimeoutMs = options.probeTimeoutMs ?? Math.max(500, 2 * this.failoverMs);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.heartbeatFilter = options.heartbeatFilter ?? HEARTBEAT_FILTER;
    this.leavingFilter = options.leavingFilter ?? (this.heartbeatFilter.endsWith('/heartbeat') ? `${this.heartbeatFilter.slice(0, -'heartbeat'.length)}leaving` : '');
    this.rotation = new ServerRotation(this.servers.length, options.backoff, options.random);
    this.outbox = new Outbox(options.maxQueue);
    this.log = options.logger ?? {};
    this.random = options.random ?? Math.random;
  }

  /** Starts connecting (primary first). Publishes and subscriptions made before are kept and sent once connected. */
  start(): this {
    if (this.started || this.closing) return this;
    this.started = true;
    this.schedule(this.rotation.first());
    return this;
  }

  get connected(): boolean {
    return this.current?.ready === true;
  }

  /** The broker in use, when connected. */
  get url(): string | undefined {
    return this.current?.url;
  }

  /** Counts the connections the link has used; changes whenever it moves to a connection. */
  get epoch(): number {
    return this.counters.connects;
  }

  get role(): Role | undefined {
    return this.current ? roleOf(this.current.index) : undefined;
  }

  /**
   * Publishes; QoS 1 (default) and 2 resolve once a broker acknowledged, after as many
   * re-sends over as many connections as it takes. QoS 0 goes out only while connected
   * (counted as dropped otherwise) and resolves at once.
   */
  publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    const done = this.publishAcked(topic, payload, options).then(noop);
    // As with publishAcked: a caller that does not await must not crash the process when the link closes.
    done.catch(noop);
    return done;
  }

  /** As `publish`, resolving with the URL of the broker that acknowledged (undefined for QoS 0). */
  publishAcked(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<string | undefined> {
    if (this.closing) return Promise.reject(new LinkClosedError('the link is closed'));
    const problem = publishTopicProblem(topic);
    if (problem) return Promise.reject(new TypeError(problem));
    const qos = options.qos ?? 1;
    const retain = options.retain ?? false;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    this.counters.published += 1;
    if (qos === 0) {
      if (this.current?.up) this.current.client.publish(topic, body, { qos: 0, retain });
      else this.counters.droppedQos0 += 1;
      return Promise.resolve(undefined);
    }
    let entry: OutboxEntry;
    try {
      entry = this.outbox.add(topic, body, qos, retain, Date.now());
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const promise = new Promise<string | undefined>((resolve, reject) => this.waiting.set(entry.id, { resolve, reject }));
    // A caller that does not await still must not crash the process when the link closes.
    promise.catch(noop);
    if (this.current?.up && !this.hold) this.send(this.current, entry);
    return promise;
  }

  /**
   * Subscribes now (resolves on the SUBACK) or, while disconnected, on the next connection
   * (resolves at once). Every subscription is made again on every new connection.
   */
  subscribe(filters: string | readonly string[], qos: QoS = 1): Promise<void> {
    const list = typeof filters === 'string' ? [filters] : [...filters];
    for (const filter of list) {
      const problem = filterProblem(filter);
      if (problem) return Promise.reject(new TypeError(problem));
    }
    for (const filter of list) this.subscriptions.set(filter, qos);
    const conn = this.current;
    if (!conn?.up) return Promise.resolve();
    return new Promise((resolve, reject) => {
      conn.client.subscribe(Object.fromEntries(list.map((filter) => [filter, { qos }])), (error) => (error ? reject(error) : resolve()));
    });
  }

  unsubscribe(filters: string | readonly string[]): Promise<void> {
    const list = typeof filters === 'string' ? [filters] : [...filters];
    for (const filter of list) this.subscriptions.delete(filter);
    const conn = this.current;
    if (!conn?.up) return Promise.resolve();
    return new Promise((resolve) => conn.client.unsubscribe(list, () => resolve()));
  }

  /** Resolves once every publish so far was acknowledged; rejects after `timeoutMs` (Infinity: never). */
  flush(timeoutMs = 10_000): Promise<void> {
    if (this.outbox.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            this.drainWaiters = this.drainWaiters.filter((waiter) => waiter !== done);
            reject(new Error(`${this.outbox.size} publishes still unacknowledged after ${timeoutMs} ms`));
          }, timeoutMs)
        : undefined;
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.drainWaiters.push(done);
    });
  }

  /** Resolves when connected (subscriptions made); rejects after `timeoutMs`. */
  waitConnected(timeoutMs = 10_000): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('connected', onConnected);
        reject(new Error(`no broker reached within ${timeoutMs} ms (${this.servers.join(', ')})`));
      }, timeoutMs);
      const onConnected = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('connected', onConnected);
    });
  }

  /**
   * Stops: waits up to `drainMs` for unacknowledged publishes, then disconnects cleanly
   * (DISCONNECT, so the broker does not publish the Last Will). Publishes still waiting reject.
   */
  close(options: { drainMs?: number } = {}): Promise<void> {
    this.closed ??= this.shutdown(options.drainMs ?? 0);
    return this.closed;
  }

  private async shutdown(drainMs: number): Promise<void> {
    if (drainMs > 0 && this.outbox.size > 0 && this.current?.up) await this.flush(drainMs).catch(noop);
    this.closing = true;
    this.stopProbing();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const conn of [this.pending, this.failback]) if (conn) this.drop(conn);
    this.pending = undefined;
    this.failback = undefined;
    const conn = this.current;
    this.current = undefined;
    if (conn) await this.disconnect(conn, 1000);
    for (const entry of this.outbox.drain()) {
      this.waiting.get(entry.id)?.reject(new LinkClosedError(`closed before a broker acknowledged ${entry.topic}`));
      this.waiting.delete(entry.id);
    }
    this.emit('closed');
  }

  stats(): LinkStats {
    const now = Date.now();
    const conn = this.current;
    return {
      state: this.closing ? 'closed' : !this.started ? 'idle' : conn?.ready ? 'connected' : 'connecting',
      url: conn?.url,
      role: conn ? roleOf(conn.index) : undefined,
      clientId: this.clientId,
      connects: this.counters.connects,
      failovers: this.counters.failovers,
      failbacks: this.counters.failbacks,
      lastFailover: this.lastFailover,
      queued: this.outbox.size,
      oldestQueuedMs: this.outbox.oldestAgeMs(now),
      published: this.counters.published,
      acked: this.counters.acked,
      resent: this.counters.resent,
      replayed: this.counters.replayed,
      droppedQos0: this.counters.droppedQos0,
      received: this.counters.received,
      heartbeats: this.counters.heartbeats,
      lastHeartbeatAt: this.lastHeartbeatAt,
      probes: { healthy: this.counters.probesHealthy, failed: this.counters.probesFailed },
      connectedSince: this.connectedSince,
    };
  }

  // --- connections -------------------------------------------------------

  private schedule(next: NextAttempt): void {
    if (this.closing) return;
    if (next.delayMs <= 0) {
      this.attempt(next.index);
      return;
    }
    this.failedRounds += 1;
    // Said once when the link goes dark, then every 10th round: a Pi may wait a long time for a broker.
    const log = this.failedRounds === 1 || this.failedRounds % 10 === 0 ? this.log.warn : this.log.debug;
    log?.call(this.log, { servers: this.servers.map(redactUrl), lastError: this.lastError, rounds: this.failedRounds, delayMs: next.delayMs, queued: this.outbox.size }, 'no broker reachable, trying again');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.attempt(next.index);
    }, next.delayMs);
  }

  private attempt(index: number): void {
    if (this.closing) return;
    this.pending = this.open(index, 'main');
  }

  private open(index: number, purpose: Connection['purpose']): Connection {
    const url = this.servers[index];
    const will = this.options.will;
    const client = connect(url, {
      ...this.options.mqtt,
      clientId: this.clientId,
      clean: this.options.clean ?? true,
      keepalive: this.options.keepaliveSec ?? 10,
      connectTimeout: this.connectTimeoutMs,
      reconnectPeriod: 0,
      resubscribe: false,
      protocolVersion: this.options.mqtt?.protocolVersion ?? 4,
      ...(will ? { will: { topic: will.topic, payload: typeof will.payload === 'string' ? Buffer.from(will.payload) : will.payload, qos: will.qos ?? 1, retain: will.retain ?? false } } : {}),
    });
    // Small packets go out at once (no Nagle delay): a slot change is one small publish.
    (client as unknown as { stream?: { setNoDelay?: (on: boolean) => void } }).stream?.setNoDelay?.(true);
    const now = Date.now();
    const conn: Connection = { id: this.nextConnection++, index, url, client, purpose, startedAt: now, lastHeard: now, lastHeartbeat: now, up: false, ready: false, draining: false, closed: false, heartbeats: 0, early: new Map() };
    conn.guard = setTimeout(() => this.lost(conn, 'error', `no CONNACK within ${this.connectTimeoutMs} ms`), this.connectTimeoutMs + 100);
    client.on('connect', () => this.onConnect(conn));
    client.on('packetreceive', (packet) => {
      conn.lastHeard = Date.now();
      if (packet.cmd === 'puback' && packet.messageId !== undefined && conn.early.size) this.earlyAcked(conn, packet.messageId, packet.reasonCode);
    });
    client.on('message', (topic, payload, packet) => this.onMessage(conn, topic, payload, packet));
    client.on('error', (error) => this.lost(conn, 'error', error.message));
    client.on('close', () => this.lost(conn, 'closed', 'connection closed'));
    this.log.debug?.({ url: redactUrl(url), purpose, connection: conn.id }, 'connecting');
    if (purpose === 'main') {
      if (this.death) this.replayRecentAcks(this.death.at);
      this.sendEarly(conn);
    }
    return conn;
  }

  private onConnect(conn: Connection): void {
    if (conn.closed || this.closing) return;
    clearTimeout(conn.guard);
    conn.up = true;
    conn.lastHeard = Date.now();
    conn.lastHeartbeat = conn.lastHeard;
    let previous: Connection | undefined;
    if (conn.purpose !== 'main') {
      if (this.failback !== conn) return this.drop(conn);
      this.failback = undefined;
      previous = this.current;
    } else {
      if (this.pending !== conn) return this.drop(conn);
      this.pending = undefined;
    }
    this.adopt(conn, previous);
  }

  /** Makes `conn` the link: watchdog, subscriptions, then every unacknowledged publish, in order. */
  private adopt(conn: Connection, previous: Connection | undefined): void {
    this.current = conn;
    this.rotation.connected(conn.index);
    this.counters.connects += 1;
    // Dead when nothing arrived for failoverMs, or no heartbeat for stallMs (packets still arriving).
    const slack = this.stallMs - this.failoverMs;
    conn.watchdog = new Watchdog(
      this.failoverMs,
      () => Math.min(conn.lastHeard, conn.lastHeartbeat + slack),
      () => {
        const now = Date.now();
        const detail = now - conn.lastHeard >= this.failoverMs ? `no heartbeat for ${now - conn.lastHeard} ms` : `no heartbeat for ${now - conn.lastHeartbeat} ms, only other packets`;
        this.lost(conn, 'heartbeat', detail);
      },
    );
    conn.watchdog.start();
    const subs: Record<string, { qos: QoS }> = { [this.heartbeatFilter]: { qos: 0 } };
    if (this.leavingFilter) subs[this.leavingFilter] = { qos: 0 };
    for (const [filter, qos] of this.subscriptions) subs[filter] = { qos };
    conn.client.subscribe(subs, (error) => {
      if (error && !conn.closed) this.log.warn?.({ url: redactUrl(conn.url), err: error.message }, 'subscribing failed');
      if (conn === this.current && !conn.closed) this.ready(conn, previous);
    });
    // What is in flight on a previous connection that still serves stays there: it is acknowledged
    // there, or sent again here if that connection ends first (see lost and retire). Until then
    // nothing goes out here, so a device's publishes stay in order across the move: a newer state
    // sent here could otherwise overtake an older one still on its way there, and the brokers
    // (newest state wins) would drop the older one.
    this.hold = undefined;
    const inFlight = previous ? this.outbox.all().filter((entry) => entry.sentOn === previous.id).length : 0;
    if (previous && inFlight > 0) this.hold = { on: previous.id, left: inFlight };
    else for (const entry of this.outbox.notOn(conn.id)) this.send(conn, entry);
    if (previous) this.retire(previous);
  }

  private ready(conn: Connection, previous: Connection | undefined): void {
    conn.ready = true;
    this.failedRounds = 0;
    const now = Date.now();
    this.connectedSince = now;
    const role = roleOf(conn.index);
    this.log.info?.({ url: redactUrl(conn.url), role, queued: this.outbox.size }, 'connected');
    this.emit('connected', conn.url, role);
    let record: FailoverRecord | undefined;
    if (previous && conn.purpose === 'handover') {
      this.counters.failovers += 1;
      record = { from: previous.url, to: conn.url, reason: 'planned', ms: now - conn.startedAt, detectMs: 0, at: now };
    } else if (previous) {
      this.counters.failbacks += 1;
      record = { from: previous.url, to: conn.url, reason: 'failback', ms: now - conn.startedAt, detectMs: 0, at: now };
    } else if (this.death && this.death.url !== conn.url) {
      this.counters.failovers += 1;
      record = { from: this.death.url, to: conn.url, reason: this.death.reason, ms: now - this.death.lastHeard, detectMs: this.death.at - this.death.lastHeard, at: now };
    }
    this.death = undefined;
    if (record) {
      this.lastFailover = record;
      this.log.info?.({ ...record, from: redactUrl(record.from), to: redactUrl(record.to) }, record.reason === 'failback' ? 'back on the primary' : record.reason === 'planned' ? 'moved: the broker is stopping' : 'failed over');
      this.emit('failover', record.from, record.to, record.reason, record.ms);
    }
    this.maybeProbe();
  }

  /** A connection ended or was declared dead; idempotent. */
  private lost(conn: Connection, reason: SwitchReason, detail: string): void {
    if (conn.closed) return;
    this.drop(conn);
    if (this.closing) return;
    if (conn === this.pending) {
      this.pending = undefined;
      this.lastError = detail;
      this.log.debug?.({ url: redactUrl(conn.url), reason: detail }, 'connection attempt failed');
      this.schedule(this.rotation.attemptFailed(conn.index));
      return;
    }
    if (conn === this.failback) {
      this.failback = undefined;
      this.healthyStreak = 0;
      if (conn.purpose === 'handover') {
        // Stay: the leaving broker still serves, and when it is gone the link fails over as usual.
        this.log.warn?.({ url: redactUrl(conn.url), reason: detail }, 'the broker is stopping, but the next one is not reachable');
        return;
      }
      this.log.debug?.({ url: redactUrl(conn.url), reason: detail }, 'could not move back to the primary');
      this.maybeProbe();
      return;
    }
    if (conn === this.current) {
      this.current = undefined;
      this.connectedSince = undefined;
      this.stopProbing();
      if (this.failback) {
        this.drop(this.failback);
        this.failback = undefined;
      }
      this.death = { url: conn.url, reason, lastHeard: conn.lastHeard, at: Date.now() };
      if (reason === 'heartbeat' && conn.heartbeats === 0) {
        this.log.warn?.({ url: redactUrl(conn.url), filter: this.heartbeatFilter }, 'this broker sent no heartbeat at all: a broker without heartbeats needs failoverMs 0');
      }
      this.log.warn?.({ url: redactUrl(conn.url), reason: detail, queued: this.outbox.size }, 'link lost');
      this.emit('disconnected', conn.url, detail);
      this.schedule(this.rotation.linkDied(conn.index));
      return;
    }
    // A retired connection closing: what it still carried goes out on the current one.
    this.resendUnsent();
  }

  /** Forgets a connection: no more events from it count, its unacknowledged publishes are unsent again. */
  private drop(conn: Connection): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.up = false;
    conn.ready = false;
    clearTimeout(conn.guard);
    conn.watchdog?.stop();
    conn.early.clear();
    // Its publishes become unsent and go out, first, on the current connection (the callers send them).
    if (this.hold?.on === conn.id) this.hold = undefined;
    this.outbox.connectionLost(conn.id);
    conn.client.removeAllListeners('message');
    conn.client.on('error', noop);
    conn.client.end(true);
  }

  /** The old connection after a failback: a clean DISCONNECT (no Last Will) once its in-flight publishes settle. */
  private retire(conn: Connection): void {
    conn.draining = true;
    conn.watchdog?.stop();
    void this.disconnect(conn, Math.max(1000, 2 * this.failoverMs)).then(() => this.resendUnsent());
  }

  private disconnect(conn: Connection, timeoutMs: number): Promise<void> {
    if (conn.closed) return Promise.resolve();
    conn.watchdog?.stop();
    clearTimeout(conn.guard);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.drop(conn);
        resolve();
      }, timeoutMs);
      conn.client.end(false, {}, () => {
        clearTimeout(timer);
        this.drop(conn);
        resolve();
      });
    });
  }

  private resendUnsent(): void {
    const conn = this.current;
    if (!conn?.up || this.hold) return;
    for (const entry of this.outbox.all()) if (entry.sentOn === undefined) this.send(conn, entry);
  }

  private send(conn: Connection, entry: OutboxEntry): void {
    if (entry.sends > 0) this.counters.resent += 1;
    this.outbox.markSent(entry, conn.id);
    conn.client.publish(entry.topic, entry.payload, { qos: entry.qos, retain: entry.retain }, (error) => {
      if (!error) {
        this.acked(entry, conn.url);
        return;
      }
      // Not acknowledged by this connection: it goes out again on the next one.
      if (entry.sentOn === conn.id) entry.sentOn = undefined;
    });
  }

  /** The oldest unsent QoS 1 publishes, right behind the CONNECT: after a failover the first PUBACK comes one round trip sooner. */
  private sendEarly(conn: Connection): void {
    for (const entry of this.outbox.all()) {
      if (conn.early.size >= EARLY_MAX) break;
      if (entry.sentOn !== undefined) continue;
      if (entry.qos !== 1) break; // keep the order: a QoS 2 publish waits for the CONNACK, and so does what follows it
      const messageId = writeEarly(conn.client, entry);
      if (messageId === undefined) break;
      if (entry.sends > 0) this.counters.resent += 1;
      this.outbox.markSent(entry, conn.id);
      conn.early.set(messageId, entry);
    }
  }

  private earlyAcked(conn: Connection, messageId: number, reasonCode: number | undefined): void {
    const entry = conn.early.get(messageId);
    if (!entry || conn.closed) return;
    conn.early.delete(messageId);
    if (entry.sentOn !== conn.id) return;
    // An MQTT 5 refusal: sent again on the next connection, as for a publish MQTT.js made.
    if (reasonCode !== undefined && reasonCode >= 0x80) entry.sentOn = undefined;
    else this.acked(entry, conn.url);
  }

  /** Queues again what was acknowledged shortly before the old broker was lost (see `recentAcks`). */
  private replayRecentAcks(lostAt: number): void {
    for (const { entry, at } of this.recentAcks) {
      if (at < lostAt - this.replayMs) continue;
      this.outbox.add(entry.topic, entry.payload, entry.qos, entry.retain, Date.now());
      this.counters.replayed += 1;
    }
    this.recentAcks = [];
  }

  private acked(entry: OutboxEntry, url: string): void {
    const from = entry.sentOn;
    if (!this.outbox.ack(entry.id)) return;
    if (this.hold && from === this.hold.on && --this.hold.left <= 0) {
      this.hold = undefined;
      this.resendUnsent();
    }
    const now = Date.now();
    this.recentAcks.push({ entry, at: now });
    while (this.recentAcks.length && this.recentAcks[0].at < now - this.replayMs) this.recentAcks.shift();
    this.counters.acked += 1;
    this.waiting.get(entry.id)?.resolve(url);
    this.waiting.delete(entry.id);
    if (this.outbox.size === 0 && this.drainWaiters.length) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  private onMessage(conn: Connection, topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (conn.closed || !(conn === this.current || conn.draining)) return;
    this.counters.received += 1;
    if (topicMatches(this.heartbeatFilter, topic)) {
      conn.heartbeats += 1;
      conn.lastHeartbeat = Date.now();
      this.counters.heartbeats += 1;
      this.lastHeartbeatAt = Date.now();
    } else if (this.leavingFilter && conn === this.current && topicMatches(this.leavingFilter, topic)) {
      this.handOver(conn, payload.toString('utf8'));
      return;
    }
    for (const filter of this.subscriptions.keys()) {
      if (topicMatches(filter, topic)) {
        this.emit('message', topic, payload, packet);
        return;
      }
    }
  }

  /** The broker of `conn` announced a graceful stop: connect to the next one and move there once connected. */
  private handOver(conn: Connection, brokerId: string): void {
    if (this.closing || conn.draining || this.servers.length < 2) return;
    const target = (conn.index + 1) % this.servers.length;
    if (this.failback?.index === target && this.failback.purpose === 'handover') return;
    if (this.failback) this.drop(this.failback);
    this.stopProbing();
    this.log.info?.({ url: redactUrl(conn.url), broker: brokerId, to: redactUrl(this.servers[target]) }, 'the broker is stopping: moving to the next one');
    this.failback = this.open(target, 'handover');
  }

  // --- probing the primary ------------------------------------------------

  private maybeProbe(): void {
    const conn = this.current;
    if (this.closing || !conn?.ready || conn.index === 0 || this.probeIntervalMs <= 0) return;
    if (this.probeTimer || this.probing || this.failback) return;
    // ±20 %: a fleet that failed over together does not probe the primary in lockstep.
    const wait = this.probeIntervalMs * (0.8 + 0.4 * this.random());
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, wait);
  }

  private stopProbing(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.healthyStreak = 0;
  }

  private async probe(): Promise<void> {
    const conn = this.current;
    if (this.closing || !conn?.ready || conn.index === 0) return;
    this.probing = true;
    let result: ProbeResult;
    try {
      result = await probeBroker(this.servers[0], { timeoutMs: this.probeTimeoutMs, heartbeatFilter: this.heartbeatFilter, mqtt: this.options.mqtt });
    } finally {
      this.probing = false;
    }
    if (result.healthy) {
      this.counters.probesHealthy += 1;
      this.healthyStreak += 1;
    } else {
      this.counters.probesFailed += 1;
      this.healthyStreak = 0;
    }
    this.log.debug?.({ url: redactUrl(this.servers[0]), ...result, streak: this.healthyStreak }, 'probed the primary');
    if (this.closing || this.current !== conn || !conn.ready) return;
    if (this.healthyStreak >= this.probeHealthy) {
      this.healthyStreak = 0;
      this.failback = this.open(0, 'failback');
      return;
    }
    this.maybeProbe();
  }
}

/** Creates a link and starts connecting. */
export function connectLink(options: LinkOptions): FailoverLink {
  return new FailoverLink(options).start();
}
