// A date-range index of the stand-in: the documents of a collection ordered by
// the Date at one path, so that a query bounding that path (`at: {$gte, $lt}`)
// reads the documents in its range rather than the whole collection. The
// historian asks for a few minutes of a lot's history at a time, and a scan of
// all of it on every question stopped the stand-in's one thread for as long
// as the writes of ingest waited behind it.
//
// Exactness comes first: the index only narrows the candidates. A document
// whose value at the path is not one plain Date (missing, null, another type,
// an array, a path through an array) is always a candidate; every candidate is
// then tested with the full filter; and the result is in natural order, as a
// scan returns it. So a query answers exactly as without the index. Pure.
import type { Document } from 'bson';
import { getPath } from './paths.ts';

interface Entry {
  t: number;
  seq: number;
  id: string;
  live: boolean;
}

/** A Date at `path` in `doc`, in ms, or undefined when the value there is anything else. */
function dateAt(doc: Document, path: string): number | undefined {
  const value = getPath(doc, path);
  if (!(value instanceof Date)) return undefined;
  const t = value.getTime();
  return Number.isNaN(t) ? undefined : t;
}

const before = (a: Entry, t: number, seq: number) => a.t < t || (a.t === t && a.seq < seq);

/** How far from the end an insert out of order is placed at once; further back, the entries are sorted again at the next query. */
const NEAR_END = 64;

export class DateRangeIndex {
  private entries: Entry[] = [];
  private sorted = true;
  private dead = 0;
  private readonly current = new Map<string, Entry>();
  /** Documents whose value at the path is not one plain Date: always candidates. */
  private readonly unsure = new Set<string>();

  constructor(readonly path: string) {}

  add(id: string, seq: number, doc: Document): void {
    const t = dateAt(doc, this.path);
    if (t === undefined) {
      this.unsure.add(id);
      return;
    }
    const entry: Entry = { t, seq, id, live: true };
    this.current.set(id, entry);
    const n = this.entries.length;
    if (!this.sorted || n === 0 || !before(entry, this.entries[n - 1].t, this.entries[n - 1].seq)) {
      this.entries.push(entry);
      return;
    }
    let at = n - 1;
    while (at > 0 && n - at < NEAR_END && before(entry, this.entries[at - 1].t, this.entries[at - 1].seq)) at -= 1;
    if (at > 0 && before(entry, this.entries[at - 1].t, this.entries[at - 1].seq)) {
      this.entries.push(entry);
      this.sorted = false;
    } else {
      this.entries.splice(at, 0, entry);
    }
  }

  remove(id: string): void {
    this.unsure.delete(id);
    const entry = this.current.get(id);
    if (!entry) return;
    this.current.delete(id);
    entry.live = false;
    this.dead += 1;
  }

  /**
   * Ids (with their natural-order numbers) of every document that may have a Date in
   * [lo, hi] at the path: those that do, and every one the index is unsure of.
   */
  candidates(lo: number, hi: number, seqOf: (id: string) => number): Array<[number, string]> {
    this.tidy();
    const out: Array<[number, string]> = [];
    let a = 0;
    let b = this.entries.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.entries[mid].t < lo) a = mid + 1;
      else b = mid;
    }
    for (let i = a; i < this.entries.length && this.entries[i].t <= hi; i++) {
      const e = this.entries[i];
      if (e.live) out.push([e.seq, e.id]);
    }
    for (const id of this.unsure) out.push([seqOf(id), id]);
    return out;
  }

  private tidy(): void {
    if (this.dead > 1024 && this.dead * 2 > this.entries.length) {
      this.entries = this.entries.filter((e) => e.live);
      this.dead = 0;
    }
    if (!this.sorted) {
      this.entries.sort((x, y) => x.t - y.t || x.seq - y.seq);
      this.sorted = true;
    }
  }
}

const RANGE_OPS = ['$gt', '$gte', '$lt', '$lte'];

/**
 * The Date bounds a filter puts on `path` at its top level (an implicit AND with the rest), as
 * inclusive [lo, hi] in ms; undefined when it puts none the index can use.
 */
export function dateBounds(filter: Document | undefined, path: string): [number, number] | undefined {
  const condition = filter?.[path];
  if (condition instanceof Date) return Number.isNaN(condition.getTime()) ? undefined : [condition.getTime(), condition.getTime()];
  if (!condition || typeof condition !== 'object' || Array.isArray(condition)) return undefined;
  let lo = -Infinity;
  let hi = Infinity;
  let bounded = false;
  for (const [op, value] of Object.entries(condition as Document)) {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) continue;
    const t = value.getTime();
    if (op === '$eq') {
      lo = Math.max(lo, t);
      hi = Math.min(hi, t);
      bounded = true;
    } else if (RANGE_OPS.includes(op)) {
      if (op.startsWith('$g')) lo = Math.max(lo, t);
      else hi = Math.min(hi, t);
      bounded = true;
    }
  }
  return bounded ? [lo, hi] : undefined;
}
