// Dotted-path access into documents, as MongoDB field paths work.
import type { Document } from 'bson';

export function getPath(doc: Document, path: string): unknown {
  // A top-level field of a document: the common case, without splitting.
  if (!path.includes('.') && doc !== null && typeof doc === 'object' && !Array.isArray(doc)) return (doc as Document)[path];
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (value === null || value === undefined) return undefined;
    if (Array.isArray(value) && !/^\d+$/.test(part)) {
      const items = value.map((v) => (v && typeof v === 'object' ? (v as Document)[part] : undefined)).filter((v) => v !== undefined);
      return items.length ? items : undefined;
    }
    if (typeof value !== 'object') return undefined;
    value = (value as Document)[part];
  }
  return value;
}

export function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let target: Document = doc;
  for (const part of parts.slice(0, -1)) {
    if (target[part] === null || typeof target[part] !== 'object') target[part] = {};
    target = target[part] as Document;
  }
  target[parts[parts.length - 1]] = value;
}
