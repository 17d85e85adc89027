// One batched rewrite of billing records, for the jobs that touch many at once (keys added
// at an upgrade, plates masked or erased): a batch read, then one unordered bulk write.
import type { AnyBulkWriteOperation, Collection, Filter } from 'mongodb';

/** Documents per batch. */
const BATCH = 500;

/** What a rewrite reads of each record. */
export type Plated = { _id: unknown; carId: string; reason?: string | null };

/**
 * Updates every document `filter` matches with `update(doc)`, a batch at a time, until none
 * is left. `update` must make the document stop matching `filter`, or the loop never ends.
 */
export async function rewrite(c: Collection<Plated>, filter: Filter<Plated>, update: (doc: Plated) => object, signal?: AbortSignal): Promise<number> {
  let total = 0;
  for (;;) {
    const docs = await c.find(filter, { projection: { carId: 1, reason: 1 }, limit: BATCH, signal } as never).toArray();
    if (!docs.length) return total;
    const ops: AnyBulkWriteOperation<Plated>[] = docs.map((d) => ({ updateOne: { filter: { ...filter, _id: d._id } as Filter<Plated>, update: update(d) as never } }));
    total += (await c.bulkWrite(ops, { ordered: false, signal } as never)).modifiedCount;
    if (docs.length < BATCH) return total;
  }
}
