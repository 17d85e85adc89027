// What one gate event does to a car's sessions, and what the gate shows: pure decisions,
// no I/O (billing/store.ts carries them out in MongoDB).
import { formatDuration, type Direction, type GateDisplay, type GateEvent } from '../contract/index.ts';
import { computeFee } from './fee.ts';
import { money } from './money.ts';
import type { Tariff } from './tariff.ts';
import type { SessionChange } from './corrections.ts';

/**
 * - `open`: entered, not left yet.
 * - `closed`: left; `fee` fixed at exit.
 * - `unmatched`: an exit with no open entry for the car at the lot; charged the lost-ticket fee.
 * - `superseded`: the car entered again at the lot while this session was open (its exit was
 *   never seen); closed without a fee, `supersededBy` names the newer session.
 * - `clockSkew`: the exit's time is before the entry's; no fee, duration 0, for an operator.
 * - `void`: an operator voided it (a misread plate, a refund); it counts nowhere (billing/corrections.ts).
 * An operator may also close an open or clockSkew session by hand: `closed`, with the change in `changes`.
 */
export type SessionStatus = 'open' | 'closed' | 'unmatched' | 'superseded' | 'clockSkew' | 'void';
export const SESSION_STATUSES: readonly SessionStatus[] = ['open', 'closed', 'unmatched', 'superseded', 'clockSkew', 'void'];

/** A document of the `sessions` collection. `_id` is the event id of the event that opened it. */
export interface SessionDoc {
  _id: string;
  /** The plate: in clear while `plateClear`, then masked (billing/plates.ts). */
  carId: string;
  /** Keyed hash of the plate: what entries and exits are matched by (`erased:<id>` once erased). */
  carKey?: string;
  /** Set while `carId` holds the plate in clear; the retention sweep masks it and unsets this. */
  plateClear?: true;
  lot: string;
  entryAt: Date | null;
  exitAt: Date | null;
  /** Started minutes from entry to exit; null while open or when unknown. */
  durationMinutes: number | null;
  /** Integer minor units of `currency`; null while open or when not charged automatically. */
  fee: number | null;
  currency: string;
  /** Id of the tariff that priced (or will price) the stay. */
  tariff: string;
  status: SessionStatus;
  entryEventId: string | null;
  exitEventId: string | null;
  entryGate: string | null;
  exitGate: string | null;
  /** Why the session is not a plain open/closed one: for operators. */
  reason: string | null;
  supersededBy?: string;
  /** The manual changes an operator made, oldest first: the audit log (billing/corrections.ts). */
  changes?: SessionChange[];
  createdAt: Date;
  updatedAt: Date;
}

/** A gate event with where it came from. */
export interface LotGateEvent extends GateEvent {
  /** Keyed hash of `carId` (billing/plates.ts carKeyOf): entries and exits are matched by it. */
  carKey: string;
  lot: string;
  gate: string;
  /** When the platform received it, epoch ms. */
  receivedAt: number;
}

/** What applying an event did. */
export type Outcome = 'opened' | 'closed' | 'unmatched' | 'clockSkew';

const iso = (ms: number): string => new Date(ms).toISOString();

