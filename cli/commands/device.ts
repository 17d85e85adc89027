import type { Command } from 'commander';
import { invalid, parsers } from '../../config/index.ts';
import type { SensorSpec } from '../../devices/index.ts';
import { encodeSlotState } from '../../contract/index.ts';
import type { CliContext } from '../context.ts';
import { examples, sayRefusals } from '../command.ts';
import { UsageError } from '../errors.ts';
import { requiredOption, useSettings, validatedOption } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

export type { SensorSpec };

/** `sim`, `stdin`, `file:PATH` or `gpio:LINE` (a BCM line number). */
export function parseSensor(raw: string): SensorSpec {
  if (raw === 'sim' || raw === 'stdin') return { kind: raw };
  const gpio = /^gpio:([A-Za-z0-9_-]{1,32})$/.exec(raw);
  if (gpio) return { kind: 'gpio', line: gpio[1] };
  const file = /^file:(.+)$/.exec(raw);
  if (file) return { kind: 'file', path: file[1] };
  return invalid('must be sim, stdin, file:PATH or gpio:LINE (a BCM GPIO number)');
}

interface DeviceFlags {
  lot: string;
  level: string;
  slot: string;
  sensor: SensorSpec;
  device?: string;
  simInterval: number;
  active: 'low' | 'high';
}

export function registerDevice(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('device')
    .description(
      'Run one Pi slot publisher: reads a sensor (GPIO, stdin, a file or simulated), debounces it and publishes the slot state, retained, QoS 1, with ts and seq; says online/offline (retained, Last Will offline) on its status topic; fails over between brokers without losing a state. Prints every state it publishes.',
    )
    .addOption(requiredOption('--lot <id>', 'lot id', parsers.id))
    .addOption(requiredOption('--level <id>', 'level id', parsers.id))
    .addOption(requiredOption('--slot <id>', 'slot id', parsers.id))
    .addOption(validatedOption('--sensor <kind>', 'sensor: sim, stdin (one line per reading: 1/0/true/false), file:PATH (same, from a file or FIFO) or gpio:LINE (BCM number)', parseSensor).default({ kind: 'sim' }, 'sim'))
    .addOption(validatedOption('--device <id>', 'device id in status topics and payloads (default: <lot>-<level>-<slot>)', parsers.id))
    .addOption(validatedOption('--active <level>', 'gpio: the line level meaning occupied: low (pull-up on) or high (pull-down on)', parsers.oneOf(['low', 'high'] as const)).default('low'))
    .addOption(validatedOption('--sim-interval <ms>', 'sim: mean time between changes, milliseconds', parsers.integer(1, 86_400_000)).default(20_000));
  const settings = useSettings(cmd, ['mqttUrls', 'failoverMs', 'primaryProbeMs', 'failbackWindowMs', 'debounceMs', 'stateDir', 'topicRoot', 'logLevel', 'logFormat']);
  examples(cmd, [
    'parking device --lot mall-1 --level B1 --slot 07 --sensor gpio:17 --servers mqtt://10.0.0.5:1883,mqtt://10.0.0.6:1884',
    "printf '1\\n0\\n' | parking device --lot mall-1 --level B1 --slot 07 --sensor stdin",
  ]);
  cmd.action(async () => {
    const s = settings(ctx);
    const flags = cmd.opts<DeviceFlags>();
    // Loaded here, not with the command: `--help` and `--version` need no MQTT (a Pi starts faster).
    const { DeviceIdError, createSensor, slotDeviceId, startSlotDevice } = await import('../../devices/index.ts');
    const { commandLogger } = await import('../logger.ts');
    let id: string;
    try {
      id = flags.device ?? slotDeviceId(flags.lot, flags.level, flags.slot);
    } catch (error) {
      if (error instanceof DeviceIdError) throw new UsageError(error.message);
      throw error;
    }
    const logger = commandLogger(ctx, 'device', s);
    const sensor = createSensor(flags.sensor, { simMeanMs: flags.simInterval, activeLow: flags.active === 'low' });
    const shutdown = createShutdown({ signals: ctx.signals, logger });
    const device = await startSlotDevice({
      servers: s.mqttUrls,
      root: s.topicRoot,
      lot: flags.lot,
      level: flags.level,
      slot: flags.slot,
      device: id,
      sensor,
      debounceMs: s.debounceMs,
      stateDir: s.stateDir,
      link: { failoverMs: s.failoverMs, probeIntervalMs: s.primaryProbeMs, ...(s.failbackWindowMs !== undefined ? { failbackWindowMs: s.failbackWindowMs } : {}) },
      logger,
      onPublish: (state) => ctx.stdout.write(`${new Date(state.ts).toISOString()} ${flags.lot}/${flags.level}/${flags.slot} ${encodeSlotState(state)}\n`),
    });
    sayRefusals(ctx, [device.link]);
    shutdown.onShutdown(() => device.stop());
    let failed = false;
    device.ended.then(
      () => void shutdown.shutdown('sensor input ended'),
      (error: Error) => {
        failed = true;
        logger.error({ err: error.message, sensor: sensor.description }, 'sensor failed');
        void shutdown.shutdown('sensor failed');
      },
    );
    const code = await shutdown.done;
    ctx.exitCode = failed ? 1 : code;
  });
}
