// A graceful stop, the part clients see first: the broker announces it is
// leaving on `$SYS/<id>/leaving`, and failover links that listen move to the
// other broker before this one stops serving them (make before break): they
// keep publishing here until their new connection is up, so a planned
// switchover interrupts nobody. Clients that do not listen (the standby's
// bridge, plain subscribers) are drained afterwards (see drainClients).
import type { Aedes } from 'aedes';
import { topicMatches } from '../link/topic.ts';

/** Where a broker announces a graceful stop; failover links subscribe to `$SYS/+/leaving`. */
export const LEAVING_FILTER = '$SYS/+/leaving';

export function leavingTopic(brokerId: string): string {
  return `$SYS/${brokerId}/leaving`;
}

interface ClientView {
  id: string;
  subscriptions?: Record<string, unknown>;
}

/** Connected clients subscribed to the notice. */
function listeners(aedes: Aedes, topic: string): Set<string> {
  const clients = Object.values((aedes as unknown as { clients: Record<string, ClientView> }).clients ?? {});
  return new Set(clients.filter((c) => Object.keys(c.subscriptions ?? {}).some((filter) => topicMatches(filter, topic))).map((c) => c.id));
}

export interface HandoverResult {
  /** Clients that heard the notice. */
  notified: number;
  /** Of those, still connected when the wait ended. */
  stayed: number;
  ms: number;
}

export interface HandoverLimits {
  /** Stop waiting once no client has left for this long (the rest are not moving); ms. */
  stallMs: number;
  /** Stop waiting after this long in any case; ms. */
  maxMs: number;
}

/** A fleet of thousands takes seconds to move, the standby taking it in: wait while it moves, not a fixed time. */
export const HANDOVER_DEFAULTS: HandoverLimits = { stallMs: 3000, maxMs: 20_000 };

/**
 * Announces the stop and waits until every client that heard it has disconnected, or
 * none left for `stallMs`, or `maxMs` passed. The broker keeps serving them meanwhile.
 */
export async function handOver(aedes: Aedes, brokerId: string, limits: HandoverLimits = HANDOVER_DEFAULTS): Promise<HandoverResult> {
  const started = Date.now();
  const topic = leavingTopic(brokerId);
  const waiting = listeners(aedes, topic);
  if (!waiting.size || limits.maxMs <= 0) return { notified: waiting.size, stayed: waiting.size, ms: 0 };
  const notified = waiting.size;
  await new Promise<void>((resolve) => {
    const cap = setTimeout(finish, limits.maxMs);
    let stall = setTimeout(finish, Math.min(limits.stallMs, limits.maxMs));
    function onGone(client: { id: string }) {
      if (!waiting.delete(client.id)) return;
      if (!waiting.size) return finish();
      clearTimeout(stall);
      stall = setTimeout(finish, limits.stallMs);
    }
    function finish() {
      clearTimeout(cap);
      clearTimeout(stall);
      aedes.off('clientDisconnect', onGone);
      resolve();
    }
    aedes.on('clientDisconnect', onGone);
    aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(brokerId), qos: 0, retain: false, dup: false } as never, () => undefined);
  });
  return { notified, stayed: waiting.size, ms: Date.now() - started };
}