/** The session an entry opens. */
export function openedSession(ev: LotGateEvent, tariff: Tariff, now: Date): SessionDoc {
  return {
    _id: ev.eventId,
    carId: ev.carId,
    carKey: ev.carKey,
    plateClear: true,
    lot: ev.lot,
    entryAt: new Date(ev.ts),
    exitAt: null,
    durationMinutes: null,
    fee: null,
    currency: tariff.currency,
    tariff: tariff.id,
    status: 'open',
    entryEventId: ev.eventId,
    exitEventId: null,
    entryGate: ev.gate,
    exitGate: null,
    reason: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** The fields that close an older open session of a car that entered again. */
export function supersededFields(older: Pick<SessionDoc, 'entryAt'>, entry: LotGateEvent, now: Date): Partial<SessionDoc> {
  const order = older.entryAt && older.entryAt.getTime() > entry.ts ? ' (the new entry is timed before this one: a gate clock may be wrong)' : '';
  return {
    status: 'superseded',
    supersededBy: entry.eventId,
    reason: `entered again at ${iso(entry.ts)} through gate ${entry.gate} (event ${entry.eventId}) while this session was open; its exit was not seen, so no fee was charged${order}`,
    updatedAt: now,
  };
}

/** The session an exit with no open entry creates: charged the lost-ticket fee. */
export function unmatchedSession(ev: LotGateEvent, tariff: Tariff, now: Date): SessionDoc {
  return {
    _id: ev.eventId,
    carId: ev.carId,
    carKey: ev.carKey,
    plateClear: true,
    lot: ev.lot,
    entryAt: null,
    exitAt: new Date(ev.ts),
    durationMinutes: null,
    fee: tariff.lostTicketFee,
    currency: tariff.currency,
    tariff: tariff.id,
    status: 'unmatched',
    entryEventId: null,
    exitEventId: ev.eventId,
    entryGate: null,
    exitGate: ev.gate,
    reason: `exit through gate ${ev.gate} with no open entry for this car at ${ev.lot}: lost-ticket fee charged`,
    createdAt: now,
    updatedAt: now,
  };
}

/** The fields that close `open` with exit `ev`: closed with its fee, or clockSkew when the exit is timed before the entry. */
export function closingFields(open: Pick<SessionDoc, 'entryAt'>, ev: LotGateEvent, tariff: Tariff, now: Date): { fields: Partial<SessionDoc>; outcome: Outcome } {
  const entryAt = open.entryAt!.getTime();
  const common = { exitAt: new Date(ev.ts), exitEventId: ev.eventId, exitGate: ev.gate, updatedAt: now };
  if (ev.ts < entryAt) {
    return {
      outcome: 'clockSkew',
      fields: {
        ...common,
        status: 'clockSkew',
        durationMinutes: 0,
        fee: null,
        reason: `exit time ${iso(ev.ts)} (gate ${ev.gate}) is ${Math.ceil((entryAt - ev.ts) / 1000)} s before the entry time ${iso(entryAt)}: a gate clock is wrong; no fee charged, an operator must settle it`,
      },
    };
  }
  const { fee, durationMinutes } = computeFee(tariff, entryAt, ev.ts);
  return { outcome: 'closed', fields: { ...common, status: 'closed', durationMinutes, fee, currency: tariff.currency, tariff: tariff.id } };
}

/** The gate display for a session after an event in `direction` (CONTRACT.md "Gate display"), plus `status`. */
export function gateDisplay(session: SessionDoc, direction: Direction, minorDigits: number): GateDisplay & { status: SessionStatus } {
  const base = { carId: session.carId, sessionId: session._id, direction, status: session.status };
  if (direction === 'entry') return { ...base, text: `Welcome ${session.carId}` };
  const price = (fee: number) => (fee === 0 ? 'free' : money(fee, session.currency, minorDigits));
  switch (session.status) {
    case 'closed': {
      const minutes = session.durationMinutes ?? 0;
      const fee = session.fee ?? 0;
      return { ...base, durationMinutes: minutes, fee, currency: session.currency, text: `${session.carId}  ${formatDuration(minutes)}  ${price(fee)}` };
    }
    case 'unmatched': {
      const fee = session.fee ?? 0;
      return { ...base, fee, currency: session.currency, text: `${session.carId}  no entry record  ${price(fee)}` };
    }
    default:
      return { ...base, durationMinutes: session.durationMinutes ?? 0, text: `${session.carId}  please see the operator` };
  }
}

/** What an open session would cost if the car left at `now` (epoch ms); null when unknown. */
export function feeSoFar(session: Pick<SessionDoc, 'entryAt'>, tariff: Tariff, now: number): number | null {
  if (!session.entryAt || now < session.entryAt.getTime()) return null;
  return computeFee(tariff, session.entryAt.getTime(), now).fee;
}
