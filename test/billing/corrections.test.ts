import { expect } from 'chai';
import { applyCorrection, auditLog, correct, CorrectionError, DEFAULT_TARIFF, findSessions, MINUTE_MS, prepareBilling, type Correction, type SessionDoc } from '../../billing/index.ts';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { TEST_PLATE_KEY, testCarKey } from '../helpers/plates.ts';

const ENTRY = Date.parse('2026-11-22T02:00:00.000Z');
const NOW = new Date(ENTRY + 125 * MINUTE_MS);

function session(over: Partial<SessionDoc> = {}): SessionDoc {
  const at = new Date(ENTRY);
  return {
    _id: 'e1',
    carId: 'B1234XYZ',
    carKey: testCarKey('B1234XYZ'),
    plateClear: true,
    lot: 'mall-1',
    entryAt: at,
    exitAt: null,
    durationMinutes: null,
    fee: null,
    currency: 'IDR',
    tariff: DEFAULT_TARIFF.id,
    status: 'open',
    entryEventId: 'e1',
    exitEventId: null,
    entryGate: 'in-1',
    exitGate: null,
    reason: null,
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

const ask = (over: Partial<Correction> = {}): Correction => ({ action: 'close', by: 'desk', role: 'operator', reason: 'exit reader down', at: NOW, ...over });

function refused(fn: () => unknown, status: number, text: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CorrectionError);
    expect((err as CorrectionError).status).to.equal(status);
    expect((err as Error).message).to.match(text);
    return;
  }
  expect.fail('not refused');
}

describe('billing: manual changes (pure)', function () {
  it('closes an open session now at the tariff fee, and records who, why and what it held before', function () {
    const { set, change } = correct(session(), ask(), DEFAULT_TARIFF);
    expect(set).to.deep.include({ status: 'closed', exitAt: NOW, durationMinutes: 125, fee: 13000, reason: 'closed by desk: exit reader down', updatedAt: NOW });
    expect(change).to.deep.include({ at: NOW, by: 'desk', role: 'operator', action: 'close', reason: 'exit reader down' });
    expect(change.before).to.deep.equal({ status: 'open', exitAt: null, durationMinutes: null, fee: null, reason: null });
    expect(change.after.status).to.equal('closed');
  });

  it('takes a given exit time and fee', function () {
    const exitAt = new Date(ENTRY + 61 * MINUTE_MS);
    expect(correct(session(), ask({ exitAt }), DEFAULT_TARIFF).set).to.deep.include({ exitAt, durationMinutes: 61, fee: 9000 });
    expect(correct(session(), ask({ fee: 0 }), DEFAULT_TARIFF).set.fee).to.equal(0);
  });

  it('settles a clockSkew session: a fee is needed when its exit is before its entry', function () {
    const skew = session({ status: 'clockSkew', exitAt: new Date(ENTRY - MINUTE_MS), durationMinutes: 0 });
    refused(() => correct(skew, ask(), DEFAULT_TARIFF), 400, /fee: give one: the exit .* is before the entry/);
    expect(correct(skew, ask({ fee: 5000 }), DEFAULT_TARIFF).set).to.deep.include({ status: 'closed', fee: 5000, durationMinutes: null });
    expect(correct(skew, ask({ exitAt: new Date(ENTRY + 30 * MINUTE_MS) }), DEFAULT_TARIFF).set).to.deep.include({ fee: 5000, durationMinutes: 30 });
  });

  it('voids any session once; a void keeps no fee', function () {
    for (const status of ['open', 'closed', 'unmatched', 'superseded', 'clockSkew'] as const) {
      const { set, change } = correct(session({ status, fee: status === 'closed' ? 13000 : null }), ask({ action: 'void', reason: 'misread plate' }), DEFAULT_TARIFF);
      expect(set, status).to.deep.include({ status: 'void', fee: null, reason: 'voided by desk: misread plate' });
      expect(change.before.status).to.equal(status);
    }
    refused(() => correct(session({ status: 'void' }), ask({ action: 'void' }), DEFAULT_TARIFF), 409, /void already/);
  });

  it('refuses what cannot be: a closed session closed again, no reason, a bad fee, an exit in the future, an unknown tariff', function () {
    refused(() => correct(session({ status: 'closed', fee: 9000 }), ask(), DEFAULT_TARIFF), 409, /is closed: only an open session/);
    refused(() => correct(session({ status: 'unmatched' }), ask(), DEFAULT_TARIFF), 409, /is unmatched/);
    for (const reason of [undefined, '', '  ', 'ok', 'x'.repeat(201), 'two\nlines']) refused(() => correct(session(), ask({ reason: reason as string }), DEFAULT_TARIFF), 400, /^reason: /);
    for (const fee of [-1, 1.5, Number.NaN, '100', 1e13]) refused(() => correct(session(), ask({ fee: fee as number }), DEFAULT_TARIFF), 400, /^fee: an integer amount/);
    refused(() => correct(session(), ask({ exitAt: new Date(NOW.getTime() + 3600_000) }), DEFAULT_TARIFF), 400, /in the future/);
    refused(() => correct(session(), ask(), undefined), 400, /tariff default of this session is not deployed/);
    expect(correct(session(), ask({ fee: 7000 }), undefined).set.fee, 'a given fee needs no tariff').to.equal(7000);
    refused(() => correct(session(), ask({ action: 'refund' as never }), DEFAULT_TARIFF), 400, /action: one of close, void/);
  });
});

