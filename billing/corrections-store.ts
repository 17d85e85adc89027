// Finding a car's sessions and making an operator's changes in MongoDB. Each operation
// has a deadline (mongo/bound.ts); a change is one conditional update, so it never lands
// on a session a gate event changed meanwhile (the caller is told, and looks again).
import type { Collection, Filter } from 'mongodb';
import { normaliseCarId, isCarId } from '../contract/index.ts';
import { bounded } from '../mongo/bound.ts';
import { correct, CorrectionError, type Correction, type SessionChange } from './corrections.ts';
import { carKeyOf } from './plates.ts';
import type { SessionDoc, SessionStatus } from './session.ts';
import type { Tariff } from './tariff.ts';

/** Deadline of one lookup or change, ms. */
export const CORRECTION_TIMEOUT_MS = 10_000;
/** Most sessions a search returns (newest first). */
export const MAX_FOUND = 200;

export interface SessionSearch {
  /** A plate as typed (`b 1234 xyz` finds `B1234XYZ`): matched by its keyed hash, so it finds sessions whose plate is masked by now. */
  plate?: string;
  lot?: string;
  status?: SessionStatus;
  limit?: number;
}

/** The filter of a search; a CorrectionError (400) for a plate that cannot be one. */
export function searchFilter(search: SessionSearch, plateKey: Uint8Array): Filter<SessionDoc> {
  const filter: Filter<SessionDoc> = {};
  if (search.plate !== undefined) {
    const carId = normaliseCarId(search.plate);
    if (!isCarId(carId)) throw new CorrectionError(`plate: 1-16 letters, digits or -, got ${JSON.stringify(search.plate)}`, 400);
    filter.carKey = carKeyOf(plateKey, carId);
  }
  if (search.lot !== undefined) filter.lot = search.lot;
  if (search.status !== undefined) filter.status = search.status;
  return filter;
}

/** Sessions matching `search`, newest first (by entry, else exit). */
export async function findSessions(sessions: Collection<SessionDoc>, search: SessionSearch, plateKey: Uint8Array, timeoutMs = CORRECTION_TIMEOUT_MS): Promise<SessionDoc[]> {
  const filter = searchFilter(search, plateKey);
  const limit = Math.min(Math.max(1, search.limit ?? 50), MAX_FOUND);
  return bounded('find sessions', timeoutMs, (signal) =>
    sessions.find(filter, { signal }).sort({ createdAt: -1, _id: 1 }).limit(limit).toArray(),
  );
}

/**
 * Makes `c` on session `id`: the session as it is after it. CorrectionError 404 / 409 / 400 when it
 * cannot be made. `c` may be made from the session as read (a local exit time at its lot's offset).
 */
export async function applyCorrection(
  sessions: Collection<SessionDoc>,
  id: string,
  correction: Correction | ((session: SessionDoc) => Correction),
  tariffFor: (id: string) => Tariff | undefined,
  timeoutMs = CORRECTION_TIMEOUT_MS,
): Promise<SessionDoc> {
  const session = await bounded('read a session', timeoutMs, (signal) => sessions.findOne({ _id: id }, { signal }));
  if (!session) throw new CorrectionError(`no session ${id}`, 404);
  const c = typeof correction === 'function' ? correction(session) : correction;
  const { set, change } = correct(session, c, tariffFor(session.tariff));
  // Only if nothing changed it since it was read: a gate exit may have closed it meanwhile.
  const result = await bounded('change a session', timeoutMs, (signal) =>
    sessions.updateOne({ _id: id, status: session.status, updatedAt: session.updatedAt }, { $set: set, $push: { changes: change } }, { signal } as never),
  );
  if (result.matchedCount === 0) throw new CorrectionError(`session ${id} changed while this was asked (a gate event?): look at it again`, 409);
  return { ...session, ...set, changes: [...(session.changes ?? []), change] };
}

/** One audit log line: a change, with the session it was made to. */
export interface AuditEntry extends SessionChange {
  sessionId: string;
  lot: string;
  carId: string;
}

/** The manual changes made in [from, to), newest first, at most `limit`. */
export async function auditLog(sessions: Collection<SessionDoc>, from: Date, to: Date, limit = 1000, timeoutMs = CORRECTION_TIMEOUT_MS): Promise<AuditEntry[]> {
  const docs = await bounded('read the audit log', timeoutMs, (signal) =>
    sessions.find({ 'changes.at': { $gte: from, $lt: to } }, { signal }).sort({ updatedAt: -1 }).limit(limit).toArray(),
  );
  const entries: AuditEntry[] = [];
  for (const s of docs) {
    for (const change of s.changes ?? []) {
      if (change.at >= from && change.at < to) entries.push({ ...change, sessionId: s._id, lot: s.lot, carId: s.carId });
    }
  }
  return entries.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, limit);
}
