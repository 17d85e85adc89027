// Progress while the drill runs: a bar redrawn in place on a terminal
// (stderr), plain lines anywhere else.

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressState {
  done: number;
  total: number;
  label: string;
  elapsedMs: number;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** One line: `[#####.....] 3/24 broker-crash wired #2 · 1:23, ~4:10 left`, at most `width` characters. Pure. */
export function renderBar(state: ProgressState, width = 80): string {
  const barWidth = 20;
  const fraction = state.total > 0 ? Math.min(1, state.done / state.total) : 0;
  const filled = Math.round(fraction * barWidth);
  const left = state.done > 0 && state.done < state.total ? `, ~${clock((state.elapsedMs / state.done) * (state.total - state.done))} left` : '';
  const line = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${state.done}/${state.total} ${state.label} · ${clock(state.elapsedMs)}${left}`;
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}

export class Progress {
  private done = 0;
  private label = 'starting';
  private readonly started: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private drawn = false;

  constructor(
    private readonly sink: ProgressSink,
    private total: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.started = now();
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 1000);
      this.timer.unref();
    }
  }

  private get tty(): boolean {
    return this.sink.isTTY === true;
  }

  setTotal(total: number): void {
    this.total = total;
    this.draw();
  }

  /** What is going on now (a phase, the run under way). */
  status(label: string): void {
    this.label = label;
    if (this.tty) this.draw();
    else this.sink.write(`${label}\n`);
  }

  /** A run finished; `line` is its one-line result. */
  step(line: string): void {
    this.done += 1;
    this.print(`${this.done}/${this.total} ${line}`);
  }

  /** A line kept above the bar (or printed as is off a terminal). */
  print(line: string): void {
    if (this.tty) {
      this.sink.write(`\r\x1b[2K${line}\n`);
      this.draw();
    } else {
      this.sink.write(`${line}\n`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty && this.drawn) this.sink.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(): void {
    if (!this.tty) return;
    this.drawn = true;
    const width = Math.max(40, (this.sink.columns || 100) - 1);
    this.sink.write(`\r\x1b[2K${renderBar({ done: this.done, total: this.total, label: this.label, elapsedMs: this.now() - this.started }, width)}`);
  }
}
