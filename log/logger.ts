import { pino } from 'pino';
import type { Logger } from 'pino';
import { prettyDestination, type LineSink } from './pretty.ts';
import { redactUrls } from './redact.ts';
import type { LogFormat, LogLevel } from './levels.ts';

export type { Logger };

export interface LoggerOptions {
  /** `auto` (default): human lines when stderr is a terminal, JSON lines otherwise. */
  format?: LogFormat;
  /** Where lines go; default stderr (stdout is kept for command output). */
  destination?: LineSink;
}

function stderrIsTerminal(): boolean {
  return process.stderr.isTTY === true;
}

/**
 * A structured logger: one JSON line per event
 * (`{"level":"info","time":"…","pid":…,"hostname":"…","name":"ingest","msg":"…",…}`),
 * written synchronously to stderr so nothing is lost when the process exits.
 */
export function createLogger(name: string, level: LogLevel = 'info', options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && !options.destination && stderrIsTerminal());
  const target = options.destination ?? process.stderr;
  const sink = pretty
    ? prettyDestination(target)
    : options.destination
      ? { write: (line: string) => void target.write(line) }
      : pino.destination({ fd: 2, sync: true });
  // Whatever a line holds (a library's message, an error's stack), a URL's password is masked.
  const destination = { write: (line: string) => void sink.write(redactUrls(line)) };
  return pino(
    {
      name,
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A child logger for one part of a component: its lines carry `component` and any extra fields. */
export function childLogger(parent: Logger, component: string, bindings: Record<string, unknown> = {}): Logger {
  return parent.child({ component, ...bindings });
}
