// A pipeline update made of one `$set` stage whose values are literals, field
// references, `$$NOW`, or `$cond` over `$eq`: evaluated directly (the guarded
// slot upsert is such an update). Anything else returns undefined for mingo.
import type { Document } from 'bson';
import { getPath, setPath } from './paths.ts';
import { compareValues } from './order.ts';
import { clone } from './query.ts';

const NOT_SIMPLE = Symbol('not simple');

function evaluate(expr: unknown, doc: Document, now: Date): unknown {
  if (typeof expr === 'string') {
    if (expr === '$$NOW') return now;
    if (expr.startsWith('$$')) return NOT_SIMPLE;
    if (expr.startsWith('$')) return getPath(doc, expr.slice(1));
    return expr;
  }
  if (expr === null || typeof expr !== 'object' || Array.isArray(expr) || expr instanceof Date) {
    return Array.isArray(expr) ? NOT_SIMPLE : expr;
  }
  const keys = Object.keys(expr);
  if (keys.length === 1 && keys[0] === '$literal') return (expr as Document).$literal;
  if (keys.length === 1 && keys[0] === '$cond' && Array.isArray((expr as Document).$cond)) {
    const [test, then, otherwise] = (expr as Document).$cond as unknown[];
    const condition = evaluate(test, doc, now);
    if (condition === NOT_SIMPLE) return NOT_SIMPLE;
    return evaluate(condition ? then : otherwise, doc, now);
  }
  if (keys.length === 1 && keys[0] === '$eq' && Array.isArray((expr as Document).$eq) && (expr as Document).$eq.length === 2) {
    const [a, b] = ((expr as Document).$eq as unknown[]).map((e) => evaluate(e, doc, now));
    if (a === NOT_SIMPLE || b === NOT_SIMPLE) return NOT_SIMPLE;
    // Aggregation compares a missing field as null.
    return compareValues(a ?? null, b ?? null) === 0;
  }
  if (keys.some((k) => k.startsWith('$'))) return NOT_SIMPLE;
  return expr; // an embedded document of literals
}

/** The document after `pipeline` (a new one; `doc` is left as it is), or undefined when the pipeline needs mingo. */
export function applySimplePipeline(doc: Document, pipeline: Document[], now = new Date()): Document | undefined {
  if (pipeline.length !== 1) return undefined;
  const stage = pipeline[0];
  const keys = Object.keys(stage);
  if (keys.length !== 1 || (keys[0] !== '$set' && keys[0] !== '$addFields')) return undefined;
  const fields = stage[keys[0]] as Document;
  const values: Array<[string, unknown]> = [];
  for (const [path, expr] of Object.entries(fields)) {
    if (path.startsWith('$')) return undefined;
    const value = evaluate(expr, doc, now);
    if (value === NOT_SIMPLE) return undefined;
    values.push([path, value]);
  }
  // Every expression sees the document as it was before the stage. `doc` is
  // never changed: top-level fields go into a shallow copy, dotted paths into
  // a deep one (stored documents are never changed in place, so the copy may
  // share the values it does not set).
  const out: Document = values.some(([path]) => path.includes('.')) ? clone(doc) : { ...doc };
  for (const [path, value] of values) {
    if (value === undefined) continue;
    if (path.includes('.')) setPath(out, path, value);
    else out[path] = value;
  }
  return out;
}
