// The latency runs and the throughput search, both through the whole pipeline
// (brokers, ingest, MongoDB) as separate processes.
import { THROUGHPUT_CRITERIA, capacityEstimates, cpuPer1000, findBottleneck, judgeStep } from '../analysis.ts';
import { DURABLE_METHOD, PipelineHarness } from '../harness.ts';
import { probeRateFor, type BenchOptions } from '../options.ts';
import { startPipeline, type Pipeline } from '../platform.ts';
import type { LatencySection, PipelineRun, ThroughputSearch, ThroughputSection, ThroughputStep } from '../report.ts';

export type Progress = (line: string) => void;

const WARM_UP_MS = 2000;

export async function withHarness<T>(
  options: BenchOptions,
  tag: string,
  progress: Progress,
  body: (h: PipelineHarness, p: Pipeline) => Promise<T>,
  sink = false,
): Promise<{ result: T; mongoKind: Pipeline['mongoKind'] }> {
  const mongo = sink ? 'acknowledge-only MongoDB sink' : options.mongodbUri ? 'MONGODB_URI' : 'MongoDB stand-in';
  progress(`starting the pipeline (${mongo}, primary${options.standby ? ', bridged standby' : ''}, ingest)`);
  const pipeline = await startPipeline({ mongodbUri: options.mongodbUri, sink, db: `${options.db}_${tag}`, standby: options.standby });
  try {
    const harness = await PipelineHarness.open(pipeline, { slots: options.slots, publishers: options.publishers, drainMs: options.drainMs, tag });
    try {
      const rate = Math.min(1000, options.rates[0] ?? 1000);
      const warm = await harness.run({ rate, durationMs: Math.min(WARM_UP_MS, options.durationMs), probeRate: probeRateFor(rate) });
      if (warm.probes.visible < warm.probes.sent || (warm.probes.durable ?? Infinity) < warm.probes.sent) {
        throw new Error(`the pipeline did not deliver the warm-up probes (${warm.probes.visible}/${warm.probes.sent} in availability, ${warm.probes.durable} durable); ingest said:\n${pipeline.ingest.output().slice(-2000)}`);
      }
      return { result: await body(harness, pipeline), mongoKind: pipeline.mongoKind };
    } finally {
      await harness.close();
    }
  } finally {
    await pipeline.stop();
  }
}

const line = (r: PipelineRun) =>
  `${r.achievedRate}/s achieved; availability p50 ${r.availability.p50} p99 ${r.availability.p99} ms; durable p50 ${r.durable.p50} p99 ${r.durable.p99} ms`;

export async function runLatency(options: BenchOptions, progress: Progress): Promise<{ section: LatencySection; mongoKind: Pipeline['mongoKind'] }> {
  const { result, mongoKind } = await withHarness(options, 'lat', progress, async (harness) => {
    const runs: PipelineRun[] = [];
    for (const rate of options.rates) {
      progress(`latency: ${rate}/s for ${options.durationMs / 1000} s`);
      const run = await harness.run({ rate, durationMs: options.durationMs, probeRate: probeRateFor(rate) });
      progress(`latency: ${rate}/s: ${line(run)}`);
      runs.push(run);
    }
    return runs;
  });
  return { section: { method: DURABLE_METHOD, runs: result }, mongoKind };
}

/** Tries the rates in order until one fails. */
async function search(options: BenchOptions, cores: number, progress: Progress, sink: boolean): Promise<{ search: ThroughputSearch; mongoKind: Pipeline['mongoKind'] }> {
  const label = sink ? 'throughput without MongoDB' : 'throughput';
  const { result: steps, mongoKind } = await withHarness(
    options,
    sink ? 'sink' : 'thr',
    progress,
    async (harness) => {
      const steps: ThroughputStep[] = [];
      for (const rate of options.steps) {
        progress(`${label}: ${rate}/s for ${options.durationMs / 1000} s`);
        const run = await harness.run({ rate, durationMs: options.durationMs, probeRate: probeRateFor(rate) });
        const verdict = judgeStep(run, THROUGHPUT_CRITERIA);
        steps.push({ ...run, ...verdict });
        progress(`${label}: ${rate}/s ${verdict.pass ? 'sustained' : 'FAILED'}: ${verdict.reason}`);
        if (!verdict.pass) break;
      }
      return steps;
    },
    sink,
  );
  const best = steps.filter((s) => s.pass).at(-1);
  const failed = steps.find((s) => !s.pass);
  const limit = failed ?? steps.at(-1);
  const bottleneck = limit ? findBottleneck(limit.processes, cores, limit.othersCpuPct) : { process: null, cpuPct: null, machineCpuPct: 0, note: 'no steps ran' };
  if (!failed && limit) bottleneck.note = `every step passed; at the highest: ${bottleneck.note}`;
  return { search: { steps, maxSustainedRate: best?.rate ?? null, bottleneck }, mongoKind };
}

export async function runThroughput(options: BenchOptions, cores: number, progress: Progress): Promise<{ section: ThroughputSection; mongoKind: Pipeline['mongoKind'] }> {
  const { search: main, mongoKind } = await search(options, cores, progress, false);
  let withoutMongo: ThroughputSearch | undefined;
  try {
    withoutMongo = (await search(options, cores, progress, true)).search;
  } catch (error) {
    progress(`throughput without MongoDB: failed: ${(error as Error).message.split('\n')[0]}`);
  }
  const steps = main.steps;
  // The highest step that ran: fixed costs (heartbeats, timers) weigh least there.
  const costBasis = steps.at(-1);
  const cost = costBasis ? cpuPer1000(costBasis.processes, costBasis.sent) : {};
  const estimates = capacityEstimates(cost, cores);
  return {
    section: {
      criterion: `both p99 latencies under ${THROUGHPUT_CRITERIA.p99Ms} ms, the load reaching ${THROUGHPUT_CRITERIA.minRateRatio * 100}% of the offered rate, every probe arriving; rates tried in order, stopping at the first failure`,
      steps,
      maxSustainedRate: main.maxSustainedRate,
      withoutMongo,
      cpuMsPer1000: cost,
      estimates: {
        ...estimates,
        note: `rough: CPU per 1,000 updates at ${costBasis ? `${costBasis.rate}/s` : 'n/a'} scaled linearly, though ingest's cost is per written batch more than per update (batches are smaller when MongoDB answers faster); perProcess: the rate one full core would carry for that process alone; withoutMongoRate: brokers and ingest on ${cores} cores with MongoDB's CPU left out, load generator excluded. withoutMongo is the measured figure`,
      },
      bottleneck: main.bottleneck,
    },
    mongoKind,
  };
}
