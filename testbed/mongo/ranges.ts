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
// scan returns it. So a query answers exactly as without the index. An index
// of a path that mostly holds no Dates (a lot name) gives up and keeps
// nothing: queries on it scan, as before. Pure.
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

/** Entries are kept in buckets of this width (ms), unsorted within: a query reads the buckets its range touches. */
const BUCKET_MS = 3_600_000;
/** Documents an index sees before it may give up on a path that mostly holds no Dates. */
const GIVE_UP_AFTER = 64;

export class DateRangeIndex {
  private buckets = new Map<number, Entry[]>();
  private live = 0;
  private dead = 0;
  private readonly current = new Map<string, Entry>();
  /** Documents whose value at the path is not one plain Date: always candidates. */
  private readonly unsure = new Set<string>();
  /** The path mostly holds no Dates (a lot name, a slot number): the index keeps nothing and serves no query. */
  disabled = false;

  constructor(readonly path: string) {}

  /** An index of `docs` (id, natural-order number, document). */
  static of(path: string, docs: Iterable<[string, number, Document]>): DateRangeIndex {
    const index = new DateRangeIndex(path);
    for (const [id, seq, doc] of docs) {
      if (index.disabled) break;
      index.add(id, seq, doc);
    }
    return index;
  }

  add(id: string, seq: number, doc: Document): void {
    if (this.disabled) return;
    const t = dateAt(doc, this.path);
    if (t === undefined) {
      this.unsure.add(id);
      if (this.unsure.size > GIVE_UP_AFTER && this.unsure.size > this.live) this.giveUp();
      return;
    }
    const entry: Entry = { t, seq, id, live: true };
    this.current.set(id, entry);
    const key = Math.floor(t / BUCKET_MS);
    const bucket = this.buckets.get(key);
    if (bucket) bucket.push(entry);
    else this.buckets.set(key, [entry]);
    this.live += 1;
  }

  remove(id: string): void {
    if (this.disabled) return;
    this.unsure.delete(id);
    const entry = this.current.get(id);
    if (!entry) return;
    this.current.delete(id);
    entry.live = false;
    this.live -= 1;
    this.dead += 1;
    if (this.dead > 1024 && this.dead > this.live) this.compact();
  }

  /**
   * Ids (with their natural-order numbers) of every document that may have a Date in
   * [lo, hi] at the path: those that do, and every one the index is unsure of.
   */
  candidates(lo: number, hi: number, seqOf: (id: string) => number): Array<[number, string]> {
    const out: Array<[number, string]> = [];
    const take = (bucket: Entry[] | undefined) => {
      if (bucket) for (const e of bucket) if (e.live && e.t >= lo && e.t <= hi) out.push([e.seq, e.id]);
    };
    const first = Math.floor(lo / BUCKET_MS);
    const last = Math.floor(hi / BUCKET_MS);
    if (Number.isFinite(first) && Number.isFinite(last) && last - first < this.buckets.size) {
      for (let key = first; key <= last; key++) take(this.buckets.get(key));
    } else {
      for (const [key, bucket] of this.buckets) if (key >= first && key <= last) take(bucket);
    }
    for (const id of this.unsure) out.push([seqOf(id), id]);
    return out;
  }

  private compact(): void {
    for (const [key, bucket] of this.buckets) {
      const kept = bucket.filter((e) => e.live);
      if (kept.length) this.buckets.set(key, kept);
      else this.buckets.delete(key);
    }
    this.dead = 0;
  }

  private giveUp(): void {
    this.disabled = true;
    this.buckets = new Map();
    this.current.clear();
    this.unsure.clear();
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
