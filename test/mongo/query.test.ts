// Conformance: find with filter operators, sort, skip/limit, projection, cursors
// (getMore, killCursors), and BSON types round-tripping (Date, ObjectId, large numbers).
import { expect } from 'chai';
import {
  Long,
  ObjectId,
  type Collection,
  type CommandStartedEvent,
  type CommandSucceededEvent,
  type Db,
  type MongoClient,
} from 'mongodb';
import { expectServerError, rejection, startTestMongo, type TestMongo } from '../helpers/mongo.ts';

interface Slot {
  _id: string;
  lot: string;
  level: string;
  slot: number;
  status: string;
  ts: number;
  loc: { level: string; row: number };
  device?: string | null;
  tags?: string[];
}

/** 24 slots: lots A and B, levels B1/B2/P1, slots 1-4. */
function makeSlots(): Slot[] {
  const statuses = ['free', 'occupied', 'closed', 'unknown'];
  const out: Slot[] = [];
  let k = 0;
  for (const lot of ['A', 'B']) {
    for (const level of ['B1', 'B2', 'P1']) {
      for (let slot = 1; slot <= 4; slot++) {
        const s: Slot = {
          _id: `${lot}/${level}/${slot}`,
          lot,
          level,
          slot,
          status: statuses[k % 4],
          ts: 1_795_307_315_000 + k * 1000,
          loc: { level, row: (k % 3) + 1 },
        };
        if (k % 3 === 0) s.device = `pi-${k}`;
        if (k % 5 === 0) s.device = null;
        if (k % 4 === 1) s.tags = k % 8 === 1 ? ['ev', 'wide'] : ['ev'];
        out.push(s);
        k++;
      }
    }
  }
  return out;
}

