import type { Command } from 'commander';
import { DEFAULT_WS_PORTS } from '../../config/index.ts';
import type { CliContext } from '../context.ts';
import { examples } from '../command.ts';
import { commandLogger } from '../logger.ts';
import { retentionOf, tlsFiles, useSettings } from '../settings.ts';
import { createShutdown } from '../shutdown.ts';

/** The topic (under the root) the printed demo command publishes to. */
const DEMO_TRY_TOPIC = 'demo/slot/L1/1';

/** What `parking start` says after an HTTP URL: who may use it. */
const HTTP_NOTES: Record<string, string> = {
  dashboard: '  (Availability and History for everyone; Charging and System after a login)',
  occupancy: '  (occupancy history, public: ?lot=&level=&from=&to=&step=)',
  'ngsi-ld': '  (open data, public)',
  datex2: '  (open data, public)',
  reports: '  (after a login)',
  alarms: '  (after a login; retained on <root>/<lot>/alarm/<alarm>)',
  login: '  (the editor\'s login, or an operator\'s from <dataDir>/operators.json)',
};

export function registerStart(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('start')
    .description(
      'Run the whole platform on one machine: primary and standby brokers, bridge, ingest, Node-RED with charging flows and dashboard, and a simulated lot. Prints every URL it serves, the MQTT URLs and the MongoDB URI it uses.',
    );
  const settings = useSettings(cmd, [
    'mongodbUri', 'mongodbDb', 'redisUrl', 'httpPort', 'mqttPort', 'standbyPort', 'wsPort', 'standbyWsPort', 'bindHost', 'topicRoot',
    'allowAnonymous', 'mqttAuthFile', 'demoAccounts', 'alarmWebhook', 'overstayHours', 'staleSensorHours', 'historyDays', 'siteLocation', 'openDataCountry', 'openDataPublisher', 'ngsiLdPush', 'heartbeatMs', 'failoverMs', 'offlineGraceMs', 'lotConfig', 'electionDelayMs', 'sim', 'dataDir', 'redUser', 'redPasswordHash',
    'redCredentialSecret', 'tlsCert', 'tlsKey', 'plateKey', 'utcOffset', 'plateRetentionDays', 'sessionRetentionDays', 'gateEventRetentionDays', 'logLevel', 'logFormat',
  ]);
  examples(cmd, ['parking start', 'parking start --no-sim --allow-anonymous --http-port 8080', 'parking start --no-sim --lot-config lots.json', "MONGODB_URI='mongodb://db1,db2,db3/?replicaSet=rs0' parking start"]);
  cmd.action(async () => {
    const s = settings(ctx);
    const logger = commandLogger(ctx, 'parking', s);
    const [{ startPlatform }, { loadAccounts }, { describeAdminLogin }] = await Promise.all([import('../../platform/index.ts'), import('../../broker/index.ts'), import('../../flows/index.ts')]);
    // Room for the brokers' handover (up to 20 s while a fleet moves), their drain and the other parts.
    const shutdown = createShutdown({ signals: ctx.signals, logger, timeoutMs: 35_000 });
    const platform = await startPlatform({
      mongodbUri: s.mongodbUri,
      mongodbDb: s.mongodbDb,
      redisUrl: s.redisUrl,
      bindHost: s.bindHost,
      primaryPort: s.mqttPort ?? 1883,
      standbyPort: s.standbyPort,
      wsPort: s.wsPort ?? DEFAULT_WS_PORTS.primary,
      standbyWsPort: s.standbyWsPort,
      httpPort: s.httpPort,
      topicRoot: s.topicRoot,
      allowAnonymous: s.allowAnonymous,
      accounts: s.mqttAuthFile ? loadAccounts(s.mqttAuthFile) : undefined,
      demoAccounts: s.demoAccounts,
      alarmWebhook: s.alarmWebhook,
      overstayHours: s.overstayHours,
      staleSensorHours: s.staleSensorHours,
      historyDays: s.historyDays,
      openData: { siteLocation: s.siteLocation, country: s.openDataCountry, publisher: s.openDataPublisher, push: s.ngsiLdPush },
      heartbeatMs: s.heartbeatMs,
      failoverMs: s.failoverMs,
      offlineGraceMs: s.offlineGraceMs,
      layout: s.lotConfig,
      electionDelayMs: s.electionDelayMs,
      sim: s.sim,
      dataDir: s.dataDir,
      adminAuth: s.redUser && s.redPasswordHash ? { user: s.redUser, passwordHash: s.redPasswordHash } : undefined,
      credentialSecret: s.redCredentialSecret,
      plateKey: s.plateKey,
      retention: retentionOf(s),
      utcOffset: s.utcOffset,
      tls: tlsFiles(cmd, ctx, s, 'HTTPS'),
      logger,
    });
    shutdown.onShutdown(() => platform.close());
    const authFile = s.mqttAuthFile;
    if (authFile) {
      // SIGHUP: the auth file again (parking accounts changed it); a file that does not parse changes nothing.
      shutdown.onReload(() => {
        platform.reloadAccounts(loadAccounts(authFile));
        logger.info({ file: authFile }, 'auth file reloaded: the next connections are checked against it');
      });
    }
    const root = s.topicRoot;
    const demo = platform.demo;
    if (demo) logger.warn({ accounts: [demo.device.username, demo.gate.username], lot: demo.device.lot }, 'demo accounts on: known passwords, kept to lot demo; turn them off at a site (--no-demo-accounts)');
    const u = platform.urls;
    const lines = [
      'parking platform running',
      `  MQTT primary    ${u.mqtt[0]}`,
      `  MQTT standby    ${u.mqtt[1]}  (bridged to the primary)`,
      ...u.ws.map((url, i) => `  MQTT WebSocket  ${url}  (${i === 0 ? 'primary' : 'standby'})`),
      `  MongoDB         ${u.mongodb.replace(/\/\/[^@/]*@/, '//***@')}  (${u.mongodbKind === 'stand-in' ? 'stand-in: development only' : u.mongodbKind})`,
      ...Object.entries(u.http ?? {}).map(([name, url]) => `  ${name.padEnd(15)} ${url}${HTTP_NOTES[name] ?? (name === 'editor' ? `  (${describeAdminLogin(platform.flows.login)})` : '')}`),
      `  signage login   ${platform.signage.username} / ${platform.signage.password}  (read-only)`,
      ...(demo
        ? [
            `  demo device     ${demo.device.username} / ${demo.device.password}  (publishes ${root}/${demo.device.publishes}; try: mosquitto_pub -p ${new URL(u.mqtt[0]).port} -u ${demo.device.username} -P ${demo.device.password} -q 1 -r -t ${root}/${DEMO_TRY_TOPIC} -m occupied)`,
            `  demo gate       ${demo.gate.username} / ${demo.gate.password}  (publishes ${root}/${demo.gate.publishes})`,
          ]
        : []),
      platform.simulation ? `  simulated lots  ${platform.simulation.plans.map((p) => p.lot).join(', ')}` : '  simulation      off (--no-sim)',
    ];
    ctx.stdout.write(`${lines.join('\n')}\n`);
    ctx.exitCode = await shutdown.done;
  });
}
