// Command-level `let` variables (find, aggregate, update, delete,
// findAndModify), as MongoDB 7.0 defines them: names a user may write,
// expressions evaluated once, in order, before any document is read; and the
// check that every `$$name` a command uses is defined (17276), which MongoDB
// makes while parsing, before it reads a document.
import type { Document } from 'bson';
import { aggregate } from './mingo.ts';
import { Codes, ServerError, fromMingo } from './errors.ts';

export type Variables = Record<string, unknown>;

/** Variables every expression may read. */
const BUILTIN = new Set(['NOW', 'CLUSTER_TIME', 'ROOT', 'CURRENT', 'REMOVE', 'DESCEND', 'PRUNE', 'KEEP', 'SEARCH_META', 'USER_ROLES']);

/** System variables only internal clients may set through `let`. */
const INTERNAL = new Set(['NOW', 'CLUSTER_TIME', 'JS_SCOPE', 'IS_MR', 'USER_ROLES']);

const isObject = (v: unknown): v is Document =>
  !!v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** A name users may define: a lowercase letter (or non-ASCII) first, then letters, digits and `_`. */
function checkName(name: string): void {
  if (INTERNAL.has(name)) throw new ServerError(Codes.Location4738901, `Attempt to set internal constant: ${name}`);
  const invalid = (reason: string) => new ServerError(Codes.FailedToParse, `Invalid 'let' parameter :: caused by :: ${reason}`);
  if (name === '') throw invalid('empty variable names are not allowed');
  if (!/^[a-z\u0080-\uffff]/.test(name)) throw invalid(`'${name}' starts with an invalid character for a user variable name`);
  const bad = /[^A-Za-z0-9_\u0080-\uffff]/.exec(name.slice(1));
  if (bad) throw invalid(`'${name}' contains an invalid character for a variable name: '${bad[0]}'`);
}

/** Whether an expression reads the document: a field path, `$$ROOT` or `$$CURRENT`. */
function readsDocument(expr: unknown): boolean {
  if (typeof expr === 'string') return /^\$(?!\$)/.test(expr) || /^\$\$(ROOT|CURRENT)(\.|$)/.test(expr);
  if (Array.isArray(expr)) return expr.some(readsDocument);
  if (isObject(expr)) return Object.entries(expr).some(([k, v]) => k !== '$literal' && readsDocument(v));
  return false;
}

/** A command's variables: their values for mingo and their names for the checks. */
export interface LetScope {
  readonly values?: Variables;
  readonly names: ReadonlySet<string>;
}

export const NO_LET: LetScope = { names: new Set() };

/** The scope of a command's `let` document. */
export function letScope(command: Document): LetScope {
  if (command.let === undefined) return NO_LET;
  const values = letVariables(command.let);
  return { values, names: new Set(Object.keys(values ?? {})) };
}

/** The values of a command's `let` document, or undefined when it has none. */
export function letVariables(spec: unknown): Variables | undefined {
  if (spec === undefined) return undefined;
  if (!isObject(spec)) throw new ServerError(Codes.TypeMismatch, "BSON field 'let' is the wrong type, expected type 'object'");
  const values: Variables = {};
  for (const [name, expr] of Object.entries(spec)) {
    checkName(name);
    if (readsDocument(expr)) {
      throw new ServerError(Codes.Location4890500, 'Command let Expression tried to access a field, but this is not allowed because Command let Expressions run before the query examines any documents.');
    }
    checkDefined(expr, new Set(Object.keys(values)));
    try {
      values[name] = (aggregate([{}], [{ $replaceWith: { v: expr } }], { variables: values })[0] as Document).v;
    } catch (err) {
      throw fromMingo(err);
    }
  }
  return values;
}

/** Names an expression binds for its parts ($let, $map, $filter, $reduce). */
function collectBound(expr: unknown, into: Set<string>): void {
  if (Array.isArray(expr)) {
    for (const item of expr) collectBound(item, into);
    return;
  }
  if (!isObject(expr)) return;
  for (const [key, value] of Object.entries(expr)) {
    if (key === '$literal') continue;
    if (key === '$let' && isObject(value) && isObject(value.vars)) for (const name of Object.keys(value.vars)) into.add(name);
    if ((key === '$map' || key === '$filter') && isObject(value)) into.add(typeof value.as === 'string' ? value.as : 'this');
    if (key === '$reduce') ['this', 'value'].forEach((n) => into.add(n));
    collectBound(value, into);
  }
}

function firstUndefined(expr: unknown, known: (name: string) => boolean): string | undefined {
  if (typeof expr === 'string') {
    if (!expr.startsWith('$$')) return undefined;
    const name = expr.slice(2).split('.')[0];
    return known(name) ? undefined : name;
  }
  const items = Array.isArray(expr) ? expr : isObject(expr) ? Object.entries(expr).filter(([k]) => k !== '$literal').map(([, v]) => v) : [];
  for (const item of items) {
    const found = firstUndefined(item, known);
    if (found !== undefined) return found;
  }
  return undefined;
}

const undefinedVariable = (name: string) => new ServerError(Codes.Location17276, `Use of undefined variable: ${name}`);

/** Fails with 17276 when an aggregation expression uses a `$$name` nothing defines. */
function checkDefined(expr: unknown, defined: ReadonlySet<string>): void {
  const bound = new Set(defined);
  collectBound(expr, bound);
  const name = firstUndefined(expr, (n) => BUILTIN.has(n) || bound.has(n));
  if (name !== undefined) throw undefinedVariable(name);
}

/** The same check for a query filter: only its `$expr` parts are expressions. */
export function checkFilterVariables(filter: unknown, defined: ReadonlySet<string>): void {
  if (!isObject(filter)) return;
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$expr') checkDefined(value, defined);
    else if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) value.forEach((part) => checkFilterVariables(part, defined));
  }
}

/** The same check for a pipeline: `$match` as a filter, sub-pipelines with their own `let`. */
export function checkPipelineVariables(pipeline: unknown, defined: ReadonlySet<string>): void {
  if (!Array.isArray(pipeline)) return;
  for (const stage of pipeline) {
    if (!isObject(stage)) continue;
    const [name, spec] = Object.entries(stage)[0] ?? [];
    if (name === '$match') checkFilterVariables(spec, defined);
    else if ((name === '$lookup' || name === '$unionWith') && isObject(spec)) {
      const inner = new Set([...defined, ...Object.keys(isObject(spec.let) ? spec.let : {})]);
      if (isObject(spec.let)) checkDefined(spec.let, defined);
      checkPipelineVariables(spec.pipeline, inner);
    } else if (name === '$facet' && isObject(spec)) {
      for (const sub of Object.values(spec)) checkPipelineVariables(sub, defined);
    } else if (name !== '$merge' && name !== '$out') checkDefined(spec, defined);
  }
}
