// The data shared by every member of the stand-in replica set: databases,
// collections with their indexes, the change log that feeds change streams
// (the stand-in's oplog), and the record of executed retryable writes.
import { EventEmitter } from 'node:events';
import { EJSON, ObjectId, Timestamp, UUID, type Document } from 'bson';
import { Query } from './mingo.ts';
import { Codes, DuplicateKeyError, ServerError } from './errors.ts';
import { getPath } from './paths.ts';
import { DateRangeIndex, dateBounds } from './ranges.ts';

export interface IndexSpec {
  v: 2;
  key: Record<string, 1 | -1 | string>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  expireAfterSeconds?: number;
  partialFilterExpression?: Document;
}

export interface ChangeEvent {
  seq: number;
  clusterTime: Timestamp;
  db: string;
  coll: string;
  event: Document;
}

export const idKey = (id: unknown): string => {
  if (typeof id === 'string') return `s:${id}`;
  if (id instanceof ObjectId) return `o:${id.toHexString()}`;
  return EJSON.stringify({ v: id } as Document, { relaxed: false });
};

/** A unique index's key tuple as a string, or undefined when the document is not indexed. */
function uniqueKey(spec: IndexSpec, doc: Document, partial?: Query): string | undefined {
  if (partial && !partial.test(doc)) return undefined;
  const values = Object.keys(spec.key).map((path) => getPath(doc, path));
  if (spec.sparse && values.every((v) => v === undefined)) return undefined;
  // One field (`_id_` among them): the value's own key, which for a string or an ObjectId is built without Extended JSON.
  if (values.length === 1) return idKey(values[0] === undefined ? null : values[0]);
  return idKey(values.map((v) => (v === undefined ? null : v)));
}

/** The first `$`-prefixed field name inside an embedded document or array, if any. */
function dollarField(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = dollarField(item);
      if (found) return found;
    }
    return undefined;
  }
  if (!value || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$')) return key;
    const found = dollarField(item);
    if (found) return found;
  }
  return undefined;
}

/** MongoDB stores no `$`-prefixed field inside `_id` (DollarPrefixedFieldName). */
function checkStorableId(id: unknown): void {
  if (!id || typeof id !== 'object' || Array.isArray(id)) return;
  const field = dollarField(id);
  if (field) throw new ServerError(Codes.DollarPrefixedFieldName, `_id fields may not contain '$'-prefixed fields: ${field} is not valid for storage.`);
}

function keyValue(spec: IndexSpec, doc: Document): Document {
  const out: Document = {};
  for (const path of Object.keys(spec.key)) out[path] = getPath(doc, path) ?? null;
  return out;
}

class UniqueIndex {
  readonly entries = new Map<string, string>();
  readonly partial?: Query;
  constructor(readonly spec: IndexSpec) {
    if (spec.partialFilterExpression) this.partial = new Query(spec.partialFilterExpression);
  }
  key(doc: Document): string | undefined {
    return uniqueKey(this.spec, doc, this.partial);
  }
}

export class Collection {
  readonly docs = new Map<string, Document>();
  readonly indexes: IndexSpec[] = [];
  private unique: UniqueIndex[] = [];
  /** Each stored document's place in natural order (the order of `docs`). */
  private readonly seq = new Map<string, number>();
  private nextSeq = 0;
  /** Date-range indexes by path, one for each path of the collection's indexes, kept from the index's creation on (ranges.ts). */
  private readonly ranges = new Map<string, DateRangeIndex>();
  readonly uuid = new UUID();

