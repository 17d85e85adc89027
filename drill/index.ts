// Failover drills: the platform's parts as processes, faults injected N
// times each, failover and visibility times, message accounting, throughput,
// availability maths and the report. I/O lives in runner, stack, processes,
// traffic, database, faults and output; the rest is pure.
export { runDrill, type DrillOptions, type DrillProgress } from './runner.ts';
export { writeDrillReport, type WrittenReport } from './output.ts';
export {
  SCENARIOS,
  SCENARIO_INFO,
  LINKS,
  defaultScenarios,
  planRuns,
  parseScenarioList,
  parseLinkList,
  type ScenarioName,
  type LinkName,
  type ScenarioInfo,
  type PlannedRun,
  type FaultClass,
  type FaultTarget,
} from './scenarios.ts';
export type { DrillResult, DrillRun, SummaryRow, AvailabilityRow, TargetResult, DrillOptionsRecord } from './result.ts';
export { clearWindow, coveredMs, summarize, percentile, relativeChange, type Stats } from './stats.ts';
export {
  SECONDS_PER_YEAR,
  DEFAULT_FAILURE_RATES,
  PRIOR_WORK,
  downtimePerYear,
  availabilityOf,
  nines,
  formatAvailability,
  parseFailureRates,
  type FailureRates,
} from './availability.ts';
export { Ledger, RecoveryWatch, type Counts, type Rate, type Via } from './ledger.ts';
export { summarizeRuns, availabilityRows, evaluateTargets, TIME_TARGETS, THROUGHPUT_TOLERANCE } from './analysis.ts';
export { assembleResult, type AssembleInput } from './assemble.ts';
export { renderReport, table, fmtMs, fmtSeconds } from './report.ts';
export { renderChart, escapeXml, logDomain } from './chart.ts';
export { Progress, renderBar, type ProgressSink, type ProgressState } from './progress.ts';
export { killAllParts } from '../proc/index.ts';
