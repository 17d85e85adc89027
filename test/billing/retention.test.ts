import { expect } from 'chai';
import type { Db } from 'mongodb';
import {
  Billing,
  DEFAULT_TARIFF,
  ERASED_PLATE,
  erasePlate,
  MINUTE_MS,
  plateRecords,
  prepareBilling,
  sweepRetention,
  type BillingCollections,
  type LotGateEvent,
} from '../../billing/index.ts';
import { startTestMongo, uniqueName, type TestMongo } from '../helpers/mongo.ts';
import { testCarKey } from '../helpers/plates.ts';

const DAY = 86_400_000;
let counter = 0;

function gateEvent(direction: 'entry' | 'exit', carId: string, ts: number, lot = 'mall-1'): LotGateEvent {
  counter += 1;
  return { eventId: `ret-${process.pid}-${counter}`, direction, carId, carKey: testCarKey(carId), ts, lot, gate: direction === 'entry' ? 'in-1' : 'out-1', receivedAt: ts };
}

/** Every document of both collections as JSON text: where a plate could hide. */
async function everything(c: BillingCollections): Promise<string> {
  const [s, g] = await Promise.all([c.sessions.find({}).toArray(), c.gateEvents.find({}).toArray()]);
  return JSON.stringify([s, g]);
}

