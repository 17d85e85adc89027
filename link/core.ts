// The connections of a failover link: which broker to use, opening and
// adopting connections, noticing dead ones, moving between brokers. The
// public API (publish, subscribe, close, stats) is FailoverLink (client.ts);
// what arrives in messages (heartbeats, notices) is notices.ts.
import { EventEmitter } from 'node:events';
import type { IPublishPacket, Packet } from 'mqtt';
import { destroyConnection, endConnection, openConnection, pingBroker, type Connection } from './connection.ts';
import { FailbackPlanner } from './failback.ts';
import { AckWatch, ackDeadline } from './liveness.ts';
import { linkLog, resolveOptions, type FailoverRecord, type LinkConfig, type LinkEvents, type LinkLogger, type LinkOptions, type SwitchReason } from './options.ts';
import { BRIDGE_STATE_GRACE_MS, awaitBridgeState } from './bridge.ts';
import { moveRecord, replayFrom, type Death } from './moves.ts';
import { Outbox, type QoS } from './outbox.ts';
import { ServerRotation, roleOf, type NextAttempt } from './policy.ts';
import { paced } from './pacer.ts';
import { probeBroker } from './probe.ts';
import { Sender } from './sender.ts';
import { SparePlanner } from './spare.ts';
import { Watchdog } from './watchdog.ts';
import { redactUrls } from '../log/redact.ts';

export abstract class LinkCore extends EventEmitter<LinkEvents> {
  readonly servers: readonly string[];
  readonly clientId: string;
  protected readonly config: LinkConfig;
  protected readonly rotation: ServerRotation;
  protected readonly outbox: Outbox;
  protected readonly sender: Sender;
  protected readonly failbackPlan: FailbackPlanner;
  protected readonly subscriptions = new Map<string, QoS>();
  /** Counts changes to `subscriptions`: a spare subscribed at one version needs nothing more at it. */
  protected subscriptionsVersion = 0;
  protected readonly log: LinkLogger;
  protected readonly random: () => number;
  protected nextConnection = 1;
  protected current: Connection | undefined;
  protected pending: Connection | undefined;
  /** A connection being opened to move to (a failback, a handover, a refresh); the current one serves meanwhile. */
  protected failback: Connection | undefined;
  /** ack: a connection to the next broker, held in reserve while the primary serves (LinkOptions.spare). */
  protected spare: Connection | undefined;
  protected readonly sparePlan: SparePlanner;
  protected retryTimer: ReturnType<typeof setTimeout> | undefined;
  protected handoverTimer: ReturnType<typeof setTimeout> | undefined;
  protected death: Death | undefined;
  protected failedRounds = 0;
  protected lastError: string | undefined;
  protected started = false;
  protected closing = false;
  protected readonly counters = { connects: 0, failovers: 0, failbacks: 0, failedReturns: 0, published: 0, acked: 0, droppedQos0: 0, received: 0, heartbeats: 0 };
  /** Why the latest move back to the primary failed. */
  protected lastReturnError: string | undefined;
  protected lastFailover: FailoverRecord | undefined;
  protected lastHeartbeatAt: number | undefined;
  protected connectedSince: number | undefined;

  constructor(protected readonly options: LinkOptions) {
    super();
    this.config = resolveOptions(options);
    this.servers = this.config.servers;
    this.clientId = this.config.clientId;
    this.random = options.random ?? Math.random;
    this.rotation = new ServerRotation(this.servers.length, options.backoff, this.random);
    this.outbox = new Outbox(options.maxQueue);
    this.log = linkLog(options.logger);
    this.sender = new Sender(this.outbox, this.config.replayMs, () => this.current, (entry, url) => this.settled(entry.id, url));
    this.failbackPlan = new FailbackPlanner(this.config, {
      probe: async () => {
        const result = await probeBroker(this.servers[0], { timeoutMs: this.config.probeTimeoutMs, heartbeatFilter: this.config.heartbeatFilter, mqtt: this.options.mqtt });
        this.log.debug?.({ url: redactUrls(this.servers[0]), ...result }, 'probed the primary');
        return result.healthy;
      },
      // Not while the standby says its bridge to the primary is down (see LinkOptions.bridgeFilter).
      canMove: () => this.mayReturn(),
      move: () => this.returnToPrimary(),
    }, this.random);
    this.sparePlan = new SparePlanner(this.config, {
      wantsSpare: () => this.config.spare && !this.closing && !this.spare && this.current?.ready === true && this.current.index === 0,
      openSpare: () => (this.spare = this.open(1, 'spare')),
      wantsRefresh: () => !this.closing && this.current?.ready === true && this.current.asSpare && !this.failback,
      refresh: () => (this.failback = this.open(this.current!.index, 'refresh')),
    }, this.random);
  }

