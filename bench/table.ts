// The report as the plain-text table `parking bench` prints (and writes to DIR/bench.txt).
import type { BenchReport, PipelineRun } from './report.ts';

/** Columns padded to their widest cell; numbers right-aligned, text left-aligned. */
export function columns(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>, indent = '  '): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-\d.,%x/ ]*$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]) =>
    indent + cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Milliseconds for a table cell: 3 significant digits, "-" when missing. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  if (value >= 100) return String(Math.round(value));
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export const int = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US'));
const mib = (bytes: number) => (bytes / 1024 ** 2).toFixed(0);
const pct = (n: number | undefined) => (n === undefined ? '-' : String(Math.round(n)));
const times = (n: number | null) => (n === null ? '-' : `${n.toFixed(2)}x`);

function processNames(runs: readonly PipelineRun[]): string[] {
  const names = new Set<string>();
  for (const run of runs) for (const name of Object.keys(run.processes)) names.add(name);
  return [...names];
}

function latency(report: BenchReport): string[] {
  const runs = report.latency?.runs ?? [];
  const names = processNames(runs);
  const header = ['rate/s', 'achieved', 'probes', '(a) p50', 'p95', 'p99', 'max', '(b) p50', 'p95', 'p99', 'max', "(b') p50", 'p99', ...names.map((n) => `${n}%`), 'others%'];
  const rows = runs.map((r) => [
    int(r.rate), int(r.achievedRate), `${r.probes.visible}/${r.probes.sent}`,
    ms(r.availability.p50), ms(r.availability.p95), ms(r.availability.p99), ms(r.availability.max),
    ms(r.durable.p50), ms(r.durable.p95), ms(r.durable.p99), ms(r.durable.max), ms(r.applied?.p50), ms(r.applied?.p99),
    ...names.map((n) => pct(r.processes[n]?.cpuPct)),
    pct(r.othersCpuPct),
  ]);
  return [
    "LATENCY  sensor publish -> (a) availability seen by a signage subscriber, (b) durable `slots` document (change stream), (b') the write that applied it (its updatedAt); ms; CPU % of one core (others: processes outside the benchmark)",
    columns(header, rows),
  ];
}

function throughput(report: BenchReport): string[] {
  const t = report.throughput!;
  const names = processNames(t.steps);
  const header = ['rate/s', 'achieved', '(a) p99', '(b) p99', 'result', ...names.map((n) => `${n}%`), 'others%'];
  const rows = t.steps.map((s) => [int(s.rate), int(s.achievedRate), ms(s.availability.p99), ms(s.durable.p99), s.pass ? 'ok' : 'FAILED', ...names.map((n) => pct(s.processes[n]?.cpuPct)), pct(s.othersCpuPct)]);
  const cost = Object.entries(t.cpuMsPer1000).map(([n, v]) => `${n} ${v}`).join(', ');
  const failed = t.steps.find((s) => !s.pass);
  return [
    `THROUGHPUT  highest steady rate with both p99 < 100 ms: ${t.maxSustainedRate === null ? 'none' : `${int(t.maxSustainedRate)}/s`}`,
    columns(header, rows),
    ...(failed ? [`  first failure at ${int(failed.rate)}/s: ${failed.reason}`] : []),
    `  bottleneck: ${t.bottleneck.note}`,
    `  CPU ms per 1,000 updates at ${int(t.steps.at(-1)?.rate)}/s: ${cost || '-'} (rough estimates from these in bench.json)`,
    ...withoutMongo(t),
  ];
}

function withoutMongo(t: NonNullable<BenchReport['throughput']>): string[] {
  const w = t.withoutMongo;
  if (!w) return [];
  const names = processNames(w.steps);
  const header = ['rate/s', 'achieved', '(a) p99', 'result', ...names.map((n) => `${n}%`), 'others%'];
  const rows = w.steps.map((s) => [int(s.rate), int(s.achievedRate), ms(s.availability.p99), s.pass ? 'ok' : 'FAILED', ...names.map((n) => pct(s.processes[n]?.cpuPct)), pct(s.othersCpuPct)]);
  const failed = w.steps.find((s) => !s.pass);
  return [
    '',
    `THROUGHPUT WITHOUT MONGODB  the same search, MongoDB replaced by an acknowledge-only sink (brokers + ingest alone): ${w.maxSustainedRate === null ? 'none' : `${int(w.maxSustainedRate)}/s`}`,
    columns(header, rows),
    ...(failed ? [`  first failure at ${int(failed.rate)}/s: ${failed.reason}`] : []),
    `  bottleneck: ${w.bottleneck.note}`,
  ];
}