describe('billing: plates at rest, retention and erasure', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let db: Db;
  let c: BillingCollections;
  let billing: Billing;
  const now = Date.now();

  beforeEach(async function () {
    m ??= await startTestMongo();
    db = m.client().db(uniqueName('retention'));
    c = await prepareBilling(db, testCarKey);
    billing = new Billing(c, { now: () => new Date(now) });
  });
  after(async function () {
    await m?.close();
  });

  it('matches an exit with its entry by the keyed hash of the plate, never storing the key', async function () {
    const entry = await billing.apply(gateEvent('entry', 'B1234XYZ', now - 60 * MINUTE_MS), DEFAULT_TARIFF);
    const exit = await billing.apply(gateEvent('exit', 'B1234XYZ', now), DEFAULT_TARIFF);
    expect(exit.outcome).to.equal('closed');
    expect(exit.session._id).to.equal(entry.session._id);
    const stored = await c.sessions.findOne({ _id: entry.session._id });
    expect(stored).to.deep.include({ carId: 'B1234XYZ', carKey: testCarKey('B1234XYZ'), plateClear: true });
    expect(stored!.carKey).to.match(/^[A-Za-z0-9_-]{32}$/);
  });

  it('masks every clear plate after the plate retention, keeps open sessions matchable, deletes what is past its retention', async function () {
    const policy = { plateDays: 30, sessionDays: 400, gateEventDays: 90 };
    await billing.apply(gateEvent('entry', 'AAA1111', now - 2 * 3600_000), DEFAULT_TARIFF);
    await billing.apply(gateEvent('exit', 'AAA1111', now - 3600_000), DEFAULT_TARIFF);
    await billing.apply(gateEvent('exit', 'LOST22', now - 3600_000), DEFAULT_TARIFF);
    await billing.apply(gateEvent('entry', 'PARKED3', now - 3600_000), DEFAULT_TARIFF);

    // Within the retention nothing changes.
    expect(await sweepRetention(c, policy, now + 29 * DAY)).to.deep.equal({ sessionsMasked: 0, gateEventsMasked: 0, sessionsDeleted: 0, gateEventsDeleted: 0 });
    expect(await everything(c)).to.include('AAA1111').and.include('LOST22');

    const after = await sweepRetention(c, policy, now + 31 * DAY);
    expect(after).to.deep.equal({ sessionsMasked: 2, gateEventsMasked: 4, sessionsDeleted: 0, gateEventsDeleted: 0 });
    const text = await everything(c);
    for (const plate of ['AAA1111', 'LOST22']) expect(text, plate).not.to.include(plate);
    expect(await c.sessions.findOne({ status: 'closed' })).to.deep.include({ carId: 'AA***11', fee: 5000 });
    expect(await c.sessions.countDocuments({ plateClear: true, status: { $ne: 'open' } })).to.equal(0);
    // The car still parked keeps its plate on its session (the gate event's is masked) and still leaves with its fee.
    expect(await c.sessions.findOne({ status: 'open' })).to.deep.include({ carId: 'PARKED3', plateClear: true });
    const exit = await billing.apply(gateEvent('exit', 'PARKED3', now), DEFAULT_TARIFF);
    expect(exit.outcome).to.equal('closed');

    // A second sweep finds nothing more; past their retention, gate events then sessions go.
    expect((await sweepRetention(c, policy, now + 31 * DAY)).sessionsMasked).to.equal(1);
    expect(await sweepRetention(c, policy, now + 91 * DAY)).to.deep.include({ sessionsDeleted: 0, gateEventsDeleted: 5 });
    expect(await sweepRetention(c, policy, now + 401 * DAY)).to.deep.include({ sessionsDeleted: 3 });
    expect(await c.sessions.countDocuments({})).to.equal(0);
  });

  it('with a plate retention of 0 days, a sweep masks every ended session at once', async function () {
    await billing.apply(gateEvent('entry', 'ZERO1', now - 3600_000), DEFAULT_TARIFF);
    await billing.apply(gateEvent('exit', 'ZERO1', now - 60_000), DEFAULT_TARIFF);
    await sweepRetention(c, { plateDays: 0, sessionDays: 400, gateEventDays: 90 }, now + 1);
    expect(await everything(c)).not.to.include('ZERO1');
  });

  it('exports everything about one plate, then erases it everywhere; other cars and the revenue stay', async function () {
    await billing.apply(gateEvent('entry', 'ERASEME1', now - 3 * 3600_000), DEFAULT_TARIFF);
    await billing.apply(gateEvent('exit', 'ERASEME1', now - 2 * 3600_000), DEFAULT_TARIFF);
    await billing.apply(gateEvent('exit', 'ERASEME1', now - 3600_000), DEFAULT_TARIFF); // a lost ticket
    await billing.apply(gateEvent('entry', 'KEEP1', now - 3600_000), DEFAULT_TARIFF);
    const revenue = async () => (await c.sessions.find({ fee: { $ne: null } }).toArray()).reduce((sum, s) => sum + (s.fee ?? 0), 0);
    const before = await revenue();

    const records = await plateRecords(c, 'ERASEME1', testCarKey('ERASEME1'));
    expect(records.sessions).to.have.length(2);
    expect(records.gateEvents).to.have.length(3);
    expect(records.sessions.map((s) => s.carId)).to.deep.equal(['ERASEME1', 'ERASEME1']);

    expect(await erasePlate(c, 'ERASEME1', testCarKey('ERASEME1'))).to.deep.equal({ sessions: 2, gateEvents: 3 });
    const text = await everything(c);
    expect(text).not.to.include('ERASEME1');
    expect(text).not.to.include(testCarKey('ERASEME1'));
    expect(text).to.include('KEEP1');
    expect(await c.sessions.countDocuments({ carId: ERASED_PLATE })).to.equal(2);
    expect(await revenue()).to.equal(before);
    expect(await plateRecords(c, 'ERASEME1', testCarKey('ERASEME1'))).to.deep.equal({ sessions: [], gateEvents: [] });
    // The same car coming back is a new visitor: its exit is not matched to an erased session.
    await billing.apply(gateEvent('entry', 'ERASEME1', now), DEFAULT_TARIFF);
    expect(await c.sessions.countDocuments({ carKey: testCarKey('ERASEME1') })).to.equal(1);
  });

  it('keys the records an earlier version stored with the plate alone, so an open session still matches its exit', async function () {
    const old = db.collection('sessions');
    await c.sessions.dropIndex('one_open_per_carKey_lot');
    await old.insertOne({ _id: 'legacy-1', carId: 'OLD1', lot: 'mall-1', entryAt: new Date(now - 3600_000), exitAt: null, durationMinutes: null, fee: null, currency: 'IDR', tariff: 'default', status: 'open', entryEventId: 'legacy-1', exitEventId: null, entryGate: 'in-1', exitGate: null, reason: null, createdAt: new Date(now - 3600_000), updatedAt: new Date(now - 3600_000) } as never);
    await old.insertOne({ _id: 'legacy-2', carId: 'OLD2', lot: 'mall-1', entryAt: new Date(now - 3600_000), exitAt: null, durationMinutes: null, fee: null, currency: 'IDR', tariff: 'default', status: 'open', entryEventId: 'legacy-2', exitEventId: null, entryGate: 'in-1', exitGate: null, reason: null, createdAt: new Date(now - 3600_000), updatedAt: new Date(now - 3600_000) } as never);
    await prepareBilling(db, testCarKey);
    expect(await c.sessions.findOne({ _id: 'legacy-1' })).to.deep.include({ carKey: testCarKey('OLD1'), plateClear: true });
    const exit = await billing.apply(gateEvent('exit', 'OLD1', now), DEFAULT_TARIFF);
    expect(exit).to.deep.include({ outcome: 'closed' });
    expect(exit.session._id).to.equal('legacy-1');
  });
});
