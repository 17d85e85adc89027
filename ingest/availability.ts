// Availability per lot from the newest slot states, published retained
// whenever the counts change (the summary and one topic per level).
import { summarise, type AvailabilitySummary, type LevelTotals, type SlotLike, type Topics } from '../contract/index.ts';

export interface Publication {
  topic: string;
  payload: string;
}

/** What each publication last said, so unchanged counts are not republished. */
export class AvailabilityTracker {
  private readonly last = new Map<string, string>();

  constructor(
    private readonly topics: Topics,
    private readonly totals: Record<string, LevelTotals> = {},
  ) {}

  /** The publications that changed for `lot`, given all its slots now. */
  changes(lot: string, slots: Iterable<SlotLike>, now: Date): Publication[] {
    const summary = summarise(lot, slots, now, this.totals[lot]);
    const out: Publication[] = [];
    const { observedAt: _, ...counts } = summary;
    const key = this.topics.availability(lot);
    const fingerprint = JSON.stringify(counts);
    if (this.last.get(key) !== fingerprint) {
      this.last.set(key, fingerprint);
      out.push({ topic: key, payload: JSON.stringify(summary satisfies AvailabilitySummary) });
    }
    for (const [level, counts] of Object.entries(summary.levels)) {
      const topic = this.topics.levelAvailability(lot, level);
      const payload = String(counts.availableSpotNumber);
      if (this.last.get(topic) !== payload) {
        this.last.set(topic, payload);
        out.push({ topic, payload });
      }
    }
    return out;
  }
}
