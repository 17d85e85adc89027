// A command's logger. Apart from cli/command.ts so that `parking device` and `parking gate`
// load the logging library only when they run, not for `--help` or `--version` (a Pi starts
// faster; devices/lean/).
import { createLogger, type LogFormat, type Logger, type LogLevel } from '../log/index.ts';
import type { CliContext } from './context.ts';

/** A logger for a command: to the context's stderr, at the command's level and format. */
export function commandLogger(ctx: CliContext, name: string, settings: { logLevel: LogLevel; logFormat: LogFormat }): Logger {
  const destination = ctx.stderr === process.stderr ? undefined : ctx.stderr;
  return createLogger(name, settings.logLevel, { format: settings.logFormat, destination });
}
