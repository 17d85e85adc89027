// How a signage display looks: a framed screen on a terminal, one line per
// change otherwise. Pure.
import type { LotStatus } from '../../contract/index.ts';
import type { SignageView } from './state.ts';

const STATUS_TEXT: Record<LotStatus, string> = { spacesAvailable: 'SPACES AVAILABLE', almostFull: 'ALMOST FULL', full: 'FULL', closed: 'CLOSED' };

const num = (n: number | undefined): string => (n === undefined ? '?' : String(n));

/** One line: `mall-1 free 12/52 spacesAvailable | B1 5/26 | B2 7/26`. */
export function renderLine(view: SignageView): string {
  if (view.levels.length === 0 && view.free === undefined) return `${view.lot} waiting for availability`;
  const head = `${view.lot} free ${num(view.free)}${view.total !== undefined ? `/${view.total}` : ''}${view.status ? ` ${view.status}` : ''}`;
  const levels = view.levels.map((l) => `${l.level} ${num(l.free)}${l.total !== undefined ? `/${l.total}` : ''}`);
  return [head, ...levels].join(' | ');
}

function bar(free: number | undefined, total: number | undefined, width: number): string {
  if (free === undefined || !total) return ' '.repeat(width);
  const filled = Math.round((Math.min(free, total) / total) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

/** The whole screen (without the clear-screen escape), `width` columns wide. */
export function renderScreen(view: SignageView, options: { width?: number; clock?: string } = {}): string {
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
    }
    out.push(rule('├', '┤'));
    const total = `${'TOTAL'.padEnd(name)}  ${num(view.free).padStart(4)} free${view.total !== undefined ? ` / ${view.total}` : ''}`;
    out.push(line(total));
    if (view.status) out.push(line(STATUS_TEXT[view.status]));
  }
  out.push(rule('└', '┘'));
  return out.join('\n');
}
