// drill.svg: failover times per scenario and link on a log scale, each run a
// dot, the median a bar, the target a red tick, the earlier parking work's
// failover times as dashed lines. Hand-written SVG. Pure.
import { TIME_TARGETS } from './analysis.ts';
import { PRIOR_WORK } from './availability.ts';
import type { DrillResult } from './result.ts';

const LEFT = 230;
const PLOT = 560;
const RIGHT = 120;
const TOP = 64;
const ROW = 30;
const BOTTOM = 70;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (ms: number) => (ms >= 1000 ? `${+(ms / 1000).toFixed(ms >= 10_000 ? 1 : 2)} s` : `${+ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const decadeLabel = (ms: number) => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);

/** The decades [10^lo, 10^hi] that hold every value (at least 1 ms to 10 s). */
export function logDomain(values: readonly number[]): [number, number] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.min(0, ...positive.map((v) => Math.floor(Math.log10(v))));
  const hi = Math.max(4, ...positive.map((v) => Math.ceil(Math.log10(v))));
  return [lo, hi];
}

export function renderChart(result: DrillResult): string {
  const rows = result.summary;
  const prior = PRIOR_WORK.parking.failoverMs;
  const values = [...result.runs.map((r) => r.failoverMs ?? 0), prior.wired, prior.wireless, ...TIME_TARGETS.map((t) => t.limitMs)];
  const [lo, hi] = logDomain(values);
  const x = (ms: number) => LEFT + ((Math.log10(Math.max(ms, 10 ** lo)) - lo) / (hi - lo)) * PLOT;
  const height = TOP + Math.max(1, rows.length) * ROW + BOTTOM;
  const width = LEFT + PLOT + RIGHT;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${LEFT}" y="22" font-size="15" font-weight="bold">Failover time per scenario (log scale)</text>`);
  out.push(`<text x="${LEFT}" y="40" fill="#555">${escapeXml(`${result.runs.length} runs, ${result.startedAt.slice(0, 19).replace('T', ' ')} UTC; dots: runs, bar: median, red tick: target`)}</text>`);

  const plotBottom = TOP + rows.length * ROW;
  rows.forEach((_, i) => {
    if (i % 2 === 0) out.push(`<rect x="0" y="${TOP + i * ROW}" width="${width}" height="${ROW}" fill="#f6f8fa"/>`);
  });
  for (let d = lo; d <= hi; d += 1) {
    const ms = 10 ** d;
    const px = x(ms).toFixed(1);
    out.push(`<line x1="${px}" y1="${TOP}" x2="${px}" y2="${plotBottom}" stroke="#ddd"/>`);
    out.push(`<text x="${px}" y="${plotBottom + 16}" text-anchor="middle" fill="#333">${decadeLabel(ms)}</text>`);
  }
  rows.forEach((s, i) => {
    const y = TOP + i * ROW + ROW / 2;
    out.push(`<text x="${LEFT - 10}" y="${y + 4}" text-anchor="end">${escapeXml(`${s.scenario} · ${s.link}`)}</text>`);
    const target = TIME_TARGETS.find((t) => t.scenario === s.scenario && (!t.link || t.link === s.link));
    if (target) out.push(`<line x1="${x(target.limitMs).toFixed(1)}" y1="${y - 11}" x2="${x(target.limitMs).toFixed(1)}" y2="${y + 11}" stroke="#d73a49" stroke-width="2"><title>target ${fmt(target.limitMs)}</title></line>`);
    if (s.failoverMs.min !== null && s.failoverMs.max !== null) {
      out.push(`<line x1="${x(s.failoverMs.min).toFixed(1)}" y1="${y}" x2="${x(s.failoverMs.max).toFixed(1)}" y2="${y}" stroke="#6a737d" stroke-width="1.5"/>`);
    }
    for (const run of result.runs.filter((r) => r.scenario === s.scenario && r.link === s.link)) {
      if (run.failoverMs === null) continue;
      out.push(`<circle cx="${x(run.failoverMs).toFixed(1)}" cy="${y}" r="3.5" fill="#0366d6" fill-opacity="0.7"><title>run ${run.run}: ${fmt(run.failoverMs)}</title></circle>`);
    }
    const median = s.failoverMs.median;
    if (median !== null) out.push(`<rect x="${(x(median) - 1.5).toFixed(1)}" y="${y - 8}" width="3" height="16" fill="#24292e"><title>median ${fmt(median)}</title></rect>`);
    const note = median === null ? 'no recovery' : `median ${fmt(median)}${s.unrecovered ? `, ${s.unrecovered} failed` : ''}`;
    out.push(`<text x="${LEFT + PLOT + 8}" y="${y + 4}" fill="#333">${escapeXml(note)}</text>`);
  });
  for (const ms of [prior.wired, prior.wireless]) {
    const px = x(ms).toFixed(1);
    out.push(`<line x1="${px}" y1="${TOP - 6}" x2="${px}" y2="${plotBottom}" stroke="#b08800" stroke-dasharray="5,4"/>`);
  }
  out.push(`<text x="${x(prior.wired).toFixed(1)}" y="${TOP - 10}" text-anchor="end" fill="#b08800">earlier parking work: 4 s wired</text>`);
  out.push(`<text x="${(x(prior.wireless) + 4).toFixed(1)}" y="${TOP - 10}" fill="#b08800">6.033 s wireless</text>`);
  out.push(`<text x="${LEFT}" y="${plotBottom + 38}" fill="#555">failover: from the fault until every blocked device published again;</text>`);
  out.push(`<text x="${LEFT}" y="${plotBottom + 54}" fill="#555">database faults: until a majority write was acknowledged again</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
