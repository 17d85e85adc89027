import type { Command } from 'commander';
import { parsers } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples, notAvailable } from '../command.ts';
import { requiredOption, useSettings } from '../settings.ts';

export function registerGate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('gate')
    .description('Run one gate reader: publishes entry and exit events with car ids from a reader, stdin or a simulation.')
    .addOption(requiredOption('--lot <id>', 'lot id', parsers.id))
    .addOption(requiredOption('--gate <id>', 'gate id', parsers.id))
    .option('--stdin', 'read events from stdin, one per line: `entry CARID` or `exit CARID`', false);
  const settings = useSettings(cmd, ['mqttUrls', 'topicRoot', 'logLevel', 'logFormat']);
  examples(cmd, ["printf 'entry B1234XYZ\\nexit B1234XYZ\\n' | parking gate --lot mall-1 --gate north --stdin --servers mqtt://127.0.0.1:1883"]);
  cmd.action(() => {
    settings(ctx);
    notAvailable('gate', 'one gate reader publishing entry and exit events');
  });
}
