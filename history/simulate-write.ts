// `parking simulate --history DAYS`: the simulated weeks (history/simulate.ts)
// written as ingest writes them: `slotEvents`, a day at a time, then each slot's
// state at the end in `slots` for the slots not there yet (a slot ingest keeps is
// left as it is). The occupancy rollup of those lots is reset, so
// the platform rolls them up again from their first change. Every write has a deadline.
import { ObjectId, type Db } from 'mongodb';
import { prepare } from '../ingest/store.ts';
import { bounded } from '../mongo/bound.ts';
import { simulateHistory, type HistorySpec, type SimulatedChange } from './simulate.ts';

const WRITE_TIMEOUT_MS = 60_000;
const BATCH = 10_000;

export interface WrittenHistory {
  changes: number;
  slots: number;
}

/** Writes the simulated history; `onDay` hears of each local day written (its first change's time, and how many). */
export async function writeSimulatedHistory(db: Db, spec: HistorySpec, onDay?: (firstAt: number, changes: number) => void): Promise<WrittenHistory> {
  const c = await bounded('prepare the collections', WRITE_TIMEOUT_MS, (signal) => prepare(db, signal));
  const last = new Map<string, SimulatedChange>();
  const days: SimulatedChange[][] = [];
  simulateHistory(spec, (chunk) => days.push(chunk));
  let written = 0;
  for (const chunk of days) {
    for (let from = 0; from < chunk.length; from += BATCH) {
      const docs = chunk.slice(from, from + BATCH).map((ch) => ({
        _id: new ObjectId(),
        at: new Date(ch.at),
        slot: { lot: ch.lot, level: ch.level, slot: ch.slot },
        status: ch.status,
        ts: ch.at,
        seq: null,
        device: 'sim-history',
        receivedAt: new Date(ch.at),
      }));
      await bounded('write simulated history', WRITE_TIMEOUT_MS, (signal) => c.slotEvents.insertMany(docs, { ordered: false, signal } as never));
    }
    for (const ch of chunk) last.set(`${ch.lot}/${ch.level}/${ch.slot}`, ch);
    written += chunk.length;
    onDay?.(chunk[0].at, chunk.length);
  }
  // Only slots not there yet: a slot ingest keeps (a live sensor, a running simulation) is left as it is.
  const ops = [...last.entries()].map(([id, ch]) => ({
    updateOne: {
      filter: { _id: id },
      update: { $setOnInsert: { lot: ch.lot, level: ch.level, slot: ch.slot, status: ch.status, ts: ch.at, seq: null, device: 'sim-history', since: new Date(ch.at), updatedAt: new Date() } },
      upsert: true,
    },
  }));
  for (let from = 0; from < ops.length; from += BATCH) {
    const batch = ops.slice(from, from + BATCH);
    await bounded('write simulated slot states', WRITE_TIMEOUT_MS, (signal) => c.slots.bulkWrite(batch as never, { ordered: false, signal } as never));
  }
  // The rollup of these lots starts over from their first change, the simulated past included.
  await bounded('reset the rollup of the simulated lots', WRITE_TIMEOUT_MS, async (signal) => {
    await db.collection('occupancyState').deleteMany({ _id: { $in: spec.lots.map((l) => l.lot) } as never }, { signal } as never);
    await db.collection('occupancy').deleteMany({ lot: { $in: spec.lots.map((l) => l.lot) } }, { signal } as never);
  });
  return { changes: written, slots: last.size };
}