  /** A publish was acknowledged (and left the outbox). */
  protected abstract settled(id: number, url: string): void;

  // --- connections -------------------------------------------------------

  protected schedule(next: NextAttempt): void {
    this.retryTimer = undefined;
    if (this.closing) return;
    if (next.delayMs <= 0) {
      this.attempt(next.index);
      return;
    }
    this.failedRounds += 1;
    // Said once when the link goes dark, then every 10th round: a Pi may wait a long time for a broker.
    const log = this.failedRounds === 1 || this.failedRounds % 10 === 0 ? this.log.warn : this.log.debug;
    log?.call(this.log, { servers: this.servers.map(redactUrls), lastError: this.lastError, rounds: this.failedRounds, delayMs: next.delayMs, queued: this.outbox.size }, 'no broker reachable, trying again');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.attempt(next.index);
    }, next.delayMs);
  }

  protected attempt(index: number): void {
    if (this.closing) return;
    this.pending = this.open(index, 'main');
  }

  protected open(index: number, purpose: Connection['purpose']): Connection {
    const conn = openConnection(this.nextConnection++, index, purpose, this.config, this.options, {
      connect: (c) => this.onConnect(c),
      packet: (c, packet) => this.onPacket(c, packet),
      message: (c, topic, payload, packet) => this.onMessage(c, topic, payload, packet),
      lost: (c, reason, detail) => this.lost(c, reason, detail),
      refused: (c, detail) => {
        this.log.warn?.({ url: redactUrls(c.url), reason: detail }, 'not authorised by this broker');
        this.emit('refused', c.url, detail);
      },
    }, purpose === 'main' ? this.rotation.connackMs(this.config.connackTimeoutMs) : this.config.connackTimeoutMs);
    this.log.debug?.({ url: redactUrls(conn.url), purpose, connection: conn.id }, 'connecting');
    if (purpose === 'main') {
      if (this.death) this.sender.replay(replayFrom(this.death));
      this.sender.sendEarly(conn);
    }
    return conn;
  }

  protected onPacket(conn: Connection, packet: Packet): void {
    if (packet.cmd === 'puback' && packet.messageId !== undefined && conn.direct.size) this.sender.directAcked(conn, packet.messageId, packet.reasonCode);
  }

  protected onConnect(conn: Connection): void {
    if (conn.closed || this.closing) return;
    conn.up = true;
    conn.upAt = conn.lastHeard = conn.lastHeartbeat = Date.now();
    conn.rtt.sample(conn.upAt - conn.startedAt);
    if (conn.purpose === 'main') {
      if (this.pending !== conn) return this.drop(conn);
      this.pending = undefined;
      return this.adopt(conn, undefined);
    }
    if (conn.purpose === 'spare') {
      // Held in reserve: subscribed already (so a move onto it needs no round trip), nothing sent; what arrives is ignored.
      if (this.spare !== conn) return this.drop(conn);
      this.sparePlan.spareUp();
      const version = this.subscriptionsVersion;
      // Not the bridge state: that changes exactly when the primary dies, and would reach every spare then.
      conn.client.subscribe(this.filters(), (error) => {
        if (!error) conn.subscribedAt = version;
      });
      return;
    }
    if (this.failback !== conn) return this.drop(conn);
    if (conn.purpose === 'failback' && this.config.liveness === 'ack') {
      // No probe came first: the primary must show that its message bus works (one heartbeat) before the link moves.
      conn.checking = true;
      // After failed moves, a longer wait (failback.ts): a busy primary gets the time it needs.
      const checkMs = Math.min(this.config.probeTimeoutMs * this.failbackPlan.backoff, this.config.maxAckWaitMs);
      conn.guard = setTimeout(() => this.lost(conn, 'error', `no heartbeat within ${checkMs} ms`), checkMs);
      conn.client.subscribe({ [this.config.heartbeatFilter]: { qos: 0 } }, (error) => error && this.lost(conn, 'error', `subscribing failed: ${error.message}`));
      return;
    }
    this.moveTo(conn);
  }

  /** A failback or handover connection is good: it serves from now on. */
  protected moveTo(conn: Connection): void {
    clearTimeout(conn.guard);
    conn.checking = false;
    this.failback = undefined;
    this.adopt(conn, this.current);
  }

  /** ack: `conn` took the link in after a failure or onto its spare, within settleMs. */
  protected settling(conn: Connection): boolean {
    return conn.patient && Date.now() - conn.adoptedAt < this.config.settleMs;
  }

  /**
   * ack: `conn` took the link back to the primary, and the fleet may not have settled since: for
   * the failback window the rest of it may still be arriving there, and for the spare delay after
   * that it opens its spares (brokers that share machines feel that load). Meanwhile a silence
   * is asked about (PINGREQ) before the primary is dropped. The deadline stays the usual one: a
   * primary cut off right after a return is noticed within two deadlines, not a settling time.
   */
  protected returning(conn: Connection): boolean {
    const unsettledMs = this.config.failbackWindowMs + (this.config.spare ? this.config.spareDelayMs : 0);
    return conn.purpose === 'failback' && Date.now() - conn.adoptedAt < unsettledMs;
  }

  /** The deadline of a publish in flight on `conn` (ack liveness). */
  protected deadlineOf(conn: Connection): number {
    return ackDeadline(this.config, conn.rtt, conn.adoptedAt, conn.patient, Date.now());
  }

  /** What every connection subscribes to: the stop notices and the caller's filters (the bridge state is asked for later: returnToPrimary). */
  protected filters(): Record<string, { qos: QoS }> {
    const subs: Record<string, { qos: QoS }> = {};
    if (this.config.leavingFilter) subs[this.config.leavingFilter] = { qos: 0 };
    for (const [filter, qos] of this.subscriptions) subs[filter] = { qos };
    return subs;
  }

  /** Makes `conn` the link: liveness, subscriptions, then every unacknowledged publish, in order. */
  protected adopt(conn: Connection, previous: Connection | undefined): void {
    this.current = conn;
    conn.adoptedAt = Date.now();
    this.rotation.connected(conn.index);
    this.counters.connects += 1;
    const subs: Record<string, { qos: QoS }> = {};
    if (this.config.liveness === 'heartbeat') {
      // Dead when nothing arrived for failoverMs, or no heartbeat for stallMs (packets still arriving).
      const slack = this.config.stallMs - this.config.failoverMs;
      conn.watchdog = new Watchdog(
        this.config.failoverMs,
        () => Math.min(conn.lastHeard, conn.lastHeartbeat + slack),
        () => {
          const now = Date.now();
          const detail = now - conn.lastHeard >= this.config.failoverMs ? `no heartbeat for ${now - conn.lastHeard} ms` : `no heartbeat for ${now - conn.lastHeartbeat} ms, only other packets`;
          this.lost(conn, 'heartbeat', detail);
        },
      );
      conn.watchdog.start();
      subs[this.config.heartbeatFilter] = { qos: 0 };
    } else if (this.config.failoverMs > 0) {
      // After a failure the new broker is likely taking in a whole fleet: patience while it settles.
      // So is a fleet moving onto its spares (crash or stop notice): a spare's CONNACK, long ago, says nothing of the load now.
      // A refresh of such a connection goes on settling where it left off.
      const settling = conn.purpose === 'refresh' && previous?.patient === true;
      // A refresh is the same broker: the round trips it showed still count (liveness.ts rttMemoryMs).
      if (conn.purpose === 'refresh' && previous) {
        previous.rtt.sample(conn.upAt - conn.startedAt, conn.upAt);
        conn.rtt = previous.rtt;
      }
      conn.patient = settling || conn.asSpare || (this.death !== undefined && this.death.url !== conn.url);
      if (settling) conn.adoptedAt = previous.adoptedAt;
      // What this broker's acknowledgements show while it settles is remembered past it (liveness.ts).
      if (conn.patient) conn.rtt.rememberUntil = conn.adoptedAt + this.config.settleMs;
      conn.acks = new AckWatch(
        () => this.deadlineOf(conn),
        () => conn.lastHeard,
        (silentMs) => this.lost(conn, 'heartbeat', `a publish unacknowledged and nothing heard for ${silentMs} ms (deadline ${this.deadlineOf(conn)} ms)`),
        // While settling or just returned, a silent broker is asked before it is dropped: it may only be busy.
        { ask: () => (this.settling(conn) || this.returning(conn)) && pingBroker(conn), maxWaitMs: this.config.maxAckWaitMs },
      );
      // Publishes written before the CONNACK are in flight too.
      for (const entry of conn.direct.values()) conn.acks.sent(entry.id, conn.startedAt);
    }
    if (previous && this.config.liveness === 'ack' && conn.purpose === 'failback') conn.client.unsubscribe(this.config.heartbeatFilter);
    // On a standby the bridge state is unknown and not asked for yet (returnToPrimary asks).
    conn.bridgeUnasked = conn.bridgeLazy = conn.index !== 0 && !!this.config.bridgeFilter;
    const subscribed = (error?: Error | null) => {
      if (error && !conn.closed) this.log.warn?.({ url: redactUrls(conn.url), err: error.message }, 'subscribing failed');
      if (conn === this.current && !conn.closed) this.ready(conn, previous);
    };
    if (conn.subscribedAt === this.subscriptionsVersion && this.config.liveness === 'ack') {
      // A spare, subscribed while in reserve: ready at once, the publishes out first. The bridge state
      // (needed only before a return to the primary) is asked for when the return is due
      // (returnToPrimary), so a fleet's questions come spread over its failback window, never in
      // the standby's first seconds after the fault, when it takes in the fleet's publishes.
      this.sender.adopt(conn, previous);
      queueMicrotask(() => subscribed());
    } else {
      // Not the bridge state: on a standby it is asked for when a return is due (returnToPrimary).
      Object.assign(subs, this.filters());
      if (Object.keys(subs).length) conn.client.subscribe(subs, subscribed);
      else queueMicrotask(() => subscribed());
      // What is in flight on a previous connection that still serves stays there (see Sender.hold).
      this.sender.adopt(conn, previous);
    }
    if (previous) this.retire(previous);
  }

  /** ack: on a standby, ready, no move under way, not closing, and the standby's bridge not known to be down (failback.ts). */
  protected mayReturn(): boolean {
    const conn = this.current;
    if (this.closing || conn?.ready !== true || conn.index === 0 || this.failback) return false;
    // Unknown is fine while not asked yet (returnToPrimary asks first), not while the answer is on its way.
    return !(conn.bridgeUnasked && !conn.bridgeLazy) && conn.bridgeState !== 'down';
  }

  /** The return is due: asks the standby for its bridge state first if not known, then opens the connection back. */
  protected returnToPrimary(): void {
    const conn = this.current!;
    const bridge = this.config.bridgeFilter;
    if (!conn.bridgeUnasked || !bridge) {
      this.failback = this.open(0, 'failback');
      return;
    }
    conn.bridgeLazy = false;
    conn.client.subscribe({ [bridge]: { qos: 0 } }, (error) => {
      if (conn.closed) return;
      // Refused, as on any connection: the link goes on without the bridge state.
      if (error) this.log.warn?.({ url: redactUrls(conn.url), err: error.message }, 'subscribing failed');
      awaitBridgeState(conn, Math.max(BRIDGE_STATE_GRACE_MS, this.config.probeIntervalMs), () => {
        // Down: the standby says `synced` when it is back (notices.ts), and the return is planned then.
        if (conn === this.current && this.mayReturn()) this.failback = this.open(0, 'failback');
      });
    });
  }

  protected ready(conn: Connection, previous: Connection | undefined): void {
    conn.ready = true;
    this.failedRounds = 0;
    const now = Date.now();
    this.connectedSince = now;
    const role = roleOf(conn.index);
    this.log.info?.({ url: redactUrls(conn.url), role, queued: this.outbox.size }, 'connected');
    this.emit('connected', conn.url, role);
    const record = moveRecord(conn, previous, this.death, now);
    if (record) this.counters[record.reason === 'failback' ? 'failbacks' : 'failovers'] += 1;
    this.death = undefined;
    if (record) {
      this.lastFailover = record;
      this.log.info?.({ ...record, from: redactUrls(record.from), to: redactUrls(record.to) }, record.reason === 'failback' ? 'back on the primary' : record.reason === 'planned' ? 'moved: the broker is stopping' : 'failed over');
      this.emit('failover', record.from, record.to, record.reason, record.ms);
    }
    // Just failed over: the primary is asked about (the bridge state, returnToPrimary) a failback window later, after the storm.
    if (conn.index !== 0) this.failbackPlan.schedule(record && record.reason !== 'failback' ? this.config.failbackWindowMs : 0);
    else this.sparePlan.planSpare();
    if (conn.asSpare) this.sparePlan.planRefresh();
  }

  /** A connection ended or was declared dead; idempotent. */
  protected lost(conn: Connection, reason: SwitchReason, detail: string): void {
    if (conn.closed) return;
    // Closing the client waits: a process with many links moves them all first (pacer.ts).
    this.drop(conn, true);
    if (this.closing) return;
    if (conn === this.spare) {
      this.spare = undefined;
      this.log.debug?.({ url: redactUrls(conn.url), reason: detail }, 'spare connection lost');
      this.sparePlan.spareLost();
      this.sparePlan.planSpare();
      return;
    }
    if (conn === this.pending) {
      this.pending = undefined;
      this.lastError = detail;
      this.log.debug?.({ url: redactUrls(conn.url), reason: detail }, 'connection attempt failed');
      this.schedule(this.rotation.attemptFailed(conn.index, conn.busy));
      return;
    }
    if (conn === this.failback) {
      this.failback = undefined;
      if (conn.purpose === 'handover') {
        // Stay: the leaving broker still serves, and when it is gone the link fails over as usual.
        this.log.warn?.({ url: redactUrls(conn.url), reason: detail }, 'the broker is stopping, but the next one is not reachable');
        return;
      }
      this.counters.failedReturns += 1;
      this.lastReturnError = detail;
      this.log.debug?.({ url: redactUrls(conn.url), reason: detail, backoff: this.failbackPlan.backoff }, 'could not move back to the primary');
      this.failbackPlan.moveFailed();
      return;
    }
    if (conn === this.current) {
      this.current = undefined;
      this.connectedSince = undefined;
      // Lost soon after a return: the primary is not ready for the fleet yet, and the next return waits longer (failback.ts).
      if (this.returning(conn)) this.failbackPlan.returnFailed();
      else if (conn.index === 0) this.failbackPlan.reset();
      this.failbackPlan.cancel();
      this.sparePlan.cancel();
      if (this.handoverTimer) clearTimeout(this.handoverTimer);
      this.handoverTimer = undefined;
      if (this.failback) {
        this.drop(this.failback);
        this.failback = undefined;
      }
      this.death = { url: conn.url, reason, lastHeard: conn.lastHeard, at: Date.now() };
      if (reason === 'heartbeat' && this.config.liveness === 'heartbeat' && conn.heartbeats === 0) {
        this.log.warn?.({ url: redactUrls(conn.url), filter: this.config.heartbeatFilter }, 'this broker sent no heartbeat at all: a broker without heartbeats needs failoverMs 0 or liveness ack');
      }
      this.log.warn?.({ url: redactUrls(conn.url), reason: detail, queued: this.outbox.size }, 'link lost');
      this.emit('disconnected', conn.url, detail);
      const next = this.rotation.linkDied(conn.index);
      const death = this.death;
      paced(() => this.failOver(death, next));
      return;
    }
    // A retired connection closing: what it still carried goes out on the current one.
    this.sender.resendUnsent();
  }

  /** After the link was lost: onto the spare when it is up, else the next broker. Paced: see pacer.ts. */
  protected failOver(death: Death, next: NextAttempt): void {
    if (this.closing || this.death !== death || this.current || this.pending) return;
    const spare = this.spare;
    this.spare = undefined;
    if (spare?.up && !spare.closed) {
      // What was in flight goes out on the spare: no new connection, no authentication, no subscribing.
      this.sender.replay(replayFrom(death));
      spare.purpose = 'main';
      this.adopt(spare, undefined);
      return;
    }
    if (spare) this.drop(spare);
    // A fleet that lost its broker together arrives on the next one spread.
    const jitter = Math.round(this.config.reconnectJitterMs * this.random());
    if (jitter <= 0) this.schedule(next);
    else this.retryTimer = setTimeout(() => this.schedule(next), jitter);
  }

  /** Forgets a connection: no more events from it count, its unacknowledged publishes are unsent again. */
  protected drop(conn: Connection, later = false): void {
    if (conn.closed) return;
    destroyConnection(conn, later);
    this.sender.connectionLost(conn);
  }

  /** The old connection after a move: a clean DISCONNECT (no Last Will) once its in-flight publishes settle. */
  protected retire(conn: Connection): void {
    conn.draining = true;
    void this.disconnect(conn, Math.max(1000, 2 * this.config.failoverMs)).then(() => this.sender.resendUnsent());
  }

  protected disconnect(conn: Connection, timeoutMs: number): Promise<void> {
    return endConnection(conn, timeoutMs, () => this.drop(conn));
  }

  /** A message on `conn` (notices.ts): heartbeats, the bridge state, stop notices, the caller's topics. */
  protected abstract onMessage(conn: Connection, topic: string, payload: Buffer, packet: IPublishPacket): void;
}
