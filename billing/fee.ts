// The fee of a stay under a tariff. Pure, no I/O; times are epoch milliseconds.
//
// 1. A stay shorter than the grace period is free.
// 2. Otherwise the time rate applies: the first period's price, then the increment's price
//    per started increment (a started increment counts whole).
// 3. With an overnight window, time inside the window is not charged by the time rate;
//    each night the stay touches costs the overnight price once instead.
// 4. With a daily maximum the stay is cut into 24-hour days from entry; each day is charged
//    as above (the first period again at the start of each day, each night with the day it
//    starts in) and capped at the maximum.
import { clockMinutes, offsetMinutes, type Tariff } from './tariff.ts';

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;

/** One charged day of a stay (the whole stay when the tariff has no daily maximum). */
export interface DayCharge {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  /** Time charged by the time rate (outside overnight windows), ms. */
  timeMs: number;
  timeCharge: number;
  /** Overnight windows first touched in this day. */
  nights: number;
  overnightCharge: number;
  /** What the day costs: the sum, capped by the daily maximum. */
  charge: number;
  capped: boolean;
}

export interface FeeResult {
  fee: number;
  /** Started minutes of the stay: 2h04m01s is 125. */
  durationMinutes: number;
  /** Free because shorter than the grace period. */
  grace: boolean;
  days: DayCharge[];
}

/** Started minutes of a stay of `ms` milliseconds. */
export const startedMinutes = (ms: number): number => Math.ceil(ms / MINUTE_MS);

/** The time rate for `ms` of chargeable time: first period, then started increments. */
export function timeCharge(tariff: Tariff, ms: number): number {
  if (ms <= 0) return 0;
  const firstMs = tariff.firstPeriod.minutes * MINUTE_MS;
  const increments = Math.ceil(Math.max(0, ms - firstMs) / (tariff.increment.minutes * MINUTE_MS));
  return tariff.firstPeriod.price + increments * tariff.increment.price;
}

interface Window {
  start: number;
  end: number;
}

/** Overnight windows (epoch ms, half-open) that overlap [from, to). */
export function overnightWindows(tariff: Tariff, from: number, to: number): Window[] {
  const o = tariff.overnight;
  if (!o || to <= from) return [];
  const offset = offsetMinutes(o.utcOffset)! * MINUTE_MS;
  const start = clockMinutes(o.from)! * MINUTE_MS;
  const length = ((clockMinutes(o.to)! - clockMinutes(o.from)! + 1440) % 1440) * MINUTE_MS;
  const windows: Window[] = [];
  // Local midnights from the day before `from` (its window may reach into `from`'s day).
  const firstDay = Math.floor((from + offset) / DAY_MS) - 1;
  const lastDay = Math.floor((to + offset) / DAY_MS);
  for (let day = firstDay; day <= lastDay; day += 1) {
    const ws = day * DAY_MS - offset + start;
    const we = ws + length;
    if (ws < to && we > from) windows.push({ start: ws, end: we });
  }
  return windows;
}

const overlap = (w: Window, from: number, to: number): number => Math.max(0, Math.min(w.end, to) - Math.max(w.start, from));

/**
 * The fee of a stay from `entryAt` to `exitAt` (epoch ms). Throws a RangeError when the
 * exit is before the entry or a time is not a finite number: the caller decides what
 * such a stay means (billing never charges a negative duration).
 */
export function computeFee(tariff: Tariff, entryAt: number, exitAt: number): FeeResult {
  if (!Number.isFinite(entryAt) || !Number.isFinite(exitAt)) throw new RangeError(`times must be finite epoch milliseconds, got ${entryAt} and ${exitAt}`);
  if (exitAt < entryAt) throw new RangeError(`exit ${new Date(exitAt).toISOString()} is before entry ${new Date(entryAt).toISOString()}`);
  const stayMs = exitAt - entryAt;
  const durationMinutes = startedMinutes(stayMs);
  if (stayMs < tariff.graceMinutes * MINUTE_MS) return { fee: 0, durationMinutes, grace: true, days: [] };

  const windows = overnightWindows(tariff, entryAt, exitAt);
  const dayMs = tariff.dailyMax === null ? stayMs : DAY_MS;
  const days: DayCharge[] = [];
  for (let from = entryAt; from < exitAt; from += dayMs) {
    const to = Math.min(from + dayMs, exitAt);
    const inside = windows.reduce((sum, w) => sum + overlap(w, from, to), 0);
    // A night belongs to the day in which the stay first touches it.
    const nights = windows.filter((w) => {
      const touched = Math.max(w.start, entryAt);
      return touched >= from && touched < to;
    }).length;
    const timeMs = to - from - inside;
    const time = timeCharge(tariff, timeMs);
    const overnightCharge = nights * (tariff.overnight?.price ?? 0);
    const sum = time + overnightCharge;
    const capped = tariff.dailyMax !== null && sum > tariff.dailyMax;
    days.push({ from, to, timeMs, timeCharge: time, nights, overnightCharge, charge: capped ? tariff.dailyMax! : sum, capped });
  }
  const fee = days.reduce((sum, d) => sum + d.charge, 0);
  if (!Number.isSafeInteger(fee)) throw new RangeError(`fee ${fee} is beyond safe integers: the stay or the tariff's amounts are too large`);
  return { fee, durationMinutes, grace: false, days };
}
