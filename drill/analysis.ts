// From the runs to the summary, the availability figures and the verdict on
// each target. Pure.
import { PRIOR_WORK, availabilityOf, downtimePerYear, nines, type FailureRates } from './availability.ts';
import type { AvailabilityRow, DrillRun, SummaryRow, TargetResult } from './result.ts';
import { SCENARIO_INFO, type FaultClass, type LinkName, type ScenarioName } from './scenarios.ts';
import { relativeChange, summarize } from './stats.ts';

/** One row per scenario and link, in the order the runs came. */
export function summarizeRuns(runs: readonly DrillRun[]): SummaryRow[] {
  const groups = new Map<string, DrillRun[]>();
  for (const run of runs) {
    const key = `${run.scenario}|${run.link}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((group) => {
    const { scenario, link } = group[0];
    const changes = group.map((r) => relativeChange(r.throughputBefore, r.throughputAfter)).filter((c): c is number => c !== null);
    const worst = changes.length ? changes.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a)) : null;
    const mean = (pick: (r: DrillRun) => number) => group.reduce((sum, r) => sum + pick(r), 0) / group.length;
    return {
      scenario,
      link,
      class: SCENARIO_INFO[scenario].class,
      runs: group.length,
      failoverMs: summarize(group.map((r) => r.failoverMs)),
      linkReadyMs: summarize(group.map((r) => r.linkReadyMs)),
      visibleMs: summarize(group.map((r) => r.visibleMs)),
      durableMs: summarize(group.map((r) => r.durableMs)),
      serviceMs: summarize(group.map((r) => r.serviceMs)),
      availabilityP99Ms: worstOf(group.map((r) => r.availabilityP99Ms)),
      availabilityMaxMs: worstOf(group.map((r) => r.availabilityMaxMs)),
      gateP99Ms: worstOf(group.map((r) => r.gateP99Ms)),
      gateMaxMs: worstOf(group.map((r) => r.gateMaxMs)),
      gateSent: sum(group, (r) => r.gateSent ?? 0),
      gateUnanswered: sum(group, (r) => (r.gateSent ?? 0) - (r.gateAnswered ?? 0)),
      unrecovered: group.filter((r) => r.failoverMs === null || r.visibleMs === null).length,
      sent: sum(group, (r) => r.sent),
      delivered: sum(group, (r) => r.delivered),
      lost: sum(group, (r) => r.lost),
      duplicated: sum(group, (r) => r.duplicated),
      throughputBefore: mean((r) => r.throughputBefore),
      throughputAfter: mean((r) => r.throughputAfter),
      worstThroughputChange: worst,
    };
  });
}

const sum = (runs: readonly DrillRun[], pick: (r: DrillRun) => number) => runs.reduce((total, r) => total + pick(r), 0);

/** The largest of the values given, null when none. */
function worstOf(values: ReadonlyArray<number | null | undefined>): number | null {
  const known = values.filter((v): v is number => typeof v === 'number');
  return known.length ? Math.max(...known) : null;
}

function row(label: string, cls: FaultClass, rates: FailureRates, failoverMs: number): AvailabilityRow {
  const failuresPerYear = rates[cls];
  const downtime = downtimePerYear(failuresPerYear, failoverMs);
  const availability = availabilityOf(downtime);
  return { label, class: cls, failuresPerYear, failoverMs, downtimeSecondsPerYear: downtime, availability, nines: nines(availability) };
}

/**
 * Downtime a year = failures a year × median interruption (serviceMs: the failover for broker
 * faults, the slowest availability update or gate answer for database faults); availability =
 * 1 − downtime / year.
 * Per scenario and link; per class the worst scenario (the platform is as available as its
 * slowest failover of that class); and the earlier parking work at the same failure rates.
 */
export function availabilityRows(summary: readonly SummaryRow[], rates: FailureRates): { planned: AvailabilityRow[]; unplanned: AvailabilityRow[]; scenarios: AvailabilityRow[]; prior: AvailabilityRow[] } {
  const scenarios = summary
    .filter((s) => s.serviceMs.median !== null)
    .map((s) => row(`${s.scenario} (${s.link})`, s.class, rates, s.serviceMs.median!));
  const worst = (cls: FaultClass, target?: 'broker' | 'db' | 'redis'): AvailabilityRow[] => {
    const rows = summary.filter((s) => s.class === cls && s.serviceMs.median !== null && (!target || SCENARIO_INFO[s.scenario].target === target));
    if (!rows.length) return [];
    const slowest = rows.reduce((a, b) => (b.serviceMs.median! > a.serviceMs.median! ? b : a));
    const what = target === 'broker' ? 'field link (broker faults)' : 'platform';
    return [row(`${what}, ${cls}: worst is ${slowest.scenario} (${slowest.link})`, cls, rates, slowest.serviceMs.median!)];
  };
  const prior: AvailabilityRow[] = [
    row('earlier parking failover, wired (mean 4 s)', 'unplanned', rates, PRIOR_WORK.parking.failoverMs.wired),
    row('earlier parking failover, wireless (mean 6.033 s)', 'unplanned', rates, PRIOR_WORK.parking.failoverMs.wireless),
  ];
  return {
    planned: [...worst('planned', 'broker'), ...worst('planned')],
    unplanned: [...worst('unplanned', 'broker'), ...worst('unplanned')],
    scenarios,
    prior,
  };
}

interface TimeTarget {
  scenario: ScenarioName;
  link?: LinkName;
  limitMs: number;
  name: string;
}

/** The targets, medians on one machine. */
export const TIME_TARGETS: readonly TimeTarget[] = [
  { scenario: 'broker-crash', limitMs: 100, name: 'crash failover' },
  { scenario: 'broker-partition', link: 'wired', limitMs: 500, name: 'partition failover, wired' },
  { scenario: 'broker-partition', link: 'wireless', limitMs: 1000, name: 'partition failover, wireless' },
  { scenario: 'broker-planned', limitMs: 50, name: 'planned switchover' },
];

/** Largest relative change of the delivered rate after a failover that still passes. */
export const THROUGHPUT_TOLERANCE = 0.02;

const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

export function evaluateTargets(runs: readonly DrillRun[], summary: readonly SummaryRow[]): TargetResult[] {
  const out: TargetResult[] = [];
  for (const target of TIME_TARGETS) {
    const rows = summary.filter((s) => s.scenario === target.scenario && (!target.link || s.link === target.link));
    if (!rows.length) {
      out.push({ target: target.name, scenario: target.scenario, link: target.link, limit: `median <= ${ms(target.limitMs)}`, measured: 'not run', pass: null });
      continue;
    }
    for (const s of rows) {
      const median = s.failoverMs.median;
      const failed = s.runs - s.failoverMs.n;
      const measured = median === null ? 'no run recovered' : `median ${ms(median)}${failed ? `; ${failed} of ${s.runs} runs did not recover` : ''}`;
      out.push({ target: target.name, scenario: s.scenario, link: s.link, limit: `median <= ${ms(target.limitMs)}`, measured, pass: median !== null && failed === 0 && median <= target.limitMs });
    }
  }
  out.push(...databaseTargets(runs));
  const lossy = runs.filter((r) => r.lost > 0);
  out.push({
    target: 'zero lost messages in every run',
    limit: '0 lost',
    measured: runs.length ? (lossy.length ? `${lossy.length} of ${runs.length} runs lost messages (${lossy.reduce((n, r) => n + r.lost, 0)} in all): ${describe(lossy)}` : `0 lost in ${runs.length} runs`) : 'not run',
    pass: runs.length ? lossy.length === 0 : null,
  });
  const changes = runs.map((r) => ({ run: r, change: relativeChange(r.throughputBefore, r.throughputAfter) }));
  const outside = changes.filter((c) => c.change === null || Math.abs(c.change) > THROUGHPUT_TOLERANCE);
  const worst = changes.reduce<number | null>((w, c) => (c.change === null ? w : w === null || Math.abs(c.change) > Math.abs(w) ? c.change : w), null);
  out.push({
    target: 'throughput after failover within 2 % of before',
    limit: `|change| <= ${(THROUGHPUT_TOLERANCE * 100).toFixed(0)} %`,
    measured: runs.length
      ? `${outside.length} of ${runs.length} runs outside${worst === null ? '' : `; worst ${pct(worst)}`}${outside.length ? `: ${describe(outside.map((c) => c.run))}` : ''}`
      : 'not run',
    pass: runs.length ? outside.length === 0 : null,
  });
  return out;
}

export const pct = (change: number) => `${change >= 0 ? '+' : ''}${(change * 100).toFixed(2)} %`;

function describe(runs: readonly DrillRun[]): string {
  const names = runs.slice(0, 6).map((r) => `${r.scenario}/${r.link}#${r.run}`);
  return names.join(', ') + (runs.length > 6 ? `, and ${runs.length - 6} more` : '');
}

/** Limits through database faults: visitors and gates never wait for the election. */
export const DB_LIMITS = { availabilityP99Ms: 100, gateP99Ms: 500 };

function databaseTargets(runs: readonly DrillRun[]): TargetResult[] {
  const db = runs.filter((r) => SCENARIO_INFO[r.scenario].target === 'db');
  const worstRun = (pick: (r: DrillRun) => number | null | undefined) =>
    db.reduce<DrillRun | undefined>((w, r) => {
      const v = pick(r) ?? Number.POSITIVE_INFINITY;
      return !w || v > (pick(w) ?? Number.POSITIVE_INFINITY) ? r : w;
    }, undefined);
  const out: TargetResult[] = [];
  const availability = worstRun((r) => r.availabilityP99Ms);
  const unanswered = db.filter((r) => (r.gateSent ?? 0) > (r.gateAnswered ?? 0));
  const gate = worstRun((r) => r.gateP99Ms);
  const at = (r: DrillRun) => `${r.scenario}/${r.link}#${r.run}`;
  out.push({
    target: 'availability updated through database faults',
    limit: `p99 <= ${DB_LIMITS.availabilityP99Ms} ms in every run`,
    measured: !availability ? 'not run' : `worst p99 ${fmt(availability.availabilityP99Ms)} (${at(availability)}), ${db.reduce((n, r) => n + (r.availabilitySamples ?? 0), 0)} changes timed`,
    pass: !availability ? null : db.every((r) => r.availabilityP99Ms != null && r.availabilityP99Ms <= DB_LIMITS.availabilityP99Ms),
  });
  out.push({
    target: 'gates answered through database faults',
    limit: `p99 <= ${DB_LIMITS.gateP99Ms} ms in every run, every event answered`,
    measured: !gate ? 'not run' : `worst p99 ${fmt(gate.gateP99Ms)} (${at(gate)})${unanswered.length ? `; unanswered events in ${describe(unanswered)}` : ''}`,
    pass: !gate ? null : unanswered.length === 0 && db.every((r) => r.gateP99Ms != null && r.gateP99Ms <= DB_LIMITS.gateP99Ms),
  });
  const wrong = runs.filter((r) => r.gateProblems?.length);
  out.push({
    target: 'every gate event recorded once; no car charged twice, lost, or charged other than shown',
    limit: 'no problem in MongoDB',
    measured: runs.length ? (wrong.length ? `${wrong.length} of ${runs.length} runs: ${describe(wrong)}` : `all well in ${runs.length} runs`) : 'not run',
    pass: runs.length ? wrong.length === 0 : null,
  });
  return out;
}

const fmt = (v: number | null | undefined) => (v == null ? 'none' : ms(v));
