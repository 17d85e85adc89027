import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { examples, notAvailable } from '../command.ts';
import { useSettings } from '../settings.ts';

export function registerStart(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('start')
    .description(
      'Run the whole platform on one machine: primary and standby brokers, bridge, ingest, Node-RED with charging flows and dashboard, and a simulated lot. Prints every URL it serves, the MQTT URLs and the MongoDB URI it uses.',
    );
  const settings = useSettings(cmd, ['mongodbUri', 'mongodbDb', 'redisUrl', 'httpPort', 'wsPort', 'topicRoot', 'allowAnonymous', 'sim', 'logLevel', 'logFormat']);
  examples(cmd, ['parking start', 'parking start --no-sim --allow-anonymous --http-port 8080', "MONGODB_URI='mongodb://db1,db2,db3/?replicaSet=rs0' parking start"]);
  cmd.action(() => {
    settings(ctx);
    notAvailable('start', 'brokers, bridge, ingest, Node-RED and a simulated lot on one machine');
  });
}
