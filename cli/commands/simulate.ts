import type { Command } from 'commander';
import { parsers } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples, notAvailable } from '../command.ts';
import { useSettings, validatedOption } from '../settings.ts';

export function registerSimulate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('simulate')
    .description('Run a fleet of simulated slot sensors and gates: cars arrive, park and leave.')
    .addOption(validatedOption('--lots <n>', 'number of lots', parsers.integer(1, 1000)).default(1))
    .addOption(validatedOption('--levels <n>', 'levels per lot', parsers.integer(1, 100)).default(2))
    .addOption(validatedOption('--slots <n>', 'slots per level', parsers.integer(1, 10000)).default(26))
    .addOption(validatedOption('--gates <n>', 'gates per lot', parsers.integer(0, 100)).default(2))
    .addOption(validatedOption('--rate <cars>', 'arrivals per minute in each lot', parsers.positiveNumber).default(6));
  const settings = useSettings(cmd, ['mqttUrls', 'topicRoot', 'logLevel', 'logFormat']);
  examples(cmd, ['parking simulate --lots 2 --levels 3 --slots 40 --rate 20 --servers mqtt://127.0.0.1:1883,mqtt://127.0.0.1:1884']);
  cmd.action(() => {
    settings(ctx);
    notAvailable('simulate', 'a fleet of simulated slot sensors and gates');
  });
}
