// The `parking` program for a given set of commands: what the full command (cli/program.ts) and
// the lean device build (devices/lean/) share.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { SettingError } from '../config/index.ts';
import type { CliContext } from './context.ts';
import { EXIT, UsageError } from './errors.ts';

/** What registers one command on the program. */
export type Register = (program: Command, ctx: CliContext) => void;

function packageVersion(): string {
  // The lean device build has its version inlined (devices/lean/); the sources read package.json.
  const inlined = (globalThis as { PARKING_VERSION?: string }).PARKING_VERSION;
  if (inlined) return inlined;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** The `parking` program with `commands`, writing to the context's streams. */
export function createProgramWith(ctx: CliContext, commands: readonly Register[]): Command {
  const program = new Command('parking')
    .description('Smart-parking platform: MQTT slot sensors with broker failover, ingest into MongoDB, charging and dashboards on Node-RED.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      // Errors are written once, on one line, by run().
      outputError: () => {},
    })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nSettings: command-line flags, then environment variables, then the JSON file named by --config or PARKING_CONFIG, then defaults.\nExit codes: 0 done, 1 failed (parking drill: a message was lost), 2 bad usage or setting.\n\nExample:\n  $ parking start\n  $ parking <command> --help',
    );
  for (const register of commands) register(program, ctx);
  return program;
}

function oneLine(text: string): string {
  return text.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
}

/** Writes the one-line message of an error and returns the exit code. */
export function reportError(error: unknown, ctx: CliContext): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    // A command that needs a subcommand, given none: its help is already on stderr.
    if (error.code === 'commander.help') return EXIT.usage;
    ctx.stderr.write(`parking: ${oneLine(error.message)}\n`);
    return EXIT.usage;
  }
  if (error instanceof SettingError || error instanceof UsageError) {
    ctx.stderr.write(`parking: ${oneLine(error.message)}\n`);
    return EXIT.usage;
  }
  ctx.stderr.write(`parking: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
  return EXIT.failure;
}

/** Runs one command line (without the program name) with `commands` and returns its exit code. */
export async function runWith(argv: readonly string[], ctx: CliContext, commands: readonly Register[]): Promise<number> {
  try {
    await createProgramWith(ctx, commands).parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    return reportError(error, ctx);
  }
}
