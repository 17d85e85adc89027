// aggregate, count and distinct; `$changeStream` pipelines open change streams.
import type { Document } from 'bson';
import { aggregate as mingoAggregate } from 'mingo';
import type { CommandSpec, Context } from '../context.ts';
import { ArraySource } from '../cursors.ts';
import { ChangeStreamSource } from '../changestream.ts';
import { badValue, ServerError } from '../errors.ts';
import { clone, select } from '../query.ts';
import { idKey } from '../store.ts';
import { getPath } from '../paths.ts';
import { collectionName } from './names.ts';

/** `$bucket` as MongoDB defines it: a `$group` on a `$switch` of the boundaries, then a `$sort`. */
function expandBucket(spec: Document): Document[] {
  const bounds: unknown[] = spec.boundaries;
  if (!Array.isArray(bounds) || bounds.length < 2) throw badValue("The $bucket 'boundaries' field must be an array of at least two values");
  const branches = bounds.slice(0, -1).map((lower, i) => ({
    case: { $and: [{ $gte: [spec.groupBy, lower] }, { $lt: [spec.groupBy, bounds[i + 1]] }] },
    then: lower,
  }));
  const group: Document = { _id: { $switch: { branches, ...(spec.default !== undefined ? { default: spec.default } : {}) } } };
  Object.assign(group, spec.output ?? { count: { $sum: 1 } });
  return [{ $group: group }, { $sort: { _id: 1 } }];
}

function rewrite(pipeline: Document[]): Document[] {
  return pipeline.flatMap((stage) => ('$bucket' in stage ? expandBucket(stage.$bucket) : [stage]));
}

function resolver(ctx: Context) {
  return (name: string) => [...(ctx.store.collection(ctx.db, name)?.docs.values() ?? [])];
}

export function runPipeline(ctx: Context, docs: Document[], pipeline: Document[]): Document[] {
  try {
    return mingoAggregate(docs, rewrite(pipeline), { collectionResolver: resolver(ctx) }) as Document[];
  } catch (err) {
    if (err instanceof ServerError) throw err;
    throw badValue((err as Error).message);
  }
}

function writeOut(ctx: Context, docs: Document[], stage: Document): void {
  const target = typeof stage.$out === 'string' ? { db: ctx.db, coll: stage.$out } : stage.$out;
  ctx.store.dropCollection(target.db, target.coll);
  const coll = ctx.store.ensureCollection(target.db, target.coll);
  for (const doc of docs) coll.insert(doc);
}

export const aggregate: CommandSpec = {
  access: 'read',
  handler(ctx) {
    const cmd = ctx.command;
    const pipeline: Document[] = cmd.pipeline;
    if (!Array.isArray(pipeline)) throw badValue("'pipeline' option must be specified as an array");
    const batchSize = cmd.cursor?.batchSize ?? 101;
    const first = pipeline[0];
    if (first && '$changeStream' in first) {
      const options: Document = first.$changeStream ?? {};
      const scope = options.allChangesForCluster ? {} : cmd.aggregate === 1 ? { db: ctx.db } : { db: ctx.db, coll: collectionName(cmd.aggregate) };
      const source = new ChangeStreamSource(ctx.store, scope, options, pipeline.slice(1));
      const ns = cmd.aggregate === 1 ? `${ctx.db}.$cmd.aggregate` : `${ctx.db}.${cmd.aggregate}`;
      return ctx.member.cursors.create(ns, source, batchSize);
    }
    const name = cmd.aggregate === 1 ? undefined : collectionName(cmd.aggregate);
    // Stages such as $set must never touch the stored documents.
    const input = name ? select(ctx.store.collection(ctx.db, name), {}).map(clone) : [];
    const last = pipeline[pipeline.length - 1];
    const writes = last && '$out' in last;
    if (writes && !ctx.member.isPrimary()) throw new ServerError(10107, 'not primary');
    const docs = runPipeline(ctx, input, writes ? pipeline.slice(0, -1) : pipeline);
    if (writes) {
      writeOut(ctx, docs, last);
      return ctx.member.cursors.create(`${ctx.db}.${name}`, new ArraySource([]), batchSize);
    }
    return ctx.member.cursors.create(`${ctx.db}.${name ?? '$cmd.aggregate'}`, new ArraySource(docs), batchSize);
  },
};

export const count: CommandSpec = {
  access: 'read',
  handler(ctx) {
    const cmd = ctx.command;
    let n = select(ctx.store.collection(ctx.db, collectionName(cmd.count)), cmd.query).length;
    if (cmd.skip) n = Math.max(0, n - Number(cmd.skip));
    if (cmd.limit) n = Math.min(n, Math.abs(Number(cmd.limit)));
    return { n, ok: 1 };
  },
};

export const distinct: CommandSpec = {
  access: 'read',
  handler(ctx) {
    const cmd = ctx.command;
    if (typeof cmd.key !== 'string') throw badValue("BSON field 'distinct.key' is missing but a required field");
    const seen = new Map<string, unknown>();
    for (const doc of select(ctx.store.collection(ctx.db, collectionName(cmd.distinct)), cmd.query)) {
      const value = getPath(doc, cmd.key);
      for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) seen.set(idKey(v), v);
    }
    return { values: [...seen.values()], ok: 1 };
  },
};
