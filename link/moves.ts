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
 * What to send again after `death` counts back from the last packet heard from the lost broker,
 * not from when the loss was noticed: a process holding many links may notice each loss a second
 * or more after the broker died (it handles them one by one), and what the broker acknowledged
 * just before it died must still go out again.
 */
export function replayFrom(death: Death): number {
  return Math.min(death.at, death.lastHeard);
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
