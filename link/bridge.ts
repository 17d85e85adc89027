// Whether a standby's bridge to the primary is up, as the link learns it.
// The standby keeps its bridge state retained (`$SYS/<id>/bridge`), and a
// broker sends the retained messages after the SUBACK, not with it: Aedes
// writes the SUBACK, then reads the retained store. A link that took the
// SUBACK for the answer could go back to a primary whose bridge is down in
// between (a restarted primary has no subscribers until it is back). So the
// link waits for the state, up to a second (or a probe interval, if longer):
// a standby that keeps none (another broker, or the bridge filter refused)
// delays a return by that, once; ours answer at once.
import type { Connection } from './connection.ts';

/** How long after the SUBACK a standby's retained bridge state may take to arrive, at least. */
export const BRIDGE_STATE_GRACE_MS = 1000;

/** After the SUBACK for the bridge state: `settled` once the state arrived, or `graceMs` passed without it. */
export function awaitBridgeState(conn: Connection, graceMs: number, settled: () => void): void {
  if (conn.closed) return;
  if (conn.bridgeState !== undefined || graceMs <= 0) return settle(conn, settled);
  conn.bridgeSettled = settled;
  conn.bridgeWait = setTimeout(() => settle(conn, settled), graceMs);
}

/** The standby said what its bridge is doing: the link knows, and a wait for it ends (its `settled` runs). */
export function bridgeStateHeard(conn: Connection, state: string): void {
  const settled = conn.bridgeSettled;
  conn.bridgeState = state;
  settle(conn, settled);
}

function settle(conn: Connection, settled: (() => void) | undefined): void {
  clearTimeout(conn.bridgeWait);
  conn.bridgeWait = conn.bridgeSettled = undefined;
  conn.bridgeUnasked = false;
  settled?.();
}
