// The occupancy history in MongoDB: `occupancy` holds the buckets (history/rollup.ts),
// `occupancyState` per lot where its rollup stands (the end of the last step rolled up,
// and the slots' states then). A step is rolled up again exactly as before (same
// `_id`s, replaced whole), so a crash between the buckets and the state, a restart or
// two platforms rolling up the same lot never count anything twice. Every operation
// has a deadline (mongo/bound.ts).
import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import { bounded } from '../mongo/bound.ts';
import type { Bucket, LotStates, SlotChange } from './rollup.ts';

/** Deadline of one operation, ms. */
export const HISTORY_TIMEOUT_MS = 15_000;

interface StateDoc {
  _id: string;
  /** The end of the last step rolled up. */
  until: Date;
  /** `level/slot` → [status, since epoch ms]. */
  slots: Record<string, [string, number]>;
  updatedAt: Date;
}

interface EventDoc {
  at: Date;
  slot: { lot: string; level: string; slot: string };
  status: string;
}

interface SlotDoc {
  lot: string;
  level: string;
  slot: string;
  status: string;
  since: Date;
}

export interface HistoryCollections {
  occupancy: Collection<Bucket>;
  state: Collection<StateDoc>;
  slotEvents: Collection<EventDoc>;
  slots: Collection<SlotDoc>;
}

export interface LotProgress {
  until: number;
  states: LotStates;
}

/** The collections, with the indexes the rollup and the queries use (idempotent). */
export async function prepareHistory(db: Db, timeoutMs = HISTORY_TIMEOUT_MS): Promise<HistoryCollections> {
  const c: HistoryCollections = {
    occupancy: db.collection<Bucket>('occupancy'),
    state: db.collection<StateDoc>('occupancyState'),
    slotEvents: db.collection<EventDoc>('slotEvents'),
    slots: db.collection<SlotDoc>('slots'),
  };
  await bounded('prepare the occupancy history', timeoutMs, async (signal) => {
    await c.occupancy.createIndex({ lot: 1, level: 1, at: 1 }, { signal } as never);
    await c.occupancy.createIndex({ at: 1 }, { signal } as never);
    // A lot's events in time order (ingest's index starts with the level and slot).
    await c.slotEvents.createIndex({ 'slot.lot': 1, at: 1 }, { signal } as never);
  });
  return c;
}

/** The lots with a slot in MongoDB. */
export function knownLots(c: HistoryCollections, timeoutMs = HISTORY_TIMEOUT_MS): Promise<string[]> {
  return bounded('list the lots', timeoutMs, (signal) => c.slots.distinct('lot', {}, { signal } as never) as Promise<string[]>);
}

/** Where `lot`'s rollup stands; undefined when it never ran. */
export async function loadProgress(c: HistoryCollections, lot: string, timeoutMs = HISTORY_TIMEOUT_MS): Promise<LotProgress | undefined> {
  const doc = await bounded('read the rollup state', timeoutMs, (signal) => c.state.findOne({ _id: lot }, { signal }));
  if (!doc) return undefined;
  return { until: doc.until.getTime(), states: new Map(Object.entries(doc.slots).map(([k, [status, since]]) => [k, { status, since }])) };
}

/** Where `lot`'s stored rollup stands (its `until`), without its slots; undefined when none is stored. */
export async function storedUntil(c: HistoryCollections, lot: string, timeoutMs = HISTORY_TIMEOUT_MS): Promise<number | undefined> {
  const doc = await bounded('read the rollup state', timeoutMs, (signal) => c.state.findOne({ _id: lot }, { signal, projection: { until: 1 } }));
  return doc?.until.getTime();
}

export function saveProgress(c: HistoryCollections, lot: string, p: LotProgress, timeoutMs = HISTORY_TIMEOUT_MS): Promise<unknown> {
  const slots: StateDoc['slots'] = {};
  for (const [k, s] of p.states) slots[k] = [s.status, s.since];
  return bounded('save the rollup state', timeoutMs, (signal) =>
    c.state.replaceOne({ _id: lot }, { until: new Date(p.until), slots, updatedAt: new Date() }, { upsert: true, signal } as never),
  );
}

