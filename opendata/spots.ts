// The slots for the open-data feeds, from MongoDB's `slots` (what ingest keeps):
// in id order, paged, counted, every read with a deadline. A secondary answers
// during an election (primaryPreferred).
import type { Collection } from 'mongodb';
import type { SlotDoc } from '../ingest/store.ts';
import { bounded } from '../mongo/bound.ts';
import type { SpotFacts } from './ngsi.ts';

const TIMEOUT_MS = 5000;

export function mongoSpots(slots: Collection<SlotDoc>): (q: { lot?: string; ids?: string[] }, skip: number, limit: number) => Promise<{ spots: SpotFacts[]; total: number }> {
  return async (q, skip, limit) => {
    const filter = { ...(q.lot ? { lot: q.lot } : {}), ...(q.ids ? { _id: { $in: q.ids } } : {}) };
    const options = { readPreference: 'primaryPreferred' as const };
    const [docs, total] = await Promise.all([
      limit > 0
        ? bounded('read slots for open data', TIMEOUT_MS, (signal) => slots.find(filter, { ...options, signal, projection: { lot: 1, level: 1, slot: 1, status: 1, ts: 1, device: 1 } }).sort({ _id: 1 }).skip(skip).limit(limit).toArray())
        : Promise.resolve([]),
      bounded('count slots for open data', TIMEOUT_MS, (signal) => slots.countDocuments(filter, { ...options, signal })),
    ]);
    return { spots: docs.map((d) => ({ lot: d.lot, level: d.level, slot: d.slot, status: d.status, ts: d.ts, device: d.device ?? null })), total };
  };
}
