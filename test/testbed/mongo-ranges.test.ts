// The stand-in's date-range index (testbed/mongo/ranges.ts) narrows what a
// query reads and never what it answers: the same documents, in the same
// order, as a scan of a collection without the index.
import { expect } from 'chai';
import type { Document } from 'bson';
import { Store } from '../../testbed/mongo/store.ts';
import { select } from '../../testbed/mongo/query.ts';
import { dateBounds } from '../../testbed/mongo/ranges.ts';
// A seeded generator, so a failure can be replayed.
import { mulberry32 as rng } from '../../devices/random.ts';

const T0 = Date.parse('2026-11-22T00:00:00.000Z');
const MINUTE = 60_000;

describe('mongo stand-in: date-range index', function () {
  this.timeout(20_000);

  it('answers every query exactly as a scan does, through inserts, replacements and removals in any time order', () => {
    const random = rng(20261207);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
    const date = () => new Date(T0 + Math.floor(random() * 200) * MINUTE);
    /** What `at` holds: mostly Dates, and everything the index must leave to the scan. */
    const others: Array<() => unknown> = [() => undefined, () => null, () => 5, () => 'x', () => [date(), date()], () => ({ d: date() })];
    const atValue = (): unknown => (random() < 0.75 ? date() : pick(others)());
    const slotValue = (): unknown => pick<() => unknown>([() => ({ lot: pick(['A', 'B']) }), () => [{ lot: 'A', at: date() }, { lot: 'B' }], () => ({ lot: 'A', at: date() }), () => ({ lot: 'B', at: date() }), () => ({ lot: 'B', at: date() })])();
    const store = new Store();
    const indexed = store.ensureCollection('t', 'indexed');
    indexed.addIndex({ v: 2, key: { 'slot.lot': 1, at: 1 }, name: 'slot.lot_1_at_1' });
    indexed.addIndex({ v: 2, key: { 'slot.at': 1 }, name: 'slot.at_1' });
    const plain = store.ensureCollection('t', 'plain');
    const make = (id: number): Document => {
      const doc: Document = { _id: id, slot: slotValue(), n: Math.floor(random() * 3) };
      const at = atValue();
      if (at !== undefined) doc.at = at;
      return doc;
    };
    const ops = { inserts: 0, replaces: 0, removes: 0 };
    let next = 0;
    for (let step = 0; step < 3000; step += 1) {
      const r = random();
      const ids = [...plain.docs.values()].map((d) => d._id as number);
      if (r < 0.6 || ids.length < 10) {
        const doc = make(next++);
        indexed.insert(doc);
        plain.insert(doc);
        ops.inserts += 1;
      } else if (r < 0.85) {
        const id = pick(ids);
        const after = make(id);
        indexed.replace(indexed.get(id)!, after, { operationType: 'replace' });
        plain.replace(plain.get(id)!, after, { operationType: 'replace' });
        ops.replaces += 1;
      } else {
        const id = pick(ids);
        indexed.remove(indexed.get(id)!);
        plain.remove(plain.get(id)!);
        ops.removes += 1;
      }
      if (step % 25 !== 0) continue;
      const op = () => pick(['$gt', '$gte', '$lt', '$lte', '$eq', '$ne']);
      const filter: Document = pick<() => Document>([
        () => ({ at: { [op()]: date(), [op()]: date() } }),
        () => ({ 'slot.lot': pick(['A', 'B']), at: { $gte: date(), $lt: date() } }),
        () => ({ at: date() }),
        () => ({ at: { $gte: date(), $lt: 7 } }),
        () => ({ 'slot.at': { $gte: date() }, n: pick([0, 1, 2]) }),
        () => ({ at: { $gte: date() }, $or: [{ n: 0 }, { n: 2 }] }),
      ])();
      const limit = pick([0, 0, 1, 3]);
      const got = select(indexed, filter, limit).map((d) => d._id);
      const want = select(plain, filter, limit).map((d) => d._id);
      expect(got, JSON.stringify(filter)).to.deep.equal(want);
    }
    expect(indexed.rangeCandidates({ at: { $gte: new Date(T0) } }), 'the index on at in use').to.not.equal(undefined);
    expect(indexed.rangeCandidates({ 'slot.at': { $gte: new Date(T0) } }), 'the index on slot.at in use').to.not.equal(undefined);
    expect(plain.rangeCandidates({ at: { $gte: new Date(T0) } }), 'no index: a scan').to.equal(undefined);
    expect(ops.replaces, 'replacements exercised').to.be.greaterThan(100);
    expect(ops.removes, 'removals exercised').to.be.greaterThan(100);
  });

  it('reads only the documents in range (and those it cannot place)', () => {
    const store = new Store();
    const coll = store.ensureCollection('t', 'events');
    coll.addIndex({ v: 2, key: { lot: 1, at: 1 }, name: 'lot_1_at_1' });
    // A week of one change a minute, written newest first, and one document without a Date.
    for (let i = 7 * 24 * 60 - 1; i >= 0; i -= 1) coll.insert({ _id: i, lot: 'A', at: new Date(T0 + i * MINUTE) });
    coll.insert({ _id: 'no-date', lot: 'A', at: 'soon' });
    const filter = { lot: 'A', at: { $gte: new Date(T0 + 60 * MINUTE), $lt: new Date(T0 + 65 * MINUTE) } };
    expect(coll.rangeCandidates(filter)?.map((d) => d._id), 'six in [60, 65] and the one it cannot place, in natural order').to.deep.equal([65, 64, 63, 62, 61, 60, 'no-date']);
    expect(select(coll, filter).map((d) => d._id)).to.deep.equal([64, 63, 62, 61, 60]);
    expect(coll.rangeCandidates({ lot: 'A' }), 'no Date bound: a scan').to.equal(undefined);
    expect(coll.rangeCandidates({ lot: { $gte: new Date(T0) } }), 'lot holds no Dates: its index gave up, a scan').to.equal(undefined);
  });

  it('takes only Date bounds from a filter, at its top level', () => {
    const d = new Date(T0);
    expect(dateBounds({ at: { $gte: d, $lt: new Date(T0 + 5) } }, 'at')).to.deep.equal([T0, T0 + 5]);
    expect(dateBounds({ at: d }, 'at')).to.deep.equal([T0, T0]);
    expect(dateBounds({ at: { $gte: 5 } }, 'at')).to.equal(undefined);
    expect(dateBounds({ at: { $ne: d } }, 'at')).to.equal(undefined);
    expect(dateBounds({ $and: [{ at: { $gte: d } }] }, 'at')).to.equal(undefined);
    expect(dateBounds({ at: [d] }, 'at')).to.equal(undefined);
  });
});
