import type { Command } from 'commander';
import { COMMANDS } from './commands/index.ts';
import type { CliContext } from './context.ts';
import { createProgramWith, runWith } from './core.ts';

export { reportError, type Register } from './core.ts';

/** The `parking` program with every command, writing to the context's streams. */
export function createProgram(ctx: CliContext): Command {
  return createProgramWith(ctx, COMMANDS);
}

/** Runs one command line (without the program name) and returns its exit code. */
export function run(argv: readonly string[], ctx: CliContext): Promise<number> {
  return runWith(argv, ctx, COMMANDS);
}
