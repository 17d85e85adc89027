import { processContext } from './context.ts';
import { run } from './program.ts';

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

/** The `parking` command: runs `argv` (arguments after the program name) and exits with its code. */
export async function main(argv: string[]): Promise<void> {
  // A reader that stops early (`parking --help | head -1`) is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const code = await run(argv, processContext());
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(code);
}
