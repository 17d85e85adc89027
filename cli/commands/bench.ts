import { Option, type Command } from 'commander';
import { InvalidValue, parsers, type Parser } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples } from '../command.ts';
import { useSettings, validatedOption } from '../settings.ts';
import { parseCount, parseCounts, parseDuration, parseSections } from '../../bench/options.ts';

/** The fleet drill's own bound on device links (`parking drill --fleet`). */
const MAX_FAILOVER_DEVICES = 20_000;

const failoverDevices = (raw: string): number => {
  const n = parseCount(raw);
  if (n > MAX_FAILOVER_DEVICES) throw new RangeError(`at most ${MAX_FAILOVER_DEVICES.toLocaleString('en-US')} device links: ${JSON.stringify(raw)}`);
  return n;
};

/** One of the benchmark's own parsers as a flag parser (a bad value names the flag, exit 2). */
function flag<T>(parse: (raw: string) => T): Parser<T> {
  return (raw) => {
    try {
      return parse(raw);
    } catch (error) {
      throw new InvalidValue((error as Error).message);
    }
  };
}

interface BenchFlags {
  out?: string;
  quick?: boolean;
  rates?: number[];
  duration?: number;
  steps?: number[];
  peerRates?: number[];
  devices?: number[];
  only?: Array<'latency' | 'throughput' | 'scale' | 'peers' | 'failover'>;
  slots?: number;
  failoverDevices?: number;
  failoverSteady?: number;
  failoverRuns?: number;
  standby: boolean;
}

export function registerBench(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('bench')
    .description(
      'Run the performance benchmarks with the platform\'s parts as separate processes on 127.0.0.1: latency from a sensor\'s publish to the availability topic and to the durable slots document at steady rates, the highest sustained rate, broker memory and CPU with many connected devices, the same load through plain Aedes, Mosquitto and the bridge, and a site-scale failover (the fleet drill: broker faults with thousands of device links). Prints the table; writes DIR/bench.json, DIR/bench.txt and DIR/bench.svg.',
    )
    .addOption(validatedOption('--out <dir>', 'directory for bench.json, bench.txt and bench.svg (default reports/bench-<timestamp>)', parsers.text))
    .addOption(new Option('--quick', 'a seconds-long smoke run (CI): one low rate, two throughput steps, 100 devices, a 200-link broker crash'))
    .addOption(validatedOption('--rates <list>', 'latency runs, updates/s, comma-separated (default 100,1000,5000; quick 200)', flag(parseCounts)))
    .addOption(validatedOption('--duration <seconds>', 'length of each run and throughput step (default 10; quick 1); 500ms also works', flag(parseDuration)))
    .addOption(validatedOption('--steps <list>', 'throughput search, updates/s, tried in order until one fails (default 100,250,500,1000,2000,3000,5000,...,40000)', flag(parseCounts)))
    .addOption(validatedOption('--peer-rates <list>', 'rates of the peer comparison (default 1000,5000)', flag(parseCounts)))
    .addOption(validatedOption('--devices <list>', 'connected devices of the scale steps (default 1000,10000; quick 100)', flag(parseCounts)))
    .addOption(validatedOption('--only <sections>', 'run only these: latency,throughput,scale,peers,failover,forecast', flag(parseSections)))
    .addOption(validatedOption('--slots <n>', 'simulated slots the load updates (default 10000)', parsers.integer(10, 1_000_000)))
    .addOption(validatedOption('--failover-devices <n>', 'device links of the failover scenario, with per-device accounts (default 2000; quick 200; at most 20000, 8000 with a partition)', flag(failoverDevices)))
    .addOption(validatedOption('--failover-steady <seconds>', 'the failover scenario\'s steady window, in which every failover is spurious (default 60; quick 5)', flag(parseDuration)))
    .addOption(validatedOption('--failover-runs <n>', 'times the failover scenario runs each fault (default 1)', parsers.integer(1, 20)))
    .addOption(new Option('--no-standby', 'leave the bridged standby out of the pipeline (it is in by default, as in parking start)'));
  const settings = useSettings(cmd, ['mongodbUri', 'logLevel', 'logFormat']);
  examples(cmd, ['parking bench --out reports/bench', 'parking bench --quick --out /tmp/bench', 'parking bench --only latency --rates 1000 --duration 30', 'parking bench --only failover --failover-devices 5000 --failover-runs 3', 'MONGODB_URI=mongodb://db1,db2,db3/?replicaSet=rs0 parking bench --only latency,throughput']);
  cmd.action(async () => {
    const s = settings(ctx);
    const given = cmd.opts<BenchFlags>();
    const bench = await import('../../bench/index.ts');
    const options = bench.resolveOptions({
      out: given.out ?? bench.defaultOut(new Date()),
      quick: given.quick ?? false,
      rates: given.rates,
      durationMs: given.duration,
      steps: given.steps,
      peerRates: given.peerRates,
      devices: given.devices,
      only: given.only,
      slots: given.slots,
      failoverDevices: given.failoverDevices,
      failoverSteadyMs: given.failoverSteady,
      failoverRuns: given.failoverRuns,
      standby: given.standby,
      mongodbUri: s.mongodbUri,
    });
    const stopChildren = () => {
      bench.killAllParts();
      process.exit(130);
    };
    ctx.signals.on('SIGINT', stopChildren);
    ctx.signals.on('SIGTERM', stopChildren);
    try {
      const started = Date.now();
      const progress = (line: string) => ctx.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
      progress(`writing to ${options.out}; sections: ${options.only.join(', ')}${options.quick ? ' (quick)' : ''}`);
      const { report, table, files } = await bench.runBench(options, progress);
      ctx.stdout.write(table);
      ctx.stdout.write(`\nwritten: ${files.json}, ${files.table}, ${files.svg}\n`);
      if (report.errors.length) ctx.exitCode = 1;
    } finally {
      ctx.signals.removeListener('SIGINT', stopChildren);
      ctx.signals.removeListener('SIGTERM', stopChildren);
    }
  });
}
