// The whole result from the runs and what was set. Pure.
import { availabilityRows, evaluateTargets, summarizeRuns } from './analysis.ts';
import { UNITS, type DrillOptionsRecord, type DrillResult, type DrillRun } from './result.ts';
import type { ScenarioName } from './scenarios.ts';

export interface AssembleInput {
  runs: DrillRun[];
  options: DrillOptionsRecord;
  startedAt: Date;
  finishedAt: Date;
  machine: DrillResult['machine'];
  totals: DrillResult['totals'];
  skipped: Array<{ scenario: ScenarioName; reason: string }>;
  incidents?: DrillResult['incidents'];
  interrupted?: boolean;
}

export function assembleResult(input: AssembleInput): DrillResult {
  const summary = summarizeRuns(input.runs);
  return {
    runs: input.runs,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationMs: input.finishedAt.getTime() - input.startedAt.getTime(),
    options: input.options,
    machine: input.machine,
    units: UNITS,
    summary,
    availability: availabilityRows(summary, input.options.failuresPerYear),
    targets: evaluateTargets(input.runs, summary),
    totals: input.totals,
    skipped: input.skipped,
    incidents: input.incidents ?? [],
    ...(input.interrupted ? { interrupted: true } : {}),
  };
}
