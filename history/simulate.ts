// Weeks of slot history in seconds, for tests, screenshots, the forecast backtest and
// a demo: `parking simulate --history DAYS` writes what ingest would have written
// (`slotEvents`, and `slots` at the end). Pure: a seeded generator.
//
// Each level follows a daily demand curve: weekdays rise from 07:00 to a noon peak
// and an evening one, weekends peak in the afternoon, nights are quiet; each level
// has its own scale, every day its own mood (±15 %), and now and then an event
// evening fills the lot. Every 5 minutes a free slot is taken with the chance that
// holds the level at its target and an occupied one freed with 5 / mean stay, at a
// random moment of the 5 minutes.
import { mulberry32 } from '../devices/random.ts';
import { STEP_MS } from './rollup.ts';

/** A lot to simulate: its levels and their slot ids (`planFleet` of devices/ names them as `parking simulate` does). */
export interface SimulatedLot {
  lot: string;
  levels: ReadonlyArray<{ level: string; slots: readonly string[] }>;
}

export interface HistorySpec {
  lots: readonly SimulatedLot[];
  /** Simulated [from, to), epoch ms. */
  from: number;
  to: number;
  /** The site's local time, ms east of UTC (days and hours of the curve). */
  utcOffsetMs: number;
  seed: number;
  /** Mean stay, minutes (default 90). */
  meanStayMinutes?: number;
}

export interface SimulatedChange {
  lot: string;
  level: string;
  slot: string;
  at: number;
  status: 'free' | 'occupied';
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The share of a level's slots wanted occupied at local hour `h` (fractional) of a weekday or a weekend day. */
export function demand(h: number, weekend: boolean): number {
  const bump = (centre: number, width: number) => Math.exp(-((h - centre) ** 2) / (2 * width * width));
  const v = weekend ? 0.08 + 0.72 * bump(15, 3.2) : 0.06 + 0.78 * bump(12, 2.6) + 0.35 * bump(18.5, 1.6);
  return Math.min(0.97, v);
}

/**
 * The changes of every slot in [from, to), in time order, starting from an empty lot at
 * `from` (every slot free). `onChunk` gets them a day at a time (a month of a big lot
 * need not be in memory at once).
 */
export function simulateHistory(spec: HistorySpec, onChunk: (changes: SimulatedChange[]) => void): void {
  const random = mulberry32(spec.seed);
  const meanStay = (spec.meanStayMinutes ?? 90) * 60_000;
  const leave = Math.min(0.9, STEP_MS / meanStay);
  const slots = spec.lots.flatMap((l) =>
    l.levels.map((lv, li) => ({ lot: l.lot, level: lv.level, ids: lv.slots, scale: 0.75 + 0.25 * ((li + 1) / l.levels.length), occupied: new Array<boolean>(lv.slots.length).fill(false) })),
  );
  let chunk: SimulatedChange[] = [];
  let day = -1;
  let mood = 1;
  let eventDay = false;
  for (let t = Math.floor(spec.from / STEP_MS) * STEP_MS; t < spec.to; t += STEP_MS) {
    const local = t + spec.utcOffsetMs;
    const d = Math.floor(local / DAY_MS);
    if (d !== day) {
      if (chunk.length) onChunk(chunk.sort((a, b) => a.at - b.at));
      chunk = [];
      day = d;
      mood = 0.85 + 0.3 * random();
      eventDay = random() < 0.08;
    }
    const hour = (local - d * DAY_MS) / HOUR_MS;
    const weekday = new Date(d * DAY_MS).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const event = eventDay && hour >= 18 && hour < 22 ? 0.4 : 0;
    for (const s of slots) {
      const target = Math.min(0.97, demand(hour, weekend) * s.scale * mood + event);
      // Arrivals that hold the level at its target, given the departures.
      const arrive = Math.min(0.95, (leave * target) / Math.max(0.03, 1 - target));
      for (let i = 0; i < s.occupied.length; i += 1) {
        const flip = s.occupied[i] ? random() < leave : random() < arrive;
        if (!flip) continue;
        s.occupied[i] = !s.occupied[i];
        const at = t + Math.floor(random() * STEP_MS);
        if (at < spec.from || at >= spec.to) continue;
        chunk.push({ lot: s.lot, level: s.level, slot: s.ids[i], at, status: s.occupied[i] ? 'occupied' : 'free' });
      }
    }
  }
  if (chunk.length) onChunk(chunk.sort((a, b) => a.at - b.at));
}
