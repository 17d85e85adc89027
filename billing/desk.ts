// The charging desk: answers the gate from what it knows, and records in MongoDB behind.
//
// A car at the barrier must not wait for a MongoDB election (10-12 s). The desk keeps the
// open session of every car (read at start, from a secondary too, then kept up to date by
// its own decisions) and decides each event with the same pure rules billing applies in
// MongoDB (session.ts): an entry opens a session, an exit closes the car's open session
// with its fee, an exit without one is charged the lost-ticket fee. The display goes out
// at once; the event is journaled first (journal.ts) and applied to MongoDB exactly once
// by `Billing.apply`, in order per car, retried until a primary takes it.
//
// What the desk does not decide itself it leaves to MongoDB and waits: an exit timed before
// the car's entry (a late exit or a clock fault), a car whose state it could not read in
// time, a repeat of an event applied before this start, and every later event of a car
// while one of those waits. One desk per lot's gates: a second process writing the same
// cars' sessions would make its view stale (a mismatch is logged and counted, MongoDB's
// record wins).
import type { Collection } from 'mongodb';
import type { GateDisplay } from '../contract/index.ts';
import { bounded, settlesWithin, unlimited } from '../mongo/bound.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { maskPlate } from './plates.ts';
import type { EventJournal } from './journal.ts';
import { closingFields, gateDisplay, openedSession, unmatchedSession, type LotGateEvent, type Outcome, type SessionDoc, type SessionStatus } from './session.ts';
import type { ApplyResult, GateEventDoc } from './store.ts';
import type { Tariff } from './tariff.ts';

export interface DeskOptions {
  /** Applies an event in MongoDB exactly once (Billing.apply), retrying until stopped. */
  apply(ev: LotGateEvent, tariff: Tariff, signal: AbortSignal): Promise<ApplyResult>;
  /** The collections to read sessions and recent events from (no primary needed); undefined while not connected. */
  read(): { sessions: Collection<SessionDoc>; gateEvents: Collection<GateEventDoc> } | undefined;
  journal?: EventJournal;
  logger?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** The plate's keyed hash, for what was stored before plates were keyed (an older journal or session). */
  carKeyOf?: (carId: string) => string;
  /** Longest wait for one car's state from MongoDB before leaving the event to MongoDB, ms. Default 300. */
  lookupTimeoutMs?: number;
  now?: () => Date;
}

export interface GateAnswer {
  session: SessionDoc;
  outcome: Outcome;
  /** A repeat of an event already answered: nothing changed. */
  duplicate: boolean;
  display: GateDisplay & { status: SessionStatus };
  /** `desk`: decided from the desk's view, before MongoDB has it; `mongodb`: applied first. */
  source: 'desk' | 'mongodb';
  /** MongoDB's result, once it holds the event. */
  stored: Promise<ApplyResult>;
}

/** Recent event ids remembered, to answer repeats without MongoDB. */
const REMEMBERED = 20_000;
/** Events applied this long before the start are looked up as possible repeats. */
const RECENT_MS = 24 * 3600_000;

export class ChargingDesk {
  /** Per car and lot: its open session, null for none; absent while unknown. */
  private readonly view = new Map<string, SessionDoc | null>();
  /** Per car and lot: decisions made, so a late result from MongoDB does not undo a newer one. */
  private readonly version = new Map<string, number>();
  /** Cars with events left to MongoDB and not yet applied: their next events wait too. */
  private readonly waiting = new Map<string, number>();
  /** Answers by event id, newest last (at most REMEMBERED). */
  private readonly answers = new Map<string, Promise<GateAnswer>>();
  /** Ids of events applied before this start (from MongoDB): a repeat of one is left to MongoDB. */
  private readonly appliedBefore = new Set<string>();
  /** MongoDB writes, in order per car. */
  private readonly queue = new KeyedQueue();
  /** Decisions, in order per car. */
  private readonly deciding = new KeyedQueue();
  /** Aborts the MongoDB work in flight at a stop (every waiting event listens to it). */
  private readonly stopping = unlimited(new AbortController());
  private seeded = false;
  readonly stats = { mismatches: 0 };

