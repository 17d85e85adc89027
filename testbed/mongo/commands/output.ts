// The output stages of an aggregation, as MongoDB 7.0 runs them: $out
// replaces a collection (keeping its options and indexes), $merge merges
// into one of the same database (whenMatched replace/keepExisting/merge/
// fail, whenNotMatched insert/discard/fail, `on` _id or fields backed by a
// unique index). What the stand-in does not implement it refuses (238).
import { ObjectId, type Document } from 'bson';
import type { Context } from '../context.ts';
import { Codes, DuplicateKeyError, ServerError, badValue, notSupported } from '../errors.ts';
import { getPath } from '../paths.ts';
import { Store, type Collection } from '../store.ts';
import { runUpdate, type UpdateStatement } from '../update.ts';
import { collectionName } from './names.ts';

interface Target {
  db: string;
  coll: string;
}

function outTarget(ctx: Context, spec: unknown): Target {
  if (typeof spec === 'string') return { db: ctx.db, coll: collectionName(spec) };
  const s = (spec ?? {}) as Document;
  if (s.timeseries !== undefined) throw notSupported('$out with timeseries options');
  return { db: typeof s.db === 'string' ? s.db : ctx.db, coll: collectionName(s.coll) };
}

/**
 * $out: the target collection's documents become `docs`; its options and
 * indexes stay. When a document violates an index the target is left as it was.
 */
export function writeOut(ctx: Context, docs: Document[], spec: unknown): void {
  const { db, coll } = outTarget(ctx, spec);
  const old = ctx.store.collection(db, coll);
  const options = old?.options ?? {};
  const indexes = old?.indexes.filter((i) => i.name !== '_id_') ?? [];
  const fill = (target: Collection) => {
    for (const index of indexes) target.addIndex(index);
    for (const doc of docs) target.insert(doc);
  };
  // Checked on a scratch copy first: MongoDB replaces the collection only once every document fits.
  fill(new Store().ensureCollection(db, coll, options));
  ctx.store.dropCollection(db, coll);
  fill(ctx.store.ensureCollection(db, coll, options));
}

type WhenMatched = 'replace' | 'keepExisting' | 'merge' | 'fail';
type WhenNotMatched = 'insert' | 'discard' | 'fail';

interface MergeSpec {
  target: Target;
  on: string[];
  whenMatched: WhenMatched;
  whenNotMatched: WhenNotMatched;
}

const MERGE_FIELDS = new Set(['into', 'on', 'let', 'whenMatched', 'whenNotMatched', 'targetCollectionVersion']);
const WHEN_MATCHED = new Set(['replace', 'keepExisting', 'merge', 'fail']);
const WHEN_NOT_MATCHED = new Set(['insert', 'discard', 'fail']);
/** The combinations MongoDB 7.0 offers (besides a pipeline whenMatched). */
const MODES = new Set(['replace/insert', 'replace/discard', 'replace/fail', 'merge/insert', 'merge/discard', 'merge/fail', 'keepExisting/insert', 'fail/insert']);

function mergeTarget(ctx: Context, into: unknown): Target {
  if (typeof into === 'string') return { db: ctx.db, coll: collectionName(into) };
  if (!into || typeof into !== 'object') throw new ServerError(Codes.TypeMismatch, "BSON field '$merge.into' is missing or has the wrong type");
  const { db, coll } = into as Document;
  if (db !== undefined && db !== ctx.db) throw notSupported(`$merge into another database ('${String(db)}')`);
  return { db: ctx.db, coll: collectionName(coll) };
}

function mergeOn(on: unknown): string[] {
  if (on === undefined) return ['_id'];
  const fields = typeof on === 'string' ? [on] : on;
  if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== 'string')) {
    throw new ServerError(Codes.TypeMismatch, "BSON field '$merge.on' must be a string or a non-empty array of strings");
  }
  const seen = new Set<string>();
  for (const field of fields as string[]) {
    if (seen.has(field)) throw new ServerError(Codes.Location31465, `Found a duplicate field '${field}'`);
    seen.add(field);
  }
  return fields as string[];
}

