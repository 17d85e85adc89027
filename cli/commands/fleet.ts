import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { parsers } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples } from '../command.ts';
import { commandLogger } from '../logger.ts';
import { useSettings, validatedOption } from '../settings.ts';

interface FleetFlags {
  devices: number;
  first: number;
  periodMs: number;
  connectRate: number;
  liveness: 'ack' | 'heartbeat';
  spare: boolean;
  keepalive?: number;
}

export function registerFleet(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('fleet')
    .description(
      'A load generator: N device links (each a real device link with its own connection, Last Will and status, in lot `fleet`), each publishing its slot every --period-ms. The fleet drill (`parking drill --fleet N`) runs these; it talks to them with JSON lines on stdin and stdout (see drill/fleet/worker.ts). With per-device accounts the tokens derive from PARKING_FLEET_TOKEN_SECRET.',
    )
    .addOption(validatedOption('--devices <n>', 'device links', parsers.integer(1, 20_000)).default(100))
    .addOption(validatedOption('--first <n>', 'number of the first device (fd-<n>)', parsers.integer(0, 99_999)).default(0))
    .addOption(validatedOption('--period-ms <ms>', 'each device publishes its slot this often', parsers.integer(100, 3_600_000)).default(10_000))
    .addOption(validatedOption('--connect-rate <n>', 'devices connected per second at start', parsers.integer(1, 100_000)).default(1000))
    .addOption(validatedOption('--liveness <kind>', 'how the links notice a dead broker: ack (what devices use) or heartbeat (what services use; for comparison)', parsers.oneOf(['ack', 'heartbeat'] as const)).default('ack'))
    .addOption(validatedOption('--keepalive <s>', 'MQTT keep-alive of each connection, seconds (default: the link\'s, 60 for devices)', parsers.integer(5, 65_535)))
    .option('--no-spare', 'no spare connection to the standby: each link fails over with a new connection (for comparison)');
  const settings = useSettings(cmd, ['mqttUrls', 'failoverMs', 'primaryProbeMs', 'failbackWindowMs', 'logLevel', 'logFormat']);
  examples(cmd, ['PARKING_FLEET_TOKEN_SECRET=… parking fleet --devices 2000 --servers mqtt://127.0.0.1:1883,mqtt://127.0.0.1:1884']);
  cmd.action(async () => {
    const s = settings(ctx);
    const flags = cmd.opts<FleetFlags>();
    const logger = commandLogger(ctx, 'fleet', s);
    const { FleetWorker, FLEET_SECRET_ENV } = await import('../../drill/fleet/index.ts');
    // Node reads the stack of every socket error (streams' destroy), and with tsx's source maps on
    // each read maps every frame. A real device pays that once on its own CPU; a thousand simulated
    // ones in this process would pay it a thousand times at each fault, on the cores the brokers use.
    process.setSourceMapsEnabled(false);
    const worker = new FleetWorker({
      servers: s.mqttUrls,
      first: flags.first,
      count: flags.devices,
      periodMs: flags.periodMs,
      connectRate: flags.connectRate,
      tokenSecret: ctx.env[FLEET_SECRET_ENV] || undefined,
      link: { logger, liveness: flags.liveness, spare: flags.spare, ...(flags.keepalive !== undefined ? { keepaliveSec: flags.keepalive } : {}), failoverMs: s.failoverMs, probeIntervalMs: s.primaryProbeMs, ...(s.failbackWindowMs !== undefined ? { failbackWindowMs: s.failbackWindowMs } : {}) },
      write: (line) => ctx.stdout.write(`${line}\n`),
    });
    await worker.start();
    const lines = createInterface({ input: process.stdin });
    let queue = Promise.resolve();
    lines.on('line', (line) => {
      if (line.trim()) queue = queue.then(() => worker.command(line));
    });
    await new Promise<void>((resolve) => {
      lines.once('close', () => resolve());
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve());
    });
    await queue;
    await Promise.race([worker.stop(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  });
}
