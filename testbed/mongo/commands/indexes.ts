// createIndexes, listIndexes and dropIndexes.
import type { Document } from 'bson';
import type { CommandSpec } from '../context.ts';
import { ArraySource } from '../cursors.ts';
import { Codes, ServerError, badValue } from '../errors.ts';
import type { IndexSpec } from '../store.ts';
import { collectionName } from './names.ts';
import { refuseCollation } from './options.ts';

const sameKey = (a: Document, b: Document) => JSON.stringify(a) === JSON.stringify(b);

function defaultName(key: Document): string {
  return Object.entries(key).map(([k, v]) => `${k}_${v}`).join('_');
}

function toSpec(raw: Document): IndexSpec {
  if (!raw.key || typeof raw.key !== 'object' || Object.keys(raw.key).length === 0) throw badValue('Index key pattern must be a non-empty object');
  const spec: IndexSpec = { v: 2, key: raw.key, name: typeof raw.name === 'string' ? raw.name : defaultName(raw.key) };
  if (raw.unique) spec.unique = true;
  if (raw.sparse) spec.sparse = true;
  if (raw.expireAfterSeconds !== undefined) {
    const ttl = Number(raw.expireAfterSeconds);
    if (!Number.isFinite(ttl) || ttl < 0) throw new ServerError(Codes.InvalidOptions, 'TTL index \'expireAfterSeconds\' option must be a non-negative number');
    if (Object.keys(raw.key).length !== 1) throw new ServerError(Codes.InvalidOptions, 'TTL indexes are single-field indexes, compound indexes do not support TTL');
    spec.expireAfterSeconds = ttl;
  }
  if (raw.partialFilterExpression) spec.partialFilterExpression = raw.partialFilterExpression;
  return spec;
}

export const createIndexes: CommandSpec = {
  access: 'write',
  handler(ctx) {
    const name = collectionName(ctx.command.createIndexes);
    const requested = ctx.command.indexes;
    if (!Array.isArray(requested) || requested.length === 0) throw badValue("Must specify at least one index to create");
    refuseCollation(ctx.command);
    const existed = !!ctx.store.collection(ctx.db, name);
    const coll = ctx.store.ensureCollection(ctx.db, name);
    const before = coll.indexes.length;
    const specs = requested.map(toSpec);
    for (const spec of specs) {
      const byName = coll.indexes.find((i) => i.name === spec.name);
      const byKey = coll.indexes.find((i) => sameKey(i.key, spec.key));
      if (byName && !sameKey(byName.key, spec.key)) {
        throw new ServerError(Codes.IndexKeySpecsConflict, `An existing index has the same name as the requested index. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(byName)}`);
      }
      if (byKey) {
        if (byKey.name !== spec.name) {
          throw new ServerError(Codes.IndexOptionsConflict, `Index already exists with a different name: ${byKey.name}`);
        }
        if (!!byKey.unique !== !!spec.unique || byKey.expireAfterSeconds !== spec.expireAfterSeconds) {
          throw new ServerError(Codes.IndexOptionsConflict, `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(byKey)}`);
        }
        continue;
      }
      coll.addIndex(spec);
    }
    const after = coll.indexes.length;
    return {
      numIndexesBefore: before,
      numIndexesAfter: after,
      createdCollectionAutomatically: !existed,
      ...(before === after ? { note: 'all indexes already exist' } : {}),
      ok: 1,
    };
  },
};

export const listIndexes: CommandSpec = {
  access: 'read',
  handler(ctx) {
    const name = collectionName(ctx.command.listIndexes);
    const coll = ctx.store.collection(ctx.db, name);
    if (!coll) throw new ServerError(Codes.NamespaceNotFound, `ns does not exist: ${ctx.db}.${name}`);
    return ctx.member.cursors.create(`${ctx.db}.${name}`, new ArraySource(coll.indexes.map((i) => ({ ...i }))), ctx.command.cursor?.batchSize ?? 101);
  },
};

export const dropIndexes: CommandSpec = {
  access: 'write',
  handler(ctx) {
    const name = collectionName(ctx.command.dropIndexes);
    const coll = ctx.store.collection(ctx.db, name);
    if (!coll) throw new ServerError(Codes.NamespaceNotFound, `ns not found ${ctx.db}.${name}`);
    const nIndexesWas = coll.indexes.length;
    const which = ctx.command.index;
    const names: string[] =
      which === '*' ? coll.indexes.filter((i) => i.name !== '_id_').map((i) => i.name)
        : Array.isArray(which) ? which
          : typeof which === 'string' ? [which]
            : coll.indexes.filter((i) => sameKey(i.key, which)).map((i) => i.name);
    if (names.length === 0 && which !== '*') throw new ServerError(Codes.IndexNotFound, `can't find index with key: ${JSON.stringify(which)}`);
    for (const index of names) {
      if (index === '_id_') throw new ServerError(Codes.InvalidOptions, 'cannot drop _id index');
      coll.dropIndex(index);
    }
    return { nIndexesWas, ok: 1 };
  },
};
