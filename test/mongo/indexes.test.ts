// Conformance: createIndex/createIndexes/listIndexes/dropIndex, unique and compound unique
// indexes (E11000 shape on insert, update and upsert), partial unique indexes, failed
// index builds over duplicates, and TTL expiry.
import { expect } from 'chai';
import { MongoBulkWriteError, type Collection, type Db, type MongoClient } from 'mongodb';
import { expectServerError, rejection, startTestMongo, waitFor, type TestMongo } from '../helpers/mongo.ts';

describe('mongo conformance: indexes', function () {
  let m: TestMongo;
  let client: MongoClient;
  let db: Db;
  let n = 0;
  const fresh = (): Collection<any> => db.collection<any>(`idx${++n}`);

  before(async function () {
    m = await startTestMongo({ ttlIntervalMs: 250 });
    client = m.client();
    db = client.db(m.dbName);
  });

  after(async function () {
    await m?.close();
  });

  describe('unique', function () {
    it('createIndex returns the generated name; a unique index is enforced on insert', async function () {
      const c = fresh();
      expect(await c.createIndex({ eventId: 1 }, { unique: true })).to.equal('eventId_1');
      await c.insertOne({ eventId: 'e1', n: 1 });
      const err = await expectServerError(c.insertOne({ eventId: 'e1', n: 2 }), 11000);
      expect(err.keyPattern).to.deep.equal({ eventId: 1 });
      expect(err.keyValue).to.deep.equal({ eventId: 'e1' });
      expect(err.message).to.equal(
        `E11000 duplicate key error collection: ${m.dbName}.${c.collectionName} index: eventId_1 dup key: { eventId: "e1" }`,
      );
      expect(await c.countDocuments({ eventId: 'e1' })).to.equal(1);
      expect((await c.findOne({ eventId: 'e1' })).n).to.equal(1);
    });

    it('a unique index is enforced on update, upsert and in bulk inserts', async function () {
      const c = fresh();
      await c.createIndex({ eventId: 1 }, { unique: true });
      await c.insertMany([
        { _id: 1, eventId: 'a' },
        { _id: 2, eventId: 'b' },
      ]);
      const err = await expectServerError(c.updateOne({ _id: 2 }, { $set: { eventId: 'a' } }), 11000);
      expect(err.keyPattern).to.deep.equal({ eventId: 1 });
      expect(err.keyValue).to.deep.equal({ eventId: 'a' });
      expect(await c.findOne({ _id: 2 })).to.deep.equal({ _id: 2, eventId: 'b' });

      await expectServerError(c.updateOne({ _id: 3 }, { $set: { eventId: 'b' } }, { upsert: true }), 11000);
      await expectServerError(c.replaceOne({ _id: 1 }, { eventId: 'b' }), 11000);
      expect(await c.countDocuments()).to.equal(2);

      const bulk = await rejection(c.insertMany([{ eventId: 'c' }, { eventId: 'c' }, { eventId: 'd' }], { ordered: false }));
      expect(bulk).to.be.instanceOf(MongoBulkWriteError);
      expect([...bulk.writeErrors].map((w: any) => [w.index, w.code])).to.deep.equal([[1, 11000]]);
      expect(bulk.writeErrors[0].errmsg).to.match(/index: eventId_1 dup key: \{ eventId: "c" \}/);
      expect(bulk.insertedCount).to.equal(2);
    });

    it('an update of many documents into one unique value fails on the second', async function () {
      const c = fresh();
      await c.createIndex({ k: 1 }, { unique: true });
      await c.insertMany([
        { _id: 1, k: 1 },
        { _id: 2, k: 2 },
        { _id: 3, k: 3 },
      ]);
      await expectServerError(c.updateMany({}, { $set: { k: 0 } }), 11000);
      expect(await c.countDocuments({ k: 0 })).to.equal(1);
    });

    it('missing fields index as null: a second document without the field is a duplicate', async function () {
      const c = fresh();
      await c.createIndex({ eventId: 1 }, { unique: true });
      await c.insertOne({ _id: 1 });
      const err = await expectServerError(c.insertOne({ _id: 2 }), 11000);
      expect(err.keyValue).to.deep.equal({ eventId: null });
      expect(err.message).to.match(/index: eventId_1 dup key: \{ eventId: null \}$/);
    });

    it('compound unique index: duplicate only when every key matches', async function () {
      const c = fresh();
      expect(await c.createIndex({ lot: 1, carId: 1 }, { unique: true })).to.equal('lot_1_carId_1');
      await c.insertMany([
        { lot: 'A', carId: 'X' },
        { lot: 'B', carId: 'X' },
        { lot: 'A', carId: 'Y' },
      ]);
      const err = await expectServerError(c.insertOne({ lot: 'A', carId: 'X' }), 11000);
      expect(err.keyPattern).to.deep.equal({ lot: 1, carId: 1 });
      expect(err.keyValue).to.deep.equal({ lot: 'A', carId: 'X' });
      expect(err.message).to.match(/index: lot_1_carId_1 dup key: \{ lot: "A", carId: "X" \}$/);
      expect(await c.countDocuments()).to.equal(3);
    });

    it('partial unique index: only documents matching the filter are constrained', async function () {
      const c = fresh();
      await c.createIndex(
        { lot: 1, carId: 1 },
        { unique: true, name: 'oneOpenSession', partialFilterExpression: { status: 'open' } },
      );
      await c.insertMany([
        { lot: 'A', carId: 'X', status: 'closed' },
        { lot: 'A', carId: 'X', status: 'closed' },
        { lot: 'A', carId: 'X', status: 'open' },
      ]);
      const err = await expectServerError(c.insertOne({ lot: 'A', carId: 'X', status: 'open' }), 11000);
      expect(err.message).to.match(/index: oneOpenSession dup key: /);
      // closing the open one frees the key
      await c.updateOne({ status: 'open' }, { $set: { status: 'closed' } });
      await c.insertOne({ lot: 'A', carId: 'X', status: 'open' });
      expect(await c.countDocuments({ status: 'open' })).to.equal(1);
    });

    it('a unique index over existing duplicates fails to build and is not created', async function () {
      const c = fresh();
      await c.insertMany([{ k: 1 }, { k: 2 }, { k: 1 }]);
      const err = await expectServerError(c.createIndex({ k: 1 }, { unique: true }), 11000);
      expect(err.codeName).to.equal('DuplicateKey');
      expect(err.message).to.match(/E11000 duplicate key error/);
      const names = (await c.listIndexes().toArray()).map((i) => i.name);
      expect(names).to.deep.equal(['_id_']);
      // a non-unique index on the same data builds fine
      expect(await c.createIndex({ k: 1 })).to.equal('k_1');
    });
  });

  describe('managing indexes', function () {
    it('createIndexes with several specs; listIndexes shows name, key, unique, expireAfterSeconds', async function () {
      const c = fresh();
      const names = await c.createIndexes([
        { key: { eventId: 1 }, unique: true },
        { key: { lot: 1, ts: -1 } },
        { key: { expireAt: 1 }, expireAfterSeconds: 0 },
        { key: { carId: 1 }, name: 'byCar' },
      ]);
      expect(names).to.deep.equal(['eventId_1', 'lot_1_ts_-1', 'expireAt_1', 'byCar']);
      const list = await c.listIndexes().toArray();
      const byName = Object.fromEntries(list.map((i) => [i.name, i]));
      expect(Object.keys(byName).sort()).to.deep.equal(['_id_', 'byCar', 'eventId_1', 'expireAt_1', 'lot_1_ts_-1']);
      expect(byName._id_).to.deep.equal({ v: 2, key: { _id: 1 }, name: '_id_' });
      expect(byName.eventId_1).to.deep.equal({ v: 2, key: { eventId: 1 }, name: 'eventId_1', unique: true });
      expect(byName['lot_1_ts_-1']).to.deep.equal({ v: 2, key: { lot: 1, ts: -1 }, name: 'lot_1_ts_-1' });
      expect(byName.expireAt_1).to.deep.equal({ v: 2, key: { expireAt: 1 }, name: 'expireAt_1', expireAfterSeconds: 0 });
      expect(byName.byCar).to.deep.equal({ v: 2, key: { carId: 1 }, name: 'byCar' });
      // compound key order is preserved
      expect(Object.keys(byName['lot_1_ts_-1'].key)).to.deep.equal(['lot', 'ts']);
      // the helpers built on listIndexes agree
      expect(await c.indexExists('byCar')).to.equal(true);
      expect(await c.indexExists('nope_1')).to.equal(false);
      const info = await c.indexInformation();
      expect(info.byCar).to.deep.equal([['carId', 1]]);
    });

    it('createIndex with the same spec again is a no-op returning the same name', async function () {
      const c = fresh();
      expect(await c.createIndex({ a: 1 }, { unique: true })).to.equal('a_1');
      expect(await c.createIndex({ a: 1 }, { unique: true })).to.equal('a_1');
      expect((await c.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_', 'a_1']);
    });

    it('createIndex on a missing collection creates the collection', async function () {
      const c = fresh();
      await c.createIndex({ a: 1 });
      const colls = await db.listCollections({ name: c.collectionName }).toArray();
      expect(colls.map((x) => x.name)).to.deep.equal([c.collectionName]);
    });

    it('dropIndex removes an index; dropping a missing one fails (IndexNotFound 27)', async function () {
      const c = fresh();
      await c.createIndex({ a: 1 }, { unique: true });
      await c.insertOne({ a: 1 });
      await c.dropIndex('a_1');
      expect((await c.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_']);
      // no longer unique
      await c.insertOne({ a: 1 });
      await expectServerError(c.dropIndex('a_1'), 27);
    });

    it('listIndexes on a missing collection fails (NamespaceNotFound 26)', async function () {
      const c = fresh();
      await expectServerError(c.listIndexes().toArray(), 26);
    });
  });

  describe('TTL', function () {
    it('documents whose TTL date has passed disappear; others stay', async function () {
      this.timeout(60_000);
      if (m.kind === 'real') {
        let sleepSecs: number | undefined;
        try {
          sleepSecs = (await client.db('admin').command({ getParameter: 1, ttlMonitorSleepSecs: 1 })).ttlMonitorSleepSecs;
        } catch {
          sleepSecs = undefined;
        }
        if (sleepSecs === undefined || sleepSecs > 5) {
          console.log(
            `      skipped on a real server: its TTL monitor runs every ${sleepSecs ?? '?'} s ` +
              '(start mongod with --setParameter ttlMonitorSleepSecs=1 to run this check)',
          );
          this.skip();
        }
      }
      const c = fresh();
      await c.createIndex({ expireAt: 1 }, { expireAfterSeconds: 0 });
      await c.createIndex({ createdAt: 1 }, { expireAfterSeconds: 600 });
      const now = Date.now();
      await c.insertMany([
        { _id: 'past', expireAt: new Date(now - 60_000) },
        { _id: 'future', expireAt: new Date(now + 3_600_000) },
        { _id: 'notADate', expireAt: String(now - 60_000) },
        { _id: 'number', expireAt: now - 60_000 },
        { _id: 'missing' },
        { _id: 'array', expireAt: [new Date(now + 3_600_000), new Date(now - 60_000)] },
        { _id: 'old', createdAt: new Date(now - 20 * 60_000) },
        { _id: 'recent', createdAt: new Date(now) },
      ]);
      const expiring = ['array', 'old', 'past'];
      const deadline = m.kind === 'real' ? 45_000 : 15_000;
      await waitFor(
        async () => (await c.countDocuments({ _id: { $in: expiring } })) === 0,
        `TTL expiry of ${expiring.join(', ')}`,
        { timeoutMs: deadline, intervalMs: 100 },
      );
      const left = (await c.find().sort({ _id: 1 }).toArray()).map((d) => d._id);
      expect(left).to.deep.equal(['future', 'missing', 'notADate', 'number', 'recent']);
    });
  });
});
