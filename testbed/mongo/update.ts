// Applying one update statement (operator document, replacement or pipeline)
// to a collection, including upserts and `$setOnInsert`.
import { EJSON, ObjectId, type Document } from 'bson';
import { aggregate, update as applyOperators } from './mingo.ts';
import { Codes, ServerError, badValue, fromMingo } from './errors.ts';
import { clone, equalityFields, select } from './query.ts';
import { getPath, setPath } from './paths.ts';
import { applySimple, checkConflicts } from './operators.ts';
import { applySimplePipeline } from './pipeline-set.ts';
import { UNSURE, sameValue } from './fastpath.ts';
import type { Collection } from './store.ts';
import { pipelineUpdateEvent } from './docdiff.ts';
import type { Variables } from './variables.ts';

export interface UpdateStatement {
  q: Document;
  u: Document | Document[];
  upsert?: boolean;
  multi?: boolean;
  arrayFilters?: Document[];
}

export interface UpdateResult {
  n: number;
  nModified: number;
  upsertedId?: unknown;
  /** The document before and after, for findAndModify. */
  before?: Document;
  after?: Document;
}

type Kind = 'operators' | 'replacement' | 'pipeline';

function kindOf(u: Document | Document[]): Kind {
  if (Array.isArray(u)) return 'pipeline';
  const keys = Object.keys(u);
  if (keys.length && keys.every((k) => k.startsWith('$'))) return 'operators';
  if (keys.some((k) => k.startsWith('$'))) throw badValue('The dollar ($) prefixed field in an update must be an update operator');
  return 'replacement';
}

const same = (a: unknown, b: unknown) => {
  const sure = sameValue(a, b);
  return sure !== UNSURE ? sure : EJSON.stringify(a as Document, { relaxed: false }) === EJSON.stringify(b as Document, { relaxed: false });
};

/** Applies the update to a copy of `doc`; returns the new document and the changed paths. */
function transform(doc: Document, statement: UpdateStatement, inserting: boolean, variables?: Variables): { after: Document; paths: string[] } {
  const kind = kindOf(statement.u);
  if (kind === 'replacement') {
    const after = { _id: doc._id, ...clone(statement.u as Document) };
    if (!inserting && (statement.u as Document)._id !== undefined && !same((statement.u as Document)._id, doc._id)) {
      throw new ServerError(Codes.ImmutableField, "After applying the update, the (immutable) field '_id' was found to have been altered");
    }
    return { after, paths: [] };
  }
  if (kind === 'pipeline') {
    const simple = applySimplePipeline(doc, statement.u as Document[]);
    if (simple) return { after: { ...simple, _id: doc._id }, paths: [] };
    let after: Document;
    try {
      [after] = aggregate([clone(doc)], statement.u as Document[], variables ? { variables } : {}) as Document[];
    } catch (err) {
      throw fromMingo(err);
    }
    return { after: { ...after, _id: doc._id }, paths: [] };
  }
  checkConflicts(statement.u as Document);
  const { $setOnInsert, ...operators } = statement.u as Document;
  const modifier = inserting && $setOnInsert ? { ...operators, $set: { ...(operators.$set ?? {}), ...$setOnInsert } } : operators;
  let after = clone(doc);
  let paths = statement.arrayFilters ? undefined : applySimple(after, modifier);
  if (paths === undefined) {
    after = clone(doc);
    try {
      const options = { cloneMode: 'deep' as const, ...(variables ? { queryOptions: { variables } } : {}) };
      paths = Object.keys(modifier).length ? applyOperators(after, modifier, statement.arrayFilters, statement.q, options) : [];
    } catch (err) {
      throw fromMingo(err);
    }
  }
  if (!same(after._id, doc._id)) {
    throw new ServerError(Codes.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return { after, paths };
}

function describe(before: Document, after: Document, paths: string[], kind: Kind): Document {
  if (kind === 'replacement') return { operationType: 'replace', fullDocument: after };
  if (kind === 'pipeline') return pipelineUpdateEvent(before, after);
  const updatedFields: Document = {};
  const removedFields: string[] = [];
  const fields = paths.length ? paths : [...new Set([...Object.keys(before), ...Object.keys(after)])];
  for (const changed of fields) {
    // A path whose parent did not exist before is reported at its first new ancestor, as MongoDB does.
    const parts = changed.split('.');
    let depth = 1;
    while (depth < parts.length && getPath(before, parts.slice(0, depth).join('.')) !== undefined) depth += 1;
    const path = parts.slice(0, depth).join('.');
    const value = getPath(after, path);
    if (value === undefined) removedFields.push(path);
    else if (!same(value, getPath(before, path))) updatedFields[path] = value;
  }
  return { operationType: 'update', updateDescription: { updatedFields, removedFields, truncatedArrays: [] } };
}

/**
 * Runs one update statement against `coll` (which the caller created if
 * needed); `variables` are the command's `let` values.
 */
export function runUpdate(coll: Collection, statement: UpdateStatement, limitToOne = !statement.multi, variables?: Variables): UpdateResult {
  const kind = kindOf(statement.u);
  if (statement.multi && kind === 'replacement') throw badValue('multi update is not supported for replacement-style update');
  const matches = select(coll, statement.q, limitToOne ? 1 : 0, variables);
  if (matches.length === 0) {
    if (!statement.upsert) return { n: 0, nModified: 0 };
    const base: Document = {};
    for (const [path, value] of equalityFields(statement.q)) {
      // A replacement upsert takes only `_id` from the filter.
      if (kind === 'replacement' && path !== '_id') continue;
      setPath(base, path, clone(value));
    }
    const { after } = transform(base, statement, true, variables);
    if (after._id === undefined) after._id = new ObjectId();
    const doc = { _id: after._id, ...after };
    coll.insert(doc);
    return { n: 1, nModified: 0, upsertedId: doc._id, after: doc };
  }
  let nModified = 0;
  let first: UpdateResult | undefined;
  for (const before of matches) {
    const { after, paths } = transform(before, statement, false, variables);
    const changed = !same(before, after);
    if (changed) {
      coll.replace(before, after, describe(before, after, paths, kind));
      nModified += 1;
    }
    first ??= { n: 0, nModified: 0, before, after: changed ? after : before };
  }
  return { ...first, n: matches.length, nModified };
}