function parseMerge(ctx: Context, raw: unknown): MergeSpec {
  if (typeof raw === 'string') return { target: mergeTarget(ctx, raw), on: ['_id'], whenMatched: 'merge', whenNotMatched: 'insert' };
  if (!raw || typeof raw !== 'object') throw new ServerError(Codes.TypeMismatch, '$merge requires a string or object argument');
  const spec = raw as Document;
  for (const field of Object.keys(spec)) {
    if (!MERGE_FIELDS.has(field)) throw new ServerError(Codes.Location40415, `BSON field '$merge.${field}' is an unknown field.`);
  }
  if (spec.targetCollectionVersion !== undefined) throw notSupported("$merge's 'targetCollectionVersion' (sharding)");
  if (Array.isArray(spec.whenMatched)) throw notSupported('$merge with a pipeline whenMatched');
  const whenMatched = spec.whenMatched ?? 'merge';
  const whenNotMatched = spec.whenNotMatched ?? 'insert';
  if (!WHEN_MATCHED.has(whenMatched)) throw badValue(`Enumeration value '${String(whenMatched)}' for field '$merge.whenMatched' is not a valid value.`);
  if (!WHEN_NOT_MATCHED.has(whenNotMatched)) throw badValue(`Enumeration value '${String(whenNotMatched)}' for field '$merge.whenNotMatched' is not a valid value.`);
  if (!MODES.has(`${whenMatched}/${whenNotMatched}`)) {
    throw new ServerError(Codes.Location51181, `Combination of $merge modes 'whenMatched: ${whenMatched}' and 'whenNotMatched: ${whenNotMatched}' is not supported`);
  }
  if (spec.let !== undefined) throw new ServerError(Codes.Location51199, `Cannot use 'let' variables with 'whenMatched: ${whenMatched}' mode`);
  return { target: mergeTarget(ctx, spec.into), on: mergeOn(spec.on), whenMatched, whenNotMatched };
}

/** `on` fields other than `_id` need a unique, non-partial index on exactly those fields. */
function checkOnIndex(coll: Collection | undefined, on: string[]): void {
  if (on.length === 1 && on[0] === '_id') return;
  const wanted = [...on].sort().join('\0');
  const backed = coll?.indexes.some((i) => (i.unique || i.name === '_id_') && !i.partialFilterExpression && Object.keys(i.key).sort().join('\0') === wanted);
  if (!backed) throw new ServerError(Codes.Location51183, "Cannot find index to verify that 'on' fields will be unique");
}

/** The filter selecting the target document of `doc`: its `on` fields. */
function onFilter(doc: Document, on: string[]): Document {
  const filter: Document = {};
  for (const field of on) {
    const value = getPath(doc, field);
    if (Array.isArray(value)) throw new ServerError(Codes.Location51185, `$merge write error: 'on' field '${field}' is an array`);
    if (value === undefined || value === null) {
      throw new ServerError(Codes.Location51132, `$merge write error: 'on' field '${field}' cannot be missing, null, undefined or an array`);
    }
    filter[field] = value;
  }
  return filter;
}

/** MongoDB's context on the errors of the writes $merge makes. */
function mergeError(err: unknown, spec: MergeSpec): unknown {
  if (err instanceof DuplicateKeyError) {
    const pattern = Object.keys((err.extra.keyPattern ?? {}) as Document);
    const onFields = pattern.length === spec.on.length && spec.on.every((f) => pattern.includes(f));
    const context = spec.whenMatched === 'fail' && onFields
      ? "$merge with whenMatched: fail found an existing document with the same values for the 'on' fields"
      : '$merge failed due to a DuplicateKey error';
    return new ServerError(err.code, `${context} :: caused by :: ${err.message}`, err.extra);
  }
  if (err instanceof ServerError && err.code === Codes.ImmutableField) {
    return new ServerError(err.code, `$merge failed to update the matching document, did you attempt to modify the _id or the shard key? :: caused by :: ${err.message}`);
  }
  return err;
}

function statementFor(doc: Document, spec: MergeSpec): UpdateStatement {
  const q = onFilter(doc, spec.on);
  const upsert = spec.whenNotMatched === 'insert';
  if (spec.whenMatched === 'replace') return { q, u: doc, upsert };
  if (spec.whenMatched === 'merge') return { q, u: { $set: doc }, upsert };
  return { q, u: { $setOnInsert: doc }, upsert };
}

/** $merge: writes `docs` into the target collection as `spec` says. */
export function writeMerge(ctx: Context, docs: Document[], raw: unknown): void {
  const spec = parseMerge(ctx, raw);
  checkOnIndex(ctx.store.collection(spec.target.db, spec.target.coll), spec.on);
  const coll = ctx.store.ensureCollection(spec.target.db, spec.target.coll);
  let unmatched = false;
  for (const source of docs) {
    // An `_id` is generated when `on` includes it and the document has none.
    const doc = spec.on.includes('_id') && source._id === undefined ? { ...source, _id: new ObjectId() } : source;
    try {
      if (spec.whenMatched === 'fail') {
        onFilter(doc, spec.on);
        coll.insert(doc);
        continue;
      }
      const result = runUpdate(coll, statementFor(doc, spec), true);
      if (result.n === 0) unmatched = true;
    } catch (err) {
      throw mergeError(err, spec);
    }
  }
  if (unmatched && spec.whenNotMatched === 'fail') {
    throw new ServerError(Codes.MergeStageNoMatchingDocument, '$merge could not find a matching document in the target collection for at least one document in the source collection');
  }
}
