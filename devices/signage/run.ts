// A live signage display: subscribes the lot's availability topics over a
// failover link and redraws (a terminal) or prints a line (anything else) on
// every change.
import { Topics } from '../../contract/index.ts';
import { FailoverLink, type LinkLogger, type LinkOptions } from '../../link/index.ts';
import { renderLine, renderScreen, type DisplayLink } from './render.ts';
import { SignageState, type SignageView } from './state.ts';

export interface SignageOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface SignageOptions {
  servers: readonly string[];
  lot: string;
  root?: string;
  out: SignageOutput;
  /** Default: redraw when `out.isTTY`, else print lines. */
  mode?: 'screen' | 'lines';
  link?: Partial<LinkOptions>;
  logger?: LinkLogger;
  /** Every view after a change. */
  onView?: (view: SignageView) => void;
}

export interface Signage {
  readonly link: FailoverLink;
  view(): SignageView;
  stop(): Promise<void>;
}

const CLEAR = '\x1b[H\x1b[2J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

export async function startSignage(options: SignageOptions): Promise<Signage> {
  const topics = new Topics(options.root);
  const state = new SignageState(options.lot, topics);
  const mode = options.mode ?? (options.out.isTTY ? 'screen' : 'lines');
  const link = new FailoverLink({ ...options.link, servers: options.servers, logger: options.logger });
  let lastLine = '';
  let scheduled = false;
  const clock = () => new Date().toTimeString().slice(0, 8);

  const displayLink = (): DisplayLink => {
    const s = link.stats();
    return { phase: link.connected ? 'connected' : 'connecting', role: s.role, now: Date.now() };
  };
  const draw = () => {
    scheduled = false;
    const view = state.view();
    options.onView?.(view);
    if (mode === 'screen') {
      options.out.write(`${CLEAR}${renderScreen(view, { width: options.out.columns, clock: clock(), link: displayLink() })}\n`);
      return;
    }
    const line = renderLine(view, displayLink());
    if (line === lastLine) return;
    lastLine = line;
    options.out.write(`${new Date().toISOString()} ${line}\n`);
  };
  // A burst (the retained messages on connect) draws once.
  const redraw = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(draw);
  };

  link.on('message', (topic, payload) => {
    if (state.apply(topic, payload)) redraw();
  });
  // Losing the brokers shows at once (OFFLINE), as on the web page; so does getting one back.
  link.on('connected', redraw);
  link.on('disconnected', redraw);
  await link.subscribe([...topics.filters.lotAvailability(options.lot), topics.forecast(options.lot), `${topics.forecast(options.lot)}/+`], 1);
  if (mode === 'screen') options.out.write(HIDE_CURSOR);
  draw();
  // The clock on screen ticks even without news.
  const ticker = mode === 'screen' ? setInterval(redraw, 1000) : undefined;
  link.start();

  return {
    link,
    view: () => state.view(),
    async stop() {
      if (ticker) clearInterval(ticker);
      await link.close();
      if (mode === 'screen') options.out.write(SHOW_CURSOR);
    },
  };
}
