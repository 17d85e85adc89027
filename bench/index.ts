// The performance benchmarks behind `parking bench`: the platform's parts as
// separate processes on loopback, measured for latency, throughput, scale and
// against peer brokers. See docs/bench.md.
//
//   import { runBench, resolveOptions } from './bench/index.ts';
//   const { report, table, files } = await runBench(resolveOptions({ out: 'reports/x', quick: true }), console.error);
export { runBench, type BenchResult } from './run.ts';
export { FULL, QUICK, resolveOptions, defaultOut, parseCount, parseCounts, parseDuration, parseSections, probeRateFor, type BenchOptions } from './options.ts';
export { validateReport, SECTIONS, type BenchReport, type Section, type PipelineRun, type ThroughputStep, type PeerRun, type ScaleStep, type TargetCheck, type CpuBudget } from './report.ts';
export { renderTable } from './table.ts';
export { renderSvg } from './svg.ts';
export { summarize, percentile, type LatencySummary } from './stats.ts';
export { Pacer } from './pacer.ts';
export { judgeStep, findBottleneck, capacityEstimates, cpuBudget, cpuPer1000, peerRatios, checkTargets, TARGETS, THROUGHPUT_CRITERIA } from './analysis.ts';
export { killAllParts } from '../proc/index.ts';
