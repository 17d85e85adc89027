import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { examples, notAvailable } from '../command.ts';
import { useSettings } from '../settings.ts';

export function registerIngest(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('ingest')
    .description('Run the ingest pipeline alone: slot states and gate events from MQTT into MongoDB, availability summaries back to MQTT.');
  const settings = useSettings(cmd, ['mqttUrls', 'mongodbUri', 'mongodbDb', 'redisUrl', 'topicRoot', 'logLevel', 'logFormat']);
  examples(cmd, ["parking ingest --servers mqtt://10.0.0.5:1883,mqtt://10.0.0.6:1884 --mongodb-uri 'mongodb://db1,db2,db3/?replicaSet=rs0'"]);
  cmd.action(() => {
    settings(ctx);
    notAvailable('ingest', 'slot states and gate events from MQTT into MongoDB, availability back to MQTT');
  });
}
