import { Option, type Command } from 'commander';
import { invalid, parsers, type Parser } from '../../config/index.ts';
import { LOG_LEVELS } from '../../log/index.ts';
import type { CliContext } from '../context.ts';
import { examples } from '../command.ts';
import { commandLogger } from '../logger.ts';
import { UsageError } from '../errors.ts';
import { useSettings, validatedOption } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';
// The pure parts only: the drill's runtime is loaded when the command runs.
import { DEFAULT_FAILURE_RATES, parseFailureRates, type FailureRates } from '../../drill/availability.ts';
import { SCENARIOS, defaultScenarios, parseLinkList, parseScenarioList, type LinkName, type ScenarioName } from '../../drill/scenarios.ts';

interface DrillFlags {
  runs: number;
  out?: string;
  scenarios?: ScenarioName[];
  links: LinkName[];
  quick?: boolean;
  failuresPerYear: FailureRates;
  redis?: boolean;
  devices: number;
  rate: number;
  windowMs?: number;
  electionDelay?: readonly [number, number];
  primaryProbeMs: number;
  db: string;
  fleetSlots: number;
  fleetRate: number;
  partsLogLevel: string;
  fleet?: number;
  auth?: boolean;
  steadyMs?: number;
  idleMs?: number;
  periodMs?: number;
  failbackWindowMs?: number;
  spare?: boolean;
}

