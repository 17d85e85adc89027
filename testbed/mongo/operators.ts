// The update operators that the platform uses on every write ($set, $unset,
// $inc, $mul, $max, $min, $currentDate) applied directly for plain field
// paths. Anything else (arrays on the path, positional operators, other
// operators) returns undefined and goes to mingo's full implementation.
import type { Document } from 'bson';
import { Codes, ServerError } from './errors.ts';

type Apply = (current: unknown, arg: unknown) => { value: unknown } | 'unset' | 'same' | undefined;

const comparable = (a: unknown, b: unknown): [number | string, number | string] | undefined => {
  if (typeof a === 'number' && typeof b === 'number') return [a, b];
  if (typeof a === 'string' && typeof b === 'string') return [a, b];
  if (a instanceof Date && b instanceof Date) return [a.getTime(), b.getTime()];
  return undefined;
};

function arithmetic(name: string, fn: (a: number, b: number) => number): Apply {
  return (c, arg) => {
    if (typeof arg !== 'number') {
      if (typeof arg === 'object' && arg !== null) return undefined; // Long, Decimal128: mingo
      throw new ServerError(Codes.TypeMismatch, `Cannot ${name} with non-numeric argument: {${JSON.stringify(arg)}}`);
    }
    if (c === undefined) return { value: fn(0, arg) };
    if (typeof c !== 'number') {
      if (typeof c === 'object' && c !== null && !Array.isArray(c) && !(c instanceof Date)) return undefined;
      throw new ServerError(Codes.TypeMismatch, `Cannot apply ${name} to a value of non-numeric type ${Array.isArray(c) ? 'array' : typeof c}`);
    }
    return { value: fn(c, arg) };
  };
}

const OPS: Record<string, Apply> = {
  $set: (_c, arg) => ({ value: arg }),
  $unset: () => 'unset',
  $inc: arithmetic('$inc', (a, b) => a + b),
  $mul: arithmetic('$mul', (a, b) => a * b),
  $max: (c, arg) => {
    if (c === undefined || c === null) return { value: arg };
    const pair = comparable(c, arg);
    if (!pair) return undefined;
    return pair[1] > pair[0] ? { value: arg } : 'same';
  },
  $min: (c, arg) => {
    if (c === undefined || c === null) return { value: arg };
    const pair = comparable(c, arg);
    if (!pair) return undefined;
    return pair[1] < pair[0] ? { value: arg } : 'same';
  },
  $currentDate: (_c, arg) => (arg === true || (arg as Document)?.$type === 'date' ? { value: new Date() } : undefined),
};

/** Parent object and last key of a plain dotted path, creating objects on the way; undefined for arrays. */
function parentOf(doc: Document, path: string, create: boolean): [Document, string] | undefined | null {
  const parts = path.split('.');
  let target: Document = doc;
  for (const part of parts.slice(0, -1)) {
    const next = target[part];
    if (next === undefined || next === null) {
      if (!create) return null;
      target[part] = {};
    } else if (typeof next !== 'object') {
      throw new ServerError(Codes.PathNotViable, `Cannot create field '${parts[parts.indexOf(part) + 1]}' in element {${part}: ${JSON.stringify(next)}}`);
    } else if (Array.isArray(next) || Object.getPrototypeOf(next) !== Object.prototype) {
      return undefined;
    }
    target = target[part] as Document;
  }
  return [target, parts[parts.length - 1]];
}

/**
 * Applies `modifier` to `doc` in place and returns the changed paths, or
 * undefined when the modifier needs mingo (then `doc` may be partly changed:
 * apply to a copy).
 */
export function applySimple(doc: Document, modifier: Document): string[] | undefined {
  const changed: string[] = [];
  checkConflicts(modifier);
  for (const [op, fields] of Object.entries(modifier)) {
    const apply = OPS[op];
    if (!apply || !fields || typeof fields !== 'object') return undefined;
    for (const [path, arg] of Object.entries(fields as Document)) {
      if (path.includes('$') || path === '' || path.split('.').some((p) => p === '' || /^\d+$/.test(p))) return undefined;
      const located = parentOf(doc, path, op !== '$unset');
      if (located === undefined) return undefined;
      if (located === null) continue; // $unset of a missing path
      const [parent, key] = located;
      const result = apply(parent[key], arg);
      if (result === undefined) return undefined;
      if (result === 'same') continue;
      if (result === 'unset') {
        if (key in parent) {
          delete parent[key];
          changed.push(path);
        }
      } else {
        parent[key] = result.value;
        changed.push(path);
      }
    }
  }
  return changed;
}

/** Two operators on the same path, or on a path and its prefix, conflict (ConflictingUpdateOperators). */
export function checkConflicts(modifier: Document): void {
  const seen: string[] = [];
  for (const fields of Object.values(modifier)) {
    if (!fields || typeof fields !== 'object') continue;
    for (const path of Object.keys(fields)) {
      const clash = seen.find((p) => p === path || p.startsWith(`${path}.`) || path.startsWith(`${p}.`));
      if (clash !== undefined) {
        throw new ServerError(Codes.ConflictingUpdateOperators, `Updating the path '${path}' would create a conflict at '${clash.length < path.length ? clash : path}'`);
      }
      seen.push(path);
    }
  }
}