/** When `lot`'s first recorded change was; undefined without one. */
export async function firstChange(c: HistoryCollections, lot: string, timeoutMs = HISTORY_TIMEOUT_MS): Promise<number | undefined> {
  const [doc] = await bounded('find the first change', timeoutMs, (signal) => c.slotEvents.find({ 'slot.lot': lot }, { signal, projection: { at: 1 } }).sort({ at: 1 }).limit(1).toArray());
  return doc?.at.getTime();
}

/** `lot`'s changes in [from, to), oldest first. */
export async function changesBetween(c: HistoryCollections, lot: string, from: number, to: number, timeoutMs = HISTORY_TIMEOUT_MS): Promise<SlotChange[]> {
  const docs = await bounded('read the slot history', timeoutMs, (signal) =>
    c.slotEvents
      .find({ 'slot.lot': lot, at: { $gte: new Date(from), $lt: new Date(to) } }, { signal, projection: { at: 1, slot: 1, status: 1 } })
      .sort({ at: 1 })
      .toArray(),
  );
  return docs.map((d) => ({ level: d.slot.level, slot: d.slot.slot, at: d.at.getTime(), status: d.status }));
}

/**
 * Hands `each` the changes of `lot` (of one `level`, if given) in [from, to), oldest first,
 * through a cursor: a month of a large lot is streamed, not held. Bounded as a whole; the
 * number of changes read.
 */
export function eachChange(c: HistoryCollections, q: { lot: string; level?: string; from: number; to: number }, each: (change: SlotChange) => void, timeoutMs = HISTORY_TIMEOUT_MS): Promise<number> {
  return bounded('read the slot history', timeoutMs, async (signal) => {
    const filter = { 'slot.lot': q.lot, ...(q.level ? { 'slot.level': q.level } : {}), at: { $gte: new Date(q.from), $lt: new Date(q.to) } };
    let n = 0;
    for await (const d of c.slotEvents.find(filter, { signal, projection: { at: 1, slot: 1, status: 1 } }).sort({ at: 1 }).batchSize(10_000)) {
      each({ level: d.slot.level, slot: d.slot.slot, at: d.at.getTime(), status: d.status });
      n += 1;
    }
    return n;
  });
}

/** `lot`'s slots now: each one's latest status and since when. */
export async function currentSlots(c: HistoryCollections, lot: string, timeoutMs = HISTORY_TIMEOUT_MS): Promise<Array<{ level: string; slot: string; status: string; since: number }>> {
  const docs = await bounded('read the slots', timeoutMs, (signal) => c.slots.find({ lot }, { signal, projection: { level: 1, slot: 1, status: 1, since: 1 } }).toArray());
  return docs.filter((d) => d.since instanceof Date).map((d) => ({ level: d.level, slot: d.slot, status: d.status, since: d.since.getTime() }));
}

/** Writes buckets, each replacing the one of its step (idempotent). */
export async function writeBuckets(c: HistoryCollections, buckets: readonly Bucket[], timeoutMs = HISTORY_TIMEOUT_MS): Promise<void> {
  if (!buckets.length) return;
  const ops: AnyBulkWriteOperation<Bucket>[] = buckets.map((b) => ({ replaceOne: { filter: { _id: b._id }, replacement: b, upsert: true } }));
  await bounded('write occupancy buckets', timeoutMs, (signal) => c.occupancy.bulkWrite(ops, { ordered: false, signal } as never));
}

/** Deletes the buckets older than `before`; how many. */
export async function expireBuckets(c: HistoryCollections, before: number, timeoutMs = HISTORY_TIMEOUT_MS): Promise<number> {
  const r = await bounded('expire occupancy buckets', timeoutMs, (signal) => c.occupancy.deleteMany({ at: { $lt: new Date(before) } }, { signal } as never));
  return r.deletedCount;
}

/** The buckets of `lot` (one `level`, or every level) in [from, to), oldest first. */
export function bucketsBetween(c: HistoryCollections, q: { lot: string; level?: string; from: number; to: number }, timeoutMs = HISTORY_TIMEOUT_MS): Promise<Bucket[]> {
  const filter = { lot: q.lot, ...(q.level === undefined ? {} : { level: q.level }), at: { $gte: new Date(q.from), $lt: new Date(q.to) } };
  return bounded('read occupancy buckets', timeoutMs, (signal) => c.occupancy.find(filter, { signal, readPreference: 'primaryPreferred' }).sort({ at: 1, level: 1 }).toArray());
}
