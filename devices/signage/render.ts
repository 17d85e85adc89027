// How a signage display looks: a framed screen on a terminal, one line per
// change otherwise. Pure. The connection and the age of the figures read as on
// the signage web page (web/assets/view.js: the same wording).
import type { LotStatus } from '../../contract/index.ts';
import { connectionView, formatAge, reportingText, shownStatus } from '../../web/assets/view.js';
import type { SignageView } from './state.ts';

/** Where the display stands: connected to the primary, the standby, or to no broker; and the time now (epoch ms). */
export interface DisplayLink {
  phase: 'connected' | 'connecting';
  role?: 'primary' | 'standby';
  now: number;
}

/** `live · updated 4s ago`, `live · standby broker · updated 2m ago`, `OFFLINE · reconnecting · last update 20s ago`. */
export function statusLine(view: SignageView, link: DisplayLink): string {
  const connection = connectionView(link.phase === 'connected' ? { phase: 'connected', role: link.role ?? 'primary' } : { phase: 'connecting', role: link.role ?? 'primary' });
  const age = view.updatedAt === undefined ? '' : formatAge(link.now - view.updatedAt);
  if (connection.tone === 'offline') return `${connection.text.toUpperCase()}${age ? ` · last update ${age} ago` : ''}`;
  return `${connection.text}${age ? ` · updated ${age} ago` : ''}`;
}

const STATUS_TEXT: Record<LotStatus, string> = { spacesAvailable: 'SPACES AVAILABLE', almostFull: 'ALMOST FULL', full: 'FULL', closed: 'CLOSED' };

const num = (n: number | undefined): string => (n === undefined ? '?' : String(n));

/** One line: `mall-1 free 12/52 spacesAvailable | B1 5/26 | B2 7/26`; with `link` and no broker, ` | OFFLINE · reconnecting` after it. */
export function renderLine(view: SignageView, link?: DisplayLink): string {
  const offline = link && link.phase !== 'connected' ? ' | OFFLINE · reconnecting' : '';
  if (view.levels.length === 0 && view.free === undefined) return `${view.lot} waiting for availability${offline}`;
  return `${figuresLine(view)}${offline}`;
}

function figuresLine(view: SignageView): string {
  const status = view.status ? shownStatus(view.status, view.free, view.unknown) : undefined;
  const reporting = reportingText(view.unknown, view.total);
  const head = `${view.lot} free ${num(view.free)}${view.total !== undefined ? `/${view.total}` : ''}${status ? ` ${status}` : ''}${reporting ? ` (${reporting})` : ''}${view.forecast ? ` (${view.forecast})` : ''}`;
  const levels = view.levels.map((l) => `${l.level} ${num(l.free)}${l.total !== undefined ? `/${l.total}` : ''}${l.forecast ? ` (${l.forecast})` : ''}`);
  return [head, ...levels].join(' | ');
}

function bar(free: number | undefined, total: number | undefined, width: number): string {
  if (free === undefined || !total) return ' '.repeat(width);
  const filled = Math.round((Math.min(free, total) / total) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** The whole screen (without the clear-screen escape), `width` columns wide; with `link`, a status line at the foot. */
export function renderScreen(view: SignageView, options: { width?: number; clock?: string; link?: DisplayLink } = {}): string {
  const width = Math.max(32, Math.min(options.width ?? 60, 80));
  const inner = width - 4;
  const line = (text: string) => `│ ${text.length > inner ? text.slice(0, inner) : text.padEnd(inner)} │`;
  const rule = (l: string, r: string) => `${l}${'─'.repeat(width - 2)}${r}`;
  const title = view.lot.toUpperCase();
  const clock = options.clock ?? '';
  const out = [rule('┌', '┐'), line(`${title}${clock.padStart(inner - title.length)}`), rule('├', '┤')];
  if (view.levels.length === 0 && view.free === undefined) {
    out.push(line('waiting for availability…'));
  } else {
    const name = Math.max(5, ...view.levels.map((l) => l.level.length));
    for (const l of view.levels) {
      const figures = `${num(l.free).padStart(4)} free${l.total !== undefined ? ` / ${l.total}` : ''}`;
      const room = inner - name - figures.length - 4;
      out.push(line(`${l.level.padEnd(name)}  ${figures}  ${room >= 6 ? bar(l.free, l.total, Math.min(room, 20)) : ''}`.trimEnd()));
      // The forecast under its level: `B3: full in about 20 min`.
      if (l.forecast) out.push(line(`  ${l.level}: ${l.forecast}`));
    }
    out.push(rule('├', '┤'));
    const total = `${'TOTAL'.padEnd(name)}  ${num(view.free).padStart(4)} free${view.total !== undefined ? ` / ${view.total}` : ''}`;
    out.push(line(total));
    // No free spot among the sensors heard from is not FULL while others are silent: say how many report.
    const reporting = reportingText(view.unknown, view.total);
    const status = view.status ? shownStatus(view.status, view.free, view.unknown) : undefined;
    if (status === 'unknown') out.push(line(reporting.toUpperCase()));
    else if (status) out.push(line(STATUS_TEXT[status]));
    if (reporting && status !== 'unknown') out.push(line(reporting));
    if (view.forecast) out.push(line(view.forecast));
  }
  if (options.link) {
    out.push(rule('├', '┤'));
    out.push(line(statusLine(view, options.link)));
  }
  out.push(rule('└', '┘'));
  return out.join('\n');
}
