import type { Command } from 'commander';
import { parsers } from '../../config/index.ts';
import { startSignage, type SignageOutput } from '../../devices/index.ts';
import type { CliContext } from '../context.ts';
import { examples, sayRefusals } from '../command.ts';
import { commandLogger } from '../logger.ts';
import { requiredOption, useSettings } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

export function registerSignage(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('signage')
    .description(
      'Show a terminal signage display of one lot: free spots per level from the retained availability topics, live. On a terminal it redraws one screen; otherwise (or with --lines) it prints one line per change.',
    )
    .addOption(requiredOption('--lot <id>', 'lot id', parsers.id))
    .option('--lines', 'print one line per change even on a terminal', false);
  const settings = useSettings(cmd, ['mqttUrls', 'failoverMs', 'primaryProbeMs', 'topicRoot', 'logLevel', 'logFormat']);
  examples(cmd, ['parking signage --lot mall-1 --servers mqtt://127.0.0.1:1883,mqtt://127.0.0.1:1884', 'parking signage --lot mall-1 --lines | tee signage.log']);
  cmd.action(async () => {
    const s = settings(ctx);
    const flags = cmd.opts<{ lot: string; lines: boolean }>();
    const logger = commandLogger(ctx, 'signage', s);
    const shutdown = createShutdown({ signals: ctx.signals, logger });
    const out: SignageOutput = ctx.stdout === process.stdout ? process.stdout : ctx.stdout;
    const signage = await startSignage({
      servers: s.mqttUrls,
      root: s.topicRoot,
      lot: flags.lot,
      out,
      mode: flags.lines ? 'lines' : undefined,
      link: { failoverMs: s.failoverMs, probeIntervalMs: s.primaryProbeMs },
      logger,
    });
    sayRefusals(ctx, [signage.link]);
    shutdown.onShutdown(() => signage.stop());
    ctx.exitCode = await shutdown.done;
  });
}
