// MongoDB's comparison and sort order across BSON types.
import { Binary, Decimal128, Long, MaxKey, MinKey, ObjectId, Timestamp, type Document } from 'bson';
import { getPath } from './paths.ts';

function typeRank(v: unknown): number {
  if (v instanceof MinKey) return 0;
  if (v === undefined || v === null) return 1;
  if (typeof v === 'number' || typeof v === 'bigint' || v instanceof Long || v instanceof Decimal128) return 2;
  if (typeof v === 'string') return 3;
  if (Array.isArray(v)) return 5;
  if (v instanceof Binary || Buffer.isBuffer(v)) return 6;
  if (v instanceof ObjectId) return 7;
  if (typeof v === 'boolean') return 8;
  if (v instanceof Date) return 9;
  if (v instanceof Timestamp) return 10;
  if (v instanceof RegExp) return 11;
  if (v instanceof MaxKey) return 12;
  return 4; // embedded document
}

const num = (v: unknown): number => (v instanceof Long || v instanceof Decimal128 ? Number(v.toString()) : Number(v));

export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 2: return num(a) - num(b);
    case 3: return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case 4: {
      const ea = Object.entries(a as Document);
      const eb = Object.entries(b as Document);
      for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
        const byType = typeRank(ea[i][1]) - typeRank(eb[i][1]);
        if (byType) return byType;
        if (ea[i][0] !== eb[i][0]) return ea[i][0] < eb[i][0] ? -1 : 1;
        const c = compareValues(ea[i][1], eb[i][1]);
        if (c) return c;
      }
      return ea.length - eb.length;
    }
    case 5: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
        const c = compareValues(xa[i], xb[i]);
        if (c) return c;
      }
      return xa.length - xb.length;
    }
    case 6: return Buffer.compare(Buffer.from((a as Binary).buffer ?? a), Buffer.from((b as Binary).buffer ?? b));
    case 7: return (a as ObjectId).toHexString().localeCompare((b as ObjectId).toHexString());
    case 8: return Number(a) - Number(b);
    case 9: return (a as Date).getTime() - (b as Date).getTime();
    case 10: return (a as Timestamp).compare(b as Timestamp);
    default: return 0;
  }
}

/** The value a document sorts by on `path`: an array sorts by its least (ascending) or greatest (descending) element. */
function sortKey(doc: Document, path: string, direction: number): unknown {
  const value = getPath(doc, path);
  if (!Array.isArray(value)) return value;
  if (value.length === 0) return undefined;
  return value.reduce((best, v) => (compareValues(v, best) * direction < 0 ? v : best));
}

export function sortDocuments(docs: Document[], spec: Document): Document[] {
  const keys = Object.entries(spec).map(([path, dir]) => [path, Number(dir) < 0 ? -1 : 1] as const);
  return docs
    .map((doc, index) => ({ doc, index }))
    .sort((x, y) => {
      for (const [path, dir] of keys) {
        const c = compareValues(sortKey(x.doc, path, dir), sortKey(y.doc, path, dir));
        if (c) return c * dir;
      }
      return x.index - y.index;
    })
    .map((e) => e.doc);
}
