import { processContext } from './context.ts';
import { runWith, type Register } from './core.ts';

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** Runs `argv` (arguments after the program name) with `commands` in this process and exits with its code. */
export async function mainWith(argv: string[], commands: readonly Register[]): Promise<void> {
  // A reader that stops early (`parking --help | head -1`) is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const code = await runWith(argv, processContext(), commands);
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
