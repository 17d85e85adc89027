import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { InvalidValue, parsers } from '../../config/index.ts';
import type { CliContext, ReplicaSetStandIn } from '../context.ts';
import { examples } from '../command.ts';
import { commandLogger } from '../logger.ts';
import { UsageError } from '../errors.ts';
import { requiredOption, useSettings, validatedOption } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

const BANNER = 'MongoDB replica-set stand-in (development and test only, never for production)';
const FAULTS = ['status', 'stepdown', 'kill', 'restart', 'partition', 'heal', 'election-delay'] as const;

function registerMongo(testbed: Command, ctx: CliContext): void {
  const cmd = testbed
    .command('mongo')
    .description(
      `Run the ${BANNER} alone: three members on port, port+1, port+2; prints its replica-set URI and runs until SIGINT or SIGTERM. It answers replSetGetStatus, replSetStepDown and shutdown (a member crash).`,
    );
  const settings = useSettings(cmd, ['testbedPort', 'electionDelayMs', 'logLevel', 'logFormat']);
  examples(cmd, ['parking testbed mongo', 'parking testbed mongo --port 0 --election-delay 500-800']);
  cmd.action(async () => {
    const s = settings(ctx);
    const logger = commandLogger(ctx, 'testbed-mongo', s);
    const module = await ctx.components.testbedMongo();
    const shutdown = createShutdown({ signals: ctx.signals, logger });
    const starting: Promise<ReplicaSetStandIn> = module.startReplicaSet({ port: s.testbedPort, electionDelayMs: [...s.electionDelayMs], logger });
    shutdown.onShutdown(async () => {
      const standIn = await starting.catch(() => undefined);
      await standIn?.close();
    });
    let standIn: ReplicaSetStandIn;
    try {
      standIn = await starting;
    } catch (error) {
      await shutdown.shutdown('start failed');
      throw error;
    }
    ctx.stdout.write(`${BANNER}: ${standIn.uri}\n`);
    ctx.exitCode = await shutdown.done;
  });
}

function registerFault(testbed: Command, ctx: CliContext): void {
  const cmd = testbed
    .command('fault')
    .description('Inject a fault into a running MongoDB stand-in (or step down a real replica set): status, stepdown, kill, restart, partition, heal, election-delay. Prints the members afterwards.')
    .argument('<action>', FAULTS.join(' | '))
    .argument('[member]', 'member index 0-2 (default: the primary, for kill and partition)')
    .addOption(requiredOption('--uri <uri>', 'the replica-set URI printed by `parking testbed mongo`', parsers.mongodbUri))
    .option('--no-handoff', 'stepdown: no election handoff, so no primary for the full election delay')
    .addOption(validatedOption('--ms <ms>', 'election-delay: milliseconds or a range MIN-MAX', parsers.delayRange));
  examples(cmd, ['parking testbed fault --uri mongodb://127.0.0.1:27017,127.0.0.1:27018,127.0.0.1:27019/?replicaSet=rs0 kill', 'parking testbed fault --uri $URI stepdown --no-handoff', 'parking testbed fault --uri $URI election-delay --ms 2000']);
  cmd.action(async (action: string, member: string | undefined, opts: { uri: string; handoff: boolean; ms?: readonly [number, number] }) => {
    if (!(FAULTS as readonly string[]).includes(action)) throw new UsageError(`unknown fault action '${action}': use ${FAULTS.join(', ')}`);
    const index = member === undefined ? undefined : parsers.integer(0, 6)(member);
    if (action === 'election-delay' && !opts.ms) throw new UsageError('election-delay needs --ms');
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(opts.uri, { serverSelectionTimeoutMS: 5000 });
    try {
      const admin = client.db('admin');
      const name = action === 'stepdown' ? 'stepDown' : action === 'election-delay' ? 'electionDelay' : action;
      const command = { testbedFault: name, ...(index !== undefined ? { member: index } : {}), handoff: opts.handoff, ...(opts.ms ? { ms: [...opts.ms] } : {}) };
      const { bounded } = await import('../../mongo/index.ts');
      const reply = await bounded(`testbedFault ${name}`, 10_000, (signal) => admin.command(command, { readPreference: 'nearest', signal }));
      const rows = (reply.members as Array<{ index: number; host: string; state: string; partitioned: boolean }>).map(
        (m) => `${m.index}  ${m.host.padEnd(21)} ${m.state}${m.partitioned ? ' (partitioned)' : ''}`,
      );
      ctx.stdout.write(`${rows.join('\n')}\n`);
    } finally {
      const { closeMongo } = await import('../../mongo/index.ts');
      await closeMongo(client);
    }
  });
}

function registerProxy(testbed: Command, ctx: CliContext): void {
  const cmd = testbed
    .command('proxy')
    .description('Run the link fault proxy between clients and a broker or database. Reads commands on stdin: partition, heal, reset, wired, wireless, stats.')
    .addOption(requiredOption('--target <host:port>', 'where to forward', parseTarget))
    .addOption(validatedOption('--listen <port>', 'port to listen on (0 = a free port)', parsers.port({ allowZero: true })).default(0))
    .addOption(validatedOption('--profile <name>', 'wired or wireless', parsers.oneOf(['wired', 'wireless'] as const)).default('wired'));
  const settings = useSettings(cmd, ['logLevel', 'logFormat']);
  examples(cmd, ['parking testbed proxy --target 127.0.0.1:1883 --listen 11883 --profile wireless']);
  cmd.action(async (opts: { target: { host: string; port: number }; listen: number; profile: 'wired' | 'wireless' }) => {
    const logger = commandLogger(ctx, 'testbed-proxy', settings(ctx));
    const { startLinkProxy } = await import('../../testbed/linkproxy/index.ts');
    const proxy = await startLinkProxy({ target: opts.target, listenPort: opts.listen, profile: opts.profile, logger });
    const shutdown = createShutdown({ signals: ctx.signals, logger });
    shutdown.onShutdown(() => proxy.close());
    ctx.stdout.write(`link proxy 127.0.0.1:${proxy.port} -> ${opts.target.host}:${opts.target.port} (${opts.profile})\n`);
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      const word = line.trim();
      if (word === 'partition') proxy.partition();
      else if (word === 'heal') proxy.heal();
      else if (word === 'reset') proxy.reset();
      else if (word === 'wired' || word === 'wireless') proxy.setProfile(word);
      else if (word !== 'stats' && word) {
        ctx.stderr.write(`unknown command '${word}': use partition, heal, reset, wired, wireless, stats\n`);
        return;
      }
      ctx.stdout.write(`${JSON.stringify(proxy.stats())}\n`);
    });
    shutdown.onShutdown(() => lines.close());
    ctx.exitCode = await shutdown.done;
  });
}

function parseTarget(raw: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(raw);
  if (!match) throw new InvalidValue('must be HOST:PORT');
  return { host: match[1], port: parsers.port()(match[2]) };
}

export function registerTestbed(program: Command, ctx: CliContext): void {
  const testbed = program.command('testbed').description('Stand-ins for services and fault injection, for development and tests only.');
  registerMongo(testbed, ctx);
  registerFault(testbed, ctx);
  registerProxy(testbed, ctx);
  examples(testbed, ['parking testbed mongo --port 27017', 'parking testbed fault --uri $URI kill', 'parking testbed proxy --target 127.0.0.1:1883']);
}