function budget(report: BenchReport): string[] {
  const b = report.budget!;
  const f = (v: number) => v.toFixed(1);
  const costs = Object.entries(b.costs).map(([n, v]) => `${n} ${f(v)}`).join(', ');
  const hops = [b.aedesHopMsPer1000 === null ? '' : `plain Aedes ${f(b.aedesHopMsPer1000)}`, b.mosquittoHopMsPer1000 === null ? '' : `Mosquitto ${f(b.mosquittoHopMsPer1000)}`].filter(Boolean).join(', ');
  return [
    `CPU BUDGET  ${int(b.rate)} updates/s on ${b.cores} cores leaves ${f(b.budgetMsPer1000)} ms of CPU per 1,000 updates for every process together (the load generator shares the cores)`,
    `  used at ${int(b.measuredAt)}/s: ${f(b.totalMsPer1000)} ms per 1,000 (${(b.totalMsPer1000 / b.budgetMsPer1000).toFixed(1)}x the budget): ${costs}`,
    ...(hops ? [`  one publish -> subscriber hop with no platform code (peers, lowest measured): ${hops} ms per 1,000; every update passes the primary and the bridged standby`] : []),
  ];
}

function scale(report: BenchReport): string[] {
  const s = report.scale!;
  const header = ['devices', 'connect s', 'conn/s', 'RSS MiB', 'KiB/device', 'CPU%', 'hb subscribe s', 'hb CPU%', 'hb delivered/s', 'hb expected/s', 'hb RSS MiB', 'lost'];
  const rows = s.steps.map((step) => [
    int(step.devices), (step.connectMs / 1000).toFixed(1), int(step.connectPerSec), mib(step.rssBytes), (step.rssPerDeviceBytes / 1024).toFixed(1), pct(step.cpuPct),
    (step.subscribeMs / 1000).toFixed(1), pct(step.heartbeatCpuPct), int(step.heartbeatsPerSec), int(step.heartbeatsExpectedPerSec), mib(step.heartbeatRssBytes), int(step.lost),
  ]);
  return [
    `SCALE  one platform broker; each device its own connection with a retained slot state, a retained status and a Last Will; then every device subscribed to $SYS/+/heartbeat (hb) as parking device does; baseline RSS ${mib(s.baselineRssBytes)} MiB; open files: broker ${s.brokerOpenFiles.soft ?? 'unlimited'}, fleet ${s.fleetOpenFiles.soft ?? 'unlimited'}`,
    columns(header, rows),
  ];
}

function peers(report: BenchReport): string[] {
  const p = report.peers!;
  const header = ['target', 'rate/s', 'received', 'p50', 'p95', 'p99', 'max', 'broker CPU%', 'CPU ms/1000', 'others%'];
  const rows = p.runs.map((r) => [r.target, int(r.rate), `${r.received}/${r.sent}`, ms(r.latency.p50), ms(r.latency.p95), ms(r.latency.p99), ms(r.latency.max), pct(r.brokerCpuPct), r.cpuMsPer1000.toFixed(1), pct(r.othersCpuPct)]);
  const ratioHeader = ['rate/s', 'CPU vs aedes', 'CPU vs mosquitto', 'p50 vs aedes', 'p99 vs aedes', 'p50 vs mosquitto', 'p99 vs mosquitto', 'bridge p50 vs direct', 'bridge p99 vs direct'];
  const ratioRows = p.ratios.map((r) => [int(r.rate), times(r.cpuVsAedes), times(r.cpuVsMosquitto), times(r.p50VsAedes), times(r.p99VsAedes), times(r.p50VsMosquitto), times(r.p99VsMosquitto), times(r.bridgeP50VsDirect), times(r.bridgeP99VsDirect)]);
  return [
    'PEERS  the same publish load, publish -> subscriber (QoS 1, every message); ms; bridge: publishers on the primary, subscribers on the primary (direct) and the standby',
    columns(header, rows),
    '  platform broker / peer (above 1x = the platform costs more):',
    columns(ratioHeader, ratioRows, '    '),
    ...p.skipped.map((s) => `  skipped: ${s}`),
  ];
}

/** A figure the drill may not have (no /proc, a restarted process): "-". */
const opt = (n: number | null | undefined) => (n === null || n === undefined ? '-' : String(Math.round(n)));
const seconds = (milliseconds: number) => `${Math.round(milliseconds / 1000)} s`;

function forecastTable(report: BenchReport): string[] {
  const f = report.forecast!;
  return [
    `FORECAST BACKTEST (history/backtest.ts): ${f.days} simulated days, ${f.levels} levels of ${f.slotsPerLevel} slots, ${f.changes.toLocaleString('en-US')} slot changes (seed ${f.seed}); the last 7 days forecast every 15 min from the history before each moment; ${Math.round(f.profiled * 100)} % by the weekday profile; ${f.ms} ms`,
    columns(['horizon', 'MAE forecast (spaces)', 'MAE same as now', 'forecasts'], f.rows.map((r) => [`+${r.minutes} min`, String(r.maeForecast), String(r.maeSameAsNow), String(r.count)])),
  ];
}

