// A short human line per log event, for a terminal: `12:00:01.234 INFO  ingest: message key=value`.
// JSON lines stay the format everywhere else (files, pipes, log collectors).

export interface LineSink {
  write(text: string): unknown;
}

const LEVEL_LABELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'err']);

function label(level: unknown): string {
  if (typeof level === 'number') return LEVEL_LABELS[level] ?? String(level);
  return String(level).toUpperCase().padEnd(5);
}

function clock(time: unknown): string {
  const date = new Date(typeof time === 'number' || typeof time === 'string' ? time : Date.now());
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString().slice(11, 23);
}

function show(value: unknown): string {
  if (typeof value === 'string') return /^[^\s="]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** Formats one pino JSON line as one human line (plus the stack of an error, indented). */
export function formatPretty(jsonLine: string): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const fields = Object.entries(event)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${show(value)}`);
  const name = typeof event.name === 'string' ? `${event.name}: ` : '';
  const msg = typeof event.msg === 'string' ? event.msg : '';
  let line = `${clock(event.time)} ${label(event.level)} ${name}${msg}${fields.length ? ` ${fields.join(' ')}` : ''}`;
  const err = event.err as { message?: unknown; stack?: unknown } | undefined;
  if (err && typeof err === 'object') {
    line += typeof err.stack === 'string' ? `\n  ${err.stack.split('\n').join('\n  ')}` : ` err=${show(err.message)}`;
  }
  return `${line.trimEnd()}\n`;
}

/** A pino destination writing human lines to `sink`. */
export function prettyDestination(sink: LineSink): { write(line: string): void } {
  return {
    write(line: string): void {
      sink.write(formatPretty(line));
    },
  };
}
