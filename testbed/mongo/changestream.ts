// Change streams: an aggregate whose first stage is `$changeStream` becomes a
// cursor over the store's change log, resumable by token or operation time.
import { Timestamp, type Document } from 'bson';
import { Aggregator, Query } from './mingo.ts';
import type { CursorSource } from './cursors.ts';
import { Codes, ServerError, badValue, fromMingo, notSupported } from './errors.ts';
import type { ChangeEvent, Store } from './store.ts';
import { checkChangeStreamPipeline } from './stages.ts';
import { sameValue } from './fastpath.ts';

export interface Scope {
  db?: string; // undefined: the whole cluster
  coll?: string; // undefined: the whole database
}

export const tokenFor = (seq: number): Document => ({ _data: `82${seq.toString(16).toUpperCase().padStart(16, '0')}` });

export function seqOfToken(token: unknown): number {
  const data = token && typeof token === 'object' ? (token as Document)._data : undefined;
  if (typeof data !== 'string' || !/^82[0-9A-F]{16}$/.test(data)) throw badValue('invalid resume token: the token was not produced by this server');
  return parseInt(data.slice(2), 16);
}

/** The fields of a `$changeStream` stage in MongoDB 7.0. */
const OPTIONS = new Set([
  'resumeAfter', 'startAfter', 'startAtOperationTime', 'fullDocument', 'fullDocumentBeforeChange', 'allChangesForCluster',
  'showMigrationEvents', 'showSystemEvents', 'showExpandedEvents', 'allowToRunOnConfigDB', 'allowToRunOnSystemNS',
]);

/** Fails on what MongoDB rejects (an unknown field: 40415) and refuses what the stand-in does not emit. */
function checkOptions(options: Document): void {
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) throw new ServerError(Codes.Location40415, `BSON field '$changeStream.${key}' is an unknown field.`);
  }
  if (options.showExpandedEvents === true) {
    throw notSupported("showExpandedEvents (the create, createIndexes, dropIndexes, modify and rename events of MongoDB 6.0+)");
  }
  const before = options.fullDocumentBeforeChange;
  if (before !== undefined && before !== 'off') throw notSupported(`fullDocumentBeforeChange: '${String(before)}' (pre-images)`);
}

/** An event whose `_id` the pipeline changed can no longer resume the stream (ChangeStreamFatalError, 280). */
function checkResumeToken(event: Document, token: Document): void {
  if (event._id !== undefined && sameValue(event._id, token) === true) return;
  const found = event._id === undefined ? '{}' : JSON.stringify({ _id: event._id });
  throw new ServerError(
    Codes.ChangeStreamFatalError,
    'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed. '
      + `Expected: ${JSON.stringify({ _id: token })} but found: ${found}`,
  );
}

export class ChangeStreamSource implements CursorSource {
  private position: number;
  private readonly filter?: Aggregator;
  private readonly match?: Query;
  private invalidated = false;
  private done = false;
  private closed = false;
  private wake?: () => void;
  private readonly onChange = () => this.wake?.();

  constructor(
    private readonly store: Store,
    private readonly scope: Scope,
    private readonly options: Document,
    rest: Document[],
  ) {
    checkOptions(options);
    checkChangeStreamPipeline(rest);
    if (options.resumeAfter !== undefined || options.startAfter !== undefined) {
      this.position = seqOfToken(options.resumeAfter ?? options.startAfter);
      if (store.changesAfter(this.position) === undefined) {
        throw new ServerError(Codes.ChangeStreamHistoryLost, 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.');
      }
    } else if (options.startAtOperationTime instanceof Timestamp) {
      const at = options.startAtOperationTime;
      const first = store.changes.find((c) => c.clusterTime.greaterThanOrEqual(at));
      this.position = first ? first.seq - 1 : store.lastSeq;
    } else {
      this.position = store.lastSeq;
    }
    // A lone $match (the usual filter) is compiled once; a pipeline runs per event.
    const match = rest.length === 1 && Object.keys(rest[0]).length === 1 ? (rest[0] as Document).$match : undefined;
    if (match && typeof match === 'object') this.match = new Query(match as Document);
    else if (rest.length) {
      try {
        this.filter = new Aggregator(rest);
      } catch (err) {
        throw fromMingo(err);
      }
    }
    store.on('change', this.onChange);
  }

  get exhausted(): boolean {
    return this.done;
  }

  extra(): Document {
    return { postBatchResumeToken: tokenFor(this.position) };
  }

  close(): void {
    this.closed = true;
    this.store.off('change', this.onChange);
    this.wake?.();
  }

  private inScope(change: ChangeEvent): boolean {
    if (this.scope.db !== undefined && change.db !== this.scope.db) return false;
    if (this.scope.coll !== undefined && change.coll !== this.scope.coll) return false;
    return true;
  }

  private render(change: ChangeEvent): Document {
    const event: Document = {
      _id: tokenFor(change.seq),
      ...change.event,
      clusterTime: change.clusterTime,
      wallTime: new Date(change.clusterTime.high * 1000),
    };
    const mode = this.options.fullDocument ?? 'default';
    if (event.operationType === 'update' && mode !== 'default') {
      const current = this.store.collection(change.db, change.coll)?.get(change.event.documentKey._id);
      if (current) event.fullDocument = current;
      else if (mode === 'required') throw new ServerError(Codes.BadValue, 'Change stream was configured to require a post-image for all update events, but the post-image was not found');
      else event.fullDocument = null;
    }
    if (event.operationType === 'update' && mode === 'default') delete event.fullDocument;
    return event;
  }

  private runFilter(event: Document): Document[] {
    try {
      return this.filter!.run([event]) as Document[];
    } catch (err) {
      throw fromMingo(err);
    }
  }

  private collect(batchSize: number): Document[] {
    const out: Document[] = [];
    const changes = this.store.changesAfter(this.position);
    if (changes === undefined) {
      throw new ServerError(Codes.ChangeStreamHistoryLost, 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.');
    }
    for (const change of changes) {
      if (out.length >= batchSize) break;
      this.position = change.seq;
      if (!this.inScope(change)) continue;
      const event = this.render(change);
      const kept = this.match ? (this.match.test(event) ? [event] : []) : this.filter ? this.runFilter(event) : [event];
      if (this.filter) for (const doc of kept) checkResumeToken(doc, tokenFor(change.seq));
      out.push(...kept);
      const type = change.event.operationType;
      const invalidates = (type === 'drop' && this.scope.coll !== undefined) || (type === 'dropDatabase' && this.scope.db !== undefined);
      if (invalidates && out.length < batchSize) {
        out.push({ _id: tokenFor(change.seq), operationType: 'invalidate', clusterTime: change.clusterTime });
        this.invalidated = true;
        break;
      }
    }
    if (this.invalidated) this.done = true;
    return out;
  }

  async next(batchSize: number, maxTimeMS: number): Promise<Document[]> {
    const deadline = Date.now() + maxTimeMS;
    while (true) {
      const batch = this.collect(batchSize);
      if (batch.length || this.done || this.closed || Date.now() >= deadline) return batch;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }
}
