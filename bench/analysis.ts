// Pure judgements over measured runs: does a throughput step pass, where is
// the bottleneck, what would each process sustain alone, how does the
// platform's broker compare with its peers, which targets are met.
import type { BenchReport, Bottleneck, CpuBudget, PeerRatio, PeerRun, PipelineRun, TargetCheck } from './report.ts';
import type { ProcessUsage } from './procstat.ts';

export interface StepCriteria {
  /** p99 limit for both latencies, ms. */
  p99Ms: number;
  /** Share of the offered rate the load must reach. */
  minRateRatio: number;
}

export const THROUGHPUT_CRITERIA: StepCriteria = { p99Ms: 100, minRateRatio: 0.95 };

export function judgeStep(run: PipelineRun, criteria: StepCriteria = THROUGHPUT_CRITERIA): { pass: boolean; reason: string } {
  const a = run.availability.p99;
  const b = run.durable.p99;
  const p99 = `p99 ${fmt(a)} / ${fmt(b)} ms`;
  if (run.achievedRate < run.rate * criteria.minRateRatio) {
    return { pass: false, reason: `load reached ${run.achievedRate}/s of ${run.rate}/s (brokers not acknowledging fast enough); ${p99}` };
  }
  const durable = run.probes.durable !== null;
  const missing = [run.probes.sent - run.probes.visible, durable ? run.probes.sent - run.probes.durable! : 0];
  if (missing[0] > 0 || missing[1] > 0) return { pass: false, reason: `probes missing after the drain time: ${missing[0]} not in availability${durable ? `, ${missing[1]} not durable` : ''}; ${p99}` };
  if (a === null || (durable && b === null)) return { pass: false, reason: 'no probe latencies' };
  if (a > criteria.p99Ms || (durable && b! > criteria.p99Ms)) return { pass: false, reason: `${p99} over ${criteria.p99Ms} ms` };
  return { pass: true, reason: p99 };
}

const fmt = (v: number | null) => (v === null ? '-' : v >= 100 ? String(Math.round(v)) : v.toFixed(1));

/** CPU ms per 1,000 updates for each process. */
export function cpuPer1000(processes: Record<string, ProcessUsage>, updates: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (updates <= 0) return out;
  for (const [name, usage] of Object.entries(processes)) out[name] = Math.round(((usage.cpuMs * 1000) / updates) * 100) / 100;
  return out;
}

/** Not part of the platform: the benchmark's own load generator and probes. */
export const LOAD_PROCESS = 'bench';
export const MONGO_PROCESS = 'mongo';

/**
 * Rates the costs allow: each process alone on a full core (1,000 ms / its CPU per
 * update), and the platform without the MongoDB side on `cores` cores (limited by its
 * busiest single-threaded process and by the cores all of them share).
 */
export function capacityEstimates(cost: Record<string, number>, cores: number): { perProcess: Record<string, number>; withoutMongoRate: number | null } {
  const perProcess: Record<string, number> = {};
  for (const [name, ms] of Object.entries(cost)) if (ms > 0) perProcess[name] = Math.round((1000 * 1000) / ms);
  const platform = Object.entries(cost).filter(([name, ms]) => name !== LOAD_PROCESS && name !== MONGO_PROCESS && ms > 0);
  if (!platform.length) return { perProcess, withoutMongoRate: null };
  const single = Math.min(...platform.map(([name]) => perProcess[name]));
  const shared = (cores * 1000 * 1000) / platform.reduce((sum, [, ms]) => sum + ms, 0);
  return { perProcess, withoutMongoRate: Math.round(Math.min(single, shared)) };
}

