// MongoDB side of ingest: indexes at start, and durable batch writes of slot
// state (guarded so an older update never overwrites a newer one) plus a
// history record per applied change.
import { ObjectId, type AnyBulkWriteOperation, type BulkWriteOptions, type CreateCollectionOptions, type CreateIndexesOptions, type Collection, type Db, type FindOptions, type MongoBulkWriteError, type MongoServerError } from 'mongodb';
import type { WithSignal } from '../mongo/index.ts';
import type { SlotUpdate } from './decode.ts';

export interface SlotDoc {
  _id: string;
  lot: string;
  level: string;
  slot: string;
  status: string;
  ts: number;
  seq?: number | null;
  device?: string | null;
  since: Date;
  updatedAt: Date;
}

export interface SlotEventDoc {
  /** Set by ingest before the first attempt, so a retry can tell which records are stored. */
  _id: ObjectId;
  at: Date;
  slot: { lot: string; level: string; slot: string };
  status: string;
  ts: number;
  seq: number | null;
  device: string | null;
  receivedAt: Date;
}

export interface IngestCollections {
  slots: Collection<SlotDoc>;
  slotEvents: Collection<SlotEventDoc>;
}

const DUPLICATE_KEY = 11000;
const NAMESPACE_EXISTS = 48;

/** Codes of a server that has no time-series collections (before 5.0): `timeseries` is an unknown option there. */
const NO_TIMESERIES = new Set([72, 40415, 2]);

/** Creates the collections and indexes ingest relies on (idempotent). */
export async function prepare(db: Db, signal?: AbortSignal): Promise<IngestCollections> {
  try {
    await db.createCollection('slotEvents', { timeseries: { timeField: 'at', metaField: 'slot', granularity: 'seconds' }, signal } as WithSignal<CreateCollectionOptions>);
  } catch (err) {
    const code = (err as MongoServerError).code;
    if (code !== NAMESPACE_EXISTS) {
      // Only a server without time-series collections gets a plain collection with the same
      // documents; any other error (no primary, a lost connection) is the caller's to retry.
      if (typeof code !== 'number' || !NO_TIMESERIES.has(code)) throw err;
      await db.createCollection('slotEvents', { signal } as WithSignal<CreateCollectionOptions>).catch((e: MongoServerError) => {
        if (e.code !== NAMESPACE_EXISTS) throw e;
      });
    }
  }
  const slots = db.collection<SlotDoc>('slots');
  const slotEvents = db.collection<SlotEventDoc>('slotEvents');
  await slots.createIndexes([{ key: { lot: 1, level: 1, slot: 1 } }, { key: { lot: 1, status: 1 } }], { signal } as WithSignal<CreateIndexesOptions>);
  await slotEvents.createIndex({ 'slot.lot': 1, 'slot.level': 1, 'slot.slot': 1, at: 1 }, { signal } as WithSignal<CreateIndexesOptions>);
  return { slots, slotEvents };
}

/** Matches the stored slot only when `u` is newer (by ts, then seq; a missing seq is oldest). */
function olderThan(u: SlotUpdate) {
  const equalTsOlderSeq = u.seq === undefined ? [] : [{ ts: u.ts, seq: { $lt: u.seq } }, { ts: u.ts, seq: null }];
  return { _id: u.id, $or: [{ ts: { $lt: u.ts } }, ...equalTsOlderSeq] };
}

function upsert(u: SlotUpdate): AnyBulkWriteOperation<SlotDoc> {
  const at = new Date(u.ts);
  return {
    updateOne: {
      filter: olderThan(u) as never,
      // A pipeline, so `since` moves only when the status changes.
      update: [
        {
          $set: {
            lot: u.lot,
            level: u.level,
            slot: u.slot,
            since: { $cond: [{ $eq: ['$status', u.status] }, '$since', at] },
            status: u.status,
            ts: u.ts,
            seq: u.seq ?? null,
            device: u.device ?? null,
            updatedAt: '$$NOW',
          },
        },
      ],
      upsert: true,
    },
  };
}

