// Conformance: aggregation ($match, $group accumulators, $sort, $project, $bucket,
// $dateTrunc, $count, $skip/$limit), countDocuments, estimatedDocumentCount, distinct.
import { expect } from 'chai';
import { type Collection, type Db, type MongoClient } from 'mongodb';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';

interface Visit {
  _id: number;
  lot: string;
  level: string;
  carId: string;
  entryAt: Date;
  durationMinutes: number;
  fee?: number | string;
  tags?: string[];
  loc?: { zone: string };
}

const base = Date.UTC(2026, 10, 22, 10, 0, 0); // 2026-11-22T10:00:00Z
const min = 60_000;

/** 10 visits with known numbers. */
const visits: Visit[] = [
  { _id: 1, lot: 'A', level: 'B1', carId: 'C1', entryAt: new Date(base + 2 * min), durationMinutes: 30, fee: 3000, tags: ['ev'], loc: { zone: 'n' } },
  { _id: 2, lot: 'A', level: 'B1', carId: 'C2', entryAt: new Date(base + 14 * min + 59_999), durationMinutes: 90, fee: 9000, loc: { zone: 's' } },
  { _id: 3, lot: 'A', level: 'B2', carId: 'C3', entryAt: new Date(base + 15 * min), durationMinutes: 45, fee: 4500, tags: ['ev', 'vip'] },
  { _id: 4, lot: 'A', level: 'B2', carId: 'C1', entryAt: new Date(base + 61 * min), durationMinutes: 200, fee: 20000, loc: { zone: 'n' } },
  { _id: 5, lot: 'B', level: 'P1', carId: 'C4', entryAt: new Date(base + 62 * min), durationMinutes: 10, fee: 0 },
  { _id: 6, lot: 'B', level: 'P1', carId: 'C5', entryAt: new Date(base + 119 * min), durationMinutes: 130, fee: 13000, tags: [] },
  { _id: 7, lot: 'B', level: 'P2', carId: 'C6', entryAt: new Date(base + 120 * min), durationMinutes: 60, fee: 'waived' },
  { _id: 8, lot: 'B', level: 'P2', carId: 'C2', entryAt: new Date(base + 150 * min), durationMinutes: 500 },
  { _id: 9, lot: 'C', level: 'G', carId: 'C7', entryAt: new Date(base - 1), durationMinutes: 5, fee: 500, tags: ['vip'] },
  { _id: 10, lot: 'C', level: 'G', carId: 'C8', entryAt: new Date(base + 24 * 60 * min), durationMinutes: 240, fee: 24000 },
];