/** The process closest to a full core, and the machine's total load (percent of all cores, `othersPct` included: CPU of processes outside the benchmark). */
export function findBottleneck(processes: Record<string, ProcessUsage>, cores: number, othersPct = 0): Bottleneck {
  const entries = Object.entries(processes);
  const machineCpuPct = Math.round(((entries.reduce((sum, [, u]) => sum + u.cpuPct, 0) + othersPct) / Math.max(1, cores)) * 10) / 10;
  if (!entries.length) return { process: null, cpuPct: null, machineCpuPct, note: 'no processes measured' };
  const [name, usage] = entries.reduce((best, e) => (e[1].cpuPct > best[1].cpuPct ? e : best));
  const share = [...entries.map(([n, u]) => `${n} ${Math.round(u.cpuPct)}%`), ...(othersPct ? [`other processes ${Math.round(othersPct)}%`] : [])].join(', ');
  let note: string;
  if (usage.cpuPct >= 90) note = `${name} saturates a core (${Math.round(usage.cpuPct)}% of one core; ${share})`;
  else if (machineCpuPct >= 85) note = `the ${cores} cores are saturated together (${machineCpuPct}% of all cores; ${share}); no single process is at a full core`;
  else note = `no process at a full core and the machine is not saturated (${share}): the limit is queueing or scheduling, not CPU`;
  return { process: name, cpuPct: usage.cpuPct, machineCpuPct, note };
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || b <= 0 ? null : Math.round((a / b) * 100) / 100;

/** Platform vs plain Aedes and Mosquitto, and the bridge vs direct, per rate. */
export function peerRatios(runs: readonly PeerRun[]): PeerRatio[] {
  const rates = [...new Set(runs.map((r) => r.rate))].sort((x, y) => x - y);
  return rates.map((rate) => {
    const at = (target: PeerRun['target']) => runs.find((r) => r.rate === rate && r.target === target);
    const platform = at('platform');
    const aedes = at('aedes');
    const mosquitto = at('mosquitto');
    const direct = at('bridge-direct');
    const standby = at('bridge-standby');
    return {
      rate,
      cpuVsAedes: ratio(platform?.cpuMsPer1000, aedes?.cpuMsPer1000),
      cpuVsMosquitto: ratio(platform?.cpuMsPer1000, mosquitto?.cpuMsPer1000),
      p50VsAedes: ratio(platform?.latency.p50, aedes?.latency.p50),
      p50VsMosquitto: ratio(platform?.latency.p50, mosquitto?.latency.p50),
      p99VsAedes: ratio(platform?.latency.p99, aedes?.latency.p99),
      p99VsMosquitto: ratio(platform?.latency.p99, mosquitto?.latency.p99),
      bridgeP50VsDirect: ratio(standby?.latency.p50, direct?.latency.p50),
      bridgeP99VsDirect: ratio(standby?.latency.p99, direct?.latency.p99),
    };
  });
}

/**
 * The CPU a throughput target leaves per update on `cores` cores, next to what
 * the run's highest throughput step spent per update in each process (load
 * generator included: it shares the cores) and what one plain broker hop costs.
 */
export function cpuBudget(report: Pick<BenchReport, 'throughput' | 'peers'>, cores: number, rate: number = TARGETS.throughput): CpuBudget | undefined {
  // The section's costs are those of its highest step.
  const step = report.throughput?.steps.at(-1);
  const costs = report.throughput?.cpuMsPer1000;
  if (!step || !costs || !Object.keys(costs).length || cores <= 0) return undefined;
  const lowest = (target: PeerRun['target']) => {
    const values = (report.peers?.runs ?? []).filter((r) => r.target === target && r.received > 0).map((r) => r.cpuMsPer1000);
    return values.length ? Math.min(...values) : null;
  };
  return {
    rate,
    cores,
    budgetMsPer1000: Math.round(((cores * 1000 * 1000) / rate) * 100) / 100,
    measuredAt: step.rate,
    costs,
    totalMsPer1000: Math.round(Object.values(costs).reduce((sum, v) => sum + v, 0) * 100) / 100,
    aedesHopMsPer1000: lowest('aedes'),
    mosquittoHopMsPer1000: lowest('mosquitto'),
  };
}

export const TARGETS = {
  rate: 1000,
  p50Ms: 5,
  p99Ms: 25,
  throughput: 20_000,
  devices: 10_000,
  rssBytes: 1024 ** 3,
  priorMeanMs: 733,
};

const ms = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${v >= 100 ? Math.round(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ms`);

/** The issue's targets, checked against what this run measured (met: null when not measured). */
export function checkTargets(report: Pick<BenchReport, 'latency' | 'throughput' | 'scale' | 'failover' | 'forecast' | 'history'>): TargetCheck[] {
  const out: TargetCheck[] = [];
  const at = report.latency?.runs.find((r) => r.rate === TARGETS.rate);
  const latency = (name: string, value: number | null | undefined, limit: number) =>
    out.push({ name, target: `<= ${limit} ms`, value: at ? ms(value) : `no run at ${TARGETS.rate}/s`, met: at && value !== null && value !== undefined ? value <= limit : null });
  latency(`availability p50 at ${TARGETS.rate}/s`, at?.availability.p50, TARGETS.p50Ms);
  latency(`availability p99 at ${TARGETS.rate}/s`, at?.availability.p99, TARGETS.p99Ms);
  latency(`durable p50 at ${TARGETS.rate}/s`, at?.durable.p50, TARGETS.p50Ms);
  latency(`durable p99 at ${TARGETS.rate}/s`, at?.durable.p99, TARGETS.p99Ms);
  const mean = at?.availability.mean;
  out.push({
    name: 'slot change to display vs prior work (mean)',
    target: `< ${TARGETS.priorMeanMs} ms`,
    value: at && mean !== null && mean !== undefined ? `${ms(mean)} (${Math.round(TARGETS.priorMeanMs / Math.max(mean, 0.001))}x faster)` : 'n/a',
    met: at && mean !== null && mean !== undefined ? mean < TARGETS.priorMeanMs : null,
  });
  const max = report.throughput?.maxSustainedRate;
  out.push({
    name: 'sustained updates/s with p99 < 100 ms',
    target: `>= ${TARGETS.throughput.toLocaleString('en-US')}/s`,
    value: report.throughput ? (max === null || max === undefined ? 'none passed' : `${max.toLocaleString('en-US')}/s`) : 'n/a',
    met: report.throughput ? (max ?? 0) >= TARGETS.throughput : null,
  });
  const scale = report.scale?.steps.find((s) => s.devices === TARGETS.devices);
  out.push({
    name: `broker RSS with ${TARGETS.devices.toLocaleString('en-US')} devices`,
    target: '<= 1 GB',
    value: scale ? `${Math.round(scale.rssBytes / 1024 ** 2)} MiB` : 'n/a',
    met: scale ? scale.rssBytes <= TARGETS.rssBytes : null,
  });
  // The fleet drill's own targets for its size (drill/fleet/report.ts).
  for (const t of report.failover?.targets ?? []) out.push({ name: `failover: ${t.what}`, target: t.limit, value: t.measured, met: t.ok });
  const h = report.history;
  if (h) {
    // Against the worse of the runs without it, so that the machine's drift is not charged to the history.
    const without = (pick: (r: PipelineRun) => number | null) => Math.max(pick(h.before) ?? 0, pick(h.after) ?? 0);
    const beside = (name: string, pick: (r: PipelineRun) => number | null) => {
      const base = without(pick);
      const value = pick(h.during);
      out.push({ name: `${name} at ${h.rate}/s, the historian catching up on ${h.days} day${h.days === 1 ? "" : "s"} beside it`, target: `<= 1.25 x without it (${ms(base)}) and <= ${TARGETS.p99Ms} ms`, value: ms(value), met: value === null ? null : value <= Math.max(1.25 * base, base + 2) && value <= TARGETS.p99Ms });
    };
    beside('availability p99', (r) => r.availability.p99);
    beside('durable p99', (r) => r.durable.p99);
  }
  for (const r of report.forecast?.rows ?? []) {
    out.push({ name: `forecast at +${r.minutes} min: mean absolute error`, target: `< same as now (${r.maeSameAsNow})`, value: `${r.maeForecast} spaces`, met: r.count > 0 && r.maeForecast < r.maeSameAsNow });
  }
  return out;
}
