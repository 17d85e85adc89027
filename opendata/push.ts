// Push as well as pull: every change of a lot or a slot forwarded to an NGSI-LD
// context broker (Orion-LD style), `PATCH /ngsi-ld/v1/entities/{id}/attrs`, the
// entity created (`POST /ngsi-ld/v1/entities`) the first time the broker does not
// know it.
//
// It never slows anything else: it is fed from MQTT like any reader, keeps only
// the newest state of each entity while one is pending (a burst of changes to one
// slot is one request), sends at most `concurrency` requests at once, each with a
// deadline, and on failure tries again later (1 s, doubling to a minute) with what
// is newest then. A context broker that is down is logged once, and once again when
// it is back.
import { CONTEXT_LINK, normalized, type Entity } from './ngsi.ts';

export interface PushOptions {
  /** The context broker, e.g. `http://orion:1026`. */
  url: string;
  /** Deadline of one request, ms (default 5000). */
  timeoutMs?: number;
  /** Requests at once (default 4). */
  concurrency?: number;
  /** Extra headers (`NGSILD-Tenant`, an API key). */
  headers?: Record<string, string>;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  fetch?: typeof fetch;
}

export interface PushStats {
  sent: number;
  created: number;
  failed: number;
  pending: number;
  /** The last failure, while the context broker has not answered since. */
  down: string | null;
}

export interface Pusher {
  /** An entity's new state (key-values) and when it was observed. */
  push(entity: Entity, observedAt: string): void;
  stats(): PushStats;
  close(): Promise<void>;
}

const MAX_BACKOFF_MS = 60_000;

export function ngsiPusher(o: PushOptions): Pusher {
  const base = o.url.replace(/\/+$/, '');
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.timeoutMs ?? 5000;
  const concurrency = o.concurrency ?? 4;
  const pending = new Map<string, { entity: Entity; observedAt: string }>();
  const inFlight = new Set<string>();
  const stats: PushStats = { sent: 0, created: 0, failed: 0, pending: 0, down: null };
  let backoffMs = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const running = new Set<Promise<void>>();

  const headers = (json: 'application/json'): Record<string, string> => ({ 'content-type': json, link: CONTEXT_LINK, ...o.headers });

  async function request(method: 'PATCH' | 'POST', path: string, body: unknown): Promise<number> {
    const res = await doFetch(`${base}${path}`, { method, headers: headers('application/json'), body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  }

  /** Sends one entity's newest state: PATCH, and on 404 create it. */
  async function send(entity: Entity, observedAt: string): Promise<void> {
    const { id, type, ...attrs } = normalized(entity, observedAt);
    const status = await request('PATCH', `/ngsi-ld/v1/entities/${encodeURIComponent(id)}/attrs`, attrs);
    if (status === 204 || status === 207) return;
    if (status === 404) {
      const created = await request('POST', '/ngsi-ld/v1/entities', { id, type, ...attrs });
      if (created === 201 || created === 409) {
        stats.created += created === 201 ? 1 : 0;
        // 409: made meanwhile (another platform); the attributes go on the next change.
        return;
      }
      throw new Error(`creating ${id}: HTTP ${created}`);
    }
    throw new Error(`updating ${id}: HTTP ${status}`);
  }

  function pump(): void {
    if (closed || retryTimer) return;
    for (const [id, next] of pending) {
      if (inFlight.size >= concurrency) return;
      if (inFlight.has(id)) continue;
      pending.delete(id);
      inFlight.add(id);
      const job = send(next.entity, next.observedAt).then(
        () => {
          stats.sent += 1;
          backoffMs = 0;
          if (stats.down) {
            o.logger?.info({ url: base }, 'NGSI-LD push: the context broker answers again');
            stats.down = null;
          }
        },
        (err: Error) => {
          stats.failed += 1;
          // Keep the newest: a change that came meanwhile wins over this one.
          if (!pending.has(id)) pending.set(id, next);
          if (!stats.down) o.logger?.warn({ url: base, err: err.message }, 'NGSI-LD push: the context broker does not answer; keeping the newest state of each entity and trying again');
          stats.down = err.message;
          backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs ? backoffMs * 2 : 1000);
          if (!retryTimer && !closed) {
            retryTimer = setTimeout(() => {
              retryTimer = undefined;
              pump();
            }, backoffMs);
            retryTimer.unref();
          }
        },
      );
      const tracked = job.finally(() => {
        inFlight.delete(id);
        running.delete(tracked);
        stats.pending = pending.size;
        pump();
      });
      running.add(tracked);
    }
    stats.pending = pending.size;
  }

  return {
    push(entity, observedAt) {
      if (closed) return;
      pending.set(entity.id, { entity, observedAt });
      stats.pending = pending.size;
      pump();
    },
    stats: () => ({ ...stats }),
    close: async () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      await Promise.allSettled([...running]);
    },
  };
}
