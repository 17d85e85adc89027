import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { examples } from '../command.ts';
import { commandLogger } from '../logger.ts';
import { UsageError } from '../errors.ts';
import { useSettings } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

export function registerIngest(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('ingest')
    .description('Run the ingest pipeline alone: slot states from MQTT into MongoDB (`slots`, `slotEvents`), availability summaries back to MQTT. Follows the brokers\' failover like a device; several instances may run at once, each over its own lots (--lots or --partition).');
  const settings = useSettings(cmd, ['mqttUrls', 'failoverMs', 'primaryProbeMs', 'mongodbUri', 'mongodbDb', 'redisUrl', 'offlineGraceMs', 'ingestLots', 'ingestPartition', 'lotConfig', 'topicRoot', 'dataDir', 'logLevel', 'logFormat']);
  examples(cmd, [
    "parking ingest --servers mqtt://10.0.0.5:1883,mqtt://10.0.0.6:1884 --mongodb-uri 'mongodb://db1,db2,db3/?replicaSet=rs0'",
    "parking ingest --lots mall-1,mall-2 --mongodb-uri 'mongodb://db1,db2,db3/?replicaSet=rs0'",
    "parking ingest --partition 0/2 --mongodb-uri 'mongodb://db1,db2,db3/?replicaSet=rs0'",
    "parking ingest --lot-config lots.json --mongodb-uri 'mongodb://db1,db2,db3/?replicaSet=rs0'",
  ]);
  cmd.action(async () => {
    const s = settings(ctx);
    if (s.ingestLots && s.ingestPartition) {
      throw new UsageError('ingestLots (--lots, PARKING_INGEST_LOTS) and ingestPartition (--partition, PARKING_INGEST_PARTITION) exclude each other: give one of them');
    }
    if (!s.mongodbUri) throw new UsageError('parking ingest needs MONGODB_URI (or --mongodb-uri): the replica set to write to');
    const logger = commandLogger(ctx, 'ingest', s);
    const [{ Topics }, { connectMongo, closeMongo }, { connectLink, linkOptionsFrom }, { startIngest, redisLiveState, lotSelection, LotFilter }, { linkPort }] = await Promise.all([
      import('../../contract/index.ts'),
      import('../../mongo/index.ts'),
      import('../../link/index.ts'),
      import('../../ingest/index.ts'),
      import('../../ingest/link.ts'),
    ]);
    const shutdown = createShutdown({ signals: ctx.signals, logger });
    const topics = new Topics(s.topicRoot);
    const lots = lotSelection(s.ingestLots, s.ingestPartition);
    const filter = new LotFilter(lots);
    const mongo = await connectMongo(s.mongodbUri);
    shutdown.onShutdown(() => closeMongo(mongo));
    const link = connectLink(linkOptionsFrom(s, { clientId: `ingest-${process.pid}`, logger }));
    shutdown.onShutdown(() => link.close());
    const live = s.redisUrl ? redisLiveState(s.redisUrl, s.topicRoot, logger) : undefined;
    // What MongoDB has not taken when a stop cannot wait longer is kept here for the next start (of the same lots).
    const spillDir = path.join(s.dataDir, 'ingest', filter.spillName() ?? '');
    const ingest = await startIngest({ db: mongo.db(s.mongodbDb), mqtt: linkPort(link, topics, filter.filters(topics)), topics, logger, offlineGraceMs: s.offlineGraceMs, live, spillDir, lots, layout: s.lotConfig });
    shutdown.onShutdown(() => ingest.close());
    ctx.stdout.write(`ingest running (${filter.describe()}): ${s.mqttUrls.join(', ')} -> ${s.mongodbDb} on ${s.mongodbUri.replace(/\/\/[^@/]*@/, '//***@')}\n`);
    ctx.exitCode = await shutdown.done;
  });
}
