// Conformance: change streams (event shapes for insert/update/replace/delete, updateLookup,
// $match pipelines, resumeAfter/startAfter, database-level streams, drop/invalidate) and a
// stream that keeps delivering, exactly once and in order, across a primary stepdown.
import { expect } from 'chai';
import { ObjectId, Timestamp, type ChangeStream, type Collection, type Db, type MongoClient } from 'mongodb';
import { nextChange, startTestMongo, stepDownPrimary, type TestMongo } from '../helpers/mongo.ts';

/** Opens a change stream and makes sure the server-side cursor exists before returning. */
async function openStream(target: Collection<any> | Db, pipeline: any[] = [], options: any = {}): Promise<ChangeStream<any, any>> {
  const cs = target.watch(pipeline, options);
  const first = await cs.tryNext();
  expect(first, 'no event expected before any write').to.equal(null);
  return cs;
}

describe('mongo conformance: change streams', function () {
  let m: TestMongo;
  let client: MongoClient;
  let db: Db;
  let n = 0;
  const fresh = (): Collection<any> => db.collection<any>(`cs${++n}`);
  const streams: ChangeStream<any, any>[] = [];
  const track = (cs: ChangeStream<any, any>) => {
    streams.push(cs);
    return cs;
  };

  before(async function () {
    m = await startTestMongo();
    client = m.client();
    db = client.db(m.dbName);
  });

  afterEach(async function () {
    await Promise.all(streams.splice(0).map((cs) => cs.close().catch(() => undefined)));
  });

  after(async function () {
    await m?.close();
  });

  it('insert, update (updateLookup), replace and delete events', async function () {
    const c = fresh();
    await db.createCollection(c.collectionName);
    const cs = track(await openStream(c, [], { fullDocument: 'updateLookup' }));

    await c.insertOne({ _id: 'A/B1/1', status: 'free', loc: { level: 'B1', row: 1 }, device: 'pi-1' });
    const ins = await nextChange(cs, 'insert');
    expect(ins.operationType).to.equal('insert');
    expect(ins._id).to.be.an('object');
    expect(ins._id._data).to.be.a('string').and.match(/^[0-9A-F]+$/i);
    expect(ins.clusterTime).to.be.instanceOf(Timestamp);
    expect(ins.wallTime).to.be.instanceOf(Date);
    expect(ins.ns).to.deep.equal({ db: m.dbName, coll: c.collectionName });
    expect(ins.documentKey).to.deep.equal({ _id: 'A/B1/1' });
    expect(ins.fullDocument).to.deep.equal({ _id: 'A/B1/1', status: 'free', loc: { level: 'B1', row: 1 }, device: 'pi-1' });

    await c.updateOne({ _id: 'A/B1/1' }, { $set: { status: 'occupied', 'loc.row': 2 }, $unset: { device: '' } });
    const upd = await nextChange(cs, 'update');
    expect(upd.operationType).to.equal('update');
    expect(upd.documentKey).to.deep.equal({ _id: 'A/B1/1' });
    expect(upd.updateDescription.updatedFields).to.deep.equal({ status: 'occupied', 'loc.row': 2 });
    expect(upd.updateDescription.removedFields).to.deep.equal(['device']);
    expect(upd.updateDescription.truncatedArrays).to.deep.equal([]);
    expect(upd.fullDocument).to.deep.equal({ _id: 'A/B1/1', status: 'occupied', loc: { level: 'B1', row: 2 } });
    expect(upd.clusterTime.greaterThan(ins.clusterTime) || upd.clusterTime.equals(ins.clusterTime)).to.equal(true);

    // an update that changes nothing writes nothing, so it produces no event
    await c.updateOne({ _id: 'A/B1/1' }, { $set: { status: 'occupied' } });

    await c.replaceOne({ _id: 'A/B1/1' }, { status: 'closed', ts: 5 });
    const rep = await nextChange(cs, 'replace');
    expect(rep.operationType).to.equal('replace');
    expect(rep.documentKey).to.deep.equal({ _id: 'A/B1/1' });
    expect(rep.fullDocument).to.deep.equal({ _id: 'A/B1/1', status: 'closed', ts: 5 });
    expect(rep).to.not.have.property('updateDescription');

    await c.deleteOne({ _id: 'A/B1/1' });
    const del = await nextChange(cs, 'delete');
    expect(del.operationType).to.equal('delete');
    expect(del.documentKey).to.deep.equal({ _id: 'A/B1/1' });
    expect(del.ns).to.deep.equal({ db: m.dbName, coll: c.collectionName });
    expect(del.fullDocument).to.equal(undefined);

    // resume tokens are distinct and increasing
    const tokens = [ins, upd, rep, del].map((e) => e._id._data as string);
    expect(new Set(tokens).size).to.equal(4);
    expect([...tokens].sort()).to.deep.equal(tokens);
  });

  it('without updateLookup an update event carries no fullDocument; generated ObjectIds in documentKey', async function () {
    const c = fresh();
    await db.createCollection(c.collectionName);
    const cs = track(await openStream(c));
    const { insertedId } = await c.insertOne({ n: 1, arr: [1, 2, 3] });
    const ins = await nextChange(cs, 'insert');
    expect(ins.documentKey._id).to.be.instanceOf(ObjectId);
    expect(ins.documentKey._id.equals(insertedId)).to.equal(true);
    await c.updateOne({ _id: insertedId }, { $inc: { n: 41 }, $set: { 'sub.x': 1 } });
    const upd = await nextChange(cs, 'update');
    expect(upd.operationType).to.equal('update');
    expect(upd.fullDocument).to.equal(undefined);
    expect(upd.updateDescription.updatedFields).to.deep.equal({ n: 42, sub: { x: 1 } });
    expect(upd.updateDescription.removedFields).to.deep.equal([]);
  });

  it('updateMany and insertMany produce one event per document, in order', async function () {
    const c = fresh();
    await db.createCollection(c.collectionName);
    const cs = track(await openStream(c));
    const count = 150;
    await c.insertMany(Array.from({ length: count }, (_, i) => ({ _id: i, even: i % 2 === 0 })));
    for (let i = 0; i < count; i++) {
      const ev = await nextChange(cs, `insert ${i}`);
      expect(ev.operationType).to.equal('insert');
      expect(ev.documentKey._id).to.equal(i);
    }
    await c.updateMany({ _id: { $lt: 6 } }, { $set: { touched: true } });
    const keys: number[] = [];
    for (let i = 0; i < 6; i++) {
      const ev = await nextChange(cs, `update ${i}`);
      expect(ev.operationType).to.equal('update');
      expect(ev.updateDescription.updatedFields).to.deep.equal({ touched: true });
      keys.push(ev.documentKey._id);
    }
    expect(keys.sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  it('a $match pipeline filters events', async function () {
    const c = fresh();
    await db.createCollection(c.collectionName);
    const cs = track(
      await openStream(c, [{ $match: { operationType: { $in: ['insert', 'delete'] }, 'documentKey._id': { $gte: 10 } } }]),
    );
    await c.insertOne({ _id: 1 });
    await c.updateOne({ _id: 1 }, { $set: { a: 1 } });
    await c.insertOne({ _id: 10 });
    await c.updateOne({ _id: 10 }, { $set: { a: 1 } });
    await c.deleteOne({ _id: 1 });
    await c.deleteOne({ _id: 10 });
    const a = await nextChange(cs, 'insert 10');
    expect([a.operationType, a.documentKey._id]).to.deep.equal(['insert', 10]);
    const b = await nextChange(cs, 'delete 10');
    expect([b.operationType, b.documentKey._id]).to.deep.equal(['delete', 10]);
  });

  it('a $project in the pipeline shapes the events', async function () {
    const c = fresh();
    await db.createCollection(c.collectionName);
    const cs = track(await openStream(c, [{ $project: { operationType: 1, 'fullDocument.status': 1 } }]));
    await c.insertOne({ _id: 1, status: 'free', other: 'x' });
    const ev = await nextChange(cs, 'projected insert');
    expect(ev.operationType).to.equal('insert');
    expect(ev.fullDocument).to.deep.equal({ status: 'free' });
    expect(ev._id._data).to.be.a('string');
    expect(ev.ns).to.equal(undefined);
  });

  it('resumeAfter a token gives the events after it; startAfter too', async function () {
    const c = fresh();
    await db.createCollection(c.collectionName);
    const cs1 = track(await openStream(c));
    await c.insertOne({ _id: 'a' });
    await c.insertOne({ _id: 'b' });
    await c.insertOne({ _id: 'c' });
    const e1 = await nextChange(cs1, 'a');
    const e2 = await nextChange(cs1, 'b');
    const e3 = await nextChange(cs1, 'c');
    expect([e1, e2, e3].map((e) => e.documentKey._id)).to.deep.equal(['a', 'b', 'c']);
    await cs1.close();

    const cs2 = track(c.watch([], { resumeAfter: e1._id }));
    const r2 = await nextChange(cs2, 'resumed b');
    expect(r2.documentKey).to.deep.equal({ _id: 'b' });
    expect(r2._id).to.deep.equal(e2._id);
    const r3 = await nextChange(cs2, 'resumed c');
    expect(r3.documentKey).to.deep.equal({ _id: 'c' });
    await c.insertOne({ _id: 'd' });
    const r4 = await nextChange(cs2, 'new d');
    expect(r4.documentKey).to.deep.equal({ _id: 'd' });
    expect(r4.fullDocument).to.deep.equal({ _id: 'd' });

    const cs3 = track(c.watch([], { startAfter: e3._id }));
    const s4 = await nextChange(cs3, 'startAfter d');
    expect(s4.documentKey).to.deep.equal({ _id: 'd' });
    expect(s4._id).to.deep.equal(r4._id);
  });

  it('startAtOperationTime replays events from that cluster time on', async function () {
    const c = fresh();
    await db.createCollection(c.collectionName);
    const session = client.startSession();
    try {
      await c.insertOne({ _id: 'before' }, { session });
      const after = session.operationTime!;
      expect(after).to.be.instanceOf(Timestamp);
      await c.insertOne({ _id: 'x1' });
      await c.insertOne({ _id: 'x2' });
      // operationTime of the first insert is its own cluster time: start just after it
      const cs = track(c.watch([], { startAtOperationTime: new Timestamp({ t: after.t, i: after.i + 1 }) }));
      expect((await nextChange(cs, 'x1')).documentKey).to.deep.equal({ _id: 'x1' });
      expect((await nextChange(cs, 'x2')).documentKey).to.deep.equal({ _id: 'x2' });
    } finally {
      await session.endSession();
    }
  });

  it('a database-level stream sees every collection', async function () {
    const c1 = fresh();
    const c2 = fresh();
    await db.createCollection(c1.collectionName);
    await db.createCollection(c2.collectionName);
    const cs = track(await openStream(db));
    await c1.insertOne({ _id: 1 });
    await c2.insertOne({ _id: 2 });
    const a = await nextChange(cs, 'c1 insert');
    const b = await nextChange(cs, 'c2 insert');
    expect([a.ns, a.documentKey]).to.deep.equal([{ db: m.dbName, coll: c1.collectionName }, { _id: 1 }]);
    expect([b.ns, b.documentKey]).to.deep.equal([{ db: m.dbName, coll: c2.collectionName }, { _id: 2 }]);
  });

  it('dropping the watched collection gives drop then invalidate', async function () {
    const c = fresh();
    await db.createCollection(c.collectionName);
    const cs = track(await openStream(c));
    await c.insertOne({ _id: 1 });
    expect((await nextChange(cs, 'insert')).operationType).to.equal('insert');
    await c.drop();
    const drop = await nextChange(cs, 'drop');
    expect(drop.operationType).to.equal('drop');
    expect(drop.ns).to.deep.equal({ db: m.dbName, coll: c.collectionName });
    const inv = await nextChange(cs, 'invalidate');
    expect(inv.operationType).to.equal('invalidate');
  });

  describe('across a stepdown', function () {
    this.timeout(90_000);

    it('keeps delivering every event exactly once and in order (driver resumes by itself)', async function () {
      const c = fresh();
      await db.createCollection(c.collectionName);
      const cs = track(await openStream(c, [], { fullDocument: 'updateLookup' }));
      const seen: number[] = [];
      const expectNext = async (seq: number) => {
        const ev = await nextChange(cs, `seq ${seq}`, 45_000);
        seen.push(ev.fullDocument?.seq);
        expect(ev.operationType).to.equal('insert');
        expect(ev.fullDocument?.seq, `events so far: ${seen.join(',')}`).to.equal(seq);
      };

      for (let seq = 0; seq < 5; seq++) await c.insertOne({ seq });
      for (let seq = 0; seq < 3; seq++) await expectNext(seq);

      const { oldPrimary, newPrimary } = await stepDownPrimary(m);
      expect(newPrimary).to.not.equal(oldPrimary);

      for (let seq = 5; seq < 10; seq++) await c.insertOne({ seq });
      for (let seq = 3; seq < 10; seq++) await expectNext(seq);
      // nothing was duplicated: the next event is the sentinel written now
      await c.insertOne({ seq: 99 });
      await expectNext(99);
      expect(seen).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99]);
      expect(await c.countDocuments()).to.equal(11);
    });
  });
});
