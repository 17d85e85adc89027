import type { Command } from 'commander';
import type { CliContext, ReplicaSetStandIn, TestbedMongoModule } from '../context.ts';
import { commandLogger, examples, notAvailable } from '../command.ts';
import { useSettings } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

const BANNER = 'MongoDB replica-set stand-in (development and test only, never for production)';

function isMissingModule(error: unknown): boolean {
  const err = error as NodeJS.ErrnoException;
  return err?.code === 'ERR_MODULE_NOT_FOUND' && /testbed[/\\]mongo[/\\]index\.ts/.test(err.message);
}

async function loadStandIn(ctx: CliContext): Promise<TestbedMongoModule> {
  try {
    return await ctx.components.testbedMongo();
  } catch (error) {
    if (isMissingModule(error)) notAvailable('testbed mongo', 'the MongoDB replica-set stand-in');
    throw error;
  }
}

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
    const module = await loadStandIn(ctx);
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

export function registerTestbed(program: Command, ctx: CliContext): void {
  const testbed = program.command('testbed').description('Stand-ins for services, for development and tests only.');
  registerMongo(testbed, ctx);
  examples(testbed, ['parking testbed mongo --port 27017']);
}
