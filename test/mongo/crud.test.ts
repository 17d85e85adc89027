// Conformance: inserts, updates (incl. upserts and the ingest's guarded upsert), replace,
// bulkWrite, deletes and findOneAnd*. Assertions follow real MongoDB 7 replies.
import { expect } from 'chai';
import { MongoBulkWriteError, MongoServerError, ObjectId, type Collection, type Db, type MongoClient } from 'mongodb';
import { expectServerError, rejection, startTestMongo, type TestMongo } from '../helpers/mongo.ts';

describe('mongo conformance: CRUD', function () {
  let m: TestMongo;
  let client: MongoClient;
  let db: Db;
  let n = 0;
  const fresh = (): Collection<any> => db.collection<any>(`crud${++n}`);

  before(async function () {
    m = await startTestMongo();
    client = m.client();
    db = client.db(m.dbName);
  });

  after(async function () {
    await m?.close();
  });

  describe('insert', function () {
    it('insertOne generates an ObjectId _id', async function () {
      const c = fresh();
      const r = await c.insertOne({ lot: 'L1', n: 1 });
      expect(r.acknowledged).to.equal(true);
      expect(r.insertedId).to.be.instanceOf(ObjectId);
      const doc = await c.findOne({ _id: r.insertedId });
      expect(doc).to.not.equal(null);
      expect(doc._id).to.be.instanceOf(ObjectId);
      expect(doc._id.equals(r.insertedId)).to.equal(true);
      expect(doc).to.deep.include({ lot: 'L1', n: 1 });
    });

    it('insertMany (ordered) inserts all and reports generated ids by index', async function () {
      const c = fresh();
      const r = await c.insertMany([{ i: 0 }, { i: 1 }, { i: 2 }]);
      expect(r.acknowledged).to.equal(true);
      expect(r.insertedCount).to.equal(3);
      expect(Object.keys(r.insertedIds).sort()).to.deep.equal(['0', '1', '2']);
      const ids = Object.values(r.insertedIds).map((id) => (id as ObjectId).toHexString());
      expect(new Set(ids).size).to.equal(3);
      const docs = await c.find().sort({ i: 1 }).toArray();
      expect(docs.map((d) => d.i)).to.deep.equal([0, 1, 2]);
      expect(docs.map((d) => d._id.toHexString())).to.deep.equal(ids);
    });

    it('insertMany (unordered) inserts all', async function () {
      const c = fresh();
      const r = await c.insertMany(
        Array.from({ length: 50 }, (_, i) => ({ _id: i, sq: i * i })),
        { ordered: false },
      );
      expect(r.insertedCount).to.equal(50);
      expect(await c.countDocuments()).to.equal(50);
      expect(await c.findOne({ _id: 49 })).to.deep.equal({ _id: 49, sq: 2401 });
    });

    it('duplicate _id on insertOne: MongoServerError E11000 with keyPattern/keyValue', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, v: 'first' });
      const err = await expectServerError(c.insertOne({ _id: 1, v: 'second' }), 11000);
      expect(err.name).to.equal('MongoServerError');
      expect(err.message).to.equal(
        `E11000 duplicate key error collection: ${m.dbName}.${c.collectionName} index: _id_ dup key: { _id: 1 }`,
      );
      expect(err.keyPattern).to.deep.equal({ _id: 1 });
      expect(err.keyValue).to.deep.equal({ _id: 1 });
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, v: 'first' });
      expect(await c.countDocuments()).to.equal(1);
    });

    it('duplicate string _id: message quotes the key value', async function () {
      const c = fresh();
      await c.insertOne({ _id: 'mall-1/B1/07' });
      const err = await expectServerError(c.insertOne({ _id: 'mall-1/B1/07' }), 11000);
      expect(err.message).to.equal(
        `E11000 duplicate key error collection: ${m.dbName}.${c.collectionName} index: _id_ dup key: { _id: "mall-1/B1/07" }`,
      );
      expect(err.keyValue).to.deep.equal({ _id: 'mall-1/B1/07' });
    });

    it('ordered insertMany stops at the first duplicate (MongoBulkWriteError)', async function () {
      const c = fresh();
      await c.insertOne({ _id: 2, v: 'existing' });
      const err = await rejection(c.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }, { _id: 4 }]));
      expect(err).to.be.instanceOf(MongoBulkWriteError);
      expect(err).to.be.instanceOf(MongoServerError);
      expect(err.name).to.equal('MongoBulkWriteError');
      expect(err.code).to.equal(11000);
      expect(err.message).to.match(/^E11000 duplicate key error collection: .* index: _id_ dup key: \{ _id: 2 \}$/);
      const writeErrors = [...err.writeErrors];
      expect(writeErrors).to.have.lengthOf(1);
      expect(writeErrors[0].index).to.equal(1);
      expect(writeErrors[0].code).to.equal(11000);
      expect(writeErrors[0].errmsg).to.match(/E11000 duplicate key error/);
      expect(err.insertedCount).to.equal(1);
      expect(err.result.insertedCount).to.equal(1);
      const ids = (await c.find().sort({ _id: 1 }).toArray()).map((d) => d._id);
      expect(ids).to.deep.equal([1, 2]);
      expect(await c.findOne({ _id: 2 })).to.deep.equal({ _id: 2, v: 'existing' });
    });

    it('unordered insertMany continues past duplicates and reports each', async function () {
      const c = fresh();
      await c.insertOne({ _id: 2 });
      const err = await rejection(
        c.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }, { _id: 3 }, { _id: 4 }], { ordered: false }),
      );
      expect(err).to.be.instanceOf(MongoBulkWriteError);
      expect(err.code).to.equal(11000);
      const writeErrors = [...err.writeErrors];
      expect(writeErrors.map((w: any) => w.index)).to.deep.equal([1, 3]);
      expect(writeErrors.map((w: any) => w.code)).to.deep.equal([11000, 11000]);
      expect(err.insertedCount).to.equal(3);
      const ids = (await c.find().sort({ _id: 1 }).toArray()).map((d) => d._id);
      expect(ids).to.deep.equal([1, 2, 3, 4]);
    });

    it('keeps field order and nested documents/arrays as written', async function () {
      const c = fresh();
      const doc = { _id: 'x', z: 1, a: { y: [1, 'two', { three: 3 }], b: null }, m: true };
      await c.insertOne(doc);
      const back = await c.findOne({ _id: 'x' });
      expect(back).to.deep.equal(doc);
      expect(Object.keys(back)).to.deep.equal(['_id', 'z', 'a', 'm']);
    });
  });

  describe('update', function () {
    it('updateOne with upsert on a missing _id inserts (upsertedId, upsertedCount)', async function () {
      const c = fresh();
      const r = await c.updateOne({ _id: 'mall-1/B1/01' }, { $set: { status: 'free' } }, { upsert: true });
      expect(r.acknowledged).to.equal(true);
      expect(r.matchedCount).to.equal(0);
      expect(r.modifiedCount).to.equal(0);
      expect(r.upsertedCount).to.equal(1);
      expect(r.upsertedId).to.equal('mall-1/B1/01');
      expect(await c.findOne({ _id: 'mall-1/B1/01' })).to.deep.equal({ _id: 'mall-1/B1/01', status: 'free' });

      const r2 = await c.updateOne({ _id: 'mall-1/B1/01' }, { $set: { status: 'occupied' } }, { upsert: true });
      expect(r2.matchedCount).to.equal(1);
      expect(r2.modifiedCount).to.equal(1);
      expect(r2.upsertedCount).to.equal(0);
      expect(r2.upsertedId).to.equal(null);
    });

    it('upsert without _id generates an ObjectId and copies equality fields from the filter', async function () {
      const c = fresh();
      const r = await c.updateOne(
        { lot: 'L1', 'loc.level': 'B1', $and: [{ slot: '07' }], n: { $gt: 5 } },
        { $set: { status: 'free' } },
        { upsert: true },
      );
      expect(r.upsertedCount).to.equal(1);
      expect(r.upsertedId).to.be.instanceOf(ObjectId);
      const doc = await c.findOne({ _id: r.upsertedId });
      const { _id, ...rest } = doc;
      expect(_id).to.be.instanceOf(ObjectId);
      expect(rest).to.deep.equal({ lot: 'L1', loc: { level: 'B1' }, slot: '07', status: 'free' });
    });

    it('$setOnInsert applies only when the upsert inserts', async function () {
      const c = fresh();
      const since = new Date('2026-01-01T00:00:00Z');
      await c.updateOne({ _id: 's' }, { $set: { status: 'free' }, $setOnInsert: { since } }, { upsert: true });
      expect(await c.findOne({ _id: 's' })).to.deep.equal({ _id: 's', status: 'free', since });
      const r = await c.updateOne(
        { _id: 's' },
        { $set: { status: 'occupied' }, $setOnInsert: { since: new Date('2027-01-01T00:00:00Z'), extra: 1 } },
        { upsert: true },
      );
      expect(r.matchedCount).to.equal(1);
      expect(r.modifiedCount).to.equal(1);
      expect(await c.findOne({ _id: 's' })).to.deep.equal({ _id: 's', status: 'occupied', since });
      // $setOnInsert alone on an existing doc changes nothing
      const r2 = await c.updateOne({ _id: 's' }, { $setOnInsert: { status: 'x' } }, { upsert: true });
      expect(r2.matchedCount).to.equal(1);
      expect(r2.modifiedCount).to.equal(0);
    });

    it('$set and $setOnInsert on the same path conflict (code 40)', async function () {
      const c = fresh();
      await expectServerError(
        c.updateOne({ _id: 1 }, { $set: { a: 1 }, $setOnInsert: { a: 2 } }, { upsert: true }),
        40,
      );
      expect(await c.countDocuments()).to.equal(0);
    });

    it('$max only raises', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, hi: 10, at: new Date('2026-01-02T00:00:00Z') });
      const lower = await c.updateOne({ _id: 1 }, { $max: { hi: 5, at: new Date('2026-01-01T00:00:00Z') } });
      expect(lower.matchedCount).to.equal(1);
      expect(lower.modifiedCount).to.equal(0);
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, hi: 10, at: new Date('2026-01-02T00:00:00Z') });
      const higher = await c.updateOne({ _id: 1 }, { $max: { hi: 15, at: new Date('2026-01-03T00:00:00Z') } });
      expect(higher.modifiedCount).to.equal(1);
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, hi: 15, at: new Date('2026-01-03T00:00:00Z') });
      // $max on a missing field sets it
      await c.updateOne({ _id: 1 }, { $max: { lo: -3 } });
      expect((await c.findOne({ _id: 1 })).lo).to.equal(-3);
    });

    it('$min only lowers', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, lo: 10 });
      expect((await c.updateOne({ _id: 1 }, { $min: { lo: 20 } })).modifiedCount).to.equal(0);
      expect((await c.updateOne({ _id: 1 }, { $min: { lo: 3 } })).modifiedCount).to.equal(1);
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, lo: 3 });
    });

    it('$currentDate sets a server-side Date', async function () {
      const c = fresh();
      const before = Date.now() - 5_000;
      await c.updateOne({ _id: 1 }, { $set: { status: 'free' }, $currentDate: { updatedAt: true } }, { upsert: true });
      const doc = await c.findOne({ _id: 1 });
      expect(doc.updatedAt).to.be.instanceOf(Date);
      expect(doc.updatedAt.getTime()).to.be.within(before, Date.now() + 5_000);
    });

    it('array operators: $push, $addToSet, $pull', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, tags: ['a'] });
      await c.updateOne({ _id: 1 }, { $push: { tags: 'b', log: { n: 1 } } as any });
      await c.updateOne({ _id: 1 }, { $addToSet: { tags: 'a' } });
      expect((await c.updateOne({ _id: 1 }, { $addToSet: { tags: 'b' } })).modifiedCount).to.equal(0);
      await c.updateOne({ _id: 1 }, { $addToSet: { tags: { $each: ['c', 'a', 'd'] } } });
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, tags: ['a', 'b', 'c', 'd'], log: [{ n: 1 }] });
      await c.updateOne({ _id: 1 }, { $pull: { tags: { $in: ['a', 'c'] } } as any });
      expect((await c.findOne({ _id: 1 })).tags).to.deep.equal(['b', 'd']);
    });

    it('update with an aggregation pipeline: keep `since` unless the status changes', async function () {
      const c = fresh();
      const apply = (status: string, at: Date) =>
        c.updateOne(
          { _id: 'slot' },
          [
            {
              $set: {
                since: { $cond: [{ $eq: ['$status', status] }, '$since', at] },
                status,
                updatedAt: '$$NOW',
              },
            },
          ],
          { upsert: true },
        );
      const t1 = new Date('2026-11-22T10:00:00Z');
      const t2 = new Date('2026-11-22T10:05:00Z');
      const t3 = new Date('2026-11-22T10:09:00Z');
      const ins = await apply('occupied', t1);
      expect(ins.upsertedId).to.equal('slot');
      const first = await c.findOne({ _id: 'slot' });
      expect(first).to.deep.include({ _id: 'slot', status: 'occupied', since: t1 });
      expect(first.updatedAt).to.be.instanceOf(Date);
      await apply('occupied', t2);
      expect(await c.findOne({ _id: 'slot' })).to.deep.include({ status: 'occupied', since: t1 });
      await apply('free', t3);
      expect(await c.findOne({ _id: 'slot' })).to.deep.include({ status: 'free', since: t3 });
    });

    it('$inc increments, creates missing fields, and upserts', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, n: 1, f: 1.5 });
      await c.updateOne({ _id: 1 }, { $inc: { n: 2, f: 0.25, fresh: 7 } });
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, n: 3, f: 1.75, fresh: 7 });
      await c.updateOne({ _id: 1 }, { $inc: { n: -5 } });
      expect((await c.findOne({ _id: 1 })).n).to.equal(-2);
      const r = await c.updateOne({ _id: 2 }, { $inc: { count: 1 } }, { upsert: true });
      expect(r.upsertedId).to.equal(2);
      expect(await c.findOne({ _id: 2 })).to.deep.equal({ _id: 2, count: 1 });
    });

    it('$inc past 2^31 promotes to a 64-bit integer', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, n: 2147483647 });
      await c.updateOne({ _id: 1 }, { $inc: { n: 1 } });
      expect((await c.findOne({ _id: 1 })).n).to.equal(2147483648);
      await c.updateOne({ _id: 1 }, { $inc: { n: 2 ** 40 } });
      expect((await c.findOne({ _id: 1 })).n).to.equal(2147483648 + 2 ** 40);
    });

    it('$inc on a non-numeric field fails (TypeMismatch 14)', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, s: 'text' });
      await expectServerError(c.updateOne({ _id: 1 }, { $inc: { s: 1 } }), 14);
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, s: 'text' });
    });

    it('$set with dotted paths creates and updates nested fields', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, loc: { level: 'B1', slot: '07' } });
      await c.updateOne({ _id: 1 }, { $set: { 'loc.slot': '08', 'meta.sensor.id': 'pi-1' } });
      expect(await c.findOne({ _id: 1 })).to.deep.equal({
        _id: 1,
        loc: { level: 'B1', slot: '08' },
        meta: { sensor: { id: 'pi-1' } },
      });
    });

    it('$set through a scalar fails (PathNotViable 28)', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, a: 5 });
      await expectServerError(c.updateOne({ _id: 1 }, { $set: { 'a.b': 1 } }), 28);
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, a: 5 });
    });

    it('$unset removes fields; unsetting a missing field modifies nothing', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, a: 1, b: { c: 2, d: 3 } });
      const r = await c.updateOne({ _id: 1 }, { $unset: { a: '', 'b.c': '' } });
      expect(r.modifiedCount).to.equal(1);
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, b: { d: 3 } });
      const r2 = await c.updateOne({ _id: 1 }, { $unset: { nope: '' } });
      expect(r2.matchedCount).to.equal(1);
      expect(r2.modifiedCount).to.equal(0);
    });

    it('updateMany counts matched and modified separately', async function () {
      const c = fresh();
      await c.insertMany([
        { _id: 1, lot: 'A', status: 'free' },
        { _id: 2, lot: 'A', status: 'occupied' },
        { _id: 3, lot: 'A', status: 'free' },
        { _id: 4, lot: 'A', status: 'closed' },
        { _id: 5, lot: 'B', status: 'occupied' },
      ]);
      const r = await c.updateMany({ lot: 'A' }, { $set: { status: 'free' } });
      expect(r.matchedCount).to.equal(4);
      expect(r.modifiedCount).to.equal(2);
      expect(r.upsertedCount).to.equal(0);
      expect(r.upsertedId).to.equal(null);
      expect(await c.countDocuments({ status: 'free' })).to.equal(4);
      const none = await c.updateMany({ lot: 'Z' }, { $set: { status: 'free' } });
      expect(none.matchedCount).to.equal(0);
      expect(none.modifiedCount).to.equal(0);
      const ups = await c.updateMany({ lot: 'Z' }, { $set: { status: 'free' } }, { upsert: true });
      expect(ups.upsertedCount).to.equal(1);
      expect(ups.upsertedId).to.be.instanceOf(ObjectId);
    });

    it('an update that changes nothing has modifiedCount 0', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, status: 'free', n: 3 });
      const r = await c.updateOne({ _id: 1 }, { $set: { status: 'free', n: 3 } });
      expect(r.matchedCount).to.equal(1);
      expect(r.modifiedCount).to.equal(0);
      const none = await c.updateOne({ _id: 99 }, { $set: { status: 'free' } });
      expect(none.matchedCount).to.equal(0);
      expect(none.modifiedCount).to.equal(0);
      expect(none.upsertedCount).to.equal(0);
      expect(await c.countDocuments()).to.equal(1);
    });

    it('replaceOne replaces everything but _id', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, a: 1, b: 2 });
      const r = await c.replaceOne({ _id: 1 }, { c: 3 });
      expect(r.matchedCount).to.equal(1);
      expect(r.modifiedCount).to.equal(1);
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, c: 3 });
      const same = await c.replaceOne({ _id: 1 }, { c: 3 });
      expect(same.matchedCount).to.equal(1);
      expect(same.modifiedCount).to.equal(0);
    });

    it('replaceOne with upsert takes only _id from the filter', async function () {
      const c = fresh();
      const r = await c.replaceOne({ _id: 'r1', lot: 'L' }, { status: 'free' }, { upsert: true });
      expect(r.upsertedCount).to.equal(1);
      expect(r.upsertedId).to.equal('r1');
      expect(await c.findOne({ _id: 'r1' })).to.deep.equal({ _id: 'r1', status: 'free' });
    });

    it('replaceOne that changes _id fails (ImmutableField 66)', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, a: 1 });
      await expectServerError(c.replaceOne({ _id: 1 }, { _id: 2, a: 2 }), 66);
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, a: 1 });
    });
  });

  describe('guarded upsert (ingest idiom: older never overwrites newer)', function () {
    const id = 'mall-1/B1/07';
    const guarded = (c: Collection<any>, ts: number, seq: number, status: string) =>
      c.updateOne(
        { _id: id, $or: [{ ts: { $lt: ts } }, { ts, seq: { $lt: seq } }] },
        { $set: { status, ts, seq }, $setOnInsert: { lot: 'mall-1' } },
        { upsert: true },
      );

    it('first write inserts, newer writes apply, older or equal writes hit E11000 and change nothing', async function () {
      const c = fresh();
      const t = 1795307315123;
      const first = await guarded(c, t, 5, 'occupied');
      expect(first.upsertedCount).to.equal(1);
      expect(first.upsertedId).to.equal(id);
      // the $or is not an equality, so only _id is copied into the new document
      expect(await c.findOne({ _id: id })).to.deep.equal({ _id: id, status: 'occupied', ts: t, seq: 5, lot: 'mall-1' });

      const newerTs = await guarded(c, t + 1000, 1, 'free');
      expect(newerTs.matchedCount).to.equal(1);
      expect(newerTs.modifiedCount).to.equal(1);
      expect(newerTs.upsertedCount).to.equal(0);

      const sameTsHigherSeq = await guarded(c, t + 1000, 2, 'occupied');
      expect(sameTsHigherSeq.matchedCount).to.equal(1);
      expect(sameTsHigherSeq.modifiedCount).to.equal(1);
      const expected = { _id: id, status: 'occupied', ts: t + 1000, seq: 2, lot: 'mall-1' };
      expect(await c.findOne({ _id: id })).to.deep.equal(expected);

      for (const [ts, seq, why] of [
        [t, 9, 'older ts'],
        [t + 1000, 1, 'same ts, lower seq'],
        [t + 1000, 2, 'same ts, same seq'],
      ] as const) {
        const err = await expectServerError(guarded(c, ts, seq, 'free'), 11000);
        expect(err.keyPattern, why).to.deep.equal({ _id: 1 });
        expect(err.keyValue, why).to.deep.equal({ _id: id });
        expect(err.message, why).to.match(/^E11000 duplicate key error collection: .* index: _id_ dup key: /);
        expect(await c.findOne({ _id: id }), why).to.deep.equal(expected);
      }
      expect(await c.countDocuments()).to.equal(1);
    });

    it('the same idiom in an unordered bulkWrite: stale ops fail with 11000, the rest apply', async function () {
      const c = fresh();
      const t = 1_800_000_000_000;
      const op = (slot: string, ts: number, seq: number, status: string) => ({
        updateOne: {
          filter: { _id: slot, $or: [{ ts: { $lt: ts } }, { ts, seq: { $lt: seq } }] },
          update: { $set: { status, ts, seq } },
          upsert: true,
        },
      });
      await c.bulkWrite([op('a', t, 1, 'free'), op('b', t, 1, 'free')]);
      const err = await rejection(
        c.bulkWrite([op('a', t - 1, 1, 'occupied'), op('b', t + 1, 1, 'occupied'), op('c', t, 1, 'occupied')], {
          ordered: false,
        }),
      );
      expect(err).to.be.instanceOf(MongoBulkWriteError);
      const writeErrors = [...err.writeErrors];
      expect(writeErrors.map((w: any) => [w.index, w.code])).to.deep.equal([[0, 11000]]);
      expect(err.matchedCount).to.equal(1);
      expect(err.modifiedCount).to.equal(1);
      expect(err.upsertedCount).to.equal(1);
      const docs = await c.find().sort({ _id: 1 }).toArray();
      expect(docs.map((d) => [d._id, d.status])).to.deep.equal([
        ['a', 'free'],
        ['b', 'occupied'],
        ['c', 'occupied'],
      ]);
    });
  });

  describe('bulkWrite', function () {
    it('mixed ordered operations report every count', async function () {
      const c = fresh();
      const r = await c.bulkWrite([
        { insertOne: { document: { _id: 'a', n: 1 } } },
        { insertOne: { document: { _id: 'b', n: 2 } } },
        { updateOne: { filter: { _id: 'a' }, update: { $inc: { n: 10 } } } },
        { updateMany: { filter: { n: { $gte: 2 } }, update: { $set: { big: true } } } },
        { updateOne: { filter: { _id: 'c' }, update: { $set: { n: 3 } }, upsert: true } },
        { replaceOne: { filter: { _id: 'b' }, replacement: { n: 20 } } },
        { deleteOne: { filter: { _id: 'a' } } },
        { deleteMany: { filter: { n: { $gt: 100 } } } },
      ]);
      expect(r.ok).to.equal(1);
      expect(r.insertedCount).to.equal(2);
      expect(r.matchedCount).to.equal(4);
      expect(r.modifiedCount).to.equal(4);
      expect(r.upsertedCount).to.equal(1);
      expect(r.deletedCount).to.equal(1);
      expect(r.upsertedIds).to.deep.equal({ 4: 'c' });
      expect(r.insertedIds).to.deep.equal({ 0: 'a', 1: 'b' });
      expect(await c.find().sort({ _id: 1 }).toArray()).to.deep.equal([
        { _id: 'b', n: 20 },
        { _id: 'c', n: 3 },
      ]);
    });

    it('ordered bulkWrite stops at the first error', async function () {
      const c = fresh();
      const err = await rejection(
        c.bulkWrite([
          { insertOne: { document: { _id: 1 } } },
          { updateOne: { filter: { _id: 1 }, update: { $set: { x: 1 } } } },
          { insertOne: { document: { _id: 1 } } },
          { deleteOne: { filter: { _id: 1 } } },
        ]),
      );
      expect(err).to.be.instanceOf(MongoBulkWriteError);
      expect(err.code).to.equal(11000);
      expect([...err.writeErrors].map((w: any) => w.index)).to.deep.equal([2]);
      expect(err.insertedCount).to.equal(1);
      expect(err.modifiedCount).to.equal(1);
      expect(err.deletedCount).to.equal(0);
      expect(await c.findOne({ _id: 1 })).to.deep.equal({ _id: 1, x: 1 });
    });
  });

  describe('delete', function () {
    it('deleteOne deletes one match, deleteMany all matches', async function () {
      const c = fresh();
      await c.insertMany(Array.from({ length: 6 }, (_, i) => ({ _id: i, even: i % 2 === 0 })));
      const one = await c.deleteOne({ even: true });
      expect(one.acknowledged).to.equal(true);
      expect(one.deletedCount).to.equal(1);
      expect(await c.countDocuments({ even: true })).to.equal(2);
      const many = await c.deleteMany({ even: true });
      expect(many.deletedCount).to.equal(2);
      const none = await c.deleteOne({ even: true });
      expect(none.deletedCount).to.equal(0);
      const noneMany = await c.deleteMany({ _id: { $gt: 100 } });
      expect(noneMany.deletedCount).to.equal(0);
      expect(await c.countDocuments()).to.equal(3);
      const all = await c.deleteMany({});
      expect(all.deletedCount).to.equal(3);
      expect(await c.countDocuments()).to.equal(0);
    });
  });

  describe('findOneAnd*', function () {
    it('findOneAndUpdate returns the document before or after', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, n: 1 });
      const before = await c.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } });
      expect(before).to.deep.equal({ _id: 1, n: 1 });
      const before2 = await c.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } }, { returnDocument: 'before' });
      expect(before2).to.deep.equal({ _id: 1, n: 2 });
      const after = await c.findOneAndUpdate({ _id: 1 }, { $inc: { n: 1 } }, { returnDocument: 'after' });
      expect(after).to.deep.equal({ _id: 1, n: 4 });
      const none = await c.findOneAndUpdate({ _id: 2 }, { $inc: { n: 1 } });
      expect(none).to.equal(null);
      expect(await c.countDocuments()).to.equal(1);
    });

    it('findOneAndUpdate with upsert', async function () {
      const c = fresh();
      const before = await c.findOneAndUpdate({ _id: 'u1' }, { $set: { s: 'open' } }, { upsert: true });
      expect(before).to.equal(null);
      expect(await c.findOne({ _id: 'u1' })).to.deep.equal({ _id: 'u1', s: 'open' });
      const after = await c.findOneAndUpdate(
        { _id: 'u2' },
        { $set: { s: 'open' }, $setOnInsert: { n: 0 } },
        { upsert: true, returnDocument: 'after' },
      );
      expect(after).to.deep.equal({ _id: 'u2', s: 'open', n: 0 });
    });

    it('findOneAndUpdate raw result: lastErrorObject', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, n: 1 });
      const upd = await c.findOneAndUpdate({ _id: 1 }, { $set: { n: 2 } }, { includeResultMetadata: true });
      expect(upd.ok).to.equal(1);
      expect(upd.value).to.deep.equal({ _id: 1, n: 1 });
      expect(upd.lastErrorObject).to.deep.include({ n: 1, updatedExisting: true });
      const ups = await c.findOneAndUpdate(
        { _id: 2 },
        { $set: { n: 1 } },
        { upsert: true, includeResultMetadata: true, returnDocument: 'after' },
      );
      expect(ups.value).to.deep.equal({ _id: 2, n: 1 });
      expect(ups.lastErrorObject).to.deep.equal({ n: 1, updatedExisting: false, upserted: 2 });
      const miss = await c.findOneAndUpdate({ _id: 3 }, { $set: { n: 1 } }, { includeResultMetadata: true });
      expect(miss.value).to.equal(null);
      expect(miss.lastErrorObject).to.deep.include({ n: 0, updatedExisting: false });
    });

    it('findOneAndUpdate picks the first document of the sort; projection applies', async function () {
      const c = fresh();
      await c.insertMany([
        { _id: 1, slot: 3, status: 'free' },
        { _id: 2, slot: 1, status: 'occupied' },
        { _id: 3, slot: 2, status: 'free' },
        { _id: 4, slot: 5, status: 'free' },
      ]);
      const got = await c.findOneAndUpdate(
        { status: 'free' },
        { $set: { status: 'reserved' } },
        { sort: { slot: 1 }, returnDocument: 'after', projection: { _id: 1, status: 1 } },
      );
      expect(got).to.deep.equal({ _id: 3, status: 'reserved' });
      const last = await c.findOneAndUpdate({ status: 'free' }, { $set: { status: 'reserved' } }, { sort: { slot: -1 } });
      expect(last).to.deep.equal({ _id: 4, slot: 5, status: 'free' });
    });

    it('findOneAndReplace', async function () {
      const c = fresh();
      await c.insertOne({ _id: 1, a: 1 });
      const r = await c.findOneAndReplace({ _id: 1 }, { b: 2 }, { returnDocument: 'after' });
      expect(r).to.deep.equal({ _id: 1, b: 2 });
    });

    it('findOneAndDelete returns the deleted document (sorted)', async function () {
      const c = fresh();
      await c.insertMany([
        { _id: 1, q: 'a', at: 3 },
        { _id: 2, q: 'a', at: 1 },
        { _id: 3, q: 'b', at: 2 },
      ]);
      const first = await c.findOneAndDelete({ q: 'a' }, { sort: { at: 1 } });
      expect(first).to.deep.equal({ _id: 2, q: 'a', at: 1 });
      const next = await c.findOneAndDelete({ q: 'a' });
      expect(next).to.deep.equal({ _id: 1, q: 'a', at: 3 });
      expect(await c.findOneAndDelete({ q: 'a' })).to.equal(null);
      expect(await c.countDocuments()).to.equal(1);
    });
  });
});
