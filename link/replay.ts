// Publishes a broker acknowledged in the last `windowMs`. A broker that dies
// right after a PUBACK may not have passed the message on (to the bridge, to
// subscribers), so after an unplanned switch these go out again on the new
// broker: a possible duplicate (harmless: slot states are newest-wins, gate
// events carry an eventId), never a loss. Pure bookkeeping.
import type { OutboxEntry } from './outbox.ts';

export class RecentAcks {
  private entries: Array<{ entry: OutboxEntry; at: number }> = [];

  constructor(private readonly windowMs: number) {}

  add(entry: OutboxEntry, at: number): void {
    this.entries.push({ entry, at });
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop].at < at - this.windowMs) drop += 1;
    if (drop) this.entries.splice(0, drop);
  }

  /** Those acknowledged within the window before `lostAt`, oldest first; forgets all. */
  takeBefore(lostAt: number): OutboxEntry[] {
    const out = this.entries.filter(({ at }) => at >= lostAt - this.windowMs).map(({ entry }) => entry);
    this.entries = [];
    return out;
  }
}
