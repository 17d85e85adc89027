// Sessions in MongoDB: every gate event is recorded once in `gateEvents` (unique eventId),
// then applied to `sessions`. Each step is idempotent by event id, so the whole of
// `apply` can be retried after any failure (a failover mid-write included) without
// charging twice or losing the event.
import type { Abortable, Collection, Db, FindOneAndUpdateOptions, FindOptions, InsertOneOptions, MongoServerError, ObjectId, UpdateOptions } from 'mongodb';
import { bounded, OPERATION_TIMEOUT_MS } from '../mongo/bound.ts';
import type { Logger } from '../log/index.ts';
import { withRetry, type RetryOptions } from '../mongo/retry.ts';
import {
  closingFields,
  gateDisplay,
  openedSession,
  supersededFields,
  unmatchedSession,
  type LotGateEvent,
  type Outcome,
  type SessionDoc,
  type SessionStatus,
} from './session.ts';
import { rewrite, type Plated } from './batch.ts';
import { isMasked, maskPlate } from './plates.ts';
import type { Tariff } from './tariff.ts';
import type { Direction, GateDisplay } from '../contract/index.ts';

/** A document of the `gateEvents` collection. */
export interface GateEventDoc {
  _id?: ObjectId;
  eventId: string;
  lot: string;
  gate: string;
  direction: Direction;
  /** The plate: in clear while `plateClear`, then masked (billing/plates.ts). */
  carId: string;
  /** Keyed hash of the plate (`erased:<id>` once erased). */
  carKey?: string;
  plateClear?: true;
  /** The event's time, epoch ms (as in the payload). */
  ts: number;
  /** `ts` as a date. */
  at: Date;
  receivedAt: Date;
  /** Set once the event changed `sessions`; null while only recorded. */
  appliedAt: Date | null;
  sessionId: string | null;
  outcome: Outcome | null;
}

export interface BillingCollections {
  sessions: Collection<SessionDoc>;
  gateEvents: Collection<GateEventDoc>;
}

export interface ApplyResult {
  session: SessionDoc;
  outcome: Outcome;
  /** The event had been applied before (a repeat); nothing changed now. */
  duplicate: boolean;
  /** Sessions closed as `superseded` by this entry. */
  superseded: string[];
  /** What the gate shows. */
  display: GateDisplay & { status: SessionStatus };
  /** Attempts it took (more than 1 through a failover). */
  attempts: number;
}

const DUPLICATE_KEY = 11000;

/** Options every operation of one attempt gets: its deadline's signal (the driver's option types omit it for writes, but honour it). */
type Op = InsertOneOptions & UpdateOptions & FindOptions & Abortable;
const MAX_RACES = 5;

export const isDuplicateKey = (err: unknown): boolean => (err as MongoServerError)?.code === DUPLICATE_KEY;

/** The index of open sessions before plates were matched by their keyed hash; dropped at start. */
/** Indexes by the clear plate, from before plates were keyed: dropped at start. */
const OLD_OPEN_INDEX = 'one_open_per_car_lot';
const INDEX_NOT_FOUND = 27;

/**
 * Creates the indexes billing relies on (idempotent); call at start. Records written before
 * plates were matched by `carKey` get theirs first (`carKeyOf`, the plate key's hash), so an
 * upgrade keeps every open session matchable.
 */
export async function prepareBilling(db: Db, carKeyOf: (carId: string) => string, signal?: AbortSignal): Promise<BillingCollections> {
  const sessions = db.collection<SessionDoc>('sessions');
  const gateEvents = db.collection<GateEventDoc>('gateEvents');
  await addCarKeys(sessions as never, carKeyOf, signal);
  await addCarKeys(gateEvents as never, carKeyOf, signal);
  await gateEvents.createIndexes([
    { key: { eventId: 1 }, name: 'eventId_unique', unique: true },
    { key: { lot: 1, at: 1 }, name: 'lot_at' },
    { key: { carKey: 1, at: 1 }, name: 'carKey_at' },
    // The charging desk reads the ids of the events received lately at start (billing/desk.ts).
    { key: { receivedAt: 1 }, name: 'receivedAt' },
    { key: { plateClear: 1, receivedAt: 1 }, name: 'plateClear_receivedAt', partialFilterExpression: { plateClear: true } },
  ], { signal } as never);
  await sessions.createIndexes([
    // At most one open session per car and lot: a second concurrent entry fails instead of hiding one.
    { key: { carKey: 1, lot: 1 }, name: 'one_open_per_carKey_lot', unique: true, partialFilterExpression: { status: 'open' } },
    // An exit closes at most one session.
    { key: { exitEventId: 1 }, name: 'exitEventId_unique', unique: true, partialFilterExpression: { exitEventId: { $type: 'string' } } },
    { key: { carKey: 1, lot: 1, entryAt: -1 }, name: 'carKey_lot_entryAt' },
    { key: { lot: 1, exitAt: 1 }, name: 'lot_exitAt' },
    { key: { status: 1, lot: 1 }, name: 'status_lot' },
    { key: { entryEventId: 1 }, name: 'entryEventId' },
    { key: { status: 1, updatedAt: 1 }, name: 'status_updatedAt' },
  ], { signal } as never);
  for (const [collection, name] of [[sessions, OLD_OPEN_INDEX], [sessions, 'car_lot_entryAt'], [gateEvents, 'carId_at']] as const) {
    await (collection as unknown as Collection).dropIndex(name, { signal } as never).catch((err: MongoServerError) => {
      if (err?.code !== INDEX_NOT_FOUND && !/index not found/i.test(err?.message ?? '')) throw err;
    });
  }
  return { sessions, gateEvents };
}

