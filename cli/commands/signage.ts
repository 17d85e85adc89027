import type { Command } from 'commander';
import { parsers } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples, notAvailable } from '../command.ts';
import { requiredOption, useSettings } from '../settings.ts';

export function registerSignage(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('signage')
    .description('Show a terminal signage display of one lot, fed by its availability topics.')
    .addOption(requiredOption('--lot <id>', 'lot id', parsers.id));
  const settings = useSettings(cmd, ['mqttUrls', 'topicRoot', 'logLevel', 'logFormat']);
  examples(cmd, ['parking signage --lot mall-1 --servers mqtt://127.0.0.1:1883,mqtt://127.0.0.1:1884']);
  cmd.action(() => {
    settings(ctx);
    notAvailable('signage', 'a terminal display of a lot from its availability topics');
  });
}
