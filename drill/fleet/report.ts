// The fleet drill's report: medians over the runs of each scenario, and the
// targets of a site-scale failover checked against them. Pure.
import { summarize } from '../stats.ts';
import type { FleetDrillResult, FleetRun, FleetScenario } from './run.ts';

export interface FleetTarget {
  what: string;
  limit: string;
  measured: string;
  ok: boolean;
}

const median = (values: ReadonlyArray<number | null | undefined>): number | null => summarize(values).median;

export interface ScenarioSummary {
  scenario: FleetScenario;
  runs: number;
  ackP50: number | null;
  ackP99: number | null;
  ackMax: number | null;
  unacked: number;
  allOnStandbyMs: number | null;
  allBackMs: number | null;
  extraFailovers: number;
  standbyCpuPct: number | null;
  standbyRssMiB: number | null;
  fleetCpuPct: number | null;
  primaryFailbackCpuPct: number | null;
  lost: number;
  duplicated: number;
}

export function summarizeFleet(result: FleetDrillResult): ScenarioSummary[] {
  const by = new Map<FleetScenario, FleetRun[]>();
  for (const run of result.runs) by.set(run.scenario, [...(by.get(run.scenario) ?? []), run]);
  return [...by].map(([scenario, runs]) => ({
    scenario,
    runs: runs.length,
    ackP50: median(runs.map((r) => r.ackMs.p50)),
    ackP99: median(runs.map((r) => r.ackMs.p99)),
    ackMax: median(runs.map((r) => r.ackMs.max)),
    unacked: runs.reduce((n, r) => n + r.unacked, 0),
    allOnStandbyMs: median(runs.map((r) => r.allOnStandbyMs)),
    allBackMs: median(runs.map((r) => r.allBackMs)),
    extraFailovers: runs.reduce((n, r) => n + r.extraFailovers, 0),
    standbyCpuPct: median(runs.map((r) => r.standby.cpuPct)),
    standbyRssMiB: median(runs.map((r) => r.standby.rssMiB)),
    fleetCpuPct: median(runs.map((r) => r.fleet.cpuPct)),
    primaryFailbackCpuPct: median(runs.map((r) => r.primaryDuringFailback.cpuPct)),
    lost: runs.reduce((n, r) => n + r.lost, 0),
    duplicated: runs.reduce((n, r) => n + r.duplicated, 0),
  }));
}

const ms = (v: number | null) => (v === null ? '–' : `${Math.round(v)} ms`);
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${Math.round(v * 10) / 10} %`);
const mib = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${v} MiB`);

/** The issue's targets that apply to this fleet size (2,000 with accounts, 10,000, and those of every size). */
export function fleetTargets(result: FleetDrillResult): FleetTarget[] {
  const s = new Map(summarizeFleet(result).map((x) => [x.scenario, x]));
  const out: FleetTarget[] = [];
  const add = (what: string, limit: string, measured: string, ok: boolean) => out.push({ what, limit, measured, ok });
  add(`spurious failovers in ${Math.round(result.steady.ms / 1000)} s of steady traffic`, '0', String(result.steady.spuriousFailovers), result.steady.spuriousFailovers === 0);
  add('messages lost', '0', String(result.lost), result.lost === 0);
  const crash = s.get('broker-crash');
  const partition = s.get('broker-partition');
  const big = result.devices >= 10_000;
  if (crash && !big) {
    add('crash: publish acknowledged, p50', '≤ 300 ms', ms(crash.ackP50), crash.ackP50 !== null && crash.ackP50 <= 300);
    add('crash: publish acknowledged, p99', '≤ 1,000 ms', ms(crash.ackP99), crash.ackP99 !== null && crash.ackP99 <= 1000);
    add('crash: publish acknowledged, max', '≤ 2,000 ms', ms(crash.ackMax), crash.ackMax !== null && crash.ackMax <= 2000);
    if (result.auth && result.spare === false) add('crash: every device account accepted by the standby (which never saw them)', '≤ 2,000 ms', ms(crash.allOnStandbyMs), crash.allOnStandbyMs !== null && crash.allOnStandbyMs <= 2000);
    else if (result.auth) add('crash: the whole fleet on the standby (onto its spares, accepted before the fault)', '≤ 2,000 ms', ms(crash.allOnStandbyMs), crash.allOnStandbyMs !== null && crash.allOnStandbyMs <= 2000);
  }
  if (crash && big) add('crash: publish acknowledged, p99', '≤ 5,000 ms', ms(crash.ackP99), crash.ackP99 !== null && crash.ackP99 <= 5000);
  if (partition && !big) add('partition (no FIN): publish acknowledged, p99', '≤ 1,500 ms', ms(partition.ackP99), partition.ackP99 !== null && partition.ackP99 <= 1500);
  for (const x of s.values()) add(`${x.scenario}: failovers beyond one per device (flapping, failback included)`, '0', String(x.extraFailovers), x.extraFailovers === 0);
  if (big) {
    add('liveness on an idle broker (no publishes)', '≤ 5 % of a core', pct(result.idle.primary.cpuPct), (result.idle.primary.cpuPct ?? Infinity) <= 5);
    const rss = Math.max(result.steady.primary.rssMiB ?? 0, ...result.runs.map((r) => r.standby.rssMiB ?? 0));
    add('broker RSS', '≤ 1,024 MiB', mib(rss), rss <= 1024);
  }
  return out;
}

