import type { Command } from 'commander';
import { invalid, parsers } from '../../config/index.ts';
import { capacityOf, startSimulation } from '../../devices/index.ts';
import type { CliContext } from '../context.ts';
import { examples, sayRefusals } from '../command.ts';
import { commandLogger } from '../logger.ts';
import { useSettings, validatedOption } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

interface SimulateFlags {
  lots: number;
  levels: number;
  slots: number;
  gates: number;
  rate: number;
  stay: number;
  prefill: number;
  links: 'lot' | 'device';
  seed?: number;
  history?: number;
}

const fraction = (raw: string): number => {
  const n = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(raw) ? Number(raw) : NaN;
  return n >= 0 && n <= 1 ? n : invalid('must be a fraction from 0 to 1, like 0.3');
};

export function registerSimulate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('simulate')
    .description(
      'Run a fleet of simulated slot sensors and gates: cars arrive, enter through a gate, park, stay, leave and exit. Everything it publishes follows the contract. One MQTT link per lot (device `sim`), or one per slot and gate with --links device.',
    )
    .addOption(validatedOption('--lots <n>', 'number of lots (sim-1, sim-2, ...: names of their own, never a real lot\'s)', parsers.integer(1, 1000)).default(1))
    .addOption(validatedOption('--levels <n>', 'levels per lot (B1, B2, ...)', parsers.integer(1, 100)).default(2))
    .addOption(validatedOption('--slots <n>', 'slots per level', parsers.integer(1, 10000)).default(26))
    .addOption(validatedOption('--gates <n>', 'gates per lot (north, south, east, west, ...)', parsers.integer(0, 100)).default(2))
    .addOption(validatedOption('--rate <cars>', 'arrivals per minute in each lot', parsers.positiveNumber).default(6))
    .addOption(validatedOption('--stay <seconds>', 'mean stay of a car, seconds', parsers.positiveNumber).default(300))
    .addOption(validatedOption('--prefill <fraction>', 'share of the slots taken by cars arriving at the start', fraction).default(0.3))
    .addOption(validatedOption('--links <kind>', 'lot: one MQTT link per lot; device: one per slot and gate (load)', parsers.oneOf(['lot', 'device'] as const)).default('lot'))
    .addOption(validatedOption('--seed <n>', 'random seed (default: random; printed at start)', parsers.integer(0, 2 ** 32 - 1)))
    .addOption(validatedOption('--history <days>', 'instead: write DAYS of simulated slot history up to now straight into MongoDB (MONGODB_URI), weekdays, weekends and events, in seconds, then exit (docs/history.md); no MQTT', parsers.integer(1, 90)));
  const settings = useSettings(cmd, ['mqttUrls', 'failoverMs', 'primaryProbeMs', 'failbackWindowMs', 'topicRoot', 'mongodbUri', 'mongodbDb', 'utcOffset', 'logLevel', 'logFormat']);
  examples(cmd, [
    'parking simulate --lots 2 --levels 3 --slots 40 --rate 20 --servers mqtt://127.0.0.1:1883,mqtt://127.0.0.1:1884',
    "MONGODB_URI='mongodb://127.0.0.1:27017/?replicaSet=rs0' parking simulate --history 28 --lots 1 --levels 3 --slots 40",
  ]);
  cmd.action(async () => {
    const s = settings(ctx);
    const flags = cmd.opts<SimulateFlags>();
    const logger = commandLogger(ctx, 'simulate', s);
    if (flags.history !== undefined) {
      const { simulateHistoryInto } = await import('./simulate-history.ts');
      ctx.exitCode = await simulateHistoryInto(ctx, { ...flags, history: flags.history }, s);
      return;
    }
    const shutdown = createShutdown({ signals: ctx.signals, logger });
    const simulation = await startSimulation({
      servers: s.mqttUrls,
      root: s.topicRoot,
      lots: flags.lots,
      levels: flags.levels,
      slotsPerLevel: flags.slots,
      gates: flags.gates,
      arrivalsPerMinute: flags.rate,
      meanStayMs: flags.stay * 1000,
      prefill: flags.prefill,
      links: flags.links,
      seed: flags.seed,
      link: { failoverMs: s.failoverMs, probeIntervalMs: s.primaryProbeMs, ...(s.failbackWindowMs !== undefined ? { failbackWindowMs: s.failbackWindowMs } : {}) },
      logger,
    });
    sayRefusals(ctx, simulation.links);
    shutdown.onShutdown(() => simulation.stop());
    for (const plan of simulation.plans) {
      const levels = plan.levels.length;
      ctx.stdout.write(`simulating ${plan.lot}: ${levels} level${levels === 1 ? '' : 's'}, ${capacityOf(plan)} slots, gates ${plan.gates.join(',') || 'none'}, ${flags.rate} cars/min (seed ${simulation.seed})\n`);
    }
    const report = setInterval(() => logger.info(simulation.stats(), 'simulation'), 10_000);
    report.unref();
    shutdown.onShutdown(() => clearInterval(report));
    ctx.exitCode = await shutdown.done;
    const stats = simulation.stats();
    ctx.stdout.write(`published ${stats.slotStates} slot states and ${stats.gateEvents} gate events\n`);
  });
}
