// Helpers every command file uses: help examples and loggers.
import type { Command } from 'commander';
import { createLogger, type LogFormat, type Logger, type LogLevel } from '../log/index.ts';
import type { CliContext } from './context.ts';

/** Adds examples to a command's --help. */
export function examples(cmd: Command, lines: readonly string[]): Command {
  const title = lines.length > 1 ? 'Examples' : 'Example';
  return cmd.addHelpText('after', `\n${title}:\n${lines.map((line) => `  $ ${line}`).join('\n')}`);
}

/** A logger for a command: to the context's stderr, at the command's level and format. */
export function commandLogger(ctx: CliContext, name: string, settings: { logLevel: LogLevel; logFormat: LogFormat }): Logger {
  const destination = ctx.stderr === process.stderr ? undefined : ctx.stderr;
  return createLogger(name, settings.logLevel, { format: settings.logFormat, destination });
}
