import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { examples, notAvailable } from '../command.ts';
import { useSettings } from '../settings.ts';

export function registerFlows(program: Command, ctx: CliContext): void {
  const cmd = program.command('flows').description('Run Node-RED alone: the charging flows, the dashboard and the signage pages.');
  const settings = useSettings(cmd, ['httpPort', 'mqttUrls', 'mongodbUri', 'mongodbDb', 'topicRoot', 'logLevel', 'logFormat']);
  examples(cmd, ['parking flows --http-port 1880 --servers mqtt://127.0.0.1:1883,mqtt://127.0.0.1:1884']);
  cmd.action(() => {
    settings(ctx);
    notAvailable('flows', 'Node-RED with the charging flows and dashboard');
  });
}
