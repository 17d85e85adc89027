// Where each aggregation stage may stand, as MongoDB 7.0 checks before it
// runs a pipeline: an unknown stage (40324), a stage the stand-in does not
// run (NotImplemented, 238), $out/$merge anywhere but last (40601) or inside
// $facet (40600), $lookup (51047) or $unionWith (31441), and the stages a
// change stream allows (IllegalOperation, 20).
import type { Document } from 'bson';
import { Codes, ServerError, notSupported } from './errors.ts';

/** Stages mingo runs (with $out and $merge, which the stand-in writes itself). */
const RUN = new Set([
  '$addFields', '$bucket', '$bucketAuto', '$count', '$densify', '$documents', '$facet', '$fill', '$graphLookup',
  '$group', '$limit', '$lookup', '$match', '$merge', '$out', '$project', '$redact', '$replaceRoot', '$replaceWith',
  '$sample', '$set', '$setWindowFields', '$skip', '$sort', '$sortByCount', '$unionWith', '$unset', '$unwind',
]);

/** MongoDB 7.0's other stages: known to the server, not run by the stand-in. */
const NOT_RUN = new Set([
  '$changeStream', '$changeStreamSplitLargeEvent', '$collStats', '$currentOp', '$geoNear', '$indexStats',
  '$listLocalSessions', '$listSampledQueries', '$listSearchIndexes', '$listSessions', '$planCacheStats', '$search',
  '$searchMeta', '$shardedDataDistribution', '$vectorSearch',
]);

/** What may follow `$changeStream`. */
const CHANGE_STREAM = new Set(['$addFields', '$match', '$project', '$redact', '$replaceRoot', '$replaceWith', '$set', '$unset']);

const OUTPUT = new Set(['$out', '$merge']);

function stageName(stage: unknown): string {
  if (!stage || typeof stage !== 'object' || Array.isArray(stage) || Object.keys(stage).length !== 1) {
    throw new ServerError(Codes.Location40323, 'A pipeline stage specification object must contain exactly one field.');
  }
  const name = Object.keys(stage)[0];
  if (!RUN.has(name) && !NOT_RUN.has(name)) throw new ServerError(Codes.Location40324, `Unrecognized pipeline stage name: '${name}'`);
  return name;
}

type Nesting = '$facet' | '$lookup' | '$unionWith' | undefined;

const NESTED_OUTPUT: Record<Exclude<Nesting, undefined>, (name: string) => ServerError> = {
  $facet: (name) => new ServerError(Codes.Location40600, `${name} is not allowed to be used within a $facet stage`),
  $lookup: (name) => new ServerError(Codes.Location51047, `${name} is not allowed within a $lookup's sub-pipeline`),
  $unionWith: (name) => new ServerError(Codes.Location31441, `${name} is not allowed within a $unionWith's sub-pipeline`),
};

function checkNested(pipeline: unknown, within: Nesting): void {
  if (!Array.isArray(pipeline)) return;
  pipeline.forEach((stage: Document, i) => {
    const name = stageName(stage);
    if (OUTPUT.has(name)) {
      if (within) throw NESTED_OUTPUT[within](name);
      if (i !== pipeline.length - 1) throw new ServerError(Codes.Location40601, `${name} can only be the final stage in the pipeline`);
    }
    if (name === '$changeStream') {
      throw new ServerError(Codes.Location40602, '$changeStream is only valid as the first stage in a pipeline');
    }
    if (NOT_RUN.has(name)) throw notSupported(`the aggregation stage ${name}`);
    const spec = stage[name];
    if (name === '$facet' && spec && typeof spec === 'object') for (const sub of Object.values(spec)) checkNested(sub, '$facet');
    if ((name === '$lookup' || name === '$unionWith') && spec && typeof spec === 'object') checkNested(spec.pipeline, name);
  });
}

/** Checks an aggregation pipeline (after a leading `$changeStream`, if any, was taken off). */
export function checkPipeline(pipeline: Document[]): void {
  checkNested(pipeline, undefined);
}

/** Checks the stages that follow `$changeStream`. */
export function checkChangeStreamPipeline(pipeline: Document[]): void {
  for (const stage of pipeline) {
    const name = stageName(stage);
    if (name === '$changeStreamSplitLargeEvent') throw notSupported('the $changeStreamSplitLargeEvent stage');
    if (!CHANGE_STREAM.has(name)) throw new ServerError(Codes.IllegalOperation, `${name} is not permitted in a $changeStream pipeline`);
  }
}

/** The output stage ending a pipeline ($out or $merge), if any. */
export function outputStage(pipeline: Document[]): Document | undefined {
  const last = pipeline[pipeline.length - 1];
  return last && OUTPUT.has(Object.keys(last)[0]) ? last : undefined;
}
