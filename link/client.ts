// A failover-aware MQTT link. MQTT.js carries each connection (connection.ts);
// the link decides which broker to use (core.ts), notices a dead or silent
// broker (heartbeats or acknowledgement deadlines, see options.ts `Liveness`),
// switches at once, returns to the primary when it is healthy again
// (failback.ts), and keeps its own queue of unacknowledged QoS 1/2 publishes
// (outbox.ts, sent by sender.ts) so that nothing is lost across a switch
// (duplicates are possible, loss is not).
import { LinkNotices } from './notices.ts';
import type { LinkOptions, LinkStats, LinkTotals, PublishOptions } from './options.ts';
import type { OutboxEntry, QoS } from './outbox.ts';
import { roleOf, type Role } from './policy.ts';
import { filterProblem, publishTopicProblem } from './topic.ts';

export type { LinkLogger, LinkWill, LinkOptions, SwitchReason, PublishOptions, FailoverRecord, LinkStats, LinkTotals, LinkEvents, Liveness } from './options.ts';

export class LinkClosedError extends Error {
  override readonly name = 'LinkClosedError';
}

interface Deferred {
  /** With the URL of the broker that acknowledged. */
  resolve: (url?: string) => void;
  reject: (error: Error) => void;
}

const noop = (): void => {};

export class FailoverLink extends LinkNotices {
  private readonly waiting = new Map<number, Deferred>();
  private closed: Promise<void> | undefined;
  private drainWaiters: Array<() => void> = [];

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

  /** The MQTT keep-alive it uses, seconds. */
  get keepaliveSec(): number {
    return this.config.keepaliveSec;
  }

  get role(): Role | undefined {
    return this.current ? roleOf(this.current.index) : undefined;
  }

  /**
   * What a process holding many links sums often (the fleet drill, twice a second over
   * thousands): the running totals themselves, read-only, and the few states beside them,
   * without building the whole of `stats()`.
   */
  get totals(): LinkTotals {
    return { counts: this.counters, queued: this.outbox.size, spareUp: this.spare?.up === true, lastReturnError: this.lastReturnError };
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
    if (this.current?.up) this.sender.sendNew(this.current, entry);
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
    this.subscriptionsVersion += 1;
    const conn = this.current;
    if (!conn?.up) return Promise.resolve();
    return new Promise((resolve, reject) => {
      conn.client.subscribe(Object.fromEntries(list.map((filter) => [filter, { qos }])), (error) => (error ? reject(error) : resolve()));
    });
  }

  unsubscribe(filters: string | readonly string[]): Promise<void> {
    const list = typeof filters === 'string' ? [filters] : [...filters];
    for (const filter of list) this.subscriptions.delete(filter);
    this.subscriptionsVersion += 1;
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
    this.failbackPlan.cancel();
    this.sparePlan.cancel();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.handoverTimer) clearTimeout(this.handoverTimer);
    for (const conn of [this.pending, this.failback, this.spare]) if (conn) this.drop(conn);
    this.pending = undefined;
    this.failback = undefined;
    this.spare = undefined;
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
    const sent = this.sender.counts;
    return {
      state: this.closing ? 'closed' : !this.started ? 'idle' : conn?.ready ? 'connected' : 'connecting',
      url: conn?.url,
      role: conn ? roleOf(conn.index) : undefined,
      clientId: this.clientId,
      liveness: this.config.liveness,
      connects: this.counters.connects,
      failovers: this.counters.failovers,
      failbacks: this.counters.failbacks,
      failedReturns: this.counters.failedReturns,
      lastReturnError: this.lastReturnError,
      lastFailover: this.lastFailover,
      queued: this.outbox.size,
      oldestQueuedMs: this.outbox.oldestAgeMs(now),
      published: this.counters.published,
      acked: this.counters.acked,
      resent: sent.resent,
      replayed: sent.replayed,
      droppedQos0: this.counters.droppedQos0,
      received: this.counters.received,
      heartbeats: this.counters.heartbeats,
      lastHeartbeatAt: this.lastHeartbeatAt,
      probes: { ...this.failbackPlan.counts },
      connectedSince: this.connectedSince,
      ackDeadlineMs: conn?.acks ? this.deadlineOf(conn) : undefined,
      spare: !this.spare ? 'none' : this.spare.up ? 'up' : 'connecting',
    };
  }

  /** A publish was acknowledged (and left the outbox). */
  protected override settled(id: number, url: string): void {
    this.counters.acked += 1;
    this.waiting.get(id)?.resolve(url);
    this.waiting.delete(id);
    if (this.outbox.size === 0 && this.drainWaiters.length) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }
}

/** Creates a link and starts connecting. */
export function connectLink(options: LinkOptions): FailoverLink {
  return new FailoverLink(options).start();
}