/** A parser from a function that throws plain errors. */
const checked =
  <T>(parse: (raw: string) => T): Parser<T> =>
  (raw) => {
    try {
      return parse(raw);
    } catch (error) {
      return invalid((error as Error).message);
    }
  };

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function registerDrill(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('drill')
    .description(
      'Run the failover drills: start the platform as separate processes (primary and standby brokers with the bridge, ingest, a simulated fleet, the MongoDB stand-in or MONGODB_URI), drive measured traffic through a link proxy per broker, inject broker, database and Redis faults N times each, and write DIR/drill.json, drill.md and drill.svg. Exits 1 when a message was lost or a run failed.',
    )
    .addOption(validatedOption('--runs <n>', 'runs of each scenario and link (default 3; 2 with --quick)', parsers.integer(1, 1000)))
    .addOption(validatedOption('--out <dir>', 'directory for drill.json and the report (default reports/drill-<timestamp>)', parsers.text))
    .addOption(validatedOption('--scenarios <list>', `comma list of ${SCENARIOS.join(', ')} (default: all; redis-loss only with --redis)`, checked(parseScenarioList)))
    .addOption(validatedOption('--links <list>', 'link profiles for the broker faults: wired, wireless (database and Redis faults use the first)', checked(parseLinkList)).default(['wired', 'wireless'], 'wired,wireless'))
    .addOption(new Option('--quick', 'the short version for CI: 2 runs, 1 s windows, a 1000-1500 ms election delay'))
    .addOption(validatedOption('--failures-per-year <n>', 'failures a year for the availability figures: N, or PLANNED,UNPLANNED', checked(parseFailureRates)).default(DEFAULT_FAILURE_RATES, String(DEFAULT_FAILURE_RATES.planned)))
    .addOption(new Option('--redis', 'run each broker on its own testbed Redis (REDIS_URL) and add the redis-loss scenario'))
    .addOption(validatedOption('--devices <n>', 'measuring devices (one failover link each)', parsers.integer(1, 100)).default(4))
    .addOption(validatedOption('--rate <n>', 'slot states a second per measuring device', parsers.positiveNumber).default(25))
    .addOption(validatedOption('--window-ms <ms>', 'length of the throughput windows before and after the fault (default 3000; 1000 with --quick)', parsers.integer(200, 600_000)))
    .addOption(validatedOption('--election-delay <ms>', 'stand-in election delay, ms or MIN-MAX (default 10000-12000, like MongoDB; 1000-1500 with --quick)', parsers.delayRange))
    .addOption(validatedOption('--primary-probe-ms <ms>', 'how often clients on the standby check the primary during the drill (the return to the primary between runs)', parsers.integer(50, 60_000)).default(250))
    .addOption(validatedOption('--db <name>', 'MongoDB database the drill\'s ingest writes to', parsers.databaseName).default('parking_drill'))
    .addOption(validatedOption('--fleet-slots <n>', 'slots of the simulated background fleet', parsers.integer(1, 10_000)).default(40))
    .addOption(validatedOption('--fleet-rate <cars>', 'arrivals a minute in the background fleet', parsers.positiveNumber).default(30))
    .addOption(validatedOption('--fleet <n>', 'instead: the broker faults (crash, partition up to 8000 devices, planned) with a fleet of N device links in their own processes; writes DIR/fleet.json and fleet.md', parsers.integer(1, 20_000)))
    .addOption(new Option('--auth', 'with --fleet: per-device accounts (device tokens) on both brokers'))
    .addOption(new Option('--no-spare', 'with --fleet: the devices keep no spare connection to the standby, so each fails over with a new connection (the cold reconnect storm)'))
    .addOption(validatedOption('--steady-ms <ms>', 'with --fleet: the steady window in which every failover is spurious (default 600000; 20000 with --quick)', parsers.integer(1000, 86_400_000)))
    .addOption(validatedOption('--idle-ms <ms>', 'with --fleet: the window without publishes that shows what liveness costs the brokers (default 30000; 5000 with --quick)', parsers.integer(1000, 3_600_000)))
    .addOption(validatedOption('--period-ms <ms>', 'with --fleet: each device publishes this often', parsers.integer(100, 3_600_000)))
    .addOption(validatedOption('--failback-window-ms <ms>', 'with --fleet: the devices return to the primary spread over this window', parsers.integer(0, 3_600_000)))
    .addOption(validatedOption('--fleet-nice <n>', 'with --fleet: CPU priority of the fleet processes (nice; default 10, so the brokers come first as on a site, where each device has its own CPU; 0: the same as the brokers)', parsers.integer(0, 19)))
    .addOption(validatedOption('--parts-log-level <level>', 'log level of the platform\'s parts in DIR/logs (debug shows every refused publish)', parsers.oneOf(LOG_LEVELS)).default('info'));
  const settings = useSettings(cmd, ['mongodbUri', 'failoverMs', 'logLevel', 'logFormat']);
  examples(cmd, ['parking drill --runs 3', 'parking drill --fleet 2000 --auth --runs 3', 'parking drill --quick --out reports/drill-ci', 'parking drill --scenarios broker-crash,broker-partition --links wireless --runs 10', 'parking drill --redis --failures-per-year 12,4']);
  cmd.action(async () => {
    const s = settings(ctx);
    const flags = cmd.opts<DrillFlags>();
    const quick = flags.quick === true;
    if (flags.fleet !== undefined) {
      const { runFleetDrillCommand } = await import('./drill-fleet.ts');
      const shutdown = createShutdown({ signals: ctx.signals, logger: commandLogger(ctx, 'drill', s), timeoutMs: 30_000 });
      ctx.exitCode = await runFleetDrillCommand(ctx, { ...flags, fleet: flags.fleet, out: flags.out ?? `reports/fleet-${stamp(new Date())}`, fleetScenarios: flags.scenarios?.join(',') }, shutdown);
      return;
    }
    const scenarios = flags.scenarios ?? defaultScenarios(flags.redis === true);
    if (scenarios.includes('redis-loss') && !flags.redis) throw new UsageError('the redis-loss scenario needs --redis (brokers on Redis)');
    const logger = commandLogger(ctx, 'drill', s);
    const { runDrill, writeDrillReport, Progress, renderReport, killAllParts } = await import('../../drill/index.ts');
    const outDir = flags.out ?? `reports/drill-${stamp(new Date())}`;
    const stderr = ctx.stderr as { write(text: string): unknown; isTTY?: boolean; columns?: number };
    const progress = new Progress(stderr, 0);
    const abort = new AbortController();
    const shutdown = createShutdown({ signals: ctx.signals, logger, timeoutMs: 30_000 });
    shutdown.onShutdown(() => abort.abort());
    let result;
    try {
      result = await runDrill({
        runs: flags.runs ?? (quick ? 2 : 3),
        scenarios,
        links: flags.links,
        quick,
        failuresPerYear: flags.failuresPerYear,
        failoverMs: s.failoverMs,
        primaryProbeMs: flags.primaryProbeMs,
        devices: flags.devices,
        ratePerDevice: flags.rate,
        windowMs: flags.windowMs ?? (quick ? 1000 : 3000),
        mongodbUri: s.mongodbUri,
        electionDelayMs: flags.electionDelay ?? (quick ? [1000, 1500] : [10_000, 12_000]),
        dbName: flags.db,
        redis: flags.redis === true,
        fleet: { slots: flags.fleetSlots, arrivalsPerMinute: flags.fleetRate },
        outDir,
        partsLogLevel: flags.partsLogLevel,
        progress,
        signal: abort.signal,
      });
    } catch (error) {
      killAllParts();
      if (abort.signal.aborted) {
        ctx.stderr.write('parking drill: interrupted; no report written\n');
        ctx.exitCode = 1;
        return;
      }
      throw error;
    } finally {
      progress.stop();
    }
    const files = await writeDrillReport(outDir, result);
    const report = renderReport(result);
    // The summary and the targets: the report's first sections.
    const head = report.split('\n## Downtime and availability')[0];
    ctx.stdout.write(`${head.trimEnd()}\n\nwrote ${files.json}, ${files.markdown}, ${files.svg} (logs of every part in ${outDir}/logs)\n`);
    if (result.interrupted) {
      ctx.stderr.write(`parking drill: interrupted after ${result.runs.length} runs; the report covers those\n`);
      ctx.exitCode = 1;
      return;
    }
    const failed = result.runs.filter((r) => r.lost > 0 || r.error).length + (result.totals.lost > 0 ? 1 : 0);
    if (failed) ctx.stderr.write(`parking drill: ${result.runs.filter((r) => r.lost > 0).length} runs lost messages, ${result.runs.filter((r) => r.error).length} runs had errors, ${result.totals.lost} messages lost in all\n`);
    ctx.exitCode = failed ? 1 : 0;
  });
}
