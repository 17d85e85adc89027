// aggregate, count and distinct; `$changeStream` pipelines open change streams.
import type { Document } from 'bson';
import { aggregate as mingoAggregate } from '../mingo.ts';
import type { CommandSpec, Context } from '../context.ts';
import { ArraySource } from '../cursors.ts';
import { ChangeStreamSource } from '../changestream.ts';
import { Codes, ServerError, badValue, fromMingo, notSupported } from '../errors.ts';
import { clone, select } from '../query.ts';
import { idKey } from '../store.ts';
import { getPath } from '../paths.ts';
import { collectionName } from './names.ts';
import { refuseCollation } from './options.ts';
import { writeMerge, writeOut } from './output.ts';
import { checkPipeline, outputStage } from '../stages.ts';
import { checkFilterVariables, checkPipelineVariables, letScope, type Variables } from '../variables.ts';

/** `$bucket` as MongoDB defines it: a `$group` on a `$switch` of the boundaries, then a `$sort`. */
function expandBucket(spec: Document): Document[] {
  const bounds: unknown[] = spec.boundaries;
  if (!Array.isArray(bounds) || bounds.length < 2) throw badValue("The $bucket 'boundaries' field must be an array of at least two values");
  const branches = bounds.slice(0, -1).map((lower, i) => ({
    case: { $and: [{ $gte: [spec.groupBy, lower] }, { $lt: [spec.groupBy, bounds[i + 1]] }] },
    then: lower,
  }));
  const group: Document = { _id: { $switch: { branches, default: spec.default !== undefined ? spec.default : NO_BUCKET } } };
  Object.assign(group, spec.output ?? { count: { $sum: 1 } });
  return [{ $group: group }, { $sort: { _id: 1 } }];
}

/** Marks a value that fell outside every bucket while no default was given. */
const NO_BUCKET = '\u0000parking-testbed:no-bucket';

function rewrite(pipeline: Document[]): Document[] {
  return pipeline.flatMap((stage) => {
    if ('$bucket' in stage) return expandBucket(stage.$bucket);
    // MongoDB defines $count as a $group with $sum and a $project that drops _id.
    if ('$count' in stage) return [{ $group: { _id: null, [stage.$count]: { $sum: 1 } } }, { $project: { _id: 0 } }];
    return [stage];
  });
}

function resolver(ctx: Context) {
  return (name: string) => [...(ctx.store.collection(ctx.db, name)?.docs.values() ?? [])];
}

export function runPipeline(ctx: Context, docs: Document[], pipeline: Document[], variables?: Variables): Document[] {
  try {
    const out = mingoAggregate(docs, rewrite(pipeline), { collectionResolver: resolver(ctx), ...(variables ? { variables } : {}) }) as Document[];
    if (out.some((d) => d._id === NO_BUCKET)) {
      throw new ServerError(Codes.SwitchNoMatch, '$switch could not find a matching branch for an input, and no default was specified.');
    }
    return out;
  } catch (err) {
    throw fromMingo(err);
  }
}

/** $out and $merge refuse a linearizable read concern (InvalidOptions). */
function checkReadConcern(cmd: Document, output: Document | undefined): void {
  if (output && cmd.readConcern?.level === 'linearizable') {
    throw new ServerError(Codes.InvalidOptions, `${Object.keys(output)[0]} cannot be used with a 'linearizable' read concern level`);
  }
}

export const aggregate: CommandSpec = {
  access: 'read',
  handler(ctx) {
    const cmd = ctx.command;
    const pipeline: Document[] = cmd.pipeline;
    if (!Array.isArray(pipeline)) throw badValue("'pipeline' option must be specified as an array");
    const batchSize = cmd.cursor?.batchSize ?? 101;
    refuseCollation(cmd);
    const first = pipeline[0];
    if (first && '$changeStream' in first) {
      if (cmd.let !== undefined) throw notSupported("'let' on a change stream");
      const options: Document = first.$changeStream ?? {};
      const scope = options.allChangesForCluster ? {} : cmd.aggregate === 1 ? { db: ctx.db } : { db: ctx.db, coll: collectionName(cmd.aggregate) };
      const source = new ChangeStreamSource(ctx.store, scope, options, pipeline.slice(1));
      const ns = cmd.aggregate === 1 ? `${ctx.db}.$cmd.aggregate` : `${ctx.db}.${cmd.aggregate}`;
      return ctx.member.cursors.create(ns, source, batchSize);
    }
    const name = cmd.aggregate === 1 ? undefined : collectionName(cmd.aggregate);
    checkPipeline(pipeline);
    const output = outputStage(pipeline);
    checkReadConcern(cmd, output);
    const scope = letScope(cmd);
    checkPipelineVariables(pipeline, scope.names);
    // A leading $match selects like find does (same matching rules, and fast);
    // copies keep stages such as $set away from the stored documents.
    const leading = first && '$match' in first && name ? first.$match : undefined;
    const input = name ? select(ctx.store.collection(ctx.db, name), leading ?? {}, 0, scope.values).map(clone) : [];
    const stages = leading ? pipeline.slice(1) : pipeline;
    if (output && !ctx.member.isPrimary()) throw new ServerError(Codes.NotWritablePrimary, 'not primary');
    const docs = runPipeline(ctx, input, output ? stages.slice(0, -1) : stages, scope.values);
    if (output) {
      if ('$out' in output) writeOut(ctx, docs, output.$out);
      else writeMerge(ctx, docs, output.$merge);
      return ctx.member.cursors.create(`${ctx.db}.${name ?? '$cmd.aggregate'}`, new ArraySource([]), batchSize);
    }
    return ctx.member.cursors.create(`${ctx.db}.${name ?? '$cmd.aggregate'}`, new ArraySource(docs), batchSize);
  },
};

export const count: CommandSpec = {
  access: 'read',
  handler(ctx) {
    const cmd = ctx.command;
    refuseCollation(cmd);
    checkFilterVariables(cmd.query, new Set());
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
    refuseCollation(cmd);
    checkFilterVariables(cmd.query, new Set());
    const seen = new Map<string, unknown>();
    for (const doc of select(ctx.store.collection(ctx.db, collectionName(cmd.distinct)), cmd.query)) {
      const value = getPath(doc, cmd.key);
      for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) seen.set(idKey(v), v);
    }
    return { values: [...seen.values()], ok: 1 };
  },
};
