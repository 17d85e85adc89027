// Conformance: listCollections, createCollection (plain and time-series), implicit
// creation, drop of existing and missing collections, dropDatabase.
import { expect } from 'chai';
import { Binary, ObjectId, type Db, type MongoClient } from 'mongodb';
import { rejection, startTestMongo, type TestMongo } from '../helpers/mongo.ts';

describe('mongo conformance: collections', function () {
  let m: TestMongo;
  let client: MongoClient;
  let db: Db;

  before(async function () {
    m = await startTestMongo();
    client = m.client();
    db = client.db(m.dbName);
  });

  after(async function () {
    await m?.close();
  });

  const userNames = async (d: Db = db) =>
    (await d.listCollections({}, { nameOnly: true }).toArray())
      .map((x) => x.name)
      .filter((name) => !name.startsWith('system.'))
      .sort();

  it('createCollection and implicit creation show up in listCollections', async function () {
    await db.createCollection('plain');
    await db.collection('implicit').insertOne({ a: 1 });
    expect(await userNames()).to.include.members(['implicit', 'plain']);
    const [info]: any[] = await db.listCollections({ name: 'plain' }).toArray();
    expect(info.name).to.equal('plain');
    expect(info.type).to.equal('collection');
    expect(info.options).to.deep.equal({});
    expect(info.info.readOnly).to.equal(false);
    expect(info.info.uuid).to.be.instanceOf(Binary);
    expect(info.info.uuid.sub_type).to.equal(Binary.SUBTYPE_UUID);
    expect(info.idIndex).to.deep.equal({ v: 2, key: { _id: 1 }, name: '_id_' });
  });

  it('listCollections with nameOnly gives name and type', async function () {
    await db.createCollection('nameOnly');
    const entries = await db.listCollections({ name: 'nameOnly' }, { nameOnly: true }).toArray();
    expect(entries).to.deep.equal([{ name: 'nameOnly', type: 'collection' }]);
  });

  it('listCollections filters by name and on a missing database returns nothing', async function () {
    await db.createCollection('filterMe');
    expect((await db.listCollections({ name: 'filterMe' }).toArray()).map((x) => x.name)).to.deep.equal(['filterMe']);
    expect(await db.listCollections({ name: 'noSuchCollection' }).toArray()).to.deep.equal([]);
    expect(await client.db(`${m.dbName}_none`).listCollections().toArray()).to.deep.equal([]);
  });

  it('createCollection with timeseries options creates a time-series collection', async function () {
    await db.createCollection('slotEvents', {
      timeseries: { timeField: 'ts', metaField: 'meta', granularity: 'seconds' },
    });
    const [info]: any[] = await db.listCollections({ name: 'slotEvents' }).toArray();
    expect(info, 'slotEvents listed').to.not.equal(undefined);
    expect(info.type).to.equal('timeseries');
    expect(info.options.timeseries).to.deep.include({ timeField: 'ts', metaField: 'meta', granularity: 'seconds' });
    expect(await userNames()).to.include('slotEvents');

    const ev = db.collection<any>('slotEvents');
    const t0 = Date.UTC(2026, 10, 22, 10, 0, 0);
    await ev.insertMany([
      { ts: new Date(t0 + 2000), meta: { lot: 'A', slot: 'B1/1' }, status: 'occupied' },
      { ts: new Date(t0), meta: { lot: 'A', slot: 'B1/1' }, status: 'free' },
      { ts: new Date(t0 + 1000), meta: { lot: 'B', slot: 'P1/3' }, status: 'free' },
    ]);
    const docs = await ev.find({ 'meta.lot': 'A' }).sort({ ts: 1 }).toArray();
    expect(docs).to.have.lengthOf(2);
    expect(docs[0]._id).to.be.instanceOf(ObjectId);
    expect(docs.map(({ _id, ...rest }) => rest)).to.deep.equal([
      { ts: new Date(t0), meta: { lot: 'A', slot: 'B1/1' }, status: 'free' },
      { ts: new Date(t0 + 2000), meta: { lot: 'A', slot: 'B1/1' }, status: 'occupied' },
    ]);
    expect(await ev.countDocuments()).to.equal(3);
    const perLot = await ev
      .aggregate([{ $group: { _id: '$meta.lot', n: { $sum: 1 } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(perLot).to.deep.equal([
      { _id: 'A', n: 2 },
      { _id: 'B', n: 1 },
    ]);
  });

  it('a time-series insert without a Date in the time field is rejected', async function () {
    await db.createCollection('tsStrict', { timeseries: { timeField: 'ts' } });
    const ts = db.collection<any>('tsStrict');
    const missing = await rejection(ts.insertOne({ v: 1 }));
    expect(missing.name).to.equal('MongoServerError');
    const notDate = await rejection(ts.insertOne({ ts: 1795307315123, v: 1 }));
    expect(notDate.name).to.equal('MongoServerError');
    expect(await ts.countDocuments()).to.equal(0);
  });

  it('drop removes a collection and its documents and indexes', async function () {
    const c = db.collection('toDrop');
    await c.insertMany([{ a: 1 }, { a: 2 }]);
    await c.createIndex({ a: 1 });
    expect(await c.drop()).to.equal(true);
    expect(await userNames()).to.not.include('toDrop');
    expect(await c.find().toArray()).to.deep.equal([]);
    expect(await c.countDocuments()).to.equal(0);
    // recreated empty, with only the _id index
    await c.insertOne({ a: 3 });
    expect((await c.listIndexes().toArray()).map((i) => i.name)).to.deep.equal(['_id_']);
    expect(await c.countDocuments()).to.equal(1);
  });

  it('dropping a missing collection does not throw', async function () {
    const result = await db.collection('neverCreated').drop();
    expect(result).to.be.a('boolean');
    const viaDb = await db.dropCollection('neverCreatedEither');
    expect(viaDb).to.be.a('boolean');
    expect(await userNames()).to.not.include.members(['neverCreated', 'neverCreatedEither']);
  });

  it('drop of a time-series collection', async function () {
    await db.createCollection('tsDrop', { timeseries: { timeField: 'ts' } });
    await db.collection('tsDrop').insertOne({ ts: new Date() });
    expect(await db.collection('tsDrop').drop()).to.equal(true);
    expect(await db.listCollections({ name: 'tsDrop' }).toArray()).to.deep.equal([]);
  });

  it('dropDatabase removes every collection', async function () {
    const other = client.db(`${m.dbName}_x`);
    await other.collection('a').insertOne({ a: 1 });
    await other.collection('b').insertOne({ b: 1 });
    expect(await userNames(other)).to.deep.equal(['a', 'b']);
    expect(await other.dropDatabase()).to.equal(true);
    expect(await userNames(other)).to.deep.equal([]);
  });
});
