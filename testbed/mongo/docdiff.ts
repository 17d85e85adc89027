// What a change stream reports for a pipeline-style update, as MongoDB 7.0
// computes it: the delta between the stored document and the new one
// (doc_diff's computeDocDiff/computeArrayDiff), logged as a `$v: 2` oplog
// entry only while it is smaller than the new document; otherwise the oplog
// entry, and so the event, is a replacement. A delta becomes the event's
// `updateDescription` (updatedFields, removedFields, truncatedArrays) as
// change_stream_document_diff_parser does. Sizes are BSON sizes, computed as
// the server's size tracker does (it is exact for these nodes).
import { calculateObjectSize, serialize, type Document } from 'bson';
import { UNSURE, sameValue } from './fastpath.ts';

/** Bytes the oplog entry's `$v` and `diff` fields add to a delta. */
const DELTA_METADATA = 15;
const EMPTY_DOCUMENT_DIFF = 5;
/** An empty object plus `a: true`. */
const EMPTY_ARRAY_DIFF = 9;
/** A section's type byte, one-letter name, NUL and empty object. */
const SECTION = 8;
/** The resize entry `l: <int32>`. */
const RESIZE = 7;

interface DocumentDiff {
  kind: 'document';
  size: number;
  deletes: string[];
  updates: Array<[string, unknown]>;
  inserts: Array<[string, unknown]>;
  subs: Array<[string, Diff]>;
}

type ArrayEntry = { index: number; value: unknown } | { index: number; sub: Diff };

interface ArrayDiff {
  kind: 'array';
  size: number;
  resize?: number;
  entries: ArrayEntry[];
}

type Diff = DocumentDiff | ArrayDiff;

const isPlainObject = (v: unknown): v is Document =>
  !!v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** A BSON element's value size (without type byte and field name). */
const valueSize = (v: unknown): number => calculateObjectSize({ v } as Document) - 8;

const nameSize = (name: string): number => Buffer.byteLength(name);

function binaryEqual(a: unknown, b: unknown): boolean {
  const sure = sameValue(a, b);
  if (sure !== UNSURE) return sure;
  return Buffer.from(serialize({ v: a } as Document)).equals(serialize({ v: b } as Document));
}

const sameContainer = (a: unknown, b: unknown): boolean =>
  (isPlainObject(a) && isPlainObject(b)) || (Array.isArray(a) && Array.isArray(b));

function addToDocument(node: DocumentDiff, name: string, section: 'deletes' | 'updates' | 'inserts', value?: unknown): void {
  const list = node[section] as unknown[];
  if (list.length === 0) node.size += SECTION;
  node.size += nameSize(name) + 2 + (section === 'deletes' ? 1 : valueSize(value));
  if (section === 'deletes') node.deletes.push(name);
  else (node[section] as Array<[string, unknown]>).push([name, value]);
}

function addArrayEntry(node: ArrayDiff, entry: ArrayEntry): void {
  node.size += 1 + String(entry.index).length + 2 + ('sub' in entry ? entry.sub.size : valueSize(entry.value));
  node.entries.push(entry);
}

/** The delta of two embedded documents or arrays, or undefined when it is not smaller than `post`. */
function subDiff(pre: unknown, post: unknown): Diff | undefined {
  return Array.isArray(pre) ? arrayDiff(pre, post as unknown[]) : documentDiff(pre as Document, post as Document, 0);
}

function documentDiff(pre: Document, post: Document, padding: number): DocumentDiff | undefined {
  const node: DocumentDiff = { kind: 'document', size: EMPTY_DOCUMENT_DIFF + padding, deletes: [], updates: [], inserts: [], subs: [] };
  const postSize = calculateObjectSize(post);
  const preKeys = Object.keys(pre);
  const postKeys = Object.keys(post);
  const deletes = new Set<string>();
  let i = 0;
  let j = 0;
  while (i < preKeys.length && j < postKeys.length) {
    if (postSize < node.size) return undefined;
    const name = preKeys[i];
    if (name !== postKeys[j]) {
      // Deleted, or moved: a field that reappears later is inserted there.
      deletes.add(name);
      i += 1;
      continue;
    }
    const [before, after] = [pre[name], post[name]];
    if (!binaryEqual(before, after)) {
      const sub = sameContainer(before, after) ? subDiff(before, after) : undefined;
      if (sub) {
        node.size += nameSize(name) + 2 + sub.size + 1;
        node.subs.push([name, sub]);
      } else addToDocument(node, name, 'updates', after);
    }
    i += 1;
    j += 1;
  }
  for (; i < preKeys.length; i += 1) addToDocument(node, preKeys[i], 'deletes');
  for (; j < postKeys.length; j += 1) {
    addToDocument(node, postKeys[j], 'inserts', post[postKeys[j]]);
    deletes.delete(postKeys[j]);
  }
  for (const name of [...deletes].sort(byBytes)) addToDocument(node, name, 'deletes');
  return postSize > node.size ? node : undefined;
}

/** MongoDB orders field names by their bytes. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function arrayDiff(pre: unknown[], post: unknown[]): ArrayDiff | undefined {
  const node: ArrayDiff = { kind: 'array', size: EMPTY_ARRAY_DIFF, entries: [] };
  const postSize = valueSize(post);
  const common = Math.min(pre.length, post.length);
  for (let index = 0; index < common; index += 1) {
    if (postSize < node.size) return undefined;
    const [before, after] = [pre[index], post[index]];
    if (binaryEqual(before, after)) continue;
    const sub = sameContainer(before, after) ? subDiff(before, after) : undefined;
    addArrayEntry(node, sub ? { index, sub } : { index, value: after });
  }
  for (let index = common; index < post.length; index += 1) addArrayEntry(node, { index, value: post[index] });
  if (pre.length > post.length) {
    node.resize = post.length;
    node.size += RESIZE;
  }
  return postSize > node.size ? node : undefined;
}

interface Description {
  updatedFields: Document;
  removedFields: string[];
  truncatedArrays: Array<{ field: string; newSize: number }>;
}

const join = (prefix: string, name: string) => (prefix ? `${prefix}.${name}` : name);

function describeDiff(diff: Diff, prefix: string, out: Description): void {
  if (diff.kind === 'array') {
    if (diff.resize !== undefined) out.truncatedArrays.push({ field: prefix, newSize: diff.resize });
    for (const entry of diff.entries) {
      const path = join(prefix, String(entry.index));
      if ('sub' in entry) describeDiff(entry.sub, path, out);
      else out.updatedFields[path] = entry.value;
    }
    return;
  }
  for (const [name, value] of [...diff.updates, ...diff.inserts]) out.updatedFields[join(prefix, name)] = value;
  for (const name of diff.deletes) out.removedFields.push(join(prefix, name));
  for (const [name, sub] of diff.subs) describeDiff(sub, join(prefix, name), out);
}

/**
 * The change event of a pipeline-style update of `before` into `after`
 * (documents that differ): an `update` with the delta, or a `replace` when
 * the delta would not be smaller than the new document.
 */
export function pipelineUpdateEvent(before: Document, after: Document): Document {
  const diff = documentDiff(before, after, DELTA_METADATA);
  if (!diff) return { operationType: 'replace', fullDocument: after };
  const updateDescription: Description = { updatedFields: {}, removedFields: [], truncatedArrays: [] };
  describeDiff(diff, '', updateDescription);
  return { operationType: 'update', updateDescription };
}
