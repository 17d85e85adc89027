// The rollup, run: every `intervalMs` each lot's steps that ended `lateMs` ago or more
// are rolled up from the slot history, an hour of steps per read, and the buckets past
// the retention deleted. A lot never rolled up starts at its first recorded change
// (within the retention), so a history written before (`parking simulate --history`)
// is rolled up too. One tick at a time; a failed tick (MongoDB in an election) is
// logged and the next one goes on from where the stored state stands.
import type { Db } from 'mongodb';
import type { Logger } from '../log/index.ts';
import { reconcile, rollStep, STEP_MS, stepStart, type LotStates, type SlotChange } from './rollup.ts';
import {
  changesBetween,
  currentSlots,
  expireBuckets,
  firstChange,
  knownLots,
  loadProgress,
  prepareHistory,
  saveProgress,
  storedUntil,
  writeBuckets,
  type HistoryCollections,
  type LotProgress,
} from './store.ts';

export interface HistorianOptions {
  db: Db;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Buckets older than this many days are deleted (default 400). */
  retentionDays?: number;
  /** A step is rolled up once it ended this long ago: changes that arrive later count from a later step (default 60 000). */
  lateMs?: number;
  /** How often, ms (default 60 000). */
  intervalMs?: number;
  /**
   * Catching up on many steps (after a restart, a new lot with a past), the share of the time the
   * rollup works: after each chunk it waits for the rest (default 0.25, a quarter). MongoDB is
   * shared with ingest: a catch-up at full speed held ingest's writes back (bench --only history).
   */
  catchUpShare?: number;
  now?: () => number;
}

export interface Historian {
  /** The history's collections, once prepared (the first tick prepares them). */
  collections(): HistoryCollections | undefined;
  /** Rolls up every lot as far as it can now (otherwise every intervalMs). */
  tick(): Promise<void>;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
/** Steps read and written at once. */
const CHUNK_STEPS = 12;

export function startHistorian(o: HistorianOptions): Historian {
  const now = o.now ?? Date.now;
  const retentionMs = (o.retentionDays ?? 400) * DAY_MS;
  const lateMs = o.lateMs ?? 60_000;
  let prepared: HistoryCollections | undefined;
  const progress = new Map<string, LotProgress>();
  let running: Promise<void> | undefined;
  let closed = false;
  const catchUpShare = Math.min(1, Math.max(0.05, o.catchUpShare ?? 0.25));
  let wake: (() => void) | undefined;
  /** Waits `ms`, or until close. */
  const pause = (ms: number) =>
    ms <= 0 || closed
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms);
          function done() {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          }
          wake = done;
        });

  async function start(c: HistoryCollections, lot: string, until: number): Promise<LotProgress> {
    const stored = await loadProgress(c, lot);
    if (stored) return stored;
    const first = await firstChange(c, lot);
    const from = stepStart(Math.max(first ?? until, now() - retentionMs));
    const states: LotStates = new Map();
    // Slots unchanged since before the start (their history is past the retention).
    reconcile(states, await currentSlots(c, lot), from);
    o.logger.info({ lot, from: new Date(from).toISOString() }, 'history: rolling up a lot for the first time');
    return { until: from, states };
  }

  async function rollLot(c: HistoryCollections, lot: string, until: number): Promise<number> {
    // Another platform (or `parking simulate --history`, which resets it) may have moved the stored state.
    const cached = progress.get(lot);
    if (cached && (await storedUntil(c, lot)) !== cached.until) progress.delete(lot);
    let p = progress.get(lot) ?? (await start(c, lot, until));
    progress.set(lot, p);
    if (p.until >= until) return 0;
    // What reached the history too late for a step already rolled up counts from the next one.
    let states = new Map(p.states);
    const fixed = reconcile(states, await currentSlots(c, lot), p.until);
    if (fixed) o.logger.debug({ lot, slots: fixed }, 'history: changes that arrived after their step was rolled up');
    let steps = 0;
    while (p.until < until && !closed) {
      const chunkStarted = Date.now();
      const to = Math.min(until, p.until + CHUNK_STEPS * STEP_MS);
      const changes = await changesBetween(c, lot, p.until, to);
      const buckets = [];
      let i = 0;
      for (let t0 = p.until; t0 < to; t0 += STEP_MS) {
        const inStep: SlotChange[] = [];
        while (i < changes.length && changes[i].at < t0 + STEP_MS) inStep.push(changes[i++]);
        buckets.push(...rollStep(lot, t0, states, inStep));
        steps += 1;
      }
      await writeBuckets(c, buckets);
      const next = { until: to, states };
      await saveProgress(c, lot, next);
      progress.set(lot, (p = next));
      states = new Map(states);
      if (p.until < until) await pause((Date.now() - chunkStarted) * (1 / catchUpShare - 1));
    }
    return steps;
  }

  async function tick(): Promise<void> {
    // Prepared at the first tick that can: a start during an election waits for the next.
    const c = (prepared ??= await prepareHistory(o.db));
    const until = stepStart(now() - lateMs);
    let steps = 0;
    for (const lot of await knownLots(c)) {
      if (closed) return;
      try {
        steps += await rollLot(c, lot, until);
      } catch (err) {
        // The stored state is the truth: read it again next time.
        progress.delete(lot);
        throw err;
      }
    }
    const expired = await expireBuckets(c, now() - retentionMs);
    if (steps > CHUNK_STEPS || expired) o.logger.info({ steps, expired }, 'history: rolled up');
  }

  const runTick = (): Promise<void> =>
    (running ??= tick()
      .catch((err: Error) => o.logger.warn({ err: err.message }, 'history: rollup failed; trying again at the next tick'))
      .finally(() => (running = undefined)));

  const timer = setInterval(() => void runTick(), o.intervalMs ?? 60_000);
  timer.unref();
  void runTick();
  return {
    collections: () => prepared,
    tick: async () => {
      await running;
      await runTick();
    },
    close: async () => {
      closed = true;
      wake?.();
      clearInterval(timer);
      await running;
    },
  };
}