export function renderFleetReport(result: FleetDrillResult): string {
  const lines: string[] = [];
  const runs = result.runs.length ? Math.max(...result.runs.map((r) => r.run)) : 0;
  lines.push(`# Fleet drill: ${result.devices.toLocaleString('en')} device links${result.auth ? ' with per-device accounts' : ''}`, '');
  lines.push(`Started ${result.startedAt}; ${runs} run${runs === 1 ? '' : 's'} of each fault; each device publishes every ${result.periodMs / 1000} s; failback window ${result.failbackWindowMs / 1000} s; ${result.spare === false ? 'no spare connections: every device fails over with a new connection' : 'each device holds a spare connection to the standby'}${result.fleetNice ? `; the fleet processes at nice ${result.fleetNice} (the brokers first)` : ''}. Times are medians over the runs of each device's figures.`, '');
  lines.push('| | primary CPU | primary RSS | standby CPU | standby RSS | fleet CPU |', '|---|---|---|---|---|---|');
  lines.push(`| steady traffic (${Math.round(result.steady.ms / 1000)} s) | ${pct(result.steady.primary.cpuPct)} | ${mib(result.steady.primary.rssMiB)} | ${pct(result.steady.standby.cpuPct)} | ${mib(result.steady.standby.rssMiB)} | ${pct(result.steady.fleet.cpuPct)} |`);
  const warm = result.idle.warmupMs === undefined ? '' : `, from ${Math.round(result.idle.warmupMs / 1000)} s after the last publishes`;
  lines.push(`| idle, liveness only (${Math.round(result.idle.ms / 1000)} s${warm}) | ${pct(result.idle.primary.cpuPct)} | ${mib(result.idle.primary.rssMiB)} | ${pct(result.idle.standby.cpuPct)} | ${mib(result.idle.standby.rssMiB)} | |`, '');
  lines.push('| fault | publish acked p50 / p99 / max | whole fleet on the standby | whole fleet back | extra failovers | standby CPU (storm) | standby RSS | fleet CPU | primary CPU (failback) | lost | duplicated |', '|---|---|---|---|---|---|---|---|---|---|---|');
  for (const x of summarizeFleet(result)) {
    lines.push(`| ${x.scenario} | ${ms(x.ackP50)} / ${ms(x.ackP99)} / ${ms(x.ackMax)}${x.unacked ? ` (${x.unacked} unacked)` : ''} | ${ms(x.allOnStandbyMs)} | ${ms(x.allBackMs)} | ${x.extraFailovers} | ${pct(x.standbyCpuPct)} | ${mib(x.standbyRssMiB)} | ${pct(x.fleetCpuPct)} | ${pct(x.primaryFailbackCpuPct)} | ${x.lost} | ${x.duplicated} |`);
  }
  lines.push('', `Over the drill: ${result.published.toLocaleString('en')} slot states acknowledged, ${result.lost} lost, ${result.duplicated} delivered twice to one observer.`, '');
  lines.push('| target | limit | measured | |', '|---|---|---|---|');
  for (const t of fleetTargets(result)) lines.push(`| ${t.what} | ${t.limit} | ${t.measured} | ${t.ok ? 'met' : '**missed**'} |`);
  lines.push('', 'CPU is the share of one core over the window (the storm window: from the fault until the fleet is on the standby, at least 5 s). The fleet, the brokers and the drill share the machine.');
  return `${lines.join('\n')}\n`;
}