  constructor(
    readonly store: Store,
    readonly db: string,
    readonly name: string,
    readonly options: Document = {},
  ) {
    if (!options.timeseries) this.addIndex({ v: 2, key: { _id: 1 }, name: '_id_' });
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** Adds an index; fails without change when existing documents violate it. */
  addIndex(spec: IndexSpec): void {
    const isId = spec.name === '_id_';
    if (spec.unique || isId) {
      const index = new UniqueIndex(spec);
      for (const [id, doc] of this.docs) {
        const key = index.key(doc);
        if (key === undefined) continue;
        if (index.entries.has(key)) throw new DuplicateKeyError(this.ns, spec.name, spec.key, keyValue(spec, doc));
        index.entries.set(key, id);
      }
      this.unique.push(index);
    }
    this.indexes.push(spec);
    this.rangeIndexes(spec);
  }

  /**
   * The documents that may match `filter`, in natural order, when it bounds a Date at a path
   * of one of the collection's indexes: a superset of the matches (ranges.ts); undefined
   * when no index narrows it (scan them all).
   */
  rangeCandidates(filter: Document | undefined): Document[] | undefined {
    for (const [path, index] of this.ranges) {
      if (index.disabled) continue;
      const bounds = dateBounds(filter, path);
      if (!bounds) continue;
      const ids = index.candidates(bounds[0], bounds[1], (id) => this.seq.get(id) ?? 0);
      ids.sort((a, b) => a[0] - b[0]);
      const out: Document[] = [];
      for (const [, id] of ids) {
        const doc = this.docs.get(id);
        if (doc) out.push(doc);
      }
      return out;
    }
    return undefined;
  }

  /** The date-range indexes of the paths of `spec` (the collection's documents so far in them). */
  private rangeIndexes(spec: IndexSpec): void {
    if (spec.name === '_id_' || spec.partialFilterExpression) return;
    for (const path of Object.keys(spec.key)) {
      if (this.ranges.has(path)) continue;
      this.ranges.set(path, DateRangeIndex.of(path, [...this.docs].map(([id, doc]): [string, number, Document] => [id, this.seq.get(id) ?? 0, doc])));
    }
  }

  /** Keeps `seq` and the date-range indexes in step with `docs`. */
  private stored(id: string, before: Document | undefined, after: Document | undefined): void {
    if (before === undefined && after !== undefined) this.seq.set(id, this.nextSeq++);
    const seq = this.seq.get(id) ?? 0;
    for (const index of this.ranges.values()) {
      if (before !== undefined) index.remove(id);
      if (after !== undefined) index.add(id, seq, after);
    }
    if (after === undefined) this.seq.delete(id);
  }

  dropIndex(name: string): void {
    const at = this.indexes.findIndex((i) => i.name === name);
    if (at < 0) throw new ServerError(Codes.IndexNotFound, `index not found with name [${name}]`);
    this.indexes.splice(at, 1);
    for (const path of this.ranges.keys()) if (!this.indexes.some((i) => path in i.key)) this.ranges.delete(path);
    this.unique = this.unique.filter((u) => u.spec.name !== name);
  }

  /** Throws E11000 when `doc` (replacing the document stored under `replacing`) collides. */
  private checkUnique(doc: Document, replacing?: string): Array<[UniqueIndex, string | undefined]> {
    const keys: Array<[UniqueIndex, string | undefined]> = [];
    for (const index of this.unique) {
      const key = index.key(doc);
      if (key !== undefined) {
        const owner = index.entries.get(key);
        if (owner !== undefined && owner !== replacing) {
          throw new DuplicateKeyError(this.ns, index.spec.name, index.spec.key, keyValue(index.spec, doc));
        }
      }
      keys.push([index, key]);
    }
    return keys;
  }

  private unindex(id: string, doc: Document): void {
    for (const index of this.unique) {
      const key = index.key(doc);
      if (key !== undefined && index.entries.get(key) === id) index.entries.delete(key);
    }
  }

  get(id: unknown): Document | undefined {
    return this.docs.get(idKey(id));
  }

  insert(doc: Document): void {
    // MongoDB stores `_id` as the first field, generating it when missing.
    const { _id, ...rest } = doc;
    doc = { _id: _id === undefined ? new ObjectId() : _id, ...rest };
    checkStorableId(doc._id);
    const timeField = this.options.timeseries?.timeField;
    if (timeField && !(getPath(doc, timeField) instanceof Date)) {
      throw new ServerError(Codes.BadValue, `'${timeField}' must be present and contain a valid BSON UTC datetime value`);
    }
    const id = idKey(doc._id);
    const keys = this.checkUnique(doc);
    if (this.options.timeseries && this.docs.has(id)) doc = { ...doc, _id: new ObjectId() };
    for (const [index, key] of keys) if (key !== undefined) index.entries.set(key, idKey(doc._id));
    this.docs.set(idKey(doc._id), doc);
    this.stored(idKey(doc._id), undefined, doc);
    this.store.record(this.db, this.name, {
      operationType: 'insert',
      fullDocument: doc,
      documentKey: { _id: doc._id },
    });
  }

  /** Replaces a stored document; `change` describes it for change streams. */
  replace(before: Document, after: Document, change: Document): void {
    const id = idKey(before._id);
    if (idKey(after._id) !== id) {
      throw new ServerError(Codes.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
    const keys = this.checkUnique(after, id);
    this.unindex(id, before);
    for (const [index, key] of keys) if (key !== undefined) index.entries.set(key, id);
    this.docs.set(id, after);
    this.stored(id, before, after);
    this.store.record(this.db, this.name, { ...change, documentKey: { _id: after._id } }, after);
  }

  remove(doc: Document): void {
    const id = idKey(doc._id);
    const stored = this.docs.get(id);
    if (!this.docs.delete(id)) return;
    this.stored(id, stored, undefined);
    this.unindex(id, doc);
    this.store.record(this.db, this.name, { operationType: 'delete', documentKey: { _id: doc._id } });
  }
}

/** Hybrid logical clock for cluster times: seconds plus a counter. */
class Clock {
  private t = 0;
  private i = 0;
  tick(): Timestamp {
    const now = Math.floor(Date.now() / 1000);
    if (now > this.t) {
      this.t = now;
      this.i = 0;
    }
    this.i += 1;
    return new Timestamp({ t: this.t, i: this.i });
  }
  now(): Timestamp {
    return new Timestamp({ t: this.t || Math.floor(Date.now() / 1000), i: this.i });
  }
}

const MAX_CHANGES = 200_000;
const TRIM_CHUNK = 20_000;
const MAX_RETRY_RECORDS = 100_000;

export class Store extends EventEmitter {
  readonly databases = new Map<string, Map<string, Collection>>();
  readonly changes: ChangeEvent[] = [];
  private seq = 0;
  readonly clock = new Clock();
  private readonly retried = new Map<string, Document>();
  /** Documents of update events kept for `fullDocument: 'updateLookup'`. */
  readonly postImages = new WeakMap<Document, Document>();

  constructor() {
    super();
    this.setMaxListeners(0);
  }

  collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** The collection, created implicitly as MongoDB does on first write. */
  ensureCollection(db: string, name: string, options: Document = {}): Collection {
    let colls = this.databases.get(db);
    if (!colls) {
      colls = new Map();
      this.databases.set(db, colls);
    }
    let coll = colls.get(name);
    if (!coll) {
      coll = new Collection(this, db, name, options);
      colls.set(name, coll);
    }
    return coll;
  }

  dropCollection(db: string, name: string): boolean {
    const colls = this.databases.get(db);
    if (!colls?.delete(name)) return false;
    this.record(db, name, { operationType: 'drop' });
    return true;
  }

  dropDatabase(db: string): void {
    const colls = this.databases.get(db);
    if (!colls) return;
    for (const name of [...colls.keys()]) this.dropCollection(db, name);
    this.databases.delete(db);
  }

  get lastSeq(): number {
    return this.seq;
  }

  record(db: string, coll: string, event: Document, postImage?: Document): void {
    const clusterTime = this.clock.tick();
    this.seq += 1;
    const entry: ChangeEvent = { seq: this.seq, clusterTime, db, coll, event: { ...event, ns: { db, coll } } };
    if (postImage) this.postImages.set(entry.event, postImage);
    this.changes.push(entry);
    // Trim in chunks: one splice per write at the cap would shift the whole log every time.
    if (this.changes.length > MAX_CHANGES + TRIM_CHUNK) this.changes.splice(0, this.changes.length - MAX_CHANGES);
    this.emit('change', entry);
  }

  /** Change-log entries after `seq`, oldest first; `undefined` when `seq` fell off the log. */
  changesAfter(seq: number): ChangeEvent[] | undefined {
    const first = this.changes[0];
    if (first && seq < first.seq - 1) return undefined;
    if (!first || seq >= this.seq) return [];
    return this.changes.slice(seq - first.seq + 1);
  }

  /** A retryable write already executed under this session and transaction number. */
  retriedReply(key: string): Document | undefined {
    return this.retried.get(key);
  }

  rememberRetryable(key: string, reply: Document): void {
    this.retried.set(key, reply);
    if (this.retried.size > MAX_RETRY_RECORDS) {
      const oldest = this.retried.keys().next().value;
      if (oldest !== undefined) this.retried.delete(oldest);
    }
  }

  /** Removes documents whose TTL index says they expired. */
  expire(now = Date.now()): number {
    let removed = 0;
    for (const colls of this.databases.values()) {
      for (const coll of colls.values()) {
        for (const index of coll.indexes) {
          if (index.expireAfterSeconds === undefined) continue;
          const field = Object.keys(index.key)[0];
          for (const doc of [...coll.docs.values()]) {
            const value = getPath(doc, field);
            const dates = (Array.isArray(value) ? value : [value]).filter((v): v is Date => v instanceof Date);
            if (dates.length === 0) continue;
            const earliest = Math.min(...dates.map((d) => d.getTime()));
            if (earliest + index.expireAfterSeconds * 1000 <= now) {
              coll.remove(doc);
              removed += 1;
            }
          }
        }
      }
    }
    return removed;
  }
}