describe('mongo conformance: aggregation and counting', function () {
  let m: TestMongo;
  let client: MongoClient;
  let db: Db;
  let c: Collection<Visit>;

  before(async function () {
    m = await startTestMongo();
    client = m.client();
    db = client.db(m.dbName);
    c = db.collection<Visit>('visits');
    await c.insertMany(visits);
  });

  after(async function () {
    await m?.close();
  });

  describe('aggregate', function () {
    it('$match + $group ($sum, $avg, $max, $min, count) + $sort', async function () {
      const got = await c
        .aggregate([
          { $match: { lot: { $in: ['A', 'B'] } } },
          {
            $group: {
              _id: '$lot',
              visits: { $sum: 1 },
              minutes: { $sum: '$durationMinutes' },
              fees: { $sum: '$fee' },
              avgMinutes: { $avg: '$durationMinutes' },
              avgFee: { $avg: '$fee' },
              longest: { $max: '$durationMinutes' },
              lastEntry: { $max: '$entryAt' },
              shortest: { $min: '$durationMinutes' },
            },
          },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(got).to.deep.equal([
        {
          _id: 'A',
          visits: 4,
          minutes: 365,
          fees: 36500,
          avgMinutes: 91.25,
          avgFee: 9125,
          longest: 200,
          lastEntry: new Date(base + 61 * min),
          shortest: 30,
        },
        {
          // $sum and $avg ignore the string fee and the missing one
          _id: 'B',
          visits: 4,
          minutes: 700,
          fees: 13000,
          avgMinutes: 175,
          avgFee: 6500,
          longest: 500,
          lastEntry: new Date(base + 150 * min),
          shortest: 10,
        },
      ]);
    });

    it('$group with a compound _id and _id: null; $avg of no numbers is null', async function () {
      const perLevel = await c
        .aggregate([
          { $group: { _id: { lot: '$lot', level: '$level' }, n: { $sum: 1 } } },
          { $sort: { '_id.lot': -1, '_id.level': 1 } },
        ])
        .toArray();
      expect(perLevel).to.deep.equal([
        { _id: { lot: 'C', level: 'G' }, n: 2 },
        { _id: { lot: 'B', level: 'P1' }, n: 2 },
        { _id: { lot: 'B', level: 'P2' }, n: 2 },
        { _id: { lot: 'A', level: 'B1' }, n: 2 },
        { _id: { lot: 'A', level: 'B2' }, n: 2 },
      ]);
      const total = await c
        .aggregate([{ $group: { _id: null, n: { $sum: 1 }, none: { $avg: '$noSuchField' }, zero: { $sum: '$noSuchField' } } }])
        .toArray();
      expect(total).to.deep.equal([{ _id: null, n: 10, none: null, zero: 0 }]);
    });

    it('$first after $sort takes the first document of each group', async function () {
      const got = await c
        .aggregate([
          { $sort: { entryAt: 1 } },
          { $group: { _id: '$lot', firstCar: { $first: '$carId' }, firstAt: { $first: '$entryAt' }, lastCar: { $last: '$carId' } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(got).to.deep.equal([
        { _id: 'A', firstCar: 'C1', firstAt: new Date(base + 2 * min), lastCar: 'C1' },
        { _id: 'B', firstCar: 'C4', firstAt: new Date(base + 62 * min), lastCar: 'C2' },
        { _id: 'C', firstCar: 'C7', firstAt: new Date(base - 1), lastCar: 'C8' },
      ]);
    });

    it('$project: inclusion, exclusion, computed fields', async function () {
      const got = await c
        .aggregate([
          { $match: { _id: { $in: [1, 4] } } },
          { $sort: { _id: 1 } },
          {
            $project: {
              _id: 0,
              carId: 1,
              hours: { $divide: ['$durationMinutes', 60] },
              key: { $concat: ['$lot', '/', '$level'] },
              paid: { $gt: ['$fee', 5000] },
              zone: '$loc.zone',
            },
          },
        ])
        .toArray();
      expect(got).to.deep.equal([
        { carId: 'C1', hours: 0.5, key: 'A/B1', paid: false, zone: 'n' },
        { carId: 'C1', hours: 200 / 60, key: 'A/B2', paid: true, zone: 'n' },
      ]);
      const excl = await c.aggregate([{ $match: { _id: 5 } }, { $project: { entryAt: 0, lot: 0 } }]).toArray();
      expect(excl).to.deep.equal([{ _id: 5, level: 'P1', carId: 'C4', durationMinutes: 10, fee: 0 }]);
    });

    it('$bucket by duration with default bucket and output accumulators', async function () {
      const got = await c
        .aggregate([
          {
            $bucket: {
              groupBy: '$durationMinutes',
              boundaries: [0, 60, 120, 240],
              default: 'long',
              output: { n: { $sum: 1 }, cars: { $push: '$carId' } },
            },
          },
        ])
        .toArray();
      // buckets come out sorted by _id; empty buckets are not output; 'long' (a string) sorts last
      expect(got.map((b) => ({ ...b, cars: [...b.cars].sort() }))).to.deep.equal([
        { _id: 0, n: 4, cars: ['C1', 'C3', 'C4', 'C7'] },
        { _id: 60, n: 2, cars: ['C2', 'C6'] },
        { _id: 120, n: 2, cars: ['C1', 'C5'] },
        { _id: 'long', n: 2, cars: ['C2', 'C8'] },
      ]);
      const countOnly = await c
        .aggregate([{ $match: { lot: 'A' } }, { $bucket: { groupBy: '$durationMinutes', boundaries: [0, 100, 1000] } }])
        .toArray();
      expect(countOnly).to.deep.equal([
        { _id: 0, count: 3 },
        { _id: 100, count: 1 },
      ]);
    });

    it('$bucket without a default fails on a value outside the boundaries', async function () {
      let err: any;
      try {
        await c.aggregate([{ $bucket: { groupBy: '$durationMinutes', boundaries: [0, 60] } }]).toArray();
      } catch (e) {
        err = e;
      }
      expect(err, 'expected an error').to.not.equal(undefined);
      expect(err.name).to.equal('MongoServerError');
    });

    it('$dateTrunc to hour, to 15 minutes and to day', async function () {
      const perHour = await c
        .aggregate([
          { $match: { lot: { $in: ['A', 'B'] } } },
          { $group: { _id: { $dateTrunc: { date: '$entryAt', unit: 'hour' } }, n: { $sum: 1 } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(perHour).to.deep.equal([
        { _id: new Date(base), n: 3 },
        { _id: new Date(base + 60 * min), n: 3 },
        { _id: new Date(base + 120 * min), n: 2 },
      ]);
      const quarter = await c
        .aggregate([
          { $match: { _id: { $in: [1, 2, 3, 9] } } },
          { $project: { q: { $dateTrunc: { date: '$entryAt', unit: 'minute', binSize: 15 } } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(quarter).to.deep.equal([
        { _id: 1, q: new Date(base) },
        { _id: 2, q: new Date(base) },
        { _id: 3, q: new Date(base + 15 * min) },
        { _id: 9, q: new Date(base - 15 * min) },
      ]);
      const perDay = await c
        .aggregate([
          { $group: { _id: { $dateTrunc: { date: '$entryAt', unit: 'day' } }, n: { $sum: 1 } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(perDay).to.deep.equal([
        { _id: new Date(Date.UTC(2026, 10, 22)), n: 9 },
        { _id: new Date(Date.UTC(2026, 10, 23)), n: 1 },
      ]);
    });

    it('$count, also on an empty input', async function () {
      expect(await c.aggregate([{ $match: { durationMinutes: { $gte: 100 } } }, { $count: 'long' }]).toArray()).to.deep.equal([
        { long: 4 },
      ]);
      expect(await c.aggregate([{ $match: { lot: 'nope' } }, { $count: 'n' }]).toArray()).to.deep.equal([]);
    });

    it('$sort + $skip + $limit', async function () {
      const got = await c
        .aggregate([{ $sort: { durationMinutes: -1 } }, { $skip: 1 }, { $limit: 3 }, { $project: { _id: 1 } }])
        .toArray();
      expect(got).to.deep.equal([{ _id: 10 }, { _id: 4 }, { _id: 6 }]);
    });

    it('aggregate results larger than the batch size use getMore', async function () {
      const got = await c.aggregate([{ $sort: { _id: 1 } }, { $project: { _id: 1 } }], { batchSize: 3 }).toArray();
      expect(got.map((d) => d._id)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('aggregate on a missing collection returns nothing', async function () {
      const missing = db.collection('noSuchCollection');
      expect(await missing.aggregate([{ $match: {} }]).toArray()).to.deep.equal([]);
      expect(await missing.aggregate([{ $group: { _id: null, n: { $sum: 1 } } }]).toArray()).to.deep.equal([]);
    });
  });

  describe('counting and distinct', function () {
    it('countDocuments with a filter, skip and limit', async function () {
      expect(await c.countDocuments()).to.equal(10);
      expect(await c.countDocuments({ lot: 'A' })).to.equal(4);
      expect(await c.countDocuments({ durationMinutes: { $gt: 100 }, lot: { $ne: 'C' } })).to.equal(3);
      expect(await c.countDocuments({ lot: 'nope' })).to.equal(0);
      expect(await c.countDocuments({}, { skip: 8 })).to.equal(2);
      expect(await c.countDocuments({}, { limit: 3 })).to.equal(3);
    });

    it('estimatedDocumentCount, also on a missing collection', async function () {
      expect(await c.estimatedDocumentCount()).to.equal(10);
      expect(await db.collection('noSuchCollection').estimatedDocumentCount()).to.equal(0);
    });

    it('distinct values, with a filter, over arrays and dotted fields', async function () {
      expect((await c.distinct('lot')).sort()).to.deep.equal(['A', 'B', 'C']);
      expect((await c.distinct('level', { lot: 'B' })).sort()).to.deep.equal(['P1', 'P2']);
      expect((await c.distinct('carId', { durationMinutes: { $lt: 50 } })).sort()).to.deep.equal(['C1', 'C3', 'C4', 'C7']);
      // arrays are unwound
      expect((await c.distinct('tags')).sort()).to.deep.equal(['ev', 'vip']);
      expect((await c.distinct('loc.zone')).sort()).to.deep.equal(['n', 's']);
      expect(await c.distinct('noSuchField')).to.deep.equal([]);
      // mixed types are kept distinct by type
      const fees = await c.distinct('fee');
      expect(fees).to.have.lengthOf(9);
      expect(fees).to.include('waived');
      expect(fees).to.include(0);
    });
  });
});