describe('billing: manual changes in MongoDB', function () {
  this.timeout(30_000);
  let m: TestMongo;
  let sessions: Awaited<ReturnType<typeof prepareBilling>>['sessions'];

  before(async function () {
    m = await startTestMongo();
    sessions = (await prepareBilling(m.client().db(m.dbName), testCarKey)).sessions;
    await sessions.insertMany([
      session(),
      session({ _id: 'e2', lot: 'mall-2', createdAt: new Date(ENTRY + 1000) }),
      session({ _id: 'e3', carId: 'D7777AA', carKey: testCarKey('D7777AA') }),
      // Masked by the retention sweep since: still found by its keyed hash.
      session({ _id: 'e0', carId: 'B1****YZ', plateClear: undefined, status: 'closed', fee: 9000, createdAt: new Date(ENTRY - 86400_000) }),
    ]);
  });
  after(async function () {
    await m?.close();
  });

  it('finds a car by its plate as typed, newest first, masked ones too; filters by lot and status', async function () {
    const ids = async (search: Parameters<typeof findSessions>[1]) => (await findSessions(sessions, search, TEST_PLATE_KEY)).map((s) => s._id);
    expect(await ids({ plate: 'b 1234 xyz' })).to.deep.equal(['e2', 'e1', 'e0']);
    expect(await ids({ plate: 'B1234XYZ', lot: 'mall-1' })).to.deep.equal(['e1', 'e0']);
    expect(await ids({ plate: 'B1234XYZ', status: 'closed' })).to.deep.equal(['e0']);
    expect(await ids({ plate: 'B1234XYZ', limit: 1 })).to.deep.equal(['e2']);
    expect(await ids({ plate: 'Z9' })).to.deep.equal([]);
    await findSessions(sessions, { plate: 'B12$' }, TEST_PLATE_KEY).then(
      () => expect.fail('a plate that cannot be one was searched'),
      (err: CorrectionError) => expect(err.status).to.equal(400),
    );
  });

  it('a change lands with its audit entry in one update; one made to a session changed meanwhile is refused (409)', async function () {
    const after = await applyCorrection(sessions, 'e1', ask(), () => DEFAULT_TARIFF);
    expect(after).to.deep.include({ status: 'closed', fee: 13000 });
    const stored = (await sessions.findOne({ _id: 'e1' }))!;
    expect(stored).to.deep.include({ status: 'closed', fee: 13000 });
    expect(stored.changes).to.have.length(1);
    expect(stored.changes![0]).to.deep.include({ by: 'desk', action: 'close' });

    // Read, then a gate exit closes it, then the change is tried: refused, nothing written.
    const stale = (await sessions.findOne({ _id: 'e3' }))!;
    await sessions.updateOne({ _id: 'e3' }, { $set: { status: 'closed', fee: 5000, updatedAt: new Date(NOW.getTime() + 1) } });
    const findOne = sessions.findOne.bind(sessions);
    (sessions as { findOne: unknown }).findOne = async () => stale;
    try {
      await applyCorrection(sessions, 'e3', ask({ action: 'void' }), () => DEFAULT_TARIFF).then(
        () => expect.fail('applied to a session that changed meanwhile'),
        (err: CorrectionError) => expect([err.status, err.message]).to.deep.equal([409, 'session e3 changed while this was asked (a gate event?): look at it again']),
      );
    } finally {
      (sessions as { findOne: unknown }).findOne = findOne;
    }
    expect(await sessions.findOne({ _id: 'e3' })).to.deep.include({ status: 'closed', fee: 5000 });
    expect((await sessions.findOne({ _id: 'e3' }))!.changes).to.equal(undefined);

    await applyCorrection(sessions, 'nope', ask(), () => DEFAULT_TARIFF).then(
      () => expect.fail('changed a session that does not exist'),
      (err: CorrectionError) => expect(err.status).to.equal(404),
    );
  });

  it('the audit log lists the changes in a time range, newest first, with their session', async function () {
    await applyCorrection(sessions, 'e1', ask({ action: 'void', reason: 'refund', at: new Date(NOW.getTime() + 60_000) }), () => DEFAULT_TARIFF);
    const all = await auditLog(sessions, new Date(ENTRY), new Date(NOW.getTime() + 3600_000));
    expect(all.map((e) => [e.sessionId, e.action, e.carId, e.lot])).to.deep.equal([
      ['e1', 'void', 'B1234XYZ', 'mall-1'],
      ['e1', 'close', 'B1234XYZ', 'mall-1'],
    ]);
    expect(await auditLog(sessions, new Date(NOW.getTime() + 1), new Date(NOW.getTime() + 3600_000))).to.have.length(1);
    expect(await auditLog(sessions, new Date(ENTRY), NOW)).to.have.length(0);
  });
});
