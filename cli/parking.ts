// The `parking` command: every command (bin/parking.js). The lean device build has its own
// entry with only `device` and `gate` (devices/lean/main.ts); keeping this apart from
// cli/main.ts keeps the other commands out of that build.
import { COMMANDS } from './commands/index.ts';
import { mainWith } from './main.ts';

export function main(argv: string[]): Promise<void> {
  return mainWith(argv, COMMANDS);
}