function historyTable(report: BenchReport): string[] {
  const h = report.history!;
  const row = (label: string, r: PipelineRun) => [label, `${r.achievedRate}/s`, ms(r.availability.p50), ms(r.availability.p99), ms(r.durable.p50), ms(r.durable.p99)];
  return [
    `HISTORY BESIDE THE LIVE PATH (bench/scenarios/history.ts): ${h.rate}/s through the pipeline before, during and after the historian rolls up ${h.days} simulated day${h.days === 1 ? "" : "s"} of a ${h.slots.toLocaleString('en-US')}-slot lot (${h.changes.toLocaleString('en-US')} slot changes) in the same MongoDB, as after a restart; ${h.buckets.toLocaleString('en-US')} buckets rolled up during the run`,
    columns(['', 'achieved', 'availability p50', 'p99', 'durable p50', 'p99'], [row('without', h.before), row('historian catching up', h.during), row('without, again', h.after)]),
  ];
}

function failover(report: BenchReport): string[] {
  const { drill: d, scenarios } = report.failover!;
  const runs = d.runs.length ? Math.max(...d.runs.map((r) => r.run)) : 0;
  const windowHeader = ['window', 'primary CPU%', 'primary RSS MiB', 'standby CPU%', 'standby RSS MiB', 'fleet CPU%'];
  const windowRows = [
    [`steady traffic, ${seconds(d.steady.ms)}`, opt(d.steady.primary.cpuPct), opt(d.steady.primary.rssMiB), opt(d.steady.standby.cpuPct), opt(d.steady.standby.rssMiB), opt(d.steady.fleet.cpuPct)],
    [`idle (liveness only), ${seconds(d.idle.ms)}${d.idle.warmupMs === undefined ? '' : ` from ${seconds(d.idle.warmupMs)} after the last publishes`}`, opt(d.idle.primary.cpuPct), opt(d.idle.primary.rssMiB), opt(d.idle.standby.cpuPct), opt(d.idle.standby.rssMiB), '-'],
  ];
  const faultHeader = ['fault', 'runs', 'ack p50', 'p99', 'max', 'unacked', 'all on standby', 'all back', 'extra failovers', 'storm: standby CPU%', 'standby RSS MiB', 'fleet CPU%', 'failback: primary CPU%', 'lost', 'duplicated'];
  const faultRows = scenarios.map((x) => [
    x.scenario, int(x.runs), ms(x.ackP50), ms(x.ackP99), ms(x.ackMax), int(x.unacked), ms(x.allOnStandbyMs), ms(x.allBackMs), int(x.extraFailovers),
    opt(x.standbyCpuPct), opt(x.standbyRssMiB), opt(x.fleetCpuPct), opt(x.primaryFailbackCpuPct), int(x.lost), int(x.duplicated),
  ]);
  return [
    `FAILOVER  ${int(d.devices)} device links${d.auth ? ' with per-device accounts' : ''} in fleet processes, a primary and a bridged standby (the fleet drill); each device publishes every ${d.periodMs / 1000} s; spurious failovers in ${seconds(d.steady.ms)} of steady traffic: ${d.steady.spuriousFailovers}; over the run ${int(d.published)} slot states acknowledged, ${int(d.lost)} lost, ${int(d.duplicated)} duplicated`,
    columns(windowHeader, windowRows),
    `  per fault, medians over ${runs} run${runs === 1 ? '' : 's'}; ms: from the fault to each device's publish acknowledged (ack); until the whole fleet was on the standby; from the primary's return until it was back (failback window ${d.failbackWindowMs / 1000} s); storm: the standby from the fault, at least 5 s`,
    columns(faultHeader, faultRows),
  ];
}

export function renderTable(report: BenchReport): string {
  const m = report.machine;
  const out: string[] = [
    `parking bench  ${report.startedAt}  ${report.quick ? 'quick (smoke) run' : 'full run'}, ${(report.durationMs / 1000).toFixed(0)} s`,
    `machine: ${m.nproc} x ${m.cpuModel}, ${(m.memTotalBytes / 1024 ** 3).toFixed(1)} GiB, Node ${m.node}, ${m.platform}; load average at start ${m.loadAvg.join(' ')}; MongoDB: ${report.mongo.kind === 'stand-in' ? 'the stand-in (testbed)' : 'MONGODB_URI'}`,
  ];
  if (report.latency) out.push('', ...latency(report));
  if (report.throughput) out.push('', ...throughput(report));
  if (report.budget) out.push('', ...budget(report));
  if (report.scale) out.push('', ...scale(report));
  if (report.peers) out.push('', ...peers(report));
  if (report.failover) out.push('', ...failover(report));
  if (report.forecast) out.push('', ...forecastTable(report));
  if (report.history) out.push('', ...historyTable(report));
  if (report.targets.length) {
    out.push('', 'TARGETS');
    out.push(columns(['', 'what', 'target', 'measured'], report.targets.map((t) => [t.met === null ? '[n/a]' : t.met ? '[met]' : '[MISSED]', t.name, t.target, t.value])));
  }
  for (const e of report.errors) out.push('', `ERROR in ${e.section}: ${e.message}`);
  return `${out.join('\n')}\n`;
}
