// Availability per lot from the newest slot states, published retained
// whenever the counts change (the summary and one topic per level).
import {
  STATUS_FIELD, emptyLevel, summarise, summariseLevels, type AvailabilitySummary, type LevelAvailability, type LevelTotals, type SlotLike, type SlotStatus, type Topics,
} from '../contract/index.ts';

export interface Publication {
  topic: string;
  payload: string;
}

/**
 * Slot counts per lot and level, kept up to date one slot at a time, so a
 * summary costs the number of levels instead of a walk over every slot.
 */
export class AvailabilityCounts {
  /** What each slot is counted as. */
  private readonly counted = new Map<string, { lot: string; level: string; status: SlotStatus }>();
  private readonly lots = new Map<string, Map<string, LevelAvailability>>();

  /** Counts slot `id` (of `lot`, `level`) as `status` from now on. */
  set(id: string, lot: string, level: string, status: SlotStatus): void {
    const before = this.counted.get(id);
    if (before && before.status === status && before.lot === lot && before.level === level) return;
    this.remove(id);
    let levels = this.lots.get(lot);
    if (!levels) this.lots.set(lot, (levels = new Map()));
    let counts = levels.get(level);
    if (!counts) levels.set(level, (counts = emptyLevel()));
    counts[STATUS_FIELD[status]] += 1;
    counts.totalSpotNumber += 1;
    this.counted.set(id, { lot, level, status });
  }

  /** Counts slot `id` no more (before it is counted again, or a slot the lot configuration does not count). */
  remove(id: string): void {
    const before = this.counted.get(id);
    if (!before) return;
    const old = this.lots.get(before.lot)!.get(before.level)!;
    old[STATUS_FIELD[before.status]] -= 1;
    old.totalSpotNumber -= 1;
    this.counted.delete(id);
  }

  /** The availability summary of `lot`, equal to `summarise` over its slots as counted. */
  summary(lot: string, observedAt: Date, totals: LevelTotals = {}): AvailabilitySummary {
    const levels: Record<string, LevelAvailability> = {};
    for (const [name, counts] of this.lots.get(lot) ?? []) if (counts.totalSpotNumber > 0) levels[name] = { ...counts };
    return summariseLevels(lot, levels, observedAt, totals);
  }
}

/** What each publication last said, so unchanged counts are not republished. */
export class AvailabilityTracker {
  private readonly last = new Map<string, string>();

  constructor(
    private readonly topics: Topics,
    private readonly totals: Record<string, LevelTotals> = {},
  ) {}

  /** The configured totals of `lot`, if any. */
  totalsOf(lot: string): LevelTotals | undefined {
    return this.totals[lot];
  }

  /** The publications that changed for `lot`, given all its slots now. */
  changes(lot: string, slots: Iterable<SlotLike>, now: Date): Publication[] {
    return this.changesOf(summarise(lot, slots, now, this.totals[lot]));
  }

  /** The publications that changed, given the lot's summary now. */
  changesOf(summary: AvailabilitySummary): Publication[] {
    const { lot } = summary;
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
