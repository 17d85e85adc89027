// The report as a hand-written SVG chart (DIR/bench.svg): one panel of
// grouped bars per section, log scales for latencies, reference lines for the
// targets.
import type { BenchReport } from './report.ts';

export interface Bar {
  label: string;
  value: number | null;
  color: string;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export interface Panel {
  title: string;
  unit: string;
  log: boolean;
  groups: BarGroup[];
  lines?: Array<{ value: number; label: string }>;
}

const WIDTH = 960;
const PANEL_HEIGHT = 280;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 56 };
const COLORS = { a50: '#4e79a7', a99: '#a0cbe8', b50: '#f28e2b', b99: '#ffbe7d', cpu: '#59a14f', rss: '#b07aa1' };

export const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

const num = (n: number) => (Math.round(n * 10) / 10).toString();

/** Maps a value to a y offset (0 = top of the plot) for a linear or log10 axis. */
export function scaleY(value: number, max: number, min: number, log: boolean, height: number): number {
  if (log) {
    const lo = Math.log10(min);
    const hi = Math.log10(max);
    const v = Math.log10(Math.min(max, Math.max(min, value)));
    return height - ((v - lo) / (hi - lo)) * height;
  }
  return height - (Math.min(max, Math.max(0, value)) / max) * height;
}

/** Axis ticks: powers of ten for log axes, about five round steps for linear ones. */
export function ticks(max: number, min: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e += 1) out.push(10 ** e);
    return out.filter((t) => t >= min && t <= max);
  }
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) out.push(t);
  return out;
}

function niceMax(value: number, log: boolean): number {
  if (value <= 0) return 1;
  if (log) return 10 ** Math.ceil(Math.log10(value * 1.05));
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= value * 1.05) ?? value * 1.1;
}

export function renderPanel(panel: Panel, top: number): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const values = panel.groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v): v is number => v !== null && v > 0);
  const refValues = (panel.lines ?? []).map((l) => l.value);
  const max = niceMax(Math.max(1, ...values, ...refValues), panel.log);
  const min = panel.log ? 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(1, ...values) * 0.9))) : 0;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  const out: string[] = [`<g class="panel">`, `<text x="${x0}" y="${top + 22}" class="title">${escapeXml(panel.title)}</text>`];
  for (const t of ticks(max, min, panel.log)) {
    const y = y0 + scaleY(t, max, min, panel.log, plotH);
    out.push(`<line x1="${x0}" y1="${num(y)}" x2="${x0 + plotW}" y2="${num(y)}" class="grid"/>`);
    out.push(`<text x="${x0 - 6}" y="${num(y + 4)}" class="tick" text-anchor="end">${escapeXml(t >= 1 || t === 0 ? String(t) : t.toString())}</text>`);
  }
  out.push(`<text x="14" y="${num(y0 + plotH / 2)}" class="tick" transform="rotate(-90 14 ${num(y0 + plotH / 2)})" text-anchor="middle">${escapeXml(panel.unit)}${panel.log ? ' (log)' : ''}</text>`);
  const groupW = panel.groups.length ? plotW / panel.groups.length : plotW;
  panel.groups.forEach((group, gi) => {
    const barW = Math.min(28, (groupW * 0.8) / Math.max(1, group.bars.length));
    const start = x0 + gi * groupW + (groupW - barW * group.bars.length) / 2;
    group.bars.forEach((bar, bi) => {
      const x = start + bi * barW;
      if (bar.value === null || (panel.log && bar.value <= 0)) {
        out.push(`<text x="${num(x + barW / 2)}" y="${num(y0 + plotH - 4)}" class="tick" text-anchor="middle">-</text>`);
        return;
      }
      const y = y0 + scaleY(bar.value, max, min, panel.log, plotH);
      out.push(`<rect x="${num(x)}" y="${num(y)}" width="${num(barW - 2)}" height="${num(y0 + plotH - y)}" fill="${bar.color}"><title>${escapeXml(`${group.label} ${bar.label}: ${bar.value} ${panel.unit}`)}</title></rect>`);
    });
    out.push(`<text x="${num(x0 + gi * groupW + groupW / 2)}" y="${num(y0 + plotH + 18)}" class="tick" text-anchor="middle">${escapeXml(group.label)}</text>`);
  });
  for (const line of panel.lines ?? []) {
    const y = y0 + scaleY(line.value, max, min, panel.log, plotH);
    out.push(`<line x1="${x0}" y1="${num(y)}" x2="${x0 + plotW}" y2="${num(y)}" class="ref"/>`);
    out.push(`<text x="${x0 + plotW - 4}" y="${num(y - 4)}" class="ref-label" text-anchor="end">${escapeXml(line.label)}</text>`);
  }
  const legend = panel.groups[0]?.bars ?? [];
  legend.forEach((bar, i) => {
    const lx = x0 + i * 150;
    const ly = y0 + plotH + 36;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${bar.color}"/><text x="${lx + 14}" y="${ly}" class="tick">${escapeXml(bar.label)}</text>`);
  });
  out.push(`<line x1="${x0}" y1="${y0 + plotH}" x2="${x0 + plotW}" y2="${y0 + plotH}" class="axis"/>`, '</g>');
  return out.join('\n');
}

