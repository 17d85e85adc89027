import type { Command } from 'commander';
import { parsers } from '../../config/index.ts';
import { encodeGateEvent } from '../../contract/index.ts';
import type { DisplayMessage } from '../../devices/index.ts';
import type { CliContext } from '../context.ts';
import { examples, sayRefusals } from '../command.ts';
import { UsageError } from '../errors.ts';
import { requiredOption, useSettings, validatedOption } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

interface GateFlags {
  lot: string;
  gate: string;
  stdin: boolean;
  device?: string;
  rate: number;
  stay: number;
  displayWaitMs: number;
}

/** `--stdin`: the events still waiting for their display, by direction and car. */
class AwaitedDisplays {
  private readonly waiting = new Map<string, number>();
  private onEmpty?: () => void;

  expect(direction: string, carId: string): void {
    const k = `${direction} ${carId}`;
    this.waiting.set(k, (this.waiting.get(k) ?? 0) + 1);
  }

  /** A display arrived: it answers the oldest event of its car and direction. */
  arrived(message: DisplayMessage): void {
    if (message.kind !== 'display') return;
    const k = `${message.display.direction} ${message.display.carId}`;
    const n = this.waiting.get(k);
    if (!n) return;
    if (n > 1) this.waiting.set(k, n - 1);
    else this.waiting.delete(k);
    if (!this.size) this.onEmpty?.();
  }

  get size(): number {
    let n = 0;
    for (const count of this.waiting.values()) n += count;
    return n;
  }

  /** Resolves true once every display arrived, false after `ms`. */
  all(ms: number): Promise<boolean> {
    if (!this.size) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.onEmpty = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }
}

function displayLine(message: DisplayMessage): string {
  return message.kind === 'display' ? `display ${message.display.text}` : `display ${message.text}`;
}

export function registerGate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('gate')
    .description(
      'Run one gate reader: publishes entry and exit events (QoS 1, a unique eventId each, never lost across a broker failover) with car ids from stdin or a simulation, and prints what the gate display receives.',
    )
    .addOption(requiredOption('--lot <id>', 'lot id', parsers.id))
    .addOption(requiredOption('--gate <id>', 'gate id', parsers.id))
    .option('--stdin', 'read events from stdin, one per line: `entry CARID` or `exit CARID`; ends once every event is acknowledged and its display arrived (or --display-wait-ms passed)', false)
    .addOption(validatedOption('--display-wait-ms <ms>', '--stdin: how long to wait for the displays after the last event is acknowledged', parsers.milliseconds).default(10_000))
    .addOption(validatedOption('--device <id>', 'also say online/offline on the status topic of this device id (Last Will offline)', parsers.id))
    .addOption(validatedOption('--rate <cars>', 'simulated: arrivals per minute', parsers.positiveNumber).default(6))
    .addOption(validatedOption('--stay <seconds>', 'simulated: mean stay, seconds', parsers.positiveNumber).default(300));
  const settings = useSettings(cmd, ['mqttUrls', 'failoverMs', 'primaryProbeMs', 'failbackWindowMs', 'topicRoot', 'logLevel', 'logFormat']);
  examples(cmd, [
    "printf 'entry B1234XYZ\\nexit B1234XYZ\\n' | parking gate --lot mall-1 --gate north --stdin --servers mqtt://127.0.0.1:1883",
    'parking gate --lot mall-1 --gate north --rate 20 --stay 60',
  ]);
  cmd.action(async () => {
    const s = settings(ctx);
    const flags = cmd.opts<GateFlags>();
    // Loaded here, not with the command: `--help` and `--version` need no MQTT (a Pi starts faster).
    const { DeviceIdError, parseGateLine, simulateGate, startGateDevice } = await import('../../devices/index.ts');
    const { commandLogger } = await import('../logger.ts');
    const logger = commandLogger(ctx, 'gate', s);
    const shutdown = createShutdown({ signals: ctx.signals, logger });
    const awaited = new AwaitedDisplays();
    let gate;
    try {
      gate = await startGateDevice({
        servers: s.mqttUrls,
        root: s.topicRoot,
        lot: flags.lot,
        gate: flags.gate,
        device: flags.device,
        link: { failoverMs: s.failoverMs, probeIntervalMs: s.primaryProbeMs, ...(s.failbackWindowMs !== undefined ? { failbackWindowMs: s.failbackWindowMs } : {}) },
        logger,
        onDisplay: (message) => {
          ctx.stdout.write(`${displayLine(message)}\n`);
          awaited.arrived(message);
        },
      });
    } catch (error) {
      if (error instanceof DeviceIdError) throw new UsageError(error.message);
      throw error;
    }
    const device = gate;
    sayRefusals(ctx, [device.link]);
    shutdown.onShutdown(() => device.stop());
    const printEvent = (text: string) => ctx.stdout.write(`event ${text}\n`);

    if (flags.stdin) {
      const { createInterface } = await import('node:readline');
      const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
      shutdown.onShutdown(() => lines.close());
      lines.on('line', (line) => {
        try {
          const parsed = parseGateLine(line);
          if (!parsed) return;
          const { event } = device.reader.event(parsed.direction, parsed.carId);
          awaited.expect(event.direction, event.carId);
          printEvent(encodeGateEvent(event));
        } catch (error) {
          logger.warn({ line: line.slice(0, 80) }, (error as Error).message);
        }
      });
      lines.once('close', () => {
        // Every event acknowledged by a broker, however long it takes; then its display, for a while; then stop.
        device.link
          .flush(Infinity)
          .then(() => awaited.all(flags.displayWaitMs))
          .then((all) => {
            if (!all) logger.warn({ missing: awaited.size, waitedMs: flags.displayWaitMs }, 'gate: some displays did not arrive (is the charging flow running?)');
            void shutdown.shutdown('input ended');
          }, () => {});
      });
    } else {
      const traffic = simulateGate(device.reader, flags.lot, flags.gate, {
        arrivalsPerMinute: flags.rate,
        meanStayMs: flags.stay * 1000,
        onEvent: (direction, carId) => printEvent(`${direction} ${carId}`),
      });
      shutdown.onShutdown(() => traffic.stop());
    }
    ctx.exitCode = await shutdown.done;
  });
}
