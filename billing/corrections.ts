// An operator's manual changes to a session: close one whose exit the gate never saw, or
// void one that should not count (a misread plate, a refund). Pure: what the change sets
// and the audit entry it leaves; billing/corrections-store.ts carries it out.
//
// Every change is kept on the session itself (`changes`, written in the same update as the
// change, so no change is ever without its entry): who, when, why, and what the session
// held before. The audit log is those entries across sessions.
import { computeFee, MINUTE_MS, startedMinutes } from './fee.ts';
import { MAX_AMOUNT } from './money.ts';
import type { SessionDoc, SessionStatus } from './session.ts';
import type { Tariff } from './tariff.ts';

export type CorrectionAction = 'close' | 'void';
export const CORRECTION_ACTIONS: readonly CorrectionAction[] = ['close', 'void'];

/** What an operator asked for. */
export interface Correction {
  action: CorrectionAction;
  /** The login that asked, and its role. */
  by: string;
  role: string;
  reason: string;
  /** When it was asked (the server's clock). */
  at: Date;
  /** close: when the car left; default now (an open session) or the recorded exit. */
  exitAt?: Date;
  /** close: the fee to charge, integer minor units; default what the tariff charges for the stay. */
  fee?: number;
}

/** The fields of a session a change may alter: what `before` records. */
export interface SessionFacts {
  status: SessionStatus;
  exitAt: Date | null;
  durationMinutes: number | null;
  fee: number | null;
  reason: string | null;
}

/** One entry of the audit log, kept in the session's `changes`. */
export interface SessionChange {
  at: Date;
  by: string;
  role: string;
  action: CorrectionAction;
  reason: string;
  before: SessionFacts;
  after: SessionFacts;
}

/** A change that cannot be made: `status` is the HTTP status that says why (400 bad request, 409 not in a state for it). */
export class CorrectionError extends Error {
  override readonly name = 'CorrectionError';
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
  ) {
    super(message);
  }
}

const MIN_REASON = 3;
const MAX_REASON = 200;
/** An exit may be timed this far after the server's clock (gate clocks drift), no further. */
const FUTURE_SLACK_MS = 5 * MINUTE_MS;

/** The reason, trimmed; a CorrectionError when missing, too short or too long, or holding control characters. */
export function checkReason(value: unknown): string {
  const reason = typeof value === 'string' ? value.trim() : '';
  if (reason.length < MIN_REASON) throw new CorrectionError(`reason: say why, in ${MIN_REASON}-${MAX_REASON} characters`, 400);
  if (reason.length > MAX_REASON) throw new CorrectionError(`reason: at most ${MAX_REASON} characters, got ${reason.length}`, 400);
  if ([...reason].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) throw new CorrectionError('reason: one line of text, no control characters', 400);
  return reason;
}

/** A fee given by hand: an integer amount of minor units, 0 to MAX_AMOUNT. */
export function checkFee(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_AMOUNT) {
    throw new CorrectionError(`fee: an integer amount of minor units (Rp12.000 is 12000), 0 to ${MAX_AMOUNT}, got ${JSON.stringify(value)}`, 400);
  }
  return value;
}

export const factsOf = (s: Pick<SessionDoc, 'status' | 'exitAt' | 'durationMinutes' | 'fee' | 'reason'>): SessionFacts => ({
  status: s.status,
  exitAt: s.exitAt,
  durationMinutes: s.durationMinutes,
  fee: s.fee,
  reason: s.reason,
});

/** Statuses a manual close applies to: still open, or closed without a fee because a gate clock was wrong. */
const CLOSABLE: readonly SessionStatus[] = ['open', 'clockSkew'];

/** What `c` sets on `session` and the audit entry it leaves; a CorrectionError when it cannot be made. */
export function correct(session: SessionDoc, c: Correction, tariff: Tariff | undefined): { set: Partial<SessionDoc>; change: SessionChange } {
  const reason = checkReason(c.reason);
  const before = factsOf(session);
  let after: SessionFacts;
  if (c.action === 'void') {
    if (session.status === 'void') throw new CorrectionError(`session ${session._id} is void already`, 409);
    after = { ...before, status: 'void', fee: null, reason: `voided by ${c.by}: ${reason}` };
  } else if (c.action === 'close') {
    if (!CLOSABLE.includes(session.status)) {
      throw new CorrectionError(`session ${session._id} is ${session.status}: only an open session, or one closed without a fee for a wrong gate clock (clockSkew), can be closed by hand`, 409);
    }
    const exitAt = c.exitAt ?? (session.status === 'open' ? c.at : session.exitAt!);
    if (!Number.isFinite(exitAt.getTime())) throw new CorrectionError('exitAt: not a time', 400);
    if (exitAt.getTime() > c.at.getTime() + FUTURE_SLACK_MS) throw new CorrectionError(`exitAt: ${exitAt.toISOString()} is in the future`, 400);
    const entryAt = session.entryAt?.getTime();
    const stayKnown = entryAt !== undefined && exitAt.getTime() >= entryAt;
    let fee: number;
    if (c.fee !== undefined) fee = checkFee(c.fee);
    else if (!stayKnown) throw new CorrectionError(`fee: give one: the exit ${exitAt.toISOString()} is before the entry${entryAt === undefined ? '' : ` ${new Date(entryAt).toISOString()}`}`, 400);
    else if (!tariff) throw new CorrectionError(`fee: give one: tariff ${session.tariff} of this session is not deployed`, 400);
    else fee = computeFee(tariff, entryAt, exitAt.getTime()).fee;
    const durationMinutes = stayKnown ? startedMinutes(exitAt.getTime() - entryAt) : null;
    after = { status: 'closed', exitAt, durationMinutes, fee, reason: `closed by ${c.by}: ${reason}` };
  } else {
    throw new CorrectionError(`action: one of ${CORRECTION_ACTIONS.join(', ')}`, 400);
  }
  const change: SessionChange = { at: c.at, by: c.by, role: c.role, action: c.action, reason, before, after };
  return { set: { ...after, updatedAt: c.at }, change };
}
