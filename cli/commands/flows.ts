import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { RunningFlows } from '../../flows/index.ts';
import { SettingError } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples } from '../command.ts';
import { commandLogger } from '../logger.ts';
import { retentionOf, tlsFiles, useSettings } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

export function registerFlows(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('flows')
    .description(
      'Run Node-RED: the charging flows (gate events in, gate displays out, sessions in MongoDB), the editor at /red, the dashboard at /dashboard and the reports at /api/reports; and, at a site whose brokers and ingest run on their own, the site services on the same port: signage pages, /healthz, /metrics, alarms, the occupancy history and forecasts, open data (--no-site-services: Node-RED alone). Prints its URLs. Without MONGODB_URI it starts the MongoDB stand-in.',
    );
  const settings = useSettings(cmd, [
    'httpPort',
    'mqttUrls',
    'mongodbUri',
    'mongodbDb',
    'topicRoot',
    'dataDir',
    'flowsFile',
    'redUser',
    'redPasswordHash',
    'redCredentialSecret',
    'tlsCert',
    'tlsKey',
    'plateKey',
    'utcOffset',
    'lotConfig',
    'siteServices',
    'wsUrls',
    'failoverMs',
    'historyDays',
    'alarmWebhook',
    'overstayHours',
    'staleSensorHours',
    'siteLocation',
    'openDataCountry',
    'openDataPublisher',
    'ngsiLdPush',
    'plateRetentionDays',
    'sessionRetentionDays',
    'gateEventRetentionDays',
    'electionDelayMs',
    'logLevel',
    'logFormat',
  ]);
  examples(cmd, [
    'parking flows --http-port 1880 --servers mqtt://127.0.0.1:1883,mqtt://127.0.0.1:1884',
    "MONGODB_URI='mongodb://db1,db2,db3/?replicaSet=rs0' PARKING_RED_USER=admin PARKING_RED_PASSWORD_HASH='$2b$08$…' parking flows",
  ]);
  cmd.action(async () => {
    const s = settings(ctx);
    if (!s.redUser !== !s.redPasswordHash) {
      const [given, missing] = s.redUser ? ['PARKING_RED_USER', 'PARKING_RED_PASSWORD_HASH'] : ['PARKING_RED_PASSWORD_HASH', 'PARKING_RED_USER'];
      throw new SettingError(given, given === 'PARKING_RED_USER' ? s.redUser! : '(a hash)', `the editor login needs ${missing} too`, { source: 'env' });
    }
    const logger = commandLogger(ctx, 'flows', s);
    const shutdown = createShutdown({ signals: ctx.signals, logger });
    const { startFlows, describeAdminLogin } = await import('../../flows/index.ts');
    const { provisionMongo } = await import('../../testbed/mongo/provision.ts');
    const mongo = await provisionMongo({ uri: s.mongodbUri, logger, port: 0, electionDelayMs: [...s.electionDelayMs] as [number, number] });
    shutdown.onShutdown(() => mongo.close());
    let flows;
    try {
      flows = await startFlows({
        httpPort: s.httpPort,
        mongodbUri: mongo.uri,
        mongodbDb: s.mongodbDb,
        mqttUrls: s.mqttUrls,
        topicRoot: s.topicRoot,
        dataDir: s.dataDir,
        flowFile: s.flowsFile,
        adminAuth: s.redUser && s.redPasswordHash ? { user: s.redUser, passwordHash: s.redPasswordHash } : undefined,
        credentialSecret: s.redCredentialSecret,
        plateKey: s.plateKey,
        retention: retentionOf(s),
        utcOffset: s.utcOffset,
        lotTariffs: s.lotConfig?.tariffs(),
        lots: s.lotConfig?.lotInfo(),
        tls: tlsFiles(cmd, ctx, s, 'HTTPS'),
        logger,
      });
    } catch (error) {
      await shutdown.shutdown('start failed');
      throw error;
    }
    const running = flows;
    shutdown.onShutdown(() => running.close());
    let services: Awaited<ReturnType<typeof startServices>> | undefined;
    try {
      if (s.siteServices) services = await startServices(s, mongo.uri, running, logger, (cleanup) => shutdown.onShutdown(cleanup));
    } catch (error) {
      await shutdown.shutdown('start failed');
      throw error;
    }
    const mongoShown = mongo.uri.replace(/\/\/[^@/]*@/, '//***@');
    ctx.stdout.write(
      [
        `Node-RED editor   ${running.urls.editor} (${describeAdminLogin(running.login)})`,
        `dashboard         ${running.urls.dashboard}`,
        `reports           ${running.urls.reports}`,
        ...(services
          ? [
              `signage           ${services.urls.signage}`,
              `alarms            ${services.urls.alarms}`,
              `occupancy         ${services.urls.occupancy}`,
              `open data         ${services.urls['ngsi-ld']}`,
              `                  ${services.urls.datex2}`,
              `health            ${services.urls.healthz}`,
              `metrics           ${services.urls.metrics}`,
            ]
          : []),
        `MQTT              ${s.mqttUrls.join(', ')}`,
        `MongoDB           ${mongoShown} (${mongo.kind}), database ${s.mongodbDb}`,
        '',
      ].join('\n'),
    );
    ctx.exitCode = await shutdown.done;
  });
}

