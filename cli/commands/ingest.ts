import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { commandLogger, examples } from '../command.ts';
import { UsageError } from '../errors.ts';
import { useSettings } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

export function registerIngest(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('ingest')
    .description('Run the ingest pipeline alone: slot states from MQTT into MongoDB (`slots`, `slotEvents`), availability summaries back to MQTT. Follows the brokers\' failover like a device; several instances may run at once.');
  const settings = useSettings(cmd, ['mqttUrls', 'failoverMs', 'primaryProbeMs', 'mongodbUri', 'mongodbDb', 'redisUrl', 'offlineGraceMs', 'topicRoot', 'dataDir', 'logLevel', 'logFormat']);
  examples(cmd, ["parking ingest --servers mqtt://10.0.0.5:1883,mqtt://10.0.0.6:1884 --mongodb-uri 'mongodb://db1,db2,db3/?replicaSet=rs0'"]);
  cmd.action(async () => {
    const s = settings(ctx);
    if (!s.mongodbUri) throw new UsageError('parking ingest needs MONGODB_URI (or --mongodb-uri): the replica set to write to');
    const logger = commandLogger(ctx, 'ingest', s);
    const [{ Topics }, { connectMongo, closeMongo }, { connectLink, linkOptionsFrom }, { startIngest, redisLiveState }, { linkPort }] = await Promise.all([
      import('../../contract/index.ts'),
      import('../../mongo/index.ts'),
      import('../../link/index.ts'),
      import('../../ingest/index.ts'),
      import('../../ingest/link.ts'),
    ]);
    const shutdown = createShutdown({ signals: ctx.signals, logger });
    const topics = new Topics(s.topicRoot);
    const mongo = await connectMongo(s.mongodbUri);
    shutdown.onShutdown(() => closeMongo(mongo));
    const link = connectLink(linkOptionsFrom(s, { clientId: `ingest-${process.pid}`, logger }));
    shutdown.onShutdown(() => link.close());
    const live = s.redisUrl ? redisLiveState(s.redisUrl, s.topicRoot, logger) : undefined;
    // What MongoDB has not taken when a stop cannot wait longer is kept here for the next start.
    const spillDir = path.join(s.dataDir, 'ingest');
    const ingest = await startIngest({ db: mongo.db(s.mongodbDb), mqtt: linkPort(link, topics), topics, logger, offlineGraceMs: s.offlineGraceMs, live, spillDir });
    shutdown.onShutdown(() => ingest.close());
    ctx.stdout.write(`ingest running: ${s.mqttUrls.join(', ')} -> ${s.mongodbDb} on ${s.mongodbUri.replace(/\/\/[^@/]*@/, '//***@')}\n`);
    ctx.exitCode = await shutdown.done;
  });
}
