import type { Command } from 'commander';
import { SettingError } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { commandLogger, examples } from '../command.ts';
import { retentionOf, tlsFiles, useSettings } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

export function registerFlows(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('flows')
    .description(
      'Run Node-RED alone: the charging flows (gate events in, gate displays out, sessions in MongoDB), the editor at /red, the dashboard at /dashboard and the reports at /api/reports. Prints its URLs. Without MONGODB_URI it starts the MongoDB stand-in.',
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
        tls: tlsFiles(cmd, ctx, s, 'HTTPS'),
        logger,
      });
    } catch (error) {
      await shutdown.shutdown('start failed');
      throw error;
    }
    const running = flows;
    shutdown.onShutdown(() => running.close());
    const mongoShown = mongo.uri.replace(/\/\/[^@/]*@/, '//***@');
    ctx.stdout.write(
      [
        `Node-RED editor   ${running.urls.editor} (${describeAdminLogin(running.login)})`,
        `dashboard         ${running.urls.dashboard}`,
        `reports           ${running.urls.reports}`,
        `MQTT              ${s.mqttUrls.join(', ')}`,
        `MongoDB           ${mongoShown} (${mongo.kind}), database ${s.mongodbDb}`,
        '',
      ].join('\n'),
    );
    ctx.exitCode = await shutdown.done;
  });
}