/** The history record of an applied update, with its own `_id`: build it once and keep it across retries. */
export function historyRecord(u: SlotUpdate): SlotEventDoc {
  return {
    _id: new ObjectId(),
    at: new Date(u.ts),
    slot: { lot: u.lot, level: u.level, slot: u.slot },
    status: u.status,
    ts: u.ts,
    seq: u.seq ?? null,
    device: u.device ?? null,
    receivedAt: new Date(u.receivedAt),
  };
}

export interface BatchResult {
  applied: SlotUpdate[];
  /** Refused by the guard: MongoDB already holds a newer state (another instance, or a replay). */
  superseded: number;
}

/**
 * Writes the slot states of one batch (guarded upserts). `retrying` says an
 * earlier attempt of this batch failed without an answer: an update the guard
 * refuses whose exact state is stored was then applied by that attempt, and
 * still needs its history record.
 */
export async function writeSlots(c: IngestCollections, batch: SlotUpdate[], retrying: boolean, signal?: AbortSignal): Promise<BatchResult> {
  if (batch.length === 0) return { applied: [], superseded: 0 };
  const refused = new Set<number>();
  try {
    await c.slots.bulkWrite(batch.map(upsert), { ordered: false, signal } as WithSignal<BulkWriteOptions>);
  } catch (err) {
    const bulk = err as MongoBulkWriteError;
    const errors = bulk.writeErrors ? (Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors]) : undefined;
    if (!errors || errors.length === 0 || errors.some((e) => e.code !== DUPLICATE_KEY)) throw err;
    for (const e of errors) refused.add(e.index);
  }
  let applied = refused.size ? batch.filter((_, i) => !refused.has(i)) : batch;
  if (retrying && refused.size) {
    const maybe = batch.filter((_, i) => refused.has(i));
    const stored = await c.slots.find({ _id: { $in: maybe.map((u) => u.id) } }, { projection: { ts: 1, seq: 1 }, signal } as WithSignal<FindOptions>).toArray();
    const byId = new Map(stored.map((d) => [d._id, d]));
    const ours = maybe.filter((u) => byId.get(u.id)?.ts === u.ts && (byId.get(u.id)?.seq ?? null) === (u.seq ?? null));
    applied = [...applied, ...ours];
  }
  return { applied, superseded: batch.length - applied.length };
}

/**
 * Writes history records. `retrying` says an earlier attempt with these same records failed
 * without an answer (a deadline, a lost connection): it may have stored some of them, so
 * those are looked up by `_id` first and only the others are inserted. Each record is
 * stored once.
 */
export async function writeHistory(c: IngestCollections, records: SlotEventDoc[], retrying: boolean, signal?: AbortSignal): Promise<void> {
  let missing = records;
  if (retrying && records.length) {
    const ids = records.map((r) => r._id);
    let first = Infinity;
    let last = -Infinity;
    for (const r of records) {
      first = Math.min(first, r.at.getTime());
      last = Math.max(last, r.at.getTime());
    }
    const lots = [...new Set(records.map((r) => r.slot.lot))];
    // The meta field and the time bound keep the lookup on the history index (a time-series collection has no index on _id).
    const filter = { 'slot.lot': { $in: lots }, at: { $gte: new Date(first), $lte: new Date(last) }, _id: { $in: ids } };
    const stored = await c.slotEvents.find(filter as never, { projection: { _id: 1 }, signal } as WithSignal<FindOptions>).toArray();
    const have = new Set(stored.map((d) => d._id.toHexString()));
    missing = records.filter((r) => !have.has(r._id.toHexString()));
  }
  if (missing.length) await c.slotEvents.insertMany(missing, { ordered: false, signal } as WithSignal<BulkWriteOptions>);
}
