// The stand-in's fast paths give the same answers as the general ones (mingo,
// EJSON) wherever they answer at all.
import { expect } from 'chai';
import { EJSON, Long, ObjectId, type Document } from 'bson';
import { Query } from '../../testbed/mongo/mingo.ts';
import { UNSURE, sameValue, simpleFilter } from '../../testbed/mongo/fastpath.ts';
import { compile } from '../../testbed/mongo/query.ts';
import { applySimplePipeline } from '../../testbed/mongo/pipeline-set.ts';
// A seeded generator, so a failure can be replayed.
import { mulberry32 as rng } from '../../devices/random.ts';


const D1 = new Date('2026-11-22T10:00:00.000Z');
const D2 = new Date('2026-11-22T11:00:00.000Z');
const OID = new ObjectId('6540a1b2c3d4e5f601234567');
/** Stored values, including what the fast path must leave to mingo (arrays, documents, BSON types). */
const VALUES: unknown[] = [undefined, null, 0, 1, 2, 2.5, -1, 'a', 'b', 'free', '', true, false, D1, D2, [1, 2], ['a'], [], { x: 1 }, OID, Long.fromNumber(2)];
/** Operands a filter compares with. */
const OPERANDS: unknown[] = [null, 0, 1, 2, 2.5, 'a', 'b', true, D1, D2];
const FIELDS = ['ts', 'seq', 'status', 'slot.lot'];
/** What `slot` holds: embedded documents the fast path walks through, and what it leaves to mingo. */
const SLOTS: Array<() => unknown> = [() => undefined, () => ({ lot: pick(VALUES) }), () => ({ lot: pick(VALUES), level: 'B1' }), () => ({}), () => pick(VALUES), () => [{ lot: 'a' }]];
let pickRandom: () => number = Math.random;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(pickRandom() * xs.length)];

function randomFilter(random: () => number, depth = 0): Document {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const out: Document = {};
  const n = 1 + Math.floor(random() * 2);
  for (let i = 0; i < n; i += 1) {
    const r = random();
    if (r < 0.2 && depth < 2) {
      out[pick(['$or', '$and'])] = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomFilter(random, depth + 1));
    } else if (r < 0.5) {
      out[pick(FIELDS)] = pick(OPERANDS);
    } else {
      const op = pick(['$lt', '$lte', '$gt', '$gte', '$eq', '$ne']);
      out[pick(FIELDS)] = { [op]: pick(OPERANDS) };
    }
  }
  return out;
}

describe('mongo stand-in: fast paths agree with the general path', function () {
  it('a simple filter matches exactly what mingo matches, or leaves the document to mingo', function () {
    const random = rng(7);
    let sure = 0;
    for (let f = 0; f < 600; f += 1) {
      const filter = randomFilter(random);
      const fast = simpleFilter(filter);
      const general = new Query(filter);
      for (let d = 0; d < 30; d += 1) {
        const doc: Document = { _id: d };
        for (const field of FIELDS) {
          if (field.includes('.')) continue;
          const v = VALUES[Math.floor(random() * VALUES.length)];
          if (v !== undefined) doc[field] = v;
        }
        pickRandom = random;
        const slot = pick(SLOTS)();
        if (slot !== undefined) doc.slot = slot;
        const expected = general.test(doc);
        const verdict = fast ? fast(doc) : UNSURE;
        if (verdict !== UNSURE) {
          sure += 1;
          expect(verdict, `${EJSON.stringify(filter)} on ${EJSON.stringify(doc)}`).to.equal(expected);
        }
        expect(compile(filter).test(doc), `compile: ${EJSON.stringify(filter)} on ${EJSON.stringify(doc)}`).to.equal(expected);
      }
    }
    expect(sure, 'the fast path answers most of these').to.be.greaterThan(6000);
  });

  it('answers ingest\'s guarded upsert filter itself', function () {
    const filter = { _id: 'l/B1/s1', $or: [{ ts: { $lt: 100 } }, { ts: 100, seq: { $lt: 5 } }, { ts: 100, seq: null }] };
    const test = simpleFilter(filter)!;
    expect(test({ _id: 'l/B1/s1', ts: 99, seq: 9 })).to.equal(true);
    expect(test({ _id: 'l/B1/s1', ts: 100, seq: 4 })).to.equal(true);
    expect(test({ _id: 'l/B1/s1', ts: 100 })).to.equal(true);
    expect(test({ _id: 'l/B1/s1', ts: 100, seq: 5 })).to.equal(false);
    expect(test({ _id: 'l/B1/s1', ts: 101, seq: 1 })).to.equal(false);
    expect(test({ _id: 'other', ts: 1 })).to.equal(false);
    const dotted = simpleFilter({ 'slot.lot': 'a' })!;
    expect(dotted({ slot: { lot: 'a' } }), 'a dotted path through embedded documents').to.equal(true);
    expect(dotted({ slot: { lot: 'b' } })).to.equal(false);
    expect(dotted({}), 'missing').to.equal(false);
    expect(dotted({ slot: [{ lot: 'a' }] }), 'through an array: mingo decides').to.equal(UNSURE);
    expect(simpleFilter({ tags: { $in: ['a'] } }), 'other operators go to mingo').to.equal(undefined);
  });

  it('document equality agrees with comparing canonical Extended JSON, field order included', function () {
    const random = rng(11);
    const pool: unknown[] = [null, 0, -0, 1, 1.5, NaN, 'a', 'b', true, false, D1, new Date(D1), D2, OID, Long.fromNumber(1), undefined];
    const value = (depth: number): unknown => {
      const r = random();
      if (depth < 2 && r < 0.2) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
      if (depth < 2 && r < 0.4) {
        const doc: Document = {};
        for (const k of ['a', 'b', 'c']) if (random() < 0.6) doc[k] = value(depth + 1);
        return random() < 0.3 ? Object.fromEntries(Object.entries(doc).reverse()) : doc;
      }
      return pool[Math.floor(random() * pool.length)];
    };
    const canonical = (v: unknown) => EJSON.stringify(v as Document, { relaxed: false });
    let sure = 0;
    for (let i = 0; i < 5000; i += 1) {
      const a = value(0);
      const b = random() < 0.4 ? structuredClone(a) : value(0);
      const verdict = sameValue(a, b);
      if (verdict === UNSURE) continue;
      sure += 1;
      expect(verdict, `${canonical(a)} vs ${canonical(b)}`).to.equal(canonical(a) === canonical(b));
    }
    expect(sure).to.be.greaterThan(2500);
    expect(sameValue({ a: 1, b: 2 }, { b: 2, a: 1 }), 'field order counts').to.equal(false);
  });

  it('a simple $set pipeline returns a new document and leaves the stored one as it was, dotted paths included', function () {
    const now = new Date('2026-11-22T10:00:00.000Z');
    const stored = { _id: 'a', status: 'free', since: D1, meta: { n: 1, keep: true } };
    const before = structuredClone(stored);
    const top = applySimplePipeline(stored, [{ $set: { status: 'occupied', since: { $cond: [{ $eq: ['$status', 'occupied'] }, '$since', now] }, updatedAt: '$$NOW' } }], now)!;
    expect(top).to.deep.equal({ _id: 'a', status: 'occupied', since: now, meta: { n: 1, keep: true }, updatedAt: now });
    const dotted = applySimplePipeline(stored, [{ $set: { 'meta.n': 2 } }], now)!;
    expect(dotted.meta).to.deep.equal({ n: 2, keep: true });
    expect(stored, 'the stored document is unchanged').to.deep.equal(before);
  });
});
