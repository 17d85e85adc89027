// What billing keeps, and for how long; and a data subject's plate, exported or erased.
//
// - `sweepRetention` masks clear plates past `plateDays` (sessions from their end, gate
//   events from their arrival), deletes sessions ended more than `sessionDays` ago (open
//   ones never) and gate events received more than `gateEventDays` ago (applied ones only).
// - `plateRecords` finds everything about one plate; `erasePlate` removes the plate from all
//   of it: the plate reads `********` and the keyed hash is replaced by one no plate hashes
//   to, so the records still count in revenue but no longer name or link a car.
// Every step works in batches, each bounded by the caller's signal.
import { rewrite, type Plated } from './batch.ts';
import { DAY_MS } from './fee.ts';
import { ERASED_PLATE, maskPlate, type RetentionPolicy } from './plates.ts';
import type { SessionDoc } from './session.ts';
import { unmatchableKey, type BillingCollections, type GateEventDoc } from './store.ts';

export interface SweepResult {
  sessionsMasked: number;
  gateEventsMasked: number;
  sessionsDeleted: number;
  gateEventsDeleted: number;
}

/** Applies `policy` at time `now` (epoch ms). Safe to run from several processes at once. */
export async function sweepRetention(c: BillingCollections, policy: RetentionPolicy, now: number, signal?: AbortSignal): Promise<SweepResult> {
  const cutoff = (days: number) => new Date(now - days * DAY_MS);
  const plateCutoff = cutoff(policy.plateDays);
  const sessionsMasked = await rewrite(c.sessions as never, { plateClear: true, status: { $ne: 'open' }, updatedAt: { $lt: plateCutoff } }, masked, signal);
  const gateEventsMasked = await rewrite(c.gateEvents as never, { plateClear: true, receivedAt: { $lt: plateCutoff } }, masked, signal);
  const sessionsDeleted = (await c.sessions.deleteMany({ status: { $ne: 'open' }, updatedAt: { $lt: cutoff(policy.sessionDays) } }, { signal } as never)).deletedCount;
  const gateEventsDeleted = (await c.gateEvents.deleteMany({ receivedAt: { $lt: cutoff(policy.gateEventDays) }, appliedAt: { $ne: null } }, { signal } as never)).deletedCount;
  return { sessionsMasked, gateEventsMasked, sessionsDeleted, gateEventsDeleted };
}

/** Everything billing holds about one plate (by its keyed hash, and in clear for records written before keys). */
export async function plateRecords(c: BillingCollections, carId: string, carKey: string, signal?: AbortSignal): Promise<{ sessions: SessionDoc[]; gateEvents: GateEventDoc[] }> {
  const filter = { $or: [{ carKey }, { carId }] };
  const [sessions, gateEvents] = await Promise.all([
    c.sessions.find(filter, { signal } as never).sort({ createdAt: 1 }).toArray(),
    c.gateEvents.find(filter, { signal } as never).sort({ receivedAt: 1 }).toArray(),
  ]);
  return { sessions, gateEvents };
}

/** Removes the plate from every session and gate event of it; the counts of records changed. */
export async function erasePlate(c: BillingCollections, carId: string, carKey: string, signal?: AbortSignal): Promise<{ sessions: number; gateEvents: number }> {
  const filter = { $or: [{ carKey }, { carId }] };
  const erase = (doc: Plated) => ({
    $set: { carId: ERASED_PLATE, carKey: unmatchableKey(doc._id), ...(doc.reason ? { reason: doc.reason.split(carId).join(ERASED_PLATE) } : {}) },
    $unset: { plateClear: '' },
  });
  return {
    sessions: await rewrite(c.sessions as never, filter, erase, signal),
    gateEvents: await rewrite(c.gateEvents as never, filter, erase, signal),
  };
}

function masked(doc: Plated) {
  return { $set: { carId: maskPlate(doc.carId) }, $unset: { plateClear: '' } };
}