/** The panels a report has data for. */
export function panelsOf(report: BenchReport): Panel[] {
  const panels: Panel[] = [];
  if (report.latency?.runs.length) {
    panels.push({
      title: 'Latency: sensor publish to (a) signage availability, (b) durable slots document',
      unit: 'ms',
      log: true,
      groups: report.latency.runs.map((r) => ({
        label: `${r.rate.toLocaleString('en-US')}/s`,
        bars: [
          { label: '(a) p50', value: r.availability.p50, color: COLORS.a50 },
          { label: '(a) p99', value: r.availability.p99, color: COLORS.a99 },
          { label: '(b) p50', value: r.durable.p50, color: COLORS.b50 },
          { label: '(b) p99', value: r.durable.p99, color: COLORS.b99 },
        ],
      })),
      lines: [
        { value: 5, label: 'target p50 5 ms' },
        { value: 25, label: 'target p99 25 ms' },
        { value: 733, label: 'prior work 733 ms (mean)' },
      ],
    });
  }
  if (report.throughput?.steps.length) {
    panels.push({
      title: `Throughput search: p99 per offered rate (highest sustained: ${report.throughput.maxSustainedRate?.toLocaleString('en-US') ?? 'none'}/s)`,
      unit: 'ms',
      log: true,
      groups: report.throughput.steps.map((s) => ({
        label: `${s.rate.toLocaleString('en-US')}/s${s.pass ? '' : ' FAIL'}`,
        bars: [
          { label: '(a) availability p99', value: s.availability.p99, color: COLORS.a50 },
          { label: '(b) durable p99', value: s.durable.p99, color: COLORS.b50 },
        ],
      })),
      lines: [{ value: 100, label: 'limit 100 ms' }],
    });
  }
  if (report.peers?.runs.length) {
    panels.push({
      title: 'Peers: publish to subscriber, same load',
      unit: 'ms',
      log: true,
      groups: report.peers.runs.map((r) => ({
        label: `${r.target} ${r.rate >= 1000 ? `${r.rate / 1000}k` : r.rate}`,
        bars: [
          { label: 'p50', value: r.latency.p50, color: COLORS.a50 },
          { label: 'p99', value: r.latency.p99, color: COLORS.a99 },
        ],
      })),
    });
    panels.push({
      title: 'Peers: broker CPU per 1,000 messages',
      unit: 'CPU ms',
      log: false,
      groups: report.peers.runs.filter((r) => r.target !== 'bridge-standby').map((r) => ({
        label: `${r.target === 'bridge-direct' ? 'bridge pair' : r.target} ${r.rate >= 1000 ? `${r.rate / 1000}k` : r.rate}`,
        bars: [{ label: 'CPU ms / 1,000 messages', value: r.cpuMsPer1000, color: COLORS.cpu }],
      })),
    });
  }
  if (report.scale?.steps.length) {
    panels.push({
      title: 'Scale: broker RSS with connected devices',
      unit: 'MiB',
      log: false,
      groups: report.scale.steps.map((s) => ({
        label: `${s.devices.toLocaleString('en-US')} devices, CPU ${Math.round(s.cpuPct)}%`,
        bars: [{ label: 'RSS MiB', value: Math.round(s.rssBytes / 1024 ** 2), color: COLORS.rss }],
      })),
      lines: [{ value: 1024, label: 'target 1 GB' }],
    });
  }
  return panels;
}

export function renderSvg(report: BenchReport): string {
  const panels = panelsOf(report);
  const height = Math.max(1, panels.length) * PANEL_HEIGHT + 40;
  const body = panels.map((p, i) => renderPanel(p, 40 + i * PANEL_HEIGHT)).join('\n');
  const m = report.machine;
  const caption = `parking bench ${report.startedAt} · ${m.nproc} x ${m.cpuModel} · Node ${m.node} · MongoDB ${report.mongo.kind}${report.quick ? ' · quick run' : ''}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    '<style>.title{font-size:14px;font-weight:bold}.tick{font-size:11px;fill:#333}.grid{stroke:#e5e5e5}.axis{stroke:#333}.ref{stroke:#d62728;stroke-dasharray:4 3}.ref-label{font-size:11px;fill:#d62728}</style>',
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="24" class="tick">${escapeXml(caption)}</text>`,
    body || `<text x="${MARGIN.left}" y="80" class="tick">no results</text>`,
    '</svg>',
    '',
  ].join('\n');
}
