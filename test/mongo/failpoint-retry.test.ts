// The platform's own retry paths against a server that fails on purpose, through
// the failCommand fail point (configureFailPoint), as the drivers test theirs:
// ingest's writer (slot states and history) and billing's gate events. Every
// write must land exactly once, whether the failure came before the write
// (an error reply, a closed connection) or after it (a writeConcernError: applied,
// answer lost); an error that is not transient is reported.
//
// The fail point is restricted by appName to the platform's client; the test's
// own client (another appName) reads and sets it. Attempts are counted by the
// components' own hooks (Writer metrics and logs, Billing onRetry/attempts),
// the fail point's count (configureFailPoint answers how often it fired) and
// the platform client's command monitoring.
import { expect } from 'chai';
import pino from 'pino';
import { MongoServerError, type CommandStartedEvent, type Db, type Document } from 'mongodb';
import { Billing, DEFAULT_TARIFF, MINUTE_MS, prepareBilling, type BillingCollections, type LotGateEvent } from '../../billing/index.ts';
import { WriteBuffer } from '../../ingest/buffer.ts';
import type { SlotUpdate } from '../../ingest/decode.ts';
import { createMetrics } from '../../ingest/metrics.ts';
import { prepare, type IngestCollections } from '../../ingest/store.ts';
import { Writer } from '../../ingest/writer.ts';
import { rejection, startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { failPointRig, type FailPointRig } from '../helpers/failpoint.ts';
import { testCarKey } from '../helpers/plates.ts';

const APP = 'platform-under-test';
const T0 = Date.parse('2026-11-22T03:00:00.000Z');
const FAILPOINT_MESSAGE = "Failing command via 'failCommand' failpoint";
/** A writeConcernError after the write applied: the answer is lost, the write is not. */
const WCE = { code: 91, codeName: 'ShutdownInProgress', errmsg: 'Replication is being shut down' };

describe('platform retries against the failCommand fail point', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let admin: Db;
  let check: Db;
  let db: Db;
  let rig: FailPointRig;
  let commands: CommandStartedEvent[];
  let n = 0;

  const failCommand = (mode: unknown, data: Document) => rig.failCommand(mode, data);
  const fired = (since: number) => rig.fired(since);
  const sent = (name: string, coll?: string) => commands.filter((c) => c.commandName === name && (coll === undefined || c.command[name] === coll)).length;

  before(async function () {
    m = await startTestMongo();
    rig = failPointRig(m, APP);
    ({ admin, check, db, commands } = rig);
    await db.command({ ping: 1 });
  });

  beforeEach(function () {
    commands.length = 0;
  });

  afterEach(async function () {
    await admin.command({ configureFailPoint: 'failCommand', mode: 'off' });
  });

  after(async function () {
    await m?.close();
  });

  describe('ingest: the writer of slot states and history', function () {
    let collections: IngestCollections;

    before(async function () {
      collections = await prepare(db);
    });

    function writer() {
      const buffer = new WriteBuffer(10_000);
      const metrics = createMetrics();
      const logs: Document[] = [];
      const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
      const durable: string[] = [];
      const w = new Writer(buffer, async () => collections, metrics, logger, { onDurable: (applied) => durable.push(...applied.map((u) => u.slot)) }, {
        maxBatch: 100, backoffMs: 20, maxBackoffMs: 100, writeTimeoutMs: 10_000,
      });
      const lot = `fp-lot-${++n}`;
      const push = (slot: string, status: SlotUpdate['status'], ts: number) => buffer.push({ kind: 'slot', id: `${lot}/B1/${slot}`, lot, level: 'B1', slot, status, ts, seq: 1, receivedAt: ts });
      const stored = async () => ({
        slots: (await check.collection('slots').find({ lot }).sort({ _id: 1 }).toArray()).map((d) => [d.slot, d.status, d.ts]),
        history: (await check.collection('slotEvents').find({ 'slot.lot': lot }).toArray()).map((d) => [d.slot.slot, d.status, d.ts]).sort(),
      });
      return { writer: w, metrics, logs, durable, push, stored };
    }

    const expected = {
      slots: [['1', 'occupied', T0 + 1], ['2', 'free', T0 + 2], ['3', 'occupied', T0 + 3]],
      history: [['1', 'occupied', T0 + 1], ['2', 'free', T0 + 2], ['3', 'occupied', T0 + 3]],
    };

    it('a transient error reply (91 ShutdownInProgress, RetryableWriteError) on the slot write: retried, each state and record stored once', async function () {
      const w = writer();
      w.push('1', 'occupied', T0 + 1);
      w.push('2', 'free', T0 + 2);
      w.push('3', 'occupied', T0 + 3);
      const since = await failCommand({ times: 3 }, { failCommands: ['update'], errorCode: 91, errorLabels: ['RetryableWriteError'] });
      await w.writer.flush();
      // The driver retries a retryable write once by itself: the first attempt met the error
      // twice and failed, the writer's second attempt met it once more, then went through.
      expect(await fired(since), 'times the fail point fired').to.equal(3);
      expect(w.metrics.writeErrors, 'failed attempts of the writer').to.equal(1);
      expect(sent('update', 'slots'), 'update commands sent').to.equal(4);
      expect(w.logs.filter((l) => l.msg === 'ingest: slot write failed; buffering and retrying').map((l) => [l.level, l.attempt, l.err])).to.deep.equal([[40, 1, FAILPOINT_MESSAGE]]);
      expect(w.logs.some((l) => l.msg === 'ingest: MongoDB writable again, catching up' && l.attempts === 2)).to.equal(true);
      expect(await w.stored()).to.deep.equal(expected);
      expect(w.durable).to.deep.equal(['1', '2', '3']);
    });

    it('closeConnection on the slot write (no answer at all): retried as uncertain, each state and record stored once', async function () {
      const w = writer();
      w.push('1', 'occupied', T0 + 1);
      w.push('2', 'free', T0 + 2);
      w.push('3', 'occupied', T0 + 3);
      const since = await failCommand({ times: 2 }, { failCommands: ['update'], closeConnection: true });
      await w.writer.flush();
      expect(await fired(since)).to.equal(2);
      expect(w.metrics.writeErrors).to.equal(1);
      expect(sent('update', 'slots')).to.equal(3);
      expect(await w.stored()).to.deep.equal(expected);
      expect(w.durable).to.deep.equal(['1', '2', '3']);
    });

    it('a writeConcernError after the slot write applied: the retry finds its own states stored and still writes their history once', async function () {
      const w = writer();
      w.push('1', 'occupied', T0 + 1);
      w.push('2', 'free', T0 + 2);
      w.push('3', 'occupied', T0 + 3);
      const since = await failCommand({ times: 2 }, { failCommands: ['update'], writeConcernError: WCE, errorLabels: ['RetryableWriteError'] });
      await w.writer.flush();
      expect(await fired(since)).to.equal(2);
      expect(w.metrics.writeErrors).to.equal(1);
      // The uncertain retry is refused by the guard (the states are there) and reads them back.
      expect(sent('find', 'slots'), 'the retry looked its states up').to.equal(1);
      expect(await w.stored()).to.deep.equal(expected);
      expect(w.durable).to.deep.equal(['1', '2', '3']);
    });

    it('a writeConcernError after the history insert applied: the retry looks the records up and inserts none twice', async function () {
      const w = writer();
      w.push('1', 'occupied', T0 + 1);
      w.push('2', 'free', T0 + 2);
      w.push('3', 'occupied', T0 + 3);
      const since = await failCommand({ times: 2 }, { failCommands: ['insert'], writeConcernError: WCE, errorLabels: ['RetryableWriteError'] });
      await w.writer.flush();
      expect(await fired(since)).to.equal(2);
      expect(w.metrics.writeErrors).to.equal(1);
      expect(sent('insert', 'slotEvents'), 'the first attempt and the driver\'s retry of it; none after the lookup').to.equal(2);
      expect(sent('find', 'slotEvents'), 'the retry looked its records up').to.equal(1);
      expect(await w.stored()).to.deep.equal(expected);
    });

    it('an error that is not transient (2 BadValue): every failure is counted and logged, the update stays buffered, nothing is lost or doubled', async function () {
      const w = writer();
      w.push('1', 'occupied', T0 + 1);
      const since = await failCommand('alwaysOn', { failCommands: ['update'], errorCode: 2 });
      const flushed = w.writer.flush();
      // The writer keeps every update until it is durable, whatever the error: it backs off and reports.
      await admin.command({ waitForFailPoint: 'failCommand', timesEntered: since + 3, maxTimeMS: 20_000 });
      expect(w.logs.filter((l) => l.msg === 'ingest: slot write failed; buffering and retrying' && l.level === 40).map((l) => [l.attempt, l.err])).to.deep.equal([[1, FAILPOINT_MESSAGE]]);
      expect(w.metrics.writeErrors).to.be.at.least(2);
      expect(w.writer.oldestPendingAt(), 'the update is still pending').to.equal(T0 + 1);
      expect(w.writer.pending().slots.map((u) => u.slot)).to.deep.equal(['1']);
      expect((await w.stored()).slots).to.deep.equal([]);
      const entered = await fired(since);
      await flushed;
      expect(w.metrics.writeErrors, 'one failed attempt per error reply (BadValue is not retried by the driver)').to.equal(entered);
      expect(await w.stored()).to.deep.equal({ slots: [['1', 'occupied', T0 + 1]], history: [['1', 'occupied', T0 + 1]] });
    });
  });

  describe('billing: gate events applied to sessions', function () {
    let c: BillingCollections;
    let check2: BillingCollections;

    before(async function () {
      c = await prepareBilling(db, testCarKey);
      check2 = { sessions: check.collection('sessions'), gateEvents: check.collection('gateEvents') } as BillingCollections;
    });

    function billing() {
      const retries: Array<{ attempt: number; error: unknown }> = [];
      const b = new Billing(c, { retry: { initialDelayMs: 20, maxDelayMs: 200, deadlineMs: 30_000 }, onRetry: (info) => retries.push(info) });
      return { b, retries };
    }

    const gateEvent = (direction: 'entry' | 'exit', carId: string, ts: number): LotGateEvent => ({
      eventId: `fp-ev-${process.pid}-${++n}`, direction, carId, carKey: testCarKey(carId), ts, lot: 'fp-mall', gate: direction === 'entry' ? 'in-1' : 'out-1', receivedAt: ts,
    });
    const stored = async (eventIds: string[], carId: string) => ({
      events: (await check2.gateEvents.find({ eventId: { $in: eventIds } }).toArray()).map((e) => [e.eventId, e.outcome]).sort(),
      sessions: (await check2.sessions.find({ carKey: testCarKey(carId) }).toArray()).map((s) => [s._id, s.status, s.fee, s.exitEventId ?? null]),
    });

    it('a transient error reply on the event insert: the entry is retried and opens one session', async function () {
      const { b, retries } = billing();
      const entry = gateEvent('entry', 'FP0001', T0);
      const since = await failCommand({ times: 3 }, { failCommands: ['insert'], errorCode: 91, errorLabels: ['RetryableWriteError'] });
      const result = await b.apply(entry, DEFAULT_TARIFF);
      expect(await fired(since)).to.equal(3);
      expect(result).to.deep.include({ outcome: 'opened', duplicate: false, attempts: 2 });
      expect(retries.map((r) => [r.attempt, (r.error as MongoServerError).code])).to.deep.equal([[1, 91]]);
      expect(await stored([entry.eventId], 'FP0001')).to.deep.equal({ events: [[entry.eventId, 'opened']], sessions: [[entry.eventId, 'open', null, null]] });
    });

    it('closeConnection on the session insert alone (namespace): the retry finds its event recorded and opens the session once', async function () {
      const { b, retries } = billing();
      const entry = gateEvent('entry', 'FP0002', T0);
      const since = await failCommand({ times: 2 }, { failCommands: ['insert'], namespace: `${m.dbName}.sessions`, closeConnection: true });
      const result = await b.apply(entry, DEFAULT_TARIFF);
      expect(await fired(since)).to.equal(2);
      expect(result.attempts).to.equal(2);
      expect(retries).to.have.lengthOf(1);
      expect(sent('insert', 'gateEvents'), 'recorded once, then refused as a duplicate on the retry').to.equal(2);
      expect(await stored([entry.eventId], 'FP0002')).to.deep.equal({ events: [[entry.eventId, 'opened']], sessions: [[entry.eventId, 'open', null, null]] });
    });

    it('a writeConcernError after the exit closed the session: the retry finds it closed and charges once', async function () {
      const { b, retries } = billing();
      const entry = gateEvent('entry', 'FP0003', T0);
      const exit = gateEvent('exit', 'FP0003', T0 + 61 * MINUTE_MS);
      await b.apply(entry, DEFAULT_TARIFF);
      const since = await failCommand({ times: 2 }, { failCommands: ['findAndModify'], writeConcernError: WCE, errorLabels: ['RetryableWriteError'] });
      const result = await b.apply(exit, DEFAULT_TARIFF);
      expect(await fired(since)).to.equal(2);
      expect(result).to.deep.include({ outcome: 'closed', duplicate: false, attempts: 2 });
      expect(retries).to.have.lengthOf(1);
      expect(sent('findAndModify', 'sessions'), 'the close and the driver\'s retry of it; none after').to.equal(2);
      const fee = result.session.fee;
      expect(fee).to.be.a('number').and.above(0);
      expect(await stored([entry.eventId, exit.eventId], 'FP0003')).to.deep.equal({
        events: [[entry.eventId, 'opened'], [exit.eventId, 'closed']].sort(),
        sessions: [[entry.eventId, 'closed', fee, exit.eventId]],
      });
    });

    it('an error that is not transient (121 DocumentValidationFailure): reported at once, not retried; the event applies once when sent again', async function () {
      const { b, retries } = billing();
      const entry = gateEvent('entry', 'FP0004', T0);
      const since = await failCommand('alwaysOn', { failCommands: ['insert'], errorCode: 121 });
      const err = await rejection(b.apply(entry, DEFAULT_TARIFF));
      expect(err).to.be.instanceOf(MongoServerError);
      expect([err.code, err.codeName]).to.deep.equal([121, 'DocumentValidationFailure']);
      expect(retries, 'no retry by billing').to.deep.equal([]);
      expect(await fired(since), 'no retry by the driver either').to.equal(1);
      expect(await stored([entry.eventId], 'FP0004')).to.deep.equal({ events: [], sessions: [] });
      const result = await b.apply(entry, DEFAULT_TARIFF);
      expect(result).to.deep.include({ outcome: 'opened', duplicate: false, attempts: 1 });
      expect(await stored([entry.eventId], 'FP0004')).to.deep.equal({ events: [[entry.eventId, 'opened']], sessions: [[entry.eventId, 'open', null, null]] });
    });
  });
});
