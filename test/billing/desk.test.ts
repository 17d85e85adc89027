// The charging desk through a MongoDB election: the gate is answered at once, each event
// is recorded once when a primary is back, and a stop without a primary loses nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Db } from 'mongodb';
import { Billing, ChargingDesk, DEFAULT_TARIFF, EventJournal, MINUTE_MS, prepareBilling, type BillingCollections, type LotGateEvent } from '../../billing/index.ts';
import { MONGO_OPTIONS } from '../../mongo/index.ts';
import { requireStandIn, startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { testCarKey } from '../helpers/plates.ts';

const T0 = Date.parse('2026-11-22T03:00:00.000Z');
let counter = 0;

function gateEvent(lot: string, direction: 'entry' | 'exit', carId: string, ts: number): LotGateEvent {
  counter += 1;
  return { eventId: `desk-${process.pid}-${counter}`, direction, carId, carKey: testCarKey(carId), ts, lot, gate: direction === 'entry' ? 'in-1' : 'out-1', receivedAt: Date.now() };
}

describe('billing: the charging desk while MongoDB has no primary', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let db: Db;
  let c: BillingCollections;
  let dir: string;

  before(async function () {
    m = await startTestMongo({ electionDelayMs: [3000, 3500] });
    requireStandIn(this, m, 'an election without handoff');
    db = m.client(MONGO_OPTIONS).db(m.dbName);
    c = await prepareBilling(db, testCarKey);
  });
  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'parking-desk-'));
    await m.rs!.waitForPrimary(20_000);
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });
  after(async function () {
    await m?.close();
  });

  function desk(journalDir = dir) {
    const billing = new Billing(c, { retry: { deadlineMs: Number.POSITIVE_INFINITY, initialDelayMs: 50, maxDelayMs: 300 }, attemptTimeoutMs: 1000 });
    const journal = new EventJournal(journalDir);
    return { desk: new ChargingDesk({ apply: (ev, t, s) => billing.apply(ev, t, s), read: () => c, journal }), journal };
  }

  /** Handles `ev` and says how long the gate waited, ms. */
  async function timed(d: ChargingDesk, ev: LotGateEvent) {
    const started = Date.now();
    const answer = await d.handle(ev, DEFAULT_TARIFF);
    return { answer, ms: Date.now() - started };
  }

  it('answers entries and exits at once, then records each event once when a primary is back', async function () {
    const { desk: d } = desk();
    await d.seed(5000, DEFAULT_TARIFF);
    const before = gateEvent('elect', 'entry', 'EARLY1', T0);
    await (await d.handle(before, DEFAULT_TARIFF)).stored;
    await m.rs!.stepDown({ handoff: false, stepDownSecs: 1 });
    const waits: number[] = [];
    const fees: Array<number | undefined> = [];
    for (let i = 0; i < 10; i++) {
      const entry = await timed(d, gateEvent('elect', 'entry', `CAR${i}`, T0 + i * MINUTE_MS));
      const exit = await timed(d, gateEvent('elect', 'exit', `CAR${i}`, T0 + i * MINUTE_MS + 61 * MINUTE_MS));
      waits.push(entry.ms, exit.ms);
      fees.push(exit.answer.display.fee);
      expect(exit.answer.source).to.equal('desk');
    }
    const early = await timed(d, gateEvent('elect', 'exit', 'EARLY1', T0 + 125 * MINUTE_MS));
    waits.push(early.ms);
    expect(early.answer.display).to.deep.include({ status: 'closed', fee: 13000, durationMinutes: 125 });
    expect(m.rs!.primary(), 'still no primary').to.equal(undefined);
    expect(Math.max(...waits), `gate waits ${waits.join(', ')} ms`).to.be.below(500);
    expect(fees).to.deep.equal(Array(10).fill(9000));
    expect(d.unsaved, 'waiting for a primary').to.be.above(0);

    await d.settled();
    const sessions = await c.sessions.find({ lot: 'elect' }).toArray();
    expect(sessions.map((s) => [s.carId, s.status, s.fee]).sort()).to.deep.equal([['EARLY1', 'closed', 13000], ...Array.from({ length: 10 }, (_, i) => [`CAR${i}`, 'closed', 9000])].sort());
    expect(await c.gateEvents.countDocuments({ lot: 'elect', appliedAt: { $ne: null } })).to.equal(22);
    expect(d.stats.mismatches).to.equal(0);
  });

  it('before it has read the open sessions, reads one car from a secondary in time', async function () {
    const first = desk().desk;
    await first.seed(5000, DEFAULT_TARIFF);
    await (await first.handle(gateEvent('lookup', 'entry', 'LOOK1', T0), DEFAULT_TARIFF)).stored;
    await m.rs!.stepDown({ handoff: false, stepDownSecs: 1 });
    const fresh = desk(path.join(dir, 'fresh')).desk; // not seeded
    const exit = await timed(fresh, gateEvent('lookup', 'exit', 'LOOK1', T0 + 61 * MINUTE_MS));
    expect(exit.ms).to.be.below(500);
    expect(exit.answer).to.deep.include({ source: 'desk', outcome: 'closed' });
    expect(exit.answer.display.fee).to.equal(9000);
    await fresh.settled();
    expect(await c.sessions.findOne({ lot: 'lookup', carId: 'LOOK1' })).to.deep.include({ status: 'closed', fee: 9000 });
  });

  it('a stop without a primary keeps the unrecorded events; the next start records each once and answers their repeats without charging again', async function () {
    const { desk: first, journal } = desk();
    await first.seed(5000, DEFAULT_TARIFF);
    await m.rs!.stepDown({ handoff: false, stepDownSecs: 1 });
    const entry = gateEvent('restart', 'entry', 'STOP1', T0);
    const exit = gateEvent('restart', 'exit', 'STOP1', T0 + 61 * MINUTE_MS);
    await first.handle(entry, DEFAULT_TARIFF);
    expect((await first.handle(exit, DEFAULT_TARIFF)).display.fee).to.equal(9000);
    expect(await first.close(200), 'stopped before MongoDB took them').to.equal(false);
    expect(journal.pending().map((e) => e.eventId)).to.deep.equal([entry.eventId, exit.eventId]);

    await m.rs!.waitForPrimary(20_000);
    const { desk: second, journal: reopened } = desk();
    expect(await second.seed(5000, DEFAULT_TARIFF)).to.equal(true);
    await second.settled();
    expect(reopened.pending()).to.deep.equal([]);
    expect(await c.sessions.find({ lot: 'restart' }).toArray()).to.have.length(1);
    expect(await c.sessions.findOne({ lot: 'restart' })).to.deep.include({ status: 'closed', fee: 9000 });

    // The exit delivered again after the restart (at-least-once): MongoDB's answer, a repeat.
    const { desk: third } = desk(path.join(dir, 'third'));
    await third.seed(5000, DEFAULT_TARIFF);
    const repeat = await third.handle(exit, DEFAULT_TARIFF);
    expect(repeat).to.deep.include({ duplicate: true, source: 'mongodb' });
    expect(await c.sessions.countDocuments({ lot: 'restart' })).to.equal(1);
  });
});