/** A key no plate's hash equals (hashes are 32 base64url characters): for erased records. */
export const unmatchableKey = (id: unknown): string => `erased:${String(id)}`;

function addCarKeys(c: Collection<Plated>, carKeyOf: (carId: string) => string, signal?: AbortSignal): Promise<number> {
  // A masked or erased plate cannot be keyed any more: it gets a key no plate hashes to.
  const keyed = (d: Plated) => ({ $set: isMasked(d.carId) ? { carKey: unmatchableKey(d._id) } : { carKey: carKeyOf(d.carId), plateClear: true } });
  return rewrite(c, { carKey: { $exists: false }, carId: { $type: 'string' } }, keyed, signal);
}

export interface BillingOptions {
  retry?: Partial<RetryOptions>;
  logger?: Pick<Logger, 'warn' | 'info' | 'debug'>;
  /** Called before each retry of an event (MongoDB not writable). */
  onRetry?: (info: { eventId: string; attempt: number; delayMs: number; error: unknown }) => void;
  now?: () => Date;
  /** Deadline of one attempt at an event (all its reads and writes), ms. Default 10,000. */
  attemptTimeoutMs?: number;
}

interface Applied {
  session: SessionDoc;
  outcome: Outcome;
}

/** Applies gate events to sessions, exactly once each. */
export class Billing {
  private readonly now: () => Date;

