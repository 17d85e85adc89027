// drill.md: the report beside drill.json. Pure.
import { pct } from './analysis.ts';
import { PRIOR_WORK, formatAvailability } from './availability.ts';
import type { AvailabilityRow, DrillResult, SummaryRow } from './result.ts';
import { SCENARIO_INFO } from './scenarios.ts';
import type { Stats } from './stats.ts';

/** A Markdown table; cells are escaped for `|`. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: ReadonlyArray<'l' | 'r'>): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rule = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, rule, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

/** Milliseconds for a table: one decimal below 10 ms, whole above; `–` for none. */
export function fmtMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
}

const fmtNum = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Seconds a year, readable: 0.85 s, 2 min 24 s. */
export function fmtSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(seconds < 1 ? 4 : 2)} s`;
  if (seconds < 600) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

const statCells = (s: Stats) => [fmtMs(s.min), fmtMs(s.median), fmtMs(s.p95), fmtMs(s.max)];
const verdict = (pass: boolean | null) => (pass === null ? 'not run' : pass ? '**pass**' : '**FAIL**');

function summaryTable(summary: readonly SummaryRow[]): string {
  return table(
    ['scenario', 'link', 'runs', 'failover min', 'median', 'p95', 'max', 'moved (median)', 'visible min', 'median', 'p95', 'max', 'sent', 'delivered', 'lost', 'dup.'],
    summary.map((s) => [s.scenario, s.link, String(s.runs), ...statCells(s.failoverMs), fmtMs(s.linkReadyMs?.median), ...statCells(s.visibleMs), fmtNum(s.sent), fmtNum(s.delivered), fmtNum(s.lost), fmtNum(s.duplicated)]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

function availabilityTable(rows: readonly AvailabilityRow[]): string {
  return table(
    ['', 'class', 'failures/year', 'interruption used', 'downtime/year', 'availability', 'nines'],
    rows.map((r) => [r.label, r.class, fmtNum(r.failuresPerYear, r.failuresPerYear % 1 ? 1 : 0), `${fmtMs(r.failoverMs)} ms`, fmtSeconds(r.downtimeSecondsPerYear), formatAvailability(r.availability), Number.isFinite(r.nines) ? String(r.nines) : 'no downtime']),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
  );
}

/** The whole report. */
export function renderReport(result: DrillResult): string {
  const o = result.options;
  const a = result.availability;
  const voip = PRIOR_WORK.voip;
  const parts: string[] = [];
  parts.push('# Failover drill');
  if (result.interrupted) parts.push(`**Interrupted** after ${result.runs.length} runs: the run under way is left out, and the totals count messages still in flight as lost.`);
  parts.push(
    [
      `Started ${result.startedAt}, took ${duration(result.durationMs)}${o.quick ? ' (quick version)' : ''}. ` +
        `${o.runs} run${o.runs === 1 ? '' : 's'} of each scenario and link, ${result.runs.length} runs in all, on ${result.machine.cpus} CPUs (Node ${result.machine.node}, ${result.machine.platform}` +
          `${result.machine.loadAverage ? `; load average ${result.machine.loadAverage.start[0]} at the start, ${result.machine.loadAverage.end[0]} at the end` : ''}).`,
      `MongoDB: ${o.mongo === 'stand-in' ? `the replica-set stand-in, election delay ${o.electionDelayMs?.join('-')} ms` : 'the replica set of MONGODB_URI'}; Redis: ${o.redis ? 'each broker on its own Redis' : 'off (brokers in memory)'}. ` +
        `Measuring devices: ${o.devices} × ${o.ratePerDevice} slot states/s (QoS 1, retained) through a link proxy per broker, link failoverMs ${o.failoverMs}; ` +
        `background fleet: \`parking simulate\` with ${o.fleet.slots} slots at ${o.fleet.arrivalsPerMinute} cars/min; throughput windows ${o.windowMs} ms.`,
      'Times are from the fault. `failover`: until every device that was on the primary published again (database faults: until a majority write was acknowledged again); a planned switchover moves the devices while the primary still serves them, so it is the longest any device waited because of the switch, 0 when none did. `moved`: until the last device was connected to the standby. `visible`: until the state changed at the fault was on the availability topic (what visitors see); `durable`: until it was in MongoDB. How it is measured: docs/drill.md in the project.',
    ].join('\n'),
  );

  parts.push('## Failover and visibility (ms)');
  parts.push(summaryTable(result.summary));
  if (result.skipped.length) parts.push(result.skipped.map((s) => `- ${s.scenario} not run: ${s.reason}`).join('\n'));

  const gated = result.summary.filter((s) => s.gateSent > 0 || s.availabilityP99Ms !== null);
  if (gated.length) {
    parts.push('## What visitors and gates saw (ms)');
    parts.push(
      'While MongoDB elects a primary, the availability topics follow each accepted slot state at once and the charging desk answers the gates from the open sessions it knows; MongoDB catches up behind. ' +
        '`availability`: a marker slot changed every 200 ms from the fault until writes were acknowledged again, timed from its publish to the availability topic (database faults). ' +
        '`gate`: the drill gate\'s entries and exits (4 a second) from the fault to the end of the window after it, timed from the event\'s publish to its display. Worst p99 and largest value over the runs. ' +
        '`durable`: until the state changed at the fault was in MongoDB (median).',
    );
    parts.push(
      table(
        ['scenario', 'link', 'runs', 'availability p99', 'availability max', 'gate p99', 'gate max', 'gate events', 'unanswered', 'durable (median)', 'service stopped (median)'],
        gated.map((s) => [s.scenario, s.link, String(s.runs), fmtMs(s.availabilityP99Ms), fmtMs(s.availabilityMaxMs), fmtMs(s.gateP99Ms), fmtMs(s.gateMaxMs), fmtNum(s.gateSent), fmtNum(s.gateUnanswered), fmtMs(s.durableMs.median), fmtMs(s.serviceMs.median)]),
        ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
  }

  if (result.incidents.length) {
    parts.push('## Incidents');
    parts.push('Parts of the platform that exited without being told to; the drill restarted them and marked the run.');
    parts.push(table(['time', 'part', 'run', 'exit', 'last error'], result.incidents.map((i) => [i.at, i.part, i.run, String(i.code ?? i.signal), i.message])));
  }

  parts.push('## Targets');
  parts.push(
    table(
      ['target', 'scenario', 'link', 'limit', 'measured', 'result'],
      result.targets.map((t) => [t.target, t.scenario ?? 'all', t.link ?? (t.scenario ? 'both' : 'all'), t.limit, t.measured, verdict(t.pass)]),
    ),
  );

  parts.push('## Downtime and availability');
  parts.push(
    `Downtime a year = failures a year × median interruption of the service (broker faults: the failover; database faults: the slowest availability update or gate answer, since neither waits for the election); availability = 1 − downtime / (365 × 24 × 3600 s). ` +
      `Failures a year: ${o.failuresPerYear.planned} planned, ${o.failuresPerYear.unplanned} unplanned (\`--failures-per-year\`).`,
  );
  parts.push(availabilityTable([...a.planned, ...a.unplanned, ...a.prior]));
  parts.push('Side by side with the prior work:');
  const planned = a.planned[a.planned.length - 1];
  const unplanned = a.unplanned[a.unplanned.length - 1];
  const fieldPlanned = a.planned[0];
  const fieldUnplanned = a.unplanned[0];
  parts.push(
    table(
      ['', 'planned downtime/year', 'unplanned downtime/year', 'availability (planned / unplanned)'],
      [
        ['this platform, field link (broker faults)', fieldPlanned ? fmtSeconds(fieldPlanned.downtimeSecondsPerYear) : '–', fieldUnplanned ? fmtSeconds(fieldUnplanned.downtimeSecondsPerYear) : '–', `${fieldPlanned ? formatAvailability(fieldPlanned.availability) : '–'} / ${fieldUnplanned ? formatAvailability(fieldUnplanned.availability) : '–'}`],
        ['this platform, worst of all faults', planned ? fmtSeconds(planned.downtimeSecondsPerYear) : '–', unplanned ? fmtSeconds(unplanned.downtimeSecondsPerYear) : '–', `${planned ? formatAvailability(planned.availability) : '–'} / ${unplanned ? formatAvailability(unplanned.availability) : '–'}`],
        ['VoIP master/backup (as published; its failure rates are not given there)', `${voip.downtimeSecondsPerYear.planned} s`, `${voip.downtimeSecondsPerYear.unplanned} s`, '99.9999 % / 99.9999 % (stated)'],
        ['VoIP without a backup server', '–', fmtSeconds(voip.downtimeWithoutBackupSecondsPerYear), '–'],
        ['earlier parking failover at the same rates, wired / wireless', '–', `${fmtSeconds(a.prior[0].downtimeSecondsPerYear)} / ${fmtSeconds(a.prior[1].downtimeSecondsPerYear)}`, `– / ${formatAvailability(a.prior[0].availability)}, ${formatAvailability(a.prior[1].availability)}`],
      ],
    ),
  );
  parts.push('Per scenario:');
  parts.push(availabilityTable(a.scenarios));

  parts.push('## Throughput before and after');
  parts.push(
    table(
      ['scenario', 'link', 'before msg/s (mean)', 'after msg/s (mean)', 'worst change'],
      result.summary.map((s) => [s.scenario, s.link, fmtNum(s.throughputBefore, 1), fmtNum(s.throughputAfter, 1), s.worstThroughputChange === null ? '–' : pct(s.worstThroughputChange)]),
      ['l', 'l', 'r', 'r', 'r'],
    ),
  );
  const t = voip.throughputBytesPerSec;
  parts.push(
    `VoIP work: ${fmtNum(t.before, 2)} B/s before, ${fmtNum(t.afterPlanned, 2)} B/s after a planned (${pct((t.afterPlanned - t.before) / t.before)}) and ` +
      `${fmtNum(t.afterUnplanned, 2)} B/s after an unplanned failover (${pct((t.afterUnplanned - t.before) / t.before)}).`,
  );
  parts.push(`Totals over the whole drill, between runs included: ${fmtNum(result.totals.sent)} sent, ${fmtNum(result.totals.delivered)} delivered, ${fmtNum(result.totals.lost)} lost, ${fmtNum(result.totals.duplicated)} duplicated.`);

  parts.push('## Every run');
  parts.push('`detect`: the last device\'s link noticed the loss; `link up`: the last one was connected to the standby; `first`: the first blocked device published again; all ms after the fault. `drill lag`: the drill process\'s own event-loop delay (p99 / max, ms), a bound on how late it may have seen an event.');
  parts.push(
    table(
      ['scenario', 'link', '#', 'failover', 'detect', 'link up', 'first', 'visible', 'durable', 'avail. p99', 'gate p99', 'sent', 'delivered', 'lost', 'dup.', 'before msg/s', 'after msg/s', 'before B/s', 'after B/s', 'drill lag', 'note'],
      result.runs.map((r) => [
        r.scenario, r.link, String(r.run), fmtMs(r.failoverMs), fmtMs(r.detectMs), fmtMs(r.linkReadyMs), fmtMs(r.failoverFirstMs), fmtMs(r.visibleMs), fmtMs(r.durableMs), fmtMs(r.availabilityP99Ms), fmtMs(r.gateP99Ms),
        fmtNum(r.sent), fmtNum(r.delivered), fmtNum(r.lost), fmtNum(r.duplicated),
        fmtNum(r.throughputBefore, 1), fmtNum(r.throughputAfter, 1), fmtNum(r.bytesPerSecBefore), fmtNum(r.bytesPerSecAfter),
        `${fmtMs(r.loopDelayP99Ms)} / ${fmtMs(r.loopDelayMaxMs)}`,
        [
          r.spuriousFailovers ? `${r.spuriousFailovers} spurious failover${r.spuriousFailovers === 1 ? '' : 's'} before the fault` : '',
          r.linkStallMs ? `the link stalled for ${fmtMs(r.linkStallMs)} ms of the failover` : '',
          r.windowShiftMs?.before ? `throughput window before moved ${fmtMs(r.windowShiftMs.before)} ms earlier, out of a link stall` : '',
          r.windowShiftMs?.after ? `throughput window after moved ${fmtMs(r.windowShiftMs.after)} ms later, out of a link stall` : '',
          r.error ?? '',
        ].filter(Boolean).join('; '),
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  const lossy = result.runs.filter((r) => r.lostMessages?.length);
  if (lossy.length) {
    parts.push('## Lost messages');
    parts.push('The first lost messages of each run that lost any: sent and acknowledged (ms after the fault, by which broker), never seen by a subscriber on either broker.');
    parts.push(
      table(
        ['run', 'device', 'seq', 'sent', 'acknowledged', 'by'],
        lossy.flatMap((r) => (r.lostMessages ?? []).slice(0, 10).map((m) => [`${r.scenario}/${r.link}#${r.run}`, m.device, String(m.seq), fmtMs(m.sentMs), m.ackedMs === undefined ? 'never' : fmtMs(m.ackedMs), m.ackedBy ?? '–'])),
        ['l', 'l', 'r', 'r', 'r', 'l'],
      ),
    );
  }

  parts.push('## Scenarios');
  parts.push(
    table(
      ['scenario', 'class', 'fault', 'failover is'],
      [...new Set(result.runs.map((r) => r.scenario))].map((name) => {
        const info = SCENARIO_INFO[name];
        return [name, info.class, info.fault, info.measures];
      }),
    ),
  );
  parts.push('Chart: [drill.svg](drill.svg) (failover times per scenario, log scale).');
  return `${parts.join('\n\n')}\n`;
}
