import { expect } from 'chai';
import type { Db } from 'mongodb';
import { Billing, DEFAULT_TARIFF, MINUTE_MS, prepareBilling, type BillingCollections, type LotGateEvent } from '../../billing/index.ts';
import { requireStandIn, startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { testCarKey } from '../helpers/plates.ts';

const T0 = Date.parse('2026-11-22T03:00:00.000Z');
let counter = 0;

function gateEvent(direction: 'entry' | 'exit', carId: string, ts: number, extra: Partial<LotGateEvent> = {}): LotGateEvent {
  counter += 1;
  return { eventId: `ev-${process.pid}-${counter}`, direction, carId, carKey: testCarKey(extra.carId ?? carId), ts, lot: 'mall-1', gate: direction === 'entry' ? 'in-1' : 'out-1', receivedAt: ts, ...extra };
}

describe('billing: sessions in MongoDB', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let db: Db;
  let c: BillingCollections;
  let billing: Billing;

  before(async function () {
    m = await startTestMongo();
    db = m.client().db(m.dbName);
    c = await prepareBilling(db, testCarKey);
    billing = new Billing(c, { retry: { initialDelayMs: 50, maxDelayMs: 500, deadlineMs: 60_000 } });
  });
  after(async function () {
    await m?.close();
  });

  it('creates its indexes at start, the unique eventId among them (twice is fine)', async function () {
    await prepareBilling(db, testCarKey);
    const names = (await c.gateEvents.listIndexes().toArray()).map((i) => i.name);
    expect(names).to.include('eventId_unique');
    const sessionIdx = await c.sessions.listIndexes().toArray();
    expect(sessionIdx.find((i) => i.name === 'one_open_per_carKey_lot')).to.deep.include({ key: { carKey: 1, lot: 1 }, unique: true, partialFilterExpression: { status: 'open' } });
    // The index by the clear plate, from before plates were keyed, is gone.
    expect(sessionIdx.map((i) => i.name)).not.to.include('one_open_per_car_lot');
  });

  it('an entry opens a session and welcomes the car; the exit closes it with its fee', async function () {
    const entry = gateEvent('entry', 'B1234XYZ', T0);
    const opened = await billing.apply(entry, DEFAULT_TARIFF);
    expect(opened).to.deep.include({ outcome: 'opened', duplicate: false });
    expect(opened.display).to.deep.equal({ carId: 'B1234XYZ', sessionId: entry.eventId, direction: 'entry', status: 'open', text: 'Welcome B1234XYZ' });
    expect(opened.session).to.deep.include({ _id: entry.eventId, carId: 'B1234XYZ', lot: 'mall-1', status: 'open', fee: null, exitAt: null, currency: 'IDR', tariff: 'default', entryGate: 'in-1' });

    const exit = gateEvent('exit', 'B1234XYZ', T0 + 125 * MINUTE_MS);
    const closed = await billing.apply(exit, DEFAULT_TARIFF);
    expect(closed.outcome).to.equal('closed');
    expect(closed.display).to.deep.equal({
      carId: 'B1234XYZ',
      sessionId: entry.eventId,
      direction: 'exit',
      status: 'closed',
      durationMinutes: 125,
      fee: 13000,
      currency: 'IDR',
      text: 'B1234XYZ  2h05m  Rp13.000',
    });
    const doc = await c.sessions.findOne({ _id: entry.eventId });
    expect(doc).to.deep.include({ status: 'closed', durationMinutes: 125, fee: 13000, currency: 'IDR', tariff: 'default', entryEventId: entry.eventId, exitEventId: exit.eventId, exitGate: 'out-1', reason: null });
    expect(doc!.entryAt!.getTime()).to.equal(T0);
    expect(doc!.exitAt!.getTime()).to.equal(exit.ts);
    const events = await c.gateEvents.find({ eventId: { $in: [entry.eventId, exit.eventId] } }).toArray();
    expect(events.map((e) => [e.eventId, e.outcome, e.sessionId, e.appliedAt instanceof Date])).to.have.deep.members([
      [entry.eventId, 'opened', entry.eventId, true],
      [exit.eventId, 'closed', entry.eventId, true],
    ]);
  });

  it('a repeated event id changes nothing and gets the same answer: no double charge', async function () {
    const entry = gateEvent('entry', 'D0001', T0);
    const exit = gateEvent('exit', 'D0001', T0 + 61 * MINUTE_MS);
    await billing.apply(entry, DEFAULT_TARIFF);
    const again = await billing.apply(entry, DEFAULT_TARIFF);
    expect(again).to.deep.include({ duplicate: true, outcome: 'opened' });
    const first = await billing.apply(exit, DEFAULT_TARIFF);
    const repeats = await Promise.all([1, 2, 3].map(() => billing.apply(exit, DEFAULT_TARIFF)));
    expect(repeats.map((r) => [r.duplicate, r.session.fee, r.session._id])).to.deep.equal(Array(3).fill([true, 9000, entry.eventId]));
    expect(first.display).to.deep.equal(repeats[0].display);
    expect(await c.sessions.countDocuments({ carId: 'D0001' })).to.equal(1);
    expect(await c.gateEvents.countDocuments({ carId: 'D0001' })).to.equal(2);
    // A repeat carrying other content is still the first event.
    const forged = await billing.apply({ ...exit, ts: exit.ts + 5 * 3600_000 }, DEFAULT_TARIFF);
    expect(forged).to.deep.include({ duplicate: true });
    expect(forged.session.fee).to.equal(9000);
  });

  it('the same event delivered many times at once is applied once', async function () {
    const entry = gateEvent('entry', 'D0002', T0);
    const results = await Promise.all(Array.from({ length: 6 }, () => billing.apply(entry, DEFAULT_TARIFF)));
    expect(results.filter((r) => !r.duplicate).length).to.be.at.least(1);
    const exit = gateEvent('exit', 'D0002', T0 + 30 * MINUTE_MS);
    const exits = await Promise.all(Array.from({ length: 6 }, () => billing.apply(exit, DEFAULT_TARIFF)));
    expect(new Set(exits.map((r) => r.session.fee))).to.deep.equal(new Set([5000]));
    expect(await c.sessions.find({ carId: 'D0002' }).toArray()).to.have.length(1);
    expect(await c.gateEvents.countDocuments({ carId: 'D0002' })).to.equal(2);
  });

  it('an exit without an entry is unmatched and charged the lost-ticket fee, with a reason', async function () {
    const exit = gateEvent('exit', 'U0001', T0);
    const r = await billing.apply(exit, DEFAULT_TARIFF);
    expect(r.outcome).to.equal('unmatched');
    expect(r.session).to.deep.include({ status: 'unmatched', fee: 50000, entryAt: null, durationMinutes: null, exitEventId: exit.eventId });
    expect(r.session.reason).to.match(/no open entry for this car at mall-1: lost-ticket fee/);
    expect(r.session.reason).not.to.include('U0001');
    expect(r.display).to.deep.equal({ carId: 'U0001', sessionId: exit.eventId, direction: 'exit', status: 'unmatched', fee: 50000, currency: 'IDR', text: 'U0001  no entry record  Rp50.000' });
    // After a closed visit, a second exit is unmatched too, not a second charge of that visit.
    const e2 = gateEvent('entry', 'U0002', T0);
    await billing.apply(e2, DEFAULT_TARIFF);
    await billing.apply(gateEvent('exit', 'U0002', T0 + 20 * MINUTE_MS), DEFAULT_TARIFF);
    const second = await billing.apply(gateEvent('exit', 'U0002', T0 + 40 * MINUTE_MS), DEFAULT_TARIFF);
    expect(second.outcome).to.equal('unmatched');
    expect((await c.sessions.findOne({ _id: e2.eventId }))!.fee).to.equal(5000);
  });

  it('a double entry closes the older open session as superseded, without a fee, and the exit closes the newer', async function () {
    const first = gateEvent('entry', 'E0001', T0);
    const second = gateEvent('entry', 'E0001', T0 + 3 * 3600_000);
    await billing.apply(first, DEFAULT_TARIFF);
    const r = await billing.apply(second, DEFAULT_TARIFF);
    expect(r.superseded).to.deep.equal([first.eventId]);
    const older = await c.sessions.findOne({ _id: first.eventId });
    expect(older).to.deep.include({ status: 'superseded', supersededBy: second.eventId, fee: null, exitAt: null });
    expect(older!.reason).to.match(/entered again at .* through gate in-1 .* its exit was not seen, so no fee was charged/);
    const exit = await billing.apply(gateEvent('exit', 'E0001', T0 + 4 * 3600_000), DEFAULT_TARIFF);
    expect(exit.session).to.deep.include({ _id: second.eventId, status: 'closed', fee: 5000, durationMinutes: 60 });
    expect(await c.sessions.countDocuments({ carId: 'E0001', status: 'open' })).to.equal(0);
  });

  it('the same car at two lots has two independent sessions', async function () {
    await billing.apply(gateEvent('entry', 'L0001', T0, { lot: 'mall-1' }), DEFAULT_TARIFF);
    await billing.apply(gateEvent('entry', 'L0001', T0 + MINUTE_MS, { lot: 'mall-2' }), DEFAULT_TARIFF);
    expect(await c.sessions.countDocuments({ carId: 'L0001', status: 'open' })).to.equal(2);
    const exit = await billing.apply(gateEvent('exit', 'L0001', T0 + 90 * MINUTE_MS, { lot: 'mall-2' }), DEFAULT_TARIFF);
    expect(exit.session).to.deep.include({ lot: 'mall-2', status: 'closed', durationMinutes: 89 });
    expect(await c.sessions.countDocuments({ carId: 'L0001', lot: 'mall-1', status: 'open' })).to.equal(1);
  });

  it('an exit timed before its entry is flagged clockSkew: duration 0, no fee, a reason, never negative', async function () {
    const entry = gateEvent('entry', 'S0001', T0);
    await billing.apply(entry, DEFAULT_TARIFF);
    const r = await billing.apply(gateEvent('exit', 'S0001', T0 - 90_000), DEFAULT_TARIFF);
    expect(r.outcome).to.equal('clockSkew');
    expect(r.session).to.deep.include({ _id: entry.eventId, status: 'clockSkew', durationMinutes: 0, fee: null });
    expect(r.session.reason).to.match(/is 90 s before the entry time .* no fee charged, an operator must settle it/);
    expect(r.display).to.deep.equal({ carId: 'S0001', sessionId: entry.eventId, direction: 'exit', status: 'clockSkew', durationMinutes: 0, text: 'S0001  please see the operator' });
  });

  it('an exit delivered after the next entry closes its own (superseded) visit, not the new one', async function () {
    const visit1 = gateEvent('entry', 'O0001', T0);
    const visit2 = gateEvent('entry', 'O0001', T0 + 3 * 3600_000);
    await billing.apply(visit1, DEFAULT_TARIFF);
    await billing.apply(visit2, DEFAULT_TARIFF);
    const late = await billing.apply(gateEvent('exit', 'O0001', T0 + 90 * MINUTE_MS), DEFAULT_TARIFF);
    expect(late.session).to.deep.include({ _id: visit1.eventId, status: 'closed', fee: 9000, durationMinutes: 90 });
    expect(late.session.reason).to.match(/arrived after the next entry/);
    expect(await c.sessions.findOne({ _id: visit2.eventId })).to.deep.include({ status: 'open' });
  });

  it('an event recorded but not applied (a crash between the two) is applied by its repeat', async function () {
    const entry = gateEvent('entry', 'R0001', T0);
    await c.gateEvents.insertOne({ ...entry, at: new Date(entry.ts), receivedAt: new Date(entry.ts), appliedAt: null, sessionId: null, outcome: null });
    const r = await billing.apply(entry, DEFAULT_TARIFF);
    expect(r).to.deep.include({ duplicate: false, outcome: 'opened' });
    expect(await c.sessions.countDocuments({ carId: 'R0001' })).to.equal(1);
    expect(await c.gateEvents.findOne({ eventId: entry.eventId })).to.deep.include({ outcome: 'opened', sessionId: entry.eventId });
  });

  describe('through MongoDB failover', function () {
    const CARS = 12;

    /** Entries then exits for CARS cars, applied in order while `fault` runs after event `at`. */
    async function stream(prefix: string, at: number, fault: () => Promise<void>) {
      const events: LotGateEvent[] = [];
      for (let i = 0; i < CARS; i += 1) events.push(gateEvent('entry', `${prefix}${i}`, T0 + i * MINUTE_MS, { lot: prefix }));
      for (let i = 0; i < CARS; i += 1) events.push(gateEvent('exit', `${prefix}${i}`, T0 + i * MINUTE_MS + (61 + i) * MINUTE_MS, { lot: prefix }));
      let faulted: Promise<void> | undefined;
      const results = [];
      const repeats = [];
      for (const [i, ev] of events.entries()) {
        if (i === at) faulted = fault();
        // Each event twice (at-least-once delivery), the repeat concurrently with the next event.
        results.push(await billing.apply(ev, DEFAULT_TARIFF));
        repeats.push(billing.apply(ev, DEFAULT_TARIFF));
      }
      await faulted;
      const again = await Promise.all(repeats);
      expect(again.every((r) => r.duplicate), 'every repeat seen as a repeat').to.equal(true);
      return { events, results };
    }

    async function expectExactlyOnce(prefix: string, events: LotGateEvent[]) {
      const sessions = await c.sessions.find({ lot: prefix }).sort({ entryAt: 1 }).toArray();
      expect(sessions, 'one session per car').to.have.length(CARS);
      sessions.forEach((s, i) => {
        expect(s, `car ${i}`).to.deep.include({ carId: `${prefix}${i}`, status: 'closed', durationMinutes: 61 + i, fee: 9000 });
      });
      expect(await c.gateEvents.countDocuments({ lot: prefix }), 'every event recorded once').to.equal(events.length);
      expect(await c.gateEvents.countDocuments({ lot: prefix, appliedAt: null }), 'every event applied').to.equal(0);
    }

    it('a stepdown mid-stream: every event applied once, every fee right', async function () {
      const rs = m.rs;
      const { events, results } = await stream('fo-step', 7, async () => {
        if (rs) await rs.stepDown();
        else await m.client().db('admin').command({ replSetStepDown: 5, secondaryCatchUpPeriodSecs: 2 });
      });
      expect(results.every((r) => !r.duplicate)).to.equal(true);
      await expectExactlyOnce('fo-step', events);
    });

    it('a primary crash mid-stream (stand-in): the writes wait for the new primary, nothing lost or doubled', async function () {
      const rs = requireStandIn(this, m, 'killing the primary');
      let killed: number | undefined;
      const { events, results } = await stream('fo-kill', 15, async () => {
        killed = await rs.waitForPrimary();
        await rs.kill(killed);
      });
      expect(results.every((r) => !r.duplicate)).to.equal(true);
      await expectExactlyOnce('fo-kill', events);
      expect(rs.primary()).to.not.equal(killed);
      await rs.restart(killed!);
    });
  });
});
