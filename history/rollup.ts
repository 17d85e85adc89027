// Occupancy over time, rolled up from the slot history (`slotEvents`). Pure: the
// slots' states at the start of a step and the step's events in, one bucket per
// level out, and the states at its end.
//
// A bucket holds what a chart or a forecast needs of a level in one step (5 min):
// the time-weighted mean of occupied slots (a car parked for half the step counts
// half), the most occupied at once, the counts at the step's end, and the turnover:
// arrivals (a slot turning occupied), departures and the summed length of the stays
// that ended in it (mean stay = stayMinutes / departures).

/** One step of the rollup: 5 minutes. */
export const STEP_MS = 5 * 60_000;

/** A slot's state: its status and since when (epoch ms). */
export interface SlotState {
  status: string;
  since: number;
}

/** A slot's states by `level/slot` (one lot's). */
export type LotStates = Map<string, SlotState>;

/** One accepted state change of a slot (a `slotEvents` record). */
export interface SlotChange {
  level: string;
  slot: string;
  /** When the sensor saw it, epoch ms. */
  at: number;
  status: string;
}

export interface Bucket {
  /** `{lot}/{level}/{start ISO}`: a step rolled up again writes the same document. */
  _id: string;
  lot: string;
  level: string;
  /** The step's start. */
  at: Date;
  stepMs: number;
  /** Slots of the level known at the step's end (every status). */
  total: number;
  /** At the step's end. */
  occupied: number;
  free: number;
  unknown: number;
  closed: number;
  /** Time-weighted mean of occupied slots over the step, 2 decimals. */
  occupiedMean: number;
  /** Most slots occupied at once in the step. */
  occupiedMax: number;
  arrivals: number;
  departures: number;
  /** Summed length of the stays that ended in the step, minutes (2 decimals). */
  stayMinutes: number;
}

export const bucketId = (lot: string, level: string, at: number): string => `${lot}/${level}/${new Date(at).toISOString()}`;

/** The start of the step that holds `ms`. */
export const stepStart = (ms: number, stepMs = STEP_MS): number => Math.floor(ms / stepMs) * stepMs;

const round2 = (n: number): number => Math.round(n * 100) / 100;

interface LevelTally {
  counts: Record<string, number>;
  total: number;
  area: number;
  last: number;
  max: number;
  arrivals: number;
  departures: number;
  stayMs: number;
}

/**
 * Rolls up one step [t0, t0 + stepMs) of `lot`: `states` (the slots at t0; updated in
 * place to the step's end) and `changes` (in the step, sorted by `at`). A bucket for every
 * level with a known slot, whether or not anything changed in the step.
 */
export function rollStep(lot: string, t0: number, states: LotStates, changes: readonly SlotChange[], stepMs = STEP_MS): Bucket[] {
  const t1 = t0 + stepMs;
  const levels = new Map<string, LevelTally>();
  const tally = (level: string): LevelTally => {
    let t = levels.get(level);
    if (!t) levels.set(level, (t = { counts: {}, total: 0, area: 0, last: t0, max: 0, arrivals: 0, departures: 0, stayMs: 0 }));
    return t;
  };
  for (const [key, s] of states) {
    const t = tally(key.slice(0, key.indexOf('/')));
    t.total += 1;
    t.counts[s.status] = (t.counts[s.status] ?? 0) + 1;
  }
  for (const t of levels.values()) t.max = t.counts.occupied ?? 0;
  for (const c of changes) {
    if (c.at < t0 || c.at >= t1) continue;
    const t = tally(c.level);
    const key = `${c.level}/${c.slot}`;
    const before = states.get(key);
    if (before?.status === c.status) continue;
    t.area += (t.counts.occupied ?? 0) * (c.at - t.last);
    t.last = c.at;
    if (before) t.counts[before.status] -= 1;
    else t.total += 1;
    t.counts[c.status] = (t.counts[c.status] ?? 0) + 1;
    if (c.status === 'occupied') t.arrivals += 1;
    if (before?.status === 'occupied') {
      t.departures += 1;
      t.stayMs += c.at - before.since;
    }
    t.max = Math.max(t.max, t.counts.occupied ?? 0);
    states.set(key, { status: c.status, since: c.at });
  }
  const buckets: Bucket[] = [];
  for (const [level, t] of [...levels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    t.area += (t.counts.occupied ?? 0) * (t1 - t.last);
    buckets.push({
      _id: bucketId(lot, level, t0),
      lot,
      level,
      at: new Date(t0),
      stepMs,
      total: t.total,
      occupied: t.counts.occupied ?? 0,
      free: t.counts.free ?? 0,
      unknown: t.counts.unknown ?? 0,
      closed: t.counts.closed ?? 0,
      occupiedMean: round2(t.area / stepMs),
      occupiedMax: t.max,
      arrivals: t.arrivals,
      departures: t.departures,
      stayMinutes: round2(t.stayMs / 60_000),
    });
  }
  return buckets;
}

/**
 * Sets the states that `current` (the `slots` collection: each slot's latest status and
 * since when) says changed before `until` but `states` missed: a change that reached the
 * history late (a Pi replaying its outbox after an outage), after its step was rolled up.
 * It counts from the next step. Returns how many were set.
 */
export function reconcile(states: LotStates, current: Iterable<{ level: string; slot: string; status: string; since: number }>, until: number): number {
  let fixed = 0;
  for (const c of current) {
    if (c.since >= until) continue;
    const key = `${c.level}/${c.slot}`;
    const s = states.get(key);
    if (s && s.status === c.status) continue;
    states.set(key, { status: c.status, since: c.since });
    fixed += 1;
  }
  return fixed;
}
