// MongoDB side of ingest: indexes at start, and durable batch writes of slot
// state (guarded so an older update never overwrites a newer one) plus a
// history record per applied change.
import type { AnyBulkWriteOperation, Collection, Db, MongoBulkWriteError, MongoServerError } from 'mongodb';
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

/** Creates the collections and indexes ingest relies on (idempotent). */
export async function prepare(db: Db): Promise<IngestCollections> {
  try {
    await db.createCollection('slotEvents', { timeseries: { timeField: 'at', metaField: 'slot', granularity: 'seconds' } });
  } catch (err) {
    const code = (err as MongoServerError).code;
    if (code !== NAMESPACE_EXISTS) {
      // A server without time-series collections: a plain collection with the same documents.
      await db.createCollection('slotEvents').catch((e: MongoServerError) => {
        if (e.code !== NAMESPACE_EXISTS) throw e;
      });
    }
  }
  const slots = db.collection<SlotDoc>('slots');
  const slotEvents = db.collection<SlotEventDoc>('slotEvents');
  await slots.createIndexes([{ key: { lot: 1, level: 1, slot: 1 } }, { key: { lot: 1, status: 1 } }]);
  await slotEvents.createIndex({ 'slot.lot': 1, 'slot.level': 1, 'slot.slot': 1, at: 1 });
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

function historyRecord(u: SlotUpdate): SlotEventDoc {
  return {
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
export async function writeSlots(c: IngestCollections, batch: SlotUpdate[], retrying: boolean): Promise<BatchResult> {
  if (batch.length === 0) return { applied: [], superseded: 0 };
  const refused = new Set<number>();
  try {
    await c.slots.bulkWrite(batch.map(upsert), { ordered: false });
  } catch (err) {
    const bulk = err as MongoBulkWriteError;
    const errors = bulk.writeErrors ? (Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors]) : undefined;
    if (!errors || errors.length === 0 || errors.some((e) => e.code !== DUPLICATE_KEY)) throw err;
    for (const e of errors) refused.add(e.index);
  }
  let applied = refused.size ? batch.filter((_, i) => !refused.has(i)) : batch;
  if (retrying && refused.size) {
    const maybe = batch.filter((_, i) => refused.has(i));
    const stored = await c.slots.find({ _id: { $in: maybe.map((u) => u.id) } }, { projection: { ts: 1, seq: 1 } }).toArray();
    const byId = new Map(stored.map((d) => [d._id, d]));
    const ours = maybe.filter((u) => byId.get(u.id)?.ts === u.ts && (byId.get(u.id)?.seq ?? null) === (u.seq ?? null));
    applied = [...applied, ...ours];
  }
  return { applied, superseded: batch.length - applied.length };
}

/** Writes the history records of the updates a batch applied. */
export async function writeHistory(c: IngestCollections, applied: SlotUpdate[]): Promise<void> {
  if (applied.length) await c.slotEvents.insertMany(applied.map(historyRecord), { ordered: false });
}

/** Writes one batch: its slot states, then the history of those applied. */
export async function writeBatch(c: IngestCollections, batch: SlotUpdate[], retrying: boolean): Promise<BatchResult> {
  const result = await writeSlots(c, batch, retrying);
  await writeHistory(c, result.applied);
  return result;
}