describe('mongo conformance: queries and cursors', function () {
  let m: TestMongo;
  let client: MongoClient;
  let db: Db;
  let slots: Collection<Slot>;
  const all = makeSlots();
  const ids = (docs: { _id: unknown }[]) => docs.map((d) => d._id);
  const expectIds = (pred: (s: Slot) => boolean) => all.filter(pred).map((s) => s._id).sort();

  const started: CommandStartedEvent[] = [];
  const succeeded: CommandSucceededEvent[] = [];

  before(async function () {
    m = await startTestMongo();
    client = m.client({ monitorCommands: true });
    client.on('commandStarted', (e) => started.push(e));
    client.on('commandSucceeded', (e) => succeeded.push(e));
    db = client.db(m.dbName);
    slots = db.collection<Slot>('slots');
    await slots.insertMany(all);
  });

  after(async function () {
    await m?.close();
  });

  describe('filters', function () {
    it('equality and dotted fields', async function () {
      const got = await slots.find({ lot: 'A', 'loc.level': 'B2' }).toArray();
      expect(ids(got).sort()).to.deep.equal(expectIds((s) => s.lot === 'A' && s.loc.level === 'B2'));
      const nested = await slots.find({ loc: { level: 'P1', row: 1 } }).toArray();
      expect(ids(nested).sort()).to.deep.equal(expectIds((s) => s.loc.level === 'P1' && s.loc.row === 1));
      // whole-subdocument equality is field-order sensitive
      expect(await slots.countDocuments({ loc: { row: 1, level: 'P1' } } as any)).to.equal(0);
    });

    it('$in, $nin, $gt/$gte/$lt/$lte, $ne', async function () {
      expect(ids(await slots.find({ status: { $in: ['free', 'closed'] } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => s.status === 'free' || s.status === 'closed'),
      );
      expect(ids(await slots.find({ slot: { $gt: 2 } }).toArray()).sort()).to.deep.equal(expectIds((s) => s.slot > 2));
      expect(ids(await slots.find({ slot: { $gte: 2, $lt: 4 } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => s.slot >= 2 && s.slot < 4),
      );
      expect(ids(await slots.find({ slot: { $lte: 1 } }).toArray()).sort()).to.deep.equal(expectIds((s) => s.slot <= 1));
      expect(ids(await slots.find({ level: { $nin: ['B1', 'B2'] } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => s.level === 'P1'),
      );
      expect(await slots.countDocuments({ status: { $ne: 'free' } })).to.equal(all.filter((s) => s.status !== 'free').length);
    });

    it('$exists and null: null matches missing too, $exists does not match missing', async function () {
      expect(ids(await slots.find({ device: { $exists: true } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => 'device' in s),
      );
      expect(ids(await slots.find({ device: { $exists: false } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => !('device' in s)),
      );
      expect(ids(await slots.find({ device: null }).toArray()).sort()).to.deep.equal(
        expectIds((s) => s.device === null || s.device === undefined),
      );
      expect(ids(await slots.find({ device: { $ne: null } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => typeof s.device === 'string'),
      );
    });

    it('$regex (string and RegExp, with options)', async function () {
      expect(ids(await slots.find({ level: { $regex: '^B' } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => s.level.startsWith('B')),
      );
      expect(ids(await slots.find({ level: /^b/i }).toArray()).sort()).to.deep.equal(expectIds((s) => s.level.startsWith('B')));
      expect(ids(await slots.find({ _id: { $regex: '/p1/', $options: 'i' } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => s.level === 'P1'),
      );
      expect(await slots.countDocuments({ device: /^pi-1/ })).to.equal(
        all.filter((s) => typeof s.device === 'string' && s.device.startsWith('pi-1')).length,
      );
    });

    it('$or, $and, $not', async function () {
      const got = await slots.find({ $or: [{ lot: 'B', slot: 1 }, { status: 'closed' }] }).toArray();
      expect(ids(got).sort()).to.deep.equal(expectIds((s) => (s.lot === 'B' && s.slot === 1) || s.status === 'closed'));
      const and = await slots.find({ $and: [{ slot: { $gt: 1 } }, { slot: { $lt: 4 } }], lot: 'A' }).toArray();
      expect(ids(and).sort()).to.deep.equal(expectIds((s) => s.slot > 1 && s.slot < 4 && s.lot === 'A'));
      const not = await slots.find({ slot: { $not: { $gt: 2 } } }).toArray();
      expect(ids(not).sort()).to.deep.equal(expectIds((s) => !(s.slot > 2)));
    });

    it('arrays: equality on an element, $in, $all, $size', async function () {
      expect(ids(await slots.find({ tags: 'wide' }).toArray()).sort()).to.deep.equal(
        expectIds((s) => !!s.tags?.includes('wide')),
      );
      expect(ids(await slots.find({ tags: { $in: ['ev'] } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => !!s.tags?.includes('ev')),
      );
      expect(ids(await slots.find({ tags: { $all: ['wide', 'ev'] } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => !!s.tags?.includes('wide')),
      );
      expect(ids(await slots.find({ tags: { $size: 1 } }).toArray()).sort()).to.deep.equal(
        expectIds((s) => s.tags?.length === 1),
      );
      // whole-array equality is exact
      expect(ids(await slots.find({ tags: ['ev', 'wide'] }).toArray()).sort()).to.deep.equal(
        expectIds((s) => s.tags?.length === 2),
      );
    });

    it('$expr compares fields of the same document; $elemMatch matches one array element', async function () {
      const c = db.collection<any>('expr');
      await c.insertMany([
        { _id: 1, used: 5, total: 10, readings: [{ v: 1, ok: true }, { v: 9, ok: false }] },
        { _id: 2, used: 10, total: 10, readings: [{ v: 9, ok: true }] },
        { _id: 3, used: 12, total: 10, readings: [] },
      ]);
      expect(ids(await c.find({ $expr: { $gte: ['$used', '$total'] } }).sort({ _id: 1 }).toArray())).to.deep.equal([2, 3]);
      expect(ids(await c.find({ readings: { $elemMatch: { v: { $gt: 5 }, ok: true } } }).toArray())).to.deep.equal([2]);
      // without $elemMatch the conditions may be met by different elements
      expect(ids(await c.find({ 'readings.v': { $gt: 5 }, 'readings.ok': true }).sort({ _id: 1 }).toArray())).to.deep.equal([1, 2]);
    });

    it('comparisons are type-bracketed: a number range never matches strings', async function () {
      const c = db.collection<any>('mixed');
      await c.insertMany([{ _id: 1, v: 5 }, { _id: 2, v: '7' }, { _id: 3, v: 9.5 }, { _id: 4, v: null }, { _id: 5 }]);
      expect(ids(await c.find({ v: { $gt: 1 } }).sort({ _id: 1 }).toArray())).to.deep.equal([1, 3]);
      expect(ids(await c.find({ v: { $gt: '' } }).sort({ _id: 1 }).toArray())).to.deep.equal([2]);
      expect(ids(await c.find({ v: { $type: 'number' } }).sort({ _id: 1 }).toArray())).to.deep.equal([1, 3]);
    });

    it('an unknown query operator fails (BadValue 2)', async function () {
      await expectServerError(slots.find({ slot: { $noSuchOp: 1 } } as any).toArray(), 2);
    });
  });

  describe('sort, skip, limit', function () {
    it('multi-key sort with a descending key', async function () {
      const got = await slots.find({}).sort({ level: 1, slot: -1, lot: 1 }).toArray();
      const want = [...all]
        .sort((a, b) => a.level.localeCompare(b.level) || b.slot - a.slot || a.lot.localeCompare(b.lot))
        .map((s) => s._id);
      expect(ids(got)).to.deep.equal(want);
    });

    it('descending sort on a number with limit and skip', async function () {
      const byTsDesc = [...all].sort((a, b) => b.ts - a.ts).map((s) => s._id);
      expect(ids(await slots.find().sort({ ts: -1 }).limit(5).toArray())).to.deep.equal(byTsDesc.slice(0, 5));
      expect(ids(await slots.find().sort({ ts: -1 }).skip(3).limit(4).toArray())).to.deep.equal(byTsDesc.slice(3, 7));
      expect(ids(await slots.find().sort({ ts: -1 }).skip(22).toArray())).to.deep.equal(byTsDesc.slice(22));
      expect(await slots.find().sort({ ts: -1 }).skip(100).toArray()).to.deep.equal([]);
    });

    it('sort on a dotted field and on _id', async function () {
      const got = await slots.find({ lot: 'A' }).sort({ 'loc.row': -1, _id: 1 }).toArray();
      const want = all
        .filter((s) => s.lot === 'A')
        .sort((a, b) => b.loc.row - a.loc.row || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0))
        .map((s) => s._id);
      expect(ids(got)).to.deep.equal(want);
    });

    it('sorting mixed types follows BSON order: missing/null < numbers < strings < objects < ObjectId < bool < Date', async function () {
      const c = db.collection<any>('bsonorder');
      const oid = new ObjectId();
      await c.insertMany([
        { _id: 'date', v: new Date(0) },
        { _id: 'bool', v: false },
        { _id: 'oid', v: oid },
        { _id: 'obj', v: { a: 1 } },
        { _id: 'str', v: 'abc' },
        { _id: 'num2', v: 10 },
        { _id: 'num1', v: 2.5 },
        { _id: 'null', v: null },
      ]);
      await c.insertOne({ _id: 'missing' });
      const got = ids(await c.find().sort({ v: 1, _id: 1 }).toArray());
      expect(got).to.deep.equal(['missing', 'null', 'num1', 'num2', 'str', 'obj', 'oid', 'bool', 'date']);
    });
  });

  describe('projection', function () {
    it('inclusion keeps _id unless excluded', async function () {
      const doc = await slots.find({ _id: 'A/B1/1' }).project({ status: 1, 'loc.row': 1 }).toArray();
      expect(doc).to.deep.equal([{ _id: 'A/B1/1', status: all[0].status, loc: { row: all[0].loc.row } }]);
      const noId = await slots.find({ _id: 'A/B1/1' }).project({ status: 1, _id: 0 }).toArray();
      expect(noId).to.deep.equal([{ status: all[0].status }]);
    });

    it('exclusion drops only the named fields', async function () {
      const [doc] = await slots.find({ _id: 'A/B1/2' }).project({ loc: 0, ts: 0 }).toArray();
      const { loc: _loc, ts: _ts, ...want } = all[1];
      expect(doc).to.deep.equal(want);
    });

    it('mixing inclusion and exclusion is rejected', async function () {
      const err = await rejection(slots.find({}).project({ status: 1, loc: 0 }).toArray());
      expect(err.name).to.equal('MongoServerError');
    });

    it('findOne with projection', async function () {
      const doc = await slots.findOne({ _id: 'B/P1/4' }, { projection: { _id: 0, lot: 1, level: 1, slot: 1 } });
      expect(doc).to.deep.equal({ lot: 'B', level: 'P1', slot: 4 });
    });
  });

  describe('cursors', function () {
    it('batchSize smaller than the result: getMore fetches the rest', async function () {
      started.length = 0;
      const got = await slots.find({}).sort({ _id: 1 }).batchSize(5).toArray();
      expect(got).to.have.lengthOf(all.length);
      expect(ids(got)).to.deep.equal(all.map((s) => s._id).sort());
      const getMores = started.filter((e) => e.commandName === 'getMore');
      expect(getMores.length).to.be.at.least(Math.ceil(all.length / 5) - 1);
      for (const g of getMores) expect(g.command.collection).to.equal('slots');
    });

    it('limit with a smaller batchSize returns exactly limit documents', async function () {
      const got = await slots.find({}).sort({ _id: -1 }).limit(7).batchSize(3).toArray();
      expect(ids(got)).to.deep.equal(all.map((s) => s._id).sort().reverse().slice(0, 7));
    });

    it('a result that fits the first batch comes back with cursor id 0', async function () {
      succeeded.length = 0;
      const cursor = slots.find({ lot: 'A', level: 'B1' });
      const docs = await cursor.toArray();
      expect(docs).to.have.lengthOf(4);
      const find = succeeded.find((e) => e.commandName === 'find');
      expect(find, 'find succeeded event').to.not.equal(undefined);
      const reply = find!.reply as any;
      const id = reply.cursor.id;
      expect(Long.isLong(id) ? id.isZero() : id === 0, `cursor id ${id}`).to.equal(true);
      expect(reply.cursor.ns).to.equal(`${m.dbName}.slots`);
      expect(started.filter((e) => e.commandName === 'killCursors' && e.requestId > find!.requestId)).to.have.lengthOf(0);
    });

    it('close() on an open cursor kills it on the server (killCursors)', async function () {
      succeeded.length = 0;
      const cursor = slots.find({}).batchSize(2);
      const first = await cursor.next();
      expect(first).to.not.equal(null);
      const cursorId = cursor.id!;
      expect(cursorId).to.not.equal(undefined);
      expect(cursorId.isZero()).to.equal(false);
      await cursor.close();
      const kill = succeeded.find((e) => e.commandName === 'killCursors');
      expect(kill, 'killCursors succeeded event').to.not.equal(undefined);
      const reply = kill!.reply as any;
      const killed = (reply.cursorsKilled as unknown[]).map((x) => String(x));
      expect(killed).to.deep.equal([cursorId.toString()]);
      expect(reply.cursorsNotFound).to.deep.equal([]);
      // the server no longer knows the cursor
      await expectServerError(
        db.command({ getMore: cursorId, collection: 'slots' }),
        43, // CursorNotFound
      );
    });

    it('async iteration over a multi-batch cursor', async function () {
      const seen: string[] = [];
      for await (const d of slots.find({ lot: 'B' }).sort({ _id: 1 }).batchSize(4)) seen.push(d._id);
      expect(seen).to.deep.equal(expectIds((s) => s.lot === 'B'));
    });
  });

  describe('BSON round-trips', function () {
    it('dates round-trip as Date and compare in range filters', async function () {
      const c = db.collection<any>('dates');
      const dates = [
        new Date('2026-11-22T09:59:59.999Z'),
        new Date('2026-11-22T10:00:00.000Z'),
        new Date('2026-11-22T10:30:00.123Z'),
        new Date('1969-12-31T23:59:59.000Z'),
      ];
      await c.insertMany(dates.map((at, i) => ({ _id: i, at })));
      const back = await c.find().sort({ _id: 1 }).toArray();
      for (const [i, d] of back.entries()) {
        expect(d.at).to.be.instanceOf(Date);
        expect(d.at.getTime()).to.equal(dates[i].getTime());
      }
      const inRange = await c
        .find({ at: { $gte: new Date('2026-11-22T10:00:00Z'), $lt: new Date('2026-11-22T11:00:00Z') } })
        .sort({ at: 1 })
        .toArray();
      expect(ids(inRange)).to.deep.equal([1, 2]);
      expect(ids(await c.find().sort({ at: 1 }).toArray())).to.deep.equal([3, 0, 1, 2]);
      // a Date never equals its epoch-milliseconds number
      expect(await c.countDocuments({ at: dates[1].getTime() })).to.equal(0);
    });

    it('ObjectId equality filters (a hex string is not an ObjectId)', async function () {
      const c = db.collection<any>('oids');
      const a = new ObjectId();
      const b = new ObjectId();
      await c.insertMany([{ _id: a, ref: b }, { _id: b, ref: a }, { ref: a.toHexString() }]);
      const byId = await c.findOne({ _id: a });
      expect(byId?._id).to.be.instanceOf(ObjectId);
      expect(byId?._id.equals(a)).to.equal(true);
      expect(byId?.ref.equals(b)).to.equal(true);
      expect(await c.countDocuments({ ref: a })).to.equal(1);
      expect(await c.countDocuments({ ref: a.toHexString() })).to.equal(1);
      expect(await c.countDocuments({ _id: a.toHexString() })).to.equal(0);
      expect(await c.countDocuments({ _id: { $in: [a, b] } })).to.equal(2);
    });

    it('numbers above 2^31 (epoch ms, 2^53 - 1) and int64 values', async function () {
      const c = db.collection<any>('numbers');
      const big = [2 ** 31, 2 ** 31 + 1, 1_795_307_315_123, 2 ** 53 - 1, -(2 ** 40)];
      await c.insertMany(big.map((v, i) => ({ _id: i, v })));
      const back = await c.find().sort({ _id: 1 }).toArray();
      expect(back.map((d) => d.v)).to.deep.equal(big);
      expect(await c.countDocuments({ v: 1_795_307_315_123 })).to.equal(1);
      expect(ids(await c.find({ v: { $gt: 2 ** 31 } }).sort({ v: 1 }).toArray())).to.deep.equal([1, 2, 3]);
      expect(ids(await c.find().sort({ v: -1 }).toArray())).to.deep.equal([3, 2, 1, 0, 4]);

      // int64 beyond 2^53 stays exact (comes back as a Long)
      const huge = Long.fromString('9007199254740993');
      await c.insertOne({ _id: 'long', v: huge });
      const doc = await c.findOne({ _id: 'long' });
      expect(Long.isLong(doc?.v), 'int64 beyond 2^53 comes back as Long').to.equal(true);
      expect(doc?.v.toString()).to.equal('9007199254740993');
      expect(await c.countDocuments({ v: huge })).to.equal(1);
      // an int64 that fits in a double is returned as a plain number; numeric types compare equal
      await c.insertOne({ _id: 'small-long', v: Long.fromNumber(2 ** 33) });
      expect((await c.findOne({ _id: 'small-long' }))?.v).to.equal(2 ** 33);
      expect(await c.countDocuments({ v: 2 ** 33 })).to.equal(1);
    });
  });
});
