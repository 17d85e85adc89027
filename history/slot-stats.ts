// Turnover and mean stay per slot over a range, from the slot history. Pure: the changes of
// one lot in time order in, one row per slot out. Aggregate counts only: nothing names a car.
//
// A stay counts in the range when it ends there (a departure), with its length from its
// start, which may lie before the range: the changes are read from a look-back before `from`
// (a day) so that such a start is known. A slot whose last change before the range is older
// than the look-back starts the range in a state not known: its first change in the range is
// no arrival or departure (a car parked for over a day before the range is missed). Repeats
// of a state (a sensor saying again what it said) are no change.
import type { SlotChange } from './rollup.ts';

export interface SlotStatsRow {
  lot: string;
  level: string;
  slot: string;
  /** Times the slot turned occupied in the range: its turnover. */
  arrivals: number;
  departures: number;
  /** Mean length of the stays that ended in the range and whose start is known, minutes (1 decimal); null with none. */
  meanStayMinutes: number | null;
  /** The slot's state at the range's end, as far as the history says. */
  status: string | null;
}

export const SLOT_STATS_COLUMNS = ['lot', 'level', 'slot', 'arrivals', 'departures', 'meanStayMinutes', 'status'] as const;

interface Tally {
  status: string | null;
  /** When the current state began, if known (seen from the look-back on). */
  since: number | null;
  arrivals: number;
  departures: number;
  stayMs: number;
  stays: number;
}

export class SlotStats {
  private readonly slots = new Map<string, Tally>();

  constructor(
    private readonly lot: string,
    private readonly from: number,
  ) {}

  /** One change, in time order (the look-back's first). */
  add(c: SlotChange): void {
    const key = `${c.level}/${c.slot}`;
    let t = this.slots.get(key);
    if (!t) this.slots.set(key, (t = { status: null, since: null, arrivals: 0, departures: 0, stayMs: 0, stays: 0 }));
    if (t.status === c.status) return;
    if (c.at >= this.from) {
      if (c.status === 'occupied') t.arrivals += 1;
      if (t.status === 'occupied') {
        t.departures += 1;
        if (t.since !== null) {
          t.stayMs += c.at - t.since;
          t.stays += 1;
        }
      }
    }
    t.status = c.status;
    t.since = c.at;
  }

  /** The rows, naturally sorted by level and slot; slots seen only in the look-back are listed with their state. */
  rows(): SlotStatsRow[] {
    const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
    return [...this.slots]
      .map(([key, t]) => {
        const at = key.indexOf('/');
        return { lot: this.lot, level: key.slice(0, at), slot: key.slice(at + 1), arrivals: t.arrivals, departures: t.departures, meanStayMinutes: t.stays ? Math.round(t.stayMs / t.stays / 6_000) / 10 : null, status: t.status };
      })
      .sort((a, b) => byName(a.level, b.level) || byName(a.slot, b.slot));
  }
}
