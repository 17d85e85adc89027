// Fast paths for what the stand-in does most: filters of plain comparisons
// (ingest's guarded upsert: `_id`, `$or` of `$lt` and equalities) tested
// without building a mingo query, and document equality without serialising
// both sides. Each answers only what it is sure of; anything else (arrays,
// embedded documents, BSON types other than dates) goes to the general path.
import type { Document } from 'bson';

/** "Not sure": the general path decides. */
export const UNSURE = Symbol('unsure');

type Verdict = boolean | typeof UNSURE;
type Test = (doc: Document) => Verdict;

type Scalar = string | number | boolean | null | Date;

const RANGE = new Set(['$lt', '$lte', '$gt', '$gte']);

const isPlainObject = (v: unknown): v is Document => !!v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** Strings MongoDB and JavaScript order alike (no UTF-16 surrogates). */
const plainString = (s: string) => !/[\uD800-\uDFFF]/.test(s);

function isScalar(v: unknown): v is Scalar {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return !Number.isNaN(v);
  return v instanceof Date && !Number.isNaN(v.getTime());
}

/** A stored value the fast path can judge: a scalar, or missing. */
function judgeable(v: unknown): boolean {
  if (v === undefined || v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return !Number.isNaN(v);
  return v instanceof Date;
}

function equals(v: unknown, x: Scalar): boolean {
  if (x === null) return v === null || v === undefined;
  if (x instanceof Date) return v instanceof Date && v.getTime() === x.getTime();
  return v === x;
}

/** -1, 0, 1 within one type bracket; undefined when the types differ (no range operator matches then). */
function order(v: unknown, x: Scalar): number | undefined {
  if (typeof x === 'number') return typeof v === 'number' ? Math.sign(v - x) : undefined;
  if (typeof x === 'string') return typeof v === 'string' ? (v === x ? 0 : v < x ? -1 : 1) : undefined;
  if (x instanceof Date) return v instanceof Date ? Math.sign(v.getTime() - x.getTime()) : undefined;
  return undefined;
}

/** The value at a dotted path through embedded documents only (missing past a missing one); UNSURE through anything else (an array, null, a scalar). */
function walk(doc: Document, parts: readonly string[]): unknown {
  let v: unknown = doc;
  for (const part of parts) {
    if (v === undefined) return undefined;
    if (!isPlainObject(v)) return UNSURE;
    v = v[part];
  }
  return v;
}

function fieldTest(field: string, spec: unknown): Test | undefined {
  if (field.startsWith('$')) return undefined;
  const parts = field.includes('.') ? field.split('.') : undefined;
  if (parts?.some((part) => part === '' || part.startsWith('$'))) return undefined;
  const guard = (test: (v: unknown) => boolean): Test => (doc) => {
    const v = parts ? walk(doc, parts) : doc[field];
    if (v === UNSURE || !judgeable(v)) return UNSURE;
    if (typeof v === 'string' && !plainString(v)) return UNSURE;
    return test(v);
  };
  if (isScalar(spec)) return guard((v) => equals(v, spec));
  if (!isPlainObject(spec)) return undefined;
  const tests: Array<(v: unknown) => boolean> = [];
  for (const [op, x] of Object.entries(spec)) {
    if (!isScalar(x)) return undefined;
    if (op === '$eq') tests.push((v) => equals(v, x));
    else if (op === '$ne') tests.push((v) => !equals(v, x));
    else if (RANGE.has(op)) {
      if (x === null || typeof x === 'boolean' || (typeof x === 'string' && !plainString(x))) return undefined;
      const ok = op === '$lt' ? (c: number) => c < 0 : op === '$lte' ? (c: number) => c <= 0 : op === '$gt' ? (c: number) => c > 0 : (c: number) => c >= 0;
      tests.push((v) => {
        const c = order(v, x);
        return c !== undefined && ok(c);
      });
    } else return undefined;
  }
  if (!tests.length) return undefined;
  return guard((v) => tests.every((t) => t(v)));
}

function all(tests: Test[]): Test {
  return (doc) => {
    let unsure = false;
    for (const t of tests) {
      const r = t(doc);
      if (r === false) return false;
      if (r === UNSURE) unsure = true;
    }
    return unsure ? UNSURE : true;
  };
}

function any(tests: Test[]): Test {
  return (doc) => {
    let unsure = false;
    for (const t of tests) {
      const r = t(doc);
      if (r === true) return true;
      if (r === UNSURE) unsure = true;
    }
    return unsure ? UNSURE : false;
  };
}

function compileFilter(filter: Document): Test | undefined {
  const tests: Test[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$or' || key === '$and') {
      if (!Array.isArray(value) || value.length === 0) return undefined;
      const parts: Test[] = [];
      for (const part of value) {
        if (!isPlainObject(part)) return undefined;
        const t = compileFilter(part);
        if (!t) return undefined;
        parts.push(t);
      }
      tests.push(key === '$or' ? any(parts) : all(parts));
      continue;
    }
    const t = fieldTest(key, value);
    if (!t) return undefined;
    tests.push(t);
  }
  return all(tests);
}

/**
 * A test for a filter made of equalities and comparisons of top-level fields
 * with numbers, strings, booleans, null and dates, under `$and`/`$or`; it
 * answers UNSURE for a document whose field holds anything else. Undefined
 * for any other filter.
 */
export function simpleFilter(filter: Document | undefined): ((doc: Document) => Verdict) | undefined {
  if (!filter || !isPlainObject(filter)) return undefined;
  return compileFilter(filter);
}

type Kind = 'number' | 'string' | 'boolean' | 'null' | 'date' | 'array' | 'document' | 'other';

function kindOf(v: unknown): Kind {
  if (v === null) return 'null';
  const t = typeof v;
  if (t === 'number' || t === 'string' || t === 'boolean') return t;
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  return isPlainObject(v) ? 'document' : 'other';
}

/**
 * Whether two values are the same BSON value, field order included: sure for
 * plain documents, arrays, dates and JavaScript primitives; UNSURE when other
 * BSON types (or undefined) are involved.
 */
export function sameValue(a: unknown, b: unknown): Verdict {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'other' || kb === 'other') return UNSURE;
  if (ka !== kb) return false;
  switch (ka) {
    case 'number':
      return Object.is(a, b);
    case 'date':
      return Object.is((a as Date).getTime(), (b as Date).getTime());
    case 'array': {
      const xa = a as unknown[];
      const xb = b as unknown[];
      if (xa.length !== xb.length) return false;
      return every(xa.length, (i) => sameValue(xa[i], xb[i]));
    }
    case 'document': {
      const da = a as Document;
      const db = b as Document;
      const keysA = Object.keys(da);
      const keysB = Object.keys(db);
      if (keysA.length !== keysB.length) return false;
      for (let i = 0; i < keysA.length; i += 1) if (keysA[i] !== keysB[i]) return false;
      return every(keysA.length, (i) => sameValue(da[keysA[i]], db[keysA[i]]));
    }
    default:
      return a === b;
  }
}

function every(n: number, test: (i: number) => Verdict): Verdict {
  let unsure = false;
  for (let i = 0; i < n; i += 1) {
    const r = test(i);
    if (r === false) return false;
    if (r === UNSURE) unsure = true;
  }
  return unsure ? UNSURE : true;
}
