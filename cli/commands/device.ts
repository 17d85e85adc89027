import type { Command } from 'commander';
import { invalid, parsers } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples, notAvailable } from '../command.ts';
import { requiredOption, useSettings, validatedOption } from '../settings.ts';

/** Where a slot publisher reads its sensor. */
export type SensorSpec = { kind: 'sim' } | { kind: 'stdin' } | { kind: 'gpio'; line: string };

/** `sim`, `stdin` or `gpio:LINE` (a line number or name). */
export function parseSensor(raw: string): SensorSpec {
  if (raw === 'sim' || raw === 'stdin') return { kind: raw };
  const gpio = /^gpio:([A-Za-z0-9_-]{1,32})$/.exec(raw);
  if (gpio) return { kind: 'gpio', line: gpio[1] };
  return invalid('must be sim, stdin or gpio:LINE (a GPIO line number or name)');
}

export function registerDevice(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('device')
    .description('Run one Pi slot publisher: reads a sensor (real, stdin or simulated) and publishes the slot state, retained, with an online/offline status and Last Will.')
    .addOption(requiredOption('--lot <id>', 'lot id', parsers.id))
    .addOption(requiredOption('--level <id>', 'level id', parsers.id))
    .addOption(requiredOption('--slot <id>', 'slot id', parsers.id))
    .addOption(validatedOption('--sensor <kind>', 'sensor: sim, stdin (one line per reading: 1/0/true/false) or gpio:LINE', parseSensor).default({ kind: 'sim' }, 'sim'))
    .addOption(validatedOption('--device <id>', 'device id in status topics and payloads (default: derived from lot, level and slot)', parsers.id));
  const settings = useSettings(cmd, ['mqttUrls', 'topicRoot', 'logLevel', 'logFormat']);
  examples(cmd, ['parking device --lot mall-1 --level B1 --slot 07 --sensor gpio:17 --servers mqtt://10.0.0.5:1883,mqtt://10.0.0.6:1884', "printf '1\\n0\\n' | parking device --lot mall-1 --level B1 --slot 07 --sensor stdin"]);
  cmd.action(() => {
    settings(ctx);
    notAvailable('device', 'one Pi slot publisher from a real, stdin or simulated sensor');
  });
}