  constructor(private readonly o: DeskOptions) {}

  /** Events not yet in MongoDB. */
  get unsaved(): number {
    return this.queue.size;
  }

  /** True once the open sessions were read: every car not in the view has none. */
  get ready(): boolean {
    return this.seeded;
  }

  /**
   * Reads the open sessions and the ids of recent events (a secondary will do), then
   * re-applies what the journal holds from an earlier run. Call again until it returns
   * true; events are answered meanwhile through per-car reads.
   */
  async seed(timeoutMs: number, tariff: Tariff): Promise<boolean> {
    const c = this.o.read();
    if (!c || this.seeded) return this.seeded;
    const since = new Date((this.o.now?.() ?? new Date()).getTime() - RECENT_MS);
    const [open, recent] = await bounded('read of the open sessions', timeoutMs, (signal) =>
      Promise.all([
        c.sessions.find({ status: 'open' }, { readPreference: 'primaryPreferred', signal }).toArray(),
        c.gateEvents.find({ receivedAt: { $gte: since } }, { readPreference: 'primaryPreferred', projection: { eventId: 1 }, signal }).toArray(),
      ]),
    );
    for (const s of open) {
      const keyed = s.carKey ? s : { ...s, carKey: this.o.carKeyOf?.(s.carId) };
      if (keyed.carKey && !this.version.has(key(keyed))) this.view.set(key(keyed), keyed);
    }
    for (const e of recent) if (!this.answers.has(e.eventId)) this.appliedBefore.add(e.eventId);
    this.seeded = true;
    const left = this.o.journal?.pending() ?? [];
    if (left.length) this.o.logger?.info({ events: left.length }, 'charging: applying the gate events an earlier run did not store');
    for (const ev of left) {
      const keyed = ev.carKey || !this.o.carKeyOf ? ev : { ...ev, carKey: this.o.carKeyOf(ev.carId) };
      void this.handle(keyed, tariff).catch(() => undefined);
    }
    return true;
  }

  /**
   * Answers one gate event: at once when the desk can decide it, after MongoDB otherwise.
   * A repeat of an event (at-least-once delivery) gets the first answer, marked `duplicate`.
   */
  handle(ev: LotGateEvent, tariff: Tariff): Promise<GateAnswer> {
    const first = this.answers.get(ev.eventId);
    if (first) return first.then((a) => ({ ...a, duplicate: true, stored: a.stored.then((r) => ({ ...r, duplicate: true })) }));
    const answer = this.answer(ev, tariff);
    this.answers.set(ev.eventId, answer);
    if (this.answers.size > REMEMBERED) this.answers.delete(this.answers.keys().next().value!);
    // A failed answer is not remembered: a repeat tries again.
    answer.catch(() => this.answers.get(ev.eventId) === answer && this.answers.delete(ev.eventId));
    return answer;
  }

  private async answer(ev: LotGateEvent, tariff: Tariff): Promise<GateAnswer> {
    const k = `${ev.lot}/${ev.carKey}`;
    this.o.journal?.record(ev);
    // One decision at a time per car, in arrival order (a read of its state may come first).
    const taken = await this.deciding.run(k, async () => {
      const local = !this.waiting.has(k) && !this.appliedBefore.has(ev.eventId) && (await this.known(k, ev)) ? this.decide(k, ev, tariff) : undefined;
      if (!local) this.waiting.set(k, (this.waiting.get(k) ?? 0) + 1);
      return { local, stored: this.store(k, ev, tariff, local) };
    });
    taken.stored.catch(() => undefined); // the caller may not wait for it; failures reach the caller through `stored`
    if (taken.local) {
      return { ...taken.local, duplicate: false, source: 'desk', stored: taken.stored };
    }
    const stored = taken.stored.finally(() => {
      const n = (this.waiting.get(k) ?? 1) - 1;
      if (n > 0) this.waiting.set(k, n);
      else this.waiting.delete(k);
    });
    const result = await stored;
    return { session: result.session, outcome: result.outcome, duplicate: result.duplicate, display: result.display, source: 'mongodb', stored };
  }