type FlowsSettings = ReturnType<ReturnType<typeof useSettings<FlowsKeys>>>;
type FlowsKeys = 'mqttUrls' | 'topicRoot' | 'mongodbDb' | 'wsUrls' | 'failoverMs' | 'historyDays' | 'alarmWebhook' | 'overstayHours' | 'staleSensorHours' | 'siteLocation' | 'openDataCountry' | 'openDataPublisher' | 'ngsiLdPush' | 'lotConfig' | 'utcOffset';

/**
 * The site services beside Node-RED (platform/services.ts): MongoDB and the brokers as the flows
 * reach them, the brokers' health by probe (they run elsewhere), no ingest of ours to report on.
 */
async function startServices(s: FlowsSettings, mongodbUri: string, flows: RunningFlows, logger: Logger, onShutdown: (cleanup: () => Promise<unknown>) => void) {
  const [{ connectMongo, closeMongo }, { connectLink }, { Topics }, { healthCollector, metricsCollector }, { startSiteServices, defaultWsUrls }, { hostTag }] = await Promise.all([
    import('../../mongo/index.ts'),
    import('../../link/index.ts'),
    import('../../contract/index.ts'),
    import('../../web/index.ts'),
    import('../../platform/services.ts'),
    import('../../flows/env.ts'),
  ]);
  const client = await connectMongo(mongodbUri);
  onShutdown(() => closeMongo(client));
  const link = (name: string) => {
    const l = connectLink({ servers: s.mqttUrls, clientId: `${name}-${hostTag(20)}-${process.pid}`, failoverMs: s.failoverMs, logger: logger.child({ part: name }) });
    onShutdown(() => l.close());
    return l;
  };
  const health = healthCollector({ brokers: s.mqttUrls.slice(0, 2).map((url, i) => ({ role: i === 0 ? ('primary' as const) : ('standby' as const), url })), mongo: client });
  const services = await startSiteServices({
    flows,
    db: client.db(s.mongodbDb),
    link,
    topics: new Topics(s.topicRoot),
    health,
    metrics: metricsCollector({ health }),
    mqttWsUrls: s.wsUrls ?? defaultWsUrls(s.mqttUrls),
    failoverMs: s.failoverMs,
    layout: s.lotConfig,
    historyDays: s.historyDays,
    openData: { siteLocation: s.siteLocation, country: s.openDataCountry, publisher: s.openDataPublisher, push: s.ngsiLdPush },
    utcOffset: s.utcOffset,
    overstayHours: s.overstayHours,
    staleSensorHours: s.staleSensorHours,
    alarmWebhook: s.alarmWebhook,
    logger,
  });
  onShutdown(() => services.close());
  return services;
}
