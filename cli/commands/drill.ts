import type { Command } from 'commander';
import { parsers } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples, notAvailable } from '../command.ts';
import { useSettings, validatedOption } from '../settings.ts';

export function registerDrill(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('drill')
    .description('Run the failover drills (broker and MongoDB primary loss over good and bad links) and write the availability report.')
    .addOption(validatedOption('--runs <n>', 'runs of each scenario', parsers.integer(1, 1000)).default(3))
    .addOption(validatedOption('--out <dir>', 'directory for drill.json and the report', parsers.text).default('reports/drill'));
  const settings = useSettings(cmd, ['logLevel', 'logFormat']);
  examples(cmd, ['parking drill --runs 5 --out reports/drill']);
  cmd.action(() => {
    settings(ctx);
    notAvailable('drill', 'failover drills writing DIR/drill.json and the availability report');
  });
}
