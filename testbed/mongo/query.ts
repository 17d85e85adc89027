// Selecting documents: the `_id` equality fast path, then mingo for the rest
// of MongoDB's query language.
import { EJSON, type Document } from 'bson';
import { getPath } from './paths.ts';
import { Query } from './mingo.ts';
import type { Collection } from './store.ts';
import { fromMingo } from './errors.ts';
import type { Variables } from './variables.ts';
import { UNSURE, simpleFilter } from './fastpath.ts';

function isOperatorObject(value: unknown): boolean {
  return !!value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some((k) => k.startsWith('$'));
}

export interface Matcher {
  test(doc: Document): boolean;
}

const isPlainObject = (v: unknown): v is Document =>
  !!v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && !Object.keys(v).some((k) => k.startsWith('$'));

const strictEqual = (a: unknown, b: unknown) => EJSON.stringify({ v: a } as Document, { relaxed: false }) === EJSON.stringify({ v: b } as Document, { relaxed: false });

/** A matcher for `filter`; `variables` are a command's `let` values for `$expr`. */
export function compile(filter: Document | undefined, variables?: Variables): Matcher {
  if (variables) return compileGeneral(filter, variables);
  const simple = simpleFilter(filter);
  if (simple) {
    // Built only for a document the fast path is unsure of.
    let general: Matcher | undefined;
    return {
      test(doc) {
        const verdict = simple(doc);
        if (verdict !== UNSURE) return verdict;
        general ??= compileGeneral(filter);
        return general.test(doc);
      },
    };
  }
  return compileGeneral(filter);
}

function compileGeneral(filter: Document | undefined, variables?: Variables): Matcher {
  let mingo: Query;
  try {
    mingo = new Query(filter ?? {}, variables ? { variables } : {});
  } catch (err) {
    throw fromMingo(err);
  }
  // mingo reports some errors (an undefined variable) only while testing a document.
  const query: Matcher = {
    test(doc) {
      try {
        return mingo.test(doc);
      } catch (err) {
        throw fromMingo(err);
      }
    },
  };
  // mingo compares embedded documents ignoring field order; MongoDB compares them field by field, in order.
  const exact = Object.entries(filter ?? {}).filter(([key, value]) => !key.startsWith('$') && isPlainObject(value));
  if (exact.length === 0) return query;
  return {
    test: (doc) =>
      query.test(doc) &&
      exact.every(([path, value]) => {
        const actual = getPath(doc, path);
        return strictEqual(actual, value) || (Array.isArray(actual) && actual.some((item) => strictEqual(item, value)));
      }),
  };
}

/** Documents of `coll` matching `filter`, in natural order. */
export function select(coll: Collection | undefined, filter: Document | undefined, limit = 0, variables?: Variables): Document[] {
  if (!coll) return [];
  const query = compile(filter, variables);
  if (filter && '_id' in filter && !isOperatorObject(filter._id)) {
    const doc = coll.get(filter._id);
    return doc && query.test(doc) ? [doc] : [];
  }
  const out: Document[] = [];
  // A Date range on an indexed path reads only the documents in range (ranges.ts), in the same order.
  for (const doc of coll.rangeCandidates(filter) ?? coll.docs.values()) {
    if (query.test(doc)) {
      out.push(doc);
      if (limit && out.length >= limit) break;
    }
  }
  return out;
}

/** The equality fields of a filter, as an upsert's new document starts from them. */
export function equalityFields(filter: Document | undefined): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(filter ?? {})) {
    if (key === '$and' && Array.isArray(value)) {
      for (const part of value) out.push(...equalityFields(part));
    } else if (!key.startsWith('$')) {
      if (!isOperatorObject(value)) out.push([key, value]);
      else if (value && typeof value === 'object' && '$eq' in value) out.push([key, (value as Document).$eq]);
    }
  }
  return out;
}

/** A deep copy that keeps BSON values (ObjectId, Long, ...) as they are. */
export function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Document = {};
    for (const [k, v] of Object.entries(value)) out[k] = clone(v);
    return out as T;
  }
  return value;
}