  /** Resolves once MongoDB holds every event answered so far (no deadline: for tests and tools). */
  async settled(): Promise<void> {
    await this.deciding.idle();
    await this.queue.idle();
  }

  /** Waits up to `ms` for MongoDB to take every event answered so far; false when some are left (they stay in the journal). */
  async close(ms: number): Promise<boolean> {
    const done = await settlesWithin(this.queue.idle(), ms);
    this.stopping.abort(new Error('charging stopped'));
    return done;
  }

  /** True when the car's open session (or that it has none) is known, reading it from MongoDB if needed. */
  private async known(k: string, ev: LotGateEvent): Promise<boolean> {
    if (this.view.has(k) || this.seeded) return true;
    const c = this.o.read();
    if (!c) return false;
    try {
      const open = await bounded('read of a car\'s open session', this.o.lookupTimeoutMs ?? 300, (signal) =>
        c.sessions.find({ carKey: ev.carKey, lot: ev.lot, status: 'open' }, { readPreference: 'primaryPreferred', signal }).sort({ entryAt: -1 }).limit(1).next(),
      );
      if (!this.view.has(k)) this.view.set(k, open);
      return true;
    } catch {
      return false;
    }
  }

  /** The desk's own decision, or undefined for what it leaves to MongoDB. */
  private decide(k: string, ev: LotGateEvent, tariff: Tariff): Omit<GateAnswer, 'duplicate' | 'source' | 'stored'> | undefined {
    const now = this.o.now?.() ?? new Date();
    const open = this.view.get(k) ?? null;
    let session: SessionDoc;
    let outcome: Outcome;
    if (ev.direction === 'entry') {
      session = openedSession(ev, tariff, now);
      outcome = 'opened';
      this.view.set(k, session);
    } else if (!open) {
      session = unmatchedSession(ev, tariff, now);
      outcome = 'unmatched';
    } else {
      if (!open.entryAt || ev.ts < open.entryAt.getTime()) return undefined;
      const closing = closingFields(open, ev, tariff, now);
      session = { ...open, ...closing.fields } as SessionDoc;
      outcome = closing.outcome;
      this.view.set(k, null);
    }
    this.version.set(k, (this.version.get(k) ?? 0) + 1);
    return { session, outcome, display: gateDisplay(session, ev.direction, tariff.minorDigits) };
  }

  /** Applies `ev` in MongoDB (in order per car), then brings the view in line with what MongoDB holds. */
  private store(k: string, ev: LotGateEvent, tariff: Tariff, local?: Omit<GateAnswer, 'duplicate' | 'source' | 'stored'>): Promise<ApplyResult> {
    const decidedAt = this.version.get(k) ?? 0;
    return this.queue.run(k, async () => {
      const result = await this.o.apply(ev, tariff, this.stopping.signal);
      this.o.journal?.done(ev.eventId);
      if (local && !result.duplicate && (result.outcome !== local.outcome || result.session._id !== local.session._id || result.session.fee !== local.session.fee)) {
        this.stats.mismatches += 1;
        this.o.logger?.warn(
          { eventId: ev.eventId, carId: maskPlate(ev.carId), lot: ev.lot, shown: { outcome: local.outcome, fee: local.session.fee }, stored: { outcome: result.outcome, fee: result.session.fee } },
          'charging: MongoDB recorded this event differently from what the gate showed (another process changed the car\'s sessions); MongoDB\'s record stands',
        );
      }
      // A newer decision of the desk for this car stands; otherwise the view follows MongoDB. A car
      // with no open session is forgotten once the desk has read all open sessions (absent then means none),
      // so the view holds the cars in the lot, not every car ever seen.
      if ((this.version.get(k) ?? 0) === decidedAt) {
        if (result.session.status === 'open') this.view.set(k, result.session);
        else if (this.seeded && !this.waiting.has(k)) {
          this.view.delete(k);
          this.version.delete(k);
        } else this.view.set(k, null);
      }
      return result;
    });
  }
}

/** A car at a lot, by the keyed hash of its plate. */
const key = (s: Pick<SessionDoc, 'lot' | 'carKey'>) => `${s.lot}/${s.carKey}`;
