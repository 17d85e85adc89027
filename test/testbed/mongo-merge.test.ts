// $merge as MongoDB 7.0 runs it (into a collection of the same database, `on`
// _id or fields backed by a unique index, whenMatched replace/keepExisting/
// merge/fail, whenNotMatched insert/discard/fail), and $out keeping the
// target's indexes; what the stand-in does not implement it refuses (238).
import { expect } from 'chai';
import type { Collection, Db, MongoClient } from 'mongodb';
import { expectServerError, requireStandIn, startTestMongo, type TestMongo } from '../helpers/mongo.ts';

describe('mongo stand-in: $merge and $out', function () {
  let m: TestMongo;
  let client: MongoClient;
  let db: Db;
  let source: Collection<any>;
  let target: Collection<any>;
  let n = 0;

  const all = (c: Collection<any>) => c.find({}, { sort: { _id: 1 } }).toArray();
  const merge = (spec: object) => source.aggregate([{ $sort: { _id: 1 } }, { $merge: { into: target.collectionName, ...spec } }]).toArray();

  before(async function () {
    m = await startTestMongo();
    client = m.client();
    db = client.db(m.dbName);
  });

  beforeEach(async function () {
    n += 1;
    source = db.collection(`src${n}`);
    target = db.collection(`dst${n}`);
    await source.insertMany([
      { _id: 1, k: 'a', v: 10 },
      { _id: 2, k: 'b', v: 20 },
    ]);
    await target.insertMany([
      { _id: 1, k: 'a', v: 1, keep: true },
      { _id: 3, k: 'c', v: 3 },
    ]);
  });

  after(async function () {
    await m?.close();
  });

  it('defaults (on _id, whenMatched merge, whenNotMatched insert): fields merged, new documents inserted', async function () {
    const out = await source.aggregate([{ $merge: target.collectionName }]).toArray();
    expect(out).to.deep.equal([]);
    expect(await all(target)).to.deep.equal([
      { _id: 1, k: 'a', v: 10, keep: true },
      { _id: 2, k: 'b', v: 20 },
      { _id: 3, k: 'c', v: 3 },
    ]);
  });

  it('whenMatched replace / keepExisting', async function () {
    await merge({ whenMatched: 'replace' });
    expect(await all(target)).to.deep.equal([
      { _id: 1, k: 'a', v: 10 },
      { _id: 2, k: 'b', v: 20 },
      { _id: 3, k: 'c', v: 3 },
    ]);
    await source.updateOne({ _id: 1 }, { $set: { v: 99 } });
    await source.insertOne({ _id: 4, k: 'd', v: 40 });
    await merge({ whenMatched: 'keepExisting' });
    expect(await all(target)).to.deep.equal([
      { _id: 1, k: 'a', v: 10 },
      { _id: 2, k: 'b', v: 20 },
      { _id: 3, k: 'c', v: 3 },
      { _id: 4, k: 'd', v: 40 },
    ]);
  });

  it('whenMatched fail: a match is a duplicate key (11000); documents before it were written', async function () {
    await target.deleteOne({ _id: 1 });
    await target.insertOne({ _id: 2, k: 'b', v: 2 });
    const err = await expectServerError(merge({ whenMatched: 'fail' }), 11000);
    expect(err.message).to.match(/^\$merge with whenMatched: fail found an existing document with the same values for the 'on' fields :: caused by :: E11000/);
    expect(await all(target)).to.deep.equal([
      { _id: 1, k: 'a', v: 10 },
      { _id: 2, k: 'b', v: 2 },
      { _id: 3, k: 'c', v: 3 },
    ]);
  });

  it('whenNotMatched discard / fail (13113)', async function () {
    await merge({ whenMatched: 'merge', whenNotMatched: 'discard' });
    expect(await all(target)).to.deep.equal([
      { _id: 1, k: 'a', v: 10, keep: true },
      { _id: 3, k: 'c', v: 3 },
    ]);
    await expectServerError(merge({ whenMatched: 'replace', whenNotMatched: 'fail' }), 13113);
  });

  it("'on' fields need a unique index (51183); with one they select the target document", async function () {
    await expectServerError(merge({ on: 'k' }), 51183);
    await target.createIndex({ k: 1 }, { unique: true });
    await db.collection(source.collectionName).drop();
    await source.insertMany([
      { k: 'a', v: 100 },
      { k: 'z', v: 26 },
    ]);
    await source.aggregate([{ $project: { _id: 0 } }, { $merge: { into: target.collectionName, on: 'k', whenMatched: 'replace' } }]).toArray();
    const docs = await target.find({}, { projection: { _id: 0 }, sort: { k: 1 } }).toArray();
    expect(docs).to.deep.equal([
      { k: 'a', v: 100 },
      { k: 'c', v: 3 },
      { k: 'z', v: 26 },
    ]);
    // the replaced document kept its _id
    expect((await target.findOne({ k: 'a' }))?._id).to.equal(1);
  });

  it("an 'on' field missing (51132) or an array (51185) in a result document", async function () {
    await target.createIndex({ k: 1 }, { unique: true });
    await source.insertOne({ _id: 5, v: 50 });
    await expectServerError(merge({ on: 'k', whenMatched: 'replace' }), 51132);
    await source.updateOne({ _id: 5 }, { $set: { k: ['x'] } });
    await expectServerError(merge({ on: 'k', whenMatched: 'replace' }), 51185);
  });

  it('a duplicate key on another unique index fails with 11000', async function () {
    await target.createIndex({ v: 1 }, { unique: true });
    await target.insertOne({ _id: 9, v: 20 });
    const err = await expectServerError(merge({}), 11000);
    expect(err.message).to.match(/^\$merge failed due to a DuplicateKey error :: caused by :: E11000/);
  });

  it('what MongoDB rejects: a mode combination it lacks (51181), let without a pipeline (51199), an unknown field (40415)', async function () {
    await expectServerError(merge({ whenMatched: 'keepExisting', whenNotMatched: 'fail' }), 51181);
    await expectServerError(merge({ whenMatched: 'merge', let: { x: 1 } }), 51199);
    await expectServerError(merge({ nope: 1 }), 40415);
  });

  it('a pipeline whenMatched and another database are refused (238)', async function () {
    requireStandIn(this, m, 'the stand-in refuses these $merge forms');
    await expectServerError(merge({ whenMatched: [{ $set: { v: '$$new.v' } }] }), 238);
    await expectServerError(source.aggregate([{ $merge: { into: { db: `${m.dbName}_other`, coll: 'x' } } }]).toArray(), 238);
    expect(await all(target)).to.deep.equal([
      { _id: 1, k: 'a', v: 1, keep: true },
      { _id: 3, k: 'c', v: 3 },
    ]);
  });

  it('$out replaces the documents and keeps the indexes; a violating result leaves the target as it was', async function () {
    await target.createIndex({ k: 1 }, { unique: true, name: 'k_unique' });
    await source.aggregate([{ $out: target.collectionName }]).toArray();
    expect(await all(target)).to.deep.equal(await all(source));
    expect((await target.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_', 'k_unique']);
    await source.insertOne({ _id: 7, k: 'a' });
    await expectServerError(source.aggregate([{ $out: target.collectionName }]).toArray(), 11000);
    expect(await target.countDocuments()).to.equal(2);
  });
});
