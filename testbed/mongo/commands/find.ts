// find, getMore and killCursors.
import { Long, type Document } from 'bson';
import { find as mingoFind } from '../mingo.ts';
import type { CommandSpec, Context } from '../context.ts';
import { ArraySource } from '../cursors.ts';
import { fromMingo } from '../errors.ts';
import { select } from '../query.ts';
import { sortDocuments } from '../order.ts';
import { collectionName } from './names.ts';
import { refuseCollation } from './options.ts';
import { checkFilterVariables, checkPipelineVariables, letScope } from '../variables.ts';

const toBigInt = (v: unknown): bigint => (v instanceof Long ? v.toBigInt() : BigInt(v as number));

export function queryDocs(ctx: Context, name: string, cmd: Document): Document[] {
  refuseCollation(cmd);
  const scope = letScope(cmd);
  checkFilterVariables(cmd.filter, scope.names);
  // A projection's values may be expressions.
  checkPipelineVariables([{ $project: cmd.projection ?? {} }], scope.names);
  const coll = ctx.store.collection(ctx.db, name);
  const limit = Math.abs(Number(cmd.limit ?? 0));
  const canStopEarly = !cmd.sort && !cmd.skip && limit > 0;
  let docs = select(coll, cmd.filter, canStopEarly ? limit : 0, scope.values);
  if (cmd.sort && Object.keys(cmd.sort).length) docs = sortDocuments(docs, cmd.sort);
  const skip = Number(cmd.skip ?? 0);
  if (skip || limit) docs = docs.slice(skip, limit ? skip + limit : undefined);
  try {
    if (cmd.projection && Object.keys(cmd.projection).length) {
      docs = mingoFind(docs, {}, cmd.projection, scope.values ? { variables: scope.values } : {}).all() as Document[];
    }
  } catch (err) {
    throw fromMingo(err);
  }
  return docs;
}

export const find: CommandSpec = {
  access: 'read',
  handler(ctx) {
    const cmd = ctx.command;
    const name = collectionName(cmd.find);
    const docs = queryDocs(ctx, name, cmd);
    const singleBatch = !!cmd.singleBatch || Number(cmd.limit ?? 0) < 0;
    return ctx.member.cursors.create(`${ctx.db}.${name}`, new ArraySource(docs), cmd.batchSize ?? 101, singleBatch);
  },
};

export const getMore: CommandSpec = {
  access: 'any',
  handler(ctx) {
    const cmd = ctx.command;
    // Database-level change streams live on the `$cmd.aggregate` namespace.
    const name = typeof cmd.collection === 'string' && cmd.collection.startsWith('$cmd.') ? cmd.collection : collectionName(cmd.collection);
    const batchSize = cmd.batchSize ? Number(cmd.batchSize) : undefined;
    return ctx.member.cursors.getMore(toBigInt(cmd.getMore), `${ctx.db}.${name}`, batchSize, Number(cmd.maxTimeMS ?? 1000));
  },
};

export const killCursors: CommandSpec = {
  access: 'any',
  handler(ctx) {
    const ids: unknown[] = Array.isArray(ctx.command.cursors) ? ctx.command.cursors : [];
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of ids) {
      const id = toBigInt(raw);
      (ctx.member.cursors.kill(id) ? killed : notFound).push(Long.fromBigInt(id));
    }
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  },
};
