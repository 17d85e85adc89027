import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { examples, notAvailable } from '../command.ts';
import { useSettings } from '../settings.ts';

export function registerBroker(program: Command, ctx: CliContext): void {
  const cmd = program.command('broker').description('Run one MQTT broker; a standby also bridges to the primary.');
  const settings = useSettings(cmd, ['role', 'mqttPort', 'primaryUrl', 'wsPort', 'allowAnonymous', 'topicRoot', 'logLevel', 'logFormat'], { required: ['role'] });
  examples(cmd, ['parking broker --role primary --port 1883', 'parking broker --role standby --port 1884 --primary mqtt://10.0.0.5:1883']);
  cmd.action(() => {
    settings(ctx);
    notAvailable('broker', 'one MQTT broker, primary or standby bridged to the primary');
  });
}
