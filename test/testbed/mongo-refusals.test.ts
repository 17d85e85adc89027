// The stand-in answers what it implements exactly and refuses the rest
// loudly: collations (NotImplemented, 238), command-level `let` variables
// (implemented; an undefined one fails with 17276), and the input MongoDB 7.0
// itself rejects (sort on an update statement, `$` keys inside `_id`, a
// linearizable read concern with $out/$merge, misplaced or unknown stages).
import { expect } from 'chai';
import type { Collection, Db, MongoClient } from 'mongodb';
import { expectServerError, requireStandIn, startTestMongo, type TestMongo } from '../helpers/mongo.ts';

const NOT_IMPLEMENTED = 238;
const CASE_INSENSITIVE = { locale: 'en', strength: 2 };

describe('mongo stand-in: what it refuses, and let variables', function () {
  let m: TestMongo;
  let client: MongoClient;
  let db: Db;
  let c: Collection<any>;
  let n = 0;

  before(async function () {
    m = await startTestMongo();
    client = m.client();
    db = client.db(m.dbName);
  });

  beforeEach(async function () {
    c = db.collection(`r${++n}`);
    await c.insertMany([
      { _id: 1, name: 'a', x: 1 },
      { _id: 2, name: 'A', x: 2 },
      { _id: 3, name: 'b', x: 3 },
    ]);
  });

  after(async function () {
    await m?.close();
  });

  describe('collation', function () {
    beforeEach(function () {
      requireStandIn(this, m, 'collations are refused by the stand-in only');
    });

    it('is refused with NotImplemented on every command that takes one', async function () {
      const refused: Array<() => Promise<unknown>> = [
        () => c.find({ name: 'a' }, { collation: CASE_INSENSITIVE }).toArray(),
        () => c.aggregate([{ $match: { name: 'a' } }], { collation: CASE_INSENSITIVE }).toArray(),
        () => c.countDocuments({ name: 'a' }, { collation: CASE_INSENSITIVE }),
        () => db.command({ count: c.collectionName, query: { name: 'a' }, collation: CASE_INSENSITIVE }),
        () => c.distinct('x', { name: 'a' }, { collation: CASE_INSENSITIVE }),
        () => c.updateOne({ name: 'a' }, { $set: { y: 1 } }, { collation: CASE_INSENSITIVE }),
        () => c.deleteMany({ name: 'a' }, { collation: CASE_INSENSITIVE }),
        () => c.findOneAndUpdate({ name: 'a' }, { $set: { y: 1 } }, { collation: CASE_INSENSITIVE }),
        () => c.createIndex({ name: 1 }, { collation: CASE_INSENSITIVE }),
        () => db.createCollection(`coll${n}`, { collation: CASE_INSENSITIVE }),
      ];
      for (const run of refused) {
        const err = await expectServerError(run(), NOT_IMPLEMENTED);
        expect(err.message).to.match(/collation .* is not supported by the MongoDB stand-in/);
      }
      // nothing was written by the refused writes
      expect(await c.find({}, { sort: { _id: 1 } }).toArray()).to.deep.equal([
        { _id: 1, name: 'a', x: 1 },
        { _id: 2, name: 'A', x: 2 },
        { _id: 3, name: 'b', x: 3 },
      ]);
      expect(await c.listIndexes().toArray()).to.have.length(1);
    });

    it("{locale: 'simple'} (binary comparison, MongoDB's default) is accepted", async function () {
      const docs = await c.find({ name: 'a' }, { collation: { locale: 'simple' } }).toArray();
      expect(docs).to.deep.equal([{ _id: 1, name: 'a', x: 1 }]);
    });
  });

  describe('let variables', function () {
    it('find: $$name in $expr and in the projection', async function () {
      const docs = await c
        .find({ $expr: { $gte: ['$x', '$$min'] } }, { let: { min: 2, tag: 't' }, projection: { x: 1, tag: '$$tag' }, sort: { _id: 1 } })
        .toArray();
      expect(docs).to.deep.equal([
        { _id: 2, x: 2, tag: 't' },
        { _id: 3, x: 3, tag: 't' },
      ]);
    });

    it('aggregate: $match and $set see the variables, which may be expressions over earlier ones', async function () {
      const docs = await c
        .aggregate([{ $match: { $expr: { $eq: ['$x', '$$two'] } } }, { $set: { y: '$$three' } }], { let: { two: 2, three: { $add: ['$$two', 1] } } })
        .toArray();
      expect(docs).to.deep.equal([{ _id: 2, name: 'A', x: 2, y: 3 }]);
    });

    it('update, delete and findAndModify', async function () {
      const upd = await c.updateOne({ $expr: { $eq: ['$x', '$$target'] } }, [{ $set: { y: '$$value' } }], { let: { target: 1, value: 'v' } });
      expect([upd.matchedCount, upd.modifiedCount]).to.deep.equal([1, 1]);
      const del = await c.deleteOne({ $expr: { $eq: ['$x', '$$target'] } }, { let: { target: 3 } });
      expect(del.deletedCount).to.equal(1);
      const found = await c.findOneAndUpdate({ $expr: { $eq: ['$x', '$$target'] } }, [{ $set: { z: '$$z' } }], { let: { target: 2, z: 9 }, returnDocument: 'after' });
      expect(found).to.deep.equal({ _id: 2, name: 'A', x: 2, z: 9 });
      expect(await c.find({}, { sort: { _id: 1 } }).toArray()).to.deep.equal([
        { _id: 1, name: 'a', x: 1, y: 'v' },
        { _id: 2, name: 'A', x: 2, z: 9 },
      ]);
    });

    it('an undefined variable fails with 17276, even where no document is read', async function () {
      await expectServerError(c.find({ $expr: { $eq: ['$x', '$$nope'] } }).toArray(), 17276);
      await expectServerError(db.collection('empty').find({ $expr: { $eq: ['$x', '$$nope'] } }).toArray(), 17276);
      await expectServerError(c.aggregate([{ $project: { v: '$$nope' } }]).toArray(), 17276);
      await expectServerError(c.updateOne({ _id: 1 }, [{ $set: { v: '$$nope' } }]), 17276);
      // variables bound inside the expression are defined
      const docs = await c.aggregate([{ $match: { _id: 1 } }, { $project: { v: { $let: { vars: { k: 5 }, in: '$$k' } } } }]).toArray();
      expect(docs).to.deep.equal([{ _id: 1, v: 5 }]);
      // outside $expr a '$$' string is a literal
      expect(await c.find({ name: '$$nope' }).toArray()).to.deep.equal([]);
    });

    it("a let expression reading a field fails with 4890500; a bad name with FailedToParse (9)", async function () {
      await expectServerError(c.find({}, { let: { v: '$x' } }).toArray(), 4890500);
      await expectServerError(c.find({}, { let: { Bad: 1 } }).toArray(), 9);
    });
  });

  describe('input MongoDB 7.0 rejects', function () {
    it('sort on an update statement (updateOne/replaceOne) is an unknown field (40415)', async function () {
      await expectServerError(db.command({ update: c.collectionName, updates: [{ q: {}, u: { $set: { y: 1 } }, sort: { x: -1 } }] }), 40415);
      await expectServerError(c.updateOne({}, { $set: { y: 1 } }, { sort: { x: -1 } }), 40415);
      await expectServerError(c.replaceOne({}, { y: 1 }, { sort: { x: -1 } }), 40415);
      expect(await c.countDocuments({ y: { $exists: true } })).to.equal(0);
    });

    it('a $-prefixed field inside _id fails the insert with DollarPrefixedFieldName (52)', async function () {
      const err = await expectServerError(c.insertOne({ _id: { $a: 1 } as any }), 52);
      expect(err.message).to.equal("_id fields may not contain '$'-prefixed fields: $a is not valid for storage.");
      await expectServerError(c.insertOne({ _id: { a: { $b: 1 } } as any }), 52);
      expect(await c.countDocuments()).to.equal(3);
    });

    it("readConcern 'linearizable' with $out or $merge fails with InvalidOptions (72)", async function () {
      for (const stage of [{ $out: `out${n}` }, { $merge: { into: `merged${n}` } }]) {
        const err = await expectServerError(c.aggregate([stage], { readConcern: { level: 'linearizable' } }).toArray(), 72);
        expect(err.message).to.equal(`${Object.keys(stage)[0]} cannot be used with a 'linearizable' read concern level`);
      }
    });

    it('unknown stages (40324), $out/$merge not last (40601), $out inside $facet (40600) or $lookup (51047)', async function () {
      await expectServerError(c.aggregate([{ $nope: {} }]).toArray(), 40324);
      await expectServerError(c.aggregate([{ $out: `o${n}` }, { $match: {} }]).toArray(), 40601);
      await expectServerError(c.aggregate([{ $merge: { into: `o${n}` } }, { $match: {} }]).toArray(), 40601);
      await expectServerError(c.aggregate([{ $facet: { a: [{ $out: `o${n}` }] } }]).toArray(), 40600);
      await expectServerError(c.aggregate([{ $lookup: { from: 'x', pipeline: [{ $merge: { into: 'y' } }], as: 'j' } }]).toArray(), 51047);
      expect((await db.listCollections({ name: `o${n}` }).toArray()).length).to.equal(0);
    });
  });
});