  constructor(
    readonly collections: BillingCollections,
    private readonly options: BillingOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Records `ev` and applies it under `tariff`, retrying transient MongoDB errors with
   * backoff (until `signal` aborts or the retry deadline passes). A repeated event id
   * changes nothing and comes back with `duplicate: true` and the same session.
   */
  async apply(ev: LotGateEvent, tariff: Tariff, signal?: AbortSignal): Promise<ApplyResult> {
    let attempts = 0;
    return withRetry(
      async (attempt) => {
        attempts = attempt;
        const timeoutMs = this.options.attemptTimeoutMs ?? OPERATION_TIMEOUT_MS;
        return { ...(await bounded(`gate event ${ev.eventId}`, timeoutMs, (s) => this.applyOnce(ev, tariff, { signal: s }), signal)), attempts };
      },
      {
        ...this.options.retry,
        signal,
        onRetry: ({ attempt, delayMs, error }) => {
          this.options.onRetry?.({ eventId: ev.eventId, attempt, delayMs, error });
          const log = attempt === 1 ? 'warn' : 'debug';
          this.options.logger?.[log]({ eventId: ev.eventId, attempt, retryInMs: delayMs, err: (error as Error).message }, 'billing: MongoDB not writable; retrying the gate event');
        },
      },
    );
  }

  private async applyOnce(input: LotGateEvent, tariff: Tariff, o: Op): Promise<Omit<ApplyResult, 'attempts'>> {
    const { sessions, gateEvents } = this.collections;
    const record: GateEventDoc = {
      eventId: input.eventId,
      lot: input.lot,
      gate: input.gate,
      direction: input.direction,
      carId: input.carId,
      carKey: input.carKey,
      plateClear: true,
      ts: input.ts,
      at: new Date(input.ts),
      receivedAt: new Date(input.receivedAt),
      appliedAt: null,
      sessionId: null,
      outcome: null,
    };
    let ev = input;
    try {
      await gateEvents.insertOne({ ...record }, o);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const stored = await gateEvents.findOne({ eventId: input.eventId }, o);
      if (!stored) throw err;
      // The first copy of an event id is the event; a repeat with other content changes nothing.
      ev = { eventId: stored.eventId, lot: stored.lot, gate: stored.gate, direction: stored.direction, carId: stored.carId, carKey: stored.carKey ?? input.carKey, ts: stored.ts, receivedAt: stored.receivedAt.getTime() };
      if (stored.appliedAt && stored.sessionId && stored.outcome) {
        const session = await sessions.findOne({ _id: stored.sessionId }, o);
        if (session) return this.result(session, stored.outcome, ev.direction, true, tariff, o);
      }
    }
    const { session, outcome } = ev.direction === 'entry' ? await this.applyEntry(ev, tariff, o) : await this.applyExit(ev, tariff, o);
    await gateEvents.updateOne({ eventId: ev.eventId }, { $set: { appliedAt: this.now(), sessionId: session._id, outcome } }, o);
    return this.result(session, outcome, ev.direction, false, tariff, o);
  }

  private async result(session: SessionDoc, outcome: Outcome, direction: Direction, duplicate: boolean, tariff: Tariff, o: Op): Promise<Omit<ApplyResult, 'attempts'>> {
    const superseded = direction === 'entry' ? (await this.collections.sessions.find({ supersededBy: session._id }, { projection: { _id: 1 }, ...o }).toArray()).map((s) => s._id) : [];
    return { session, outcome, duplicate, superseded, display: gateDisplay(session, direction, tariff.minorDigits) };
  }

  private async applyEntry(ev: LotGateEvent, tariff: Tariff, o: Op): Promise<Applied> {
    const { sessions } = this.collections;
    const done = await sessions.findOne({ _id: ev.eventId }, o);
    if (done) return { session: done, outcome: 'opened' };
    for (let race = 0; race < MAX_RACES; race += 1) {
      // Not our own session: a concurrent copy of this event may have opened it a moment ago.
      const open = await sessions.find({ carKey: ev.carKey, lot: ev.lot, status: 'open', _id: { $ne: ev.eventId } }, o).toArray();
      for (const older of open) {
        await sessions.updateOne({ _id: older._id, status: 'open' }, { $set: supersededFields(older, ev, this.now()) }, o);
        this.options.logger?.info({ sessionId: older._id, carId: maskPlate(ev.carId), lot: ev.lot, by: ev.eventId }, 'billing: car entered again while its session was open; older session superseded');
      }
      const session = openedSession(ev, tariff, this.now());
      try {
        await sessions.insertOne(session, o);
        return { session, outcome: 'opened' };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const mine = await sessions.findOne({ _id: ev.eventId }, o);
        if (mine) return { session: mine, outcome: 'opened' };
        // Another entry of the same car opened a session meanwhile: supersede it too.
      }
    }
    throw new Error(`entry ${ev.eventId}: another open session of ${maskPlate(ev.carId)} at ${ev.lot} kept appearing`);
  }

  private async applyExit(ev: LotGateEvent, tariff: Tariff, o: Op): Promise<Applied> {
    const { sessions } = this.collections;
    for (let race = 0; race < MAX_RACES; race += 1) {
      const done = await sessions.findOne({ exitEventId: ev.eventId }, o);
      if (done) return { session: done, outcome: exitOutcome(done.status) };
      const open = await sessions.find({ carKey: ev.carKey, lot: ev.lot, status: 'open' }, o).sort({ entryAt: -1 }).limit(1).next();
      if (!open) {
        try {
          const session = unmatchedSession(ev, tariff, this.now());
          await sessions.insertOne(session, o);
          return { session, outcome: 'unmatched' };
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          continue;
        }
      }
      const target = open.entryAt && ev.ts < open.entryAt.getTime() ? ((await this.lateExitTarget(open, ev, o)) ?? open) : open;
      const { fields, outcome } = closingFields(target, ev, tariff, this.now());
      if (target !== open) fields.reason = lateExitReason(open, ev);
      const guard = target === open ? { _id: open._id, status: 'open' as const } : { _id: target._id, status: 'superseded' as const, exitEventId: null };
      try {
        const closed = await sessions.findOneAndUpdate(guard, { $set: fields }, { returnDocument: 'after', signal: o.signal } as FindOneAndUpdateOptions);
        if (closed) return { session: closed, outcome };
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      // Changed meanwhile (closed by a repeat of this event elsewhere, or by another exit): look again.
    }
    throw new Error(`exit ${ev.eventId}: the open session of ${maskPlate(ev.carId)} at ${ev.lot} kept changing`);
  }

  /**
   * An exit timed before the open session's entry may be the exit of the visit before it,
   * delivered late (after the next entry superseded that visit): that superseded session
   * then takes the exit, instead of the open one being flagged for clock skew.
   */
  private async lateExitTarget(open: SessionDoc, ev: LotGateEvent, o: Op): Promise<SessionDoc | null> {
    return this.collections.sessions.findOne({ supersededBy: open._id, status: 'superseded', exitEventId: null, entryAt: { $lte: new Date(ev.ts) } }, o);
  }
}

function exitOutcome(status: SessionStatus): Outcome {
  return status === 'unmatched' || status === 'clockSkew' ? status : 'closed';
}

function lateExitReason(open: SessionDoc, ev: LotGateEvent): string {
  return `exit (event ${ev.eventId}, timed ${new Date(ev.ts).toISOString()}) arrived after the next entry (session ${open._id}); closed with its own exit time`;
}
