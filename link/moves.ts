// What a link records of a move between brokers (FailoverLink.stats().lastFailover,
// the 'failover' event). Pure.
import type { Connection } from './connection.ts';
import type { FailoverRecord, SwitchReason } from './options.ts';

/** The broker the link lost: when it was last heard from, and when the loss was noticed. */
export interface Death {
  url: string;
  reason: SwitchReason;
  lastHeard: number;
  at: number;
}

/**
 * The move `conn` completes, ready at `now`: a planned move (handover), a return to the primary
 * (failback), or a failover after `death`; undefined for none (a first connection, a refresh of
 * the same broker, a reconnection to the broker that was lost).
 */
export function moveRecord(conn: Connection, previous: Connection | undefined, death: Death | undefined, now: number): FailoverRecord | undefined {
  if (previous && conn.purpose === 'handover') return { from: previous.url, to: conn.url, reason: 'planned', ms: now - conn.startedAt, detectMs: 0, at: now };
  // A refresh: the same broker, now with the Last Will.
  if (previous && conn.purpose === 'refresh') return undefined;
  if (previous) return { from: previous.url, to: conn.url, reason: 'failback', ms: now - conn.startedAt, detectMs: 0, at: now };
  if (death && death.url !== conn.url) return { from: death.url, to: conn.url, reason: death.reason, ms: now - death.lastHeard, detectMs: death.at - death.lastHeard, at: now };
  return undefined;
}
