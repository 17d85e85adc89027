import type { Command } from 'commander';
import { parsers } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples, notAvailable } from '../command.ts';
import { useSettings, validatedOption } from '../settings.ts';

export function registerBench(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('bench')
    .description('Run the performance benchmarks; writes bench.json and prints the table.')
    .addOption(validatedOption('--out <dir>', 'directory for bench.json and the table', parsers.text).default('reports/bench'));
  const settings = useSettings(cmd, ['logLevel', 'logFormat']);
  examples(cmd, ['parking bench --out reports/bench']);
  cmd.action(() => {
    settings(ctx);
    notAvailable('bench', 'the performance benchmarks writing DIR/bench.json and a table');
  });
}
