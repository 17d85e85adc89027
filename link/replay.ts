// Publishes a broker acknowledged in the last `windowMs`. A broker that dies
// right after a PUBACK may not have passed the message on (to the bridge, to
// subscribers), so after an unplanned switch these go out again on the new
// broker: a possible duplicate (harmless: slot states are newest-wins, gate
// events carry an eventId), never a loss. A broker that announced its stop
// may close before passing on what it acknowledged since: from the notice on,
// everything acknowledged is kept until the link has moved, and goes out again
// on the next broker. Pure bookkeeping.
import type { OutboxEntry } from './outbox.ts';

/** However long a stop takes, at most this many are kept (the oldest go first). */
const MAX_KEPT = 10_000;

export class RecentAcks {
  private entries: Array<{ entry: OutboxEntry; at: number }> = [];
  /** Set by a broker's stop notice: nothing acknowledged from then on is forgotten. */
  private keepFrom: number | undefined;

  constructor(private readonly windowMs: number) {}

  add(entry: OutboxEntry, at: number): void {
    this.entries.push({ entry, at });
    // No closure here: this runs for every acknowledgement, thousands at once in a process holding many links.
    const from = this.keepFrom === undefined ? at - this.windowMs : Math.min(at - this.windowMs, this.keepFrom);
    let drop = 0;
    while (drop < this.entries.length && (this.entries[drop].at < from || this.entries.length - drop > MAX_KEPT)) drop += 1;
    if (drop) this.entries.splice(0, drop);
  }

  /** The broker serving announced its stop at `at`. */
  keepSince(at: number): void {
    this.keepFrom ??= at;
  }

  /** Those acknowledged within the window before `lostAt`, or since a stop notice, oldest first; forgets all. */
  takeBefore(lostAt: number): OutboxEntry[] {
    const from = Math.min(lostAt - this.windowMs, this.keepFrom ?? Infinity);
    const out = this.entries.filter(({ at }) => at >= from).map(({ entry }) => entry);
    this.entries = [];
    this.keepFrom = undefined;
    return out;
  }

  /** After a planned move: those acknowledged since the stop notice, oldest first; forgets all. */
  takeSinceNotice(): OutboxEntry[] {
    if (this.keepFrom === undefined) return [];
    const from = this.keepFrom;
    const out = this.entries.filter(({ at }) => at >= from).map(({ entry }) => entry);
    this.entries = [];
    this.keepFrom = undefined;
    return out;
  }
}
