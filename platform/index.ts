// The whole platform in one process (`parking start`): MongoDB (given,
// a local mongod, or the stand-in), primary and standby brokers with the
// bridge, ingest, Node-RED with charging and dashboards, signage, and a
// simulated lot.
import type { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { Topics } from '../contract/index.ts';
import { startBroker, type Accounts, type RunningBroker } from '../broker/index.ts';
import { connectLink, type FailoverLink } from '../link/index.ts';
import { redisLiveState, startIngest, type Ingest } from '../ingest/index.ts';
import { linkPort } from '../ingest/link.ts';
import path from 'node:path';
import { closeMongo, connectMongo } from '../mongo/index.ts';
import { provisionMongo, type ProvisionedMongo } from '../testbed/mongo/provision.ts';
import { startSimulation, type Simulation } from '../devices/index.ts';
import type { GeoPoint } from '../layout/index.ts';
import { platformAccounts, remerge, type Credentials, type PlatformAccounts } from './accounts.ts';
import { startFlows, type RunningFlows } from '../flows/index.ts';
import type { LotLayout } from '../layout/index.ts';
import type { RetentionPolicy } from '../billing/index.ts';
import { healthCollector, metricsCollector, proxyWebSockets, type HealthReport } from '../web/index.ts';
import { startSiteServices } from './services.ts';

export interface PlatformOptions {
  mongodbUri?: string;
  mongodbDb: string;
  redisUrl?: string;
  /** Where the brokers and HTTP listen; URLs are printed for 127.0.0.1 when this is a wildcard. */
  bindHost: string;
  primaryPort: number;
  standbyPort: number;
  wsPort: number;
  standbyWsPort: number;
  httpPort: number;
  topicRoot: string;
  allowAnonymous: boolean;
  accounts?: Accounts;
  /** The demo device and gate accounts (lot `demo`); default on. */
  demoAccounts?: boolean;
  /** Every alarm change is POSTed there too. */
  alarmWebhook?: string;
  /** A car parked longer than this raises its lot's overstay alarm (default 24; 0: none). */
  overstayHours?: number;
  /** A slot unchanged this long while its sensor is online raises its lot's sensors-stale alarm (default 48; 0: none). */
  staleSensorHours?: number;
  /** Days the occupancy history is kept (history/; default 400). */
  historyDays?: number;
  /** The open-data feeds' publisher and the site's location (opendata/). */
  openData?: { siteLocation?: GeoPoint; country?: string; publisher?: string; /** An NGSI-LD context broker to forward every change to. */ push?: string };
  heartbeatMs: number;
  failoverMs: number;
  offlineGraceMs: number;
  /** The lot configuration (docs/lots.md): ingest and the alarms count by it. */
  layout?: LotLayout;
  electionDelayMs?: readonly [number, number];
  sim: boolean;
  /** Node-RED's data (user directory); default `.parking`. */
  dataDir?: string;
  /** Node-RED editor login; none: the one kept in `<dataDir>/admin-login.json`, generated on the first start. */
  adminAuth?: { user: string; passwordHash: string };
  credentialSecret?: string;
  /** The plate key and the retentions (flows/server.ts). */
  plateKey?: string;
  retention?: Partial<RetentionPolicy>;
  /** The site's local time (flows/server.ts). */
  utcOffset?: string;
  /** PEM certificate and key: the HTTP port serves HTTPS, and the signage pages reach the brokers through it (wss://…/mqtt/primary|standby). */
  tls?: { cert: Buffer; key: Buffer };
  logger: Logger;
}

export interface PlatformUrls {
  mqtt: string[];
  ws: string[];
  mongodb: string;
  mongodbKind: ProvisionedMongo['kind'];
  http?: Record<string, string>;
}

export interface Platform {
  urls: PlatformUrls;
  primary: RunningBroker;
  standby: RunningBroker;
  ingest: Ingest;
  mongo: MongoClient;
  simulation?: Simulation;
  flows: RunningFlows;
  signage: Credentials;
  /** The demo device and gate logins; unset with demoAccounts false. */
  demo?: PlatformAccounts['demo'];
  /** Applies the operator's accounts read again (SIGHUP): the next connections are checked against them. */
  reloadAccounts(operator: Accounts): void;
  health(): Promise<HealthReport>;
  close(): Promise<void>;
}

const withCredentials = (url: string, c: Credentials) => {
  const u = new URL(url);
  u.username = c.username;
  u.password = c.password;
  return u.toString().replace(/\/$/, '');
};

export async function startPlatform(o: PlatformOptions): Promise<Platform> {
  const logger = o.logger;
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err) => logger.warn({ err: (err as Error).message }, 'platform: stopping a part failed'));
  };
  try {
    const provisioned = await provisionMongo({ uri: o.mongodbUri, logger: logger.child({ part: 'mongodb' }), port: 0, electionDelayMs: o.electionDelayMs ? [...o.electionDelayMs] : undefined });
    closers.push(() => provisioned.close());

    const creds = await platformAccounts(o.accounts, { demo: o.demoAccounts });
    const common = { host: o.bindHost, topicRoot: o.topicRoot, allowAnonymous: o.allowAnonymous, accounts: creds.accounts, heartbeatMs: o.heartbeatMs, redisUrl: o.redisUrl };
    const primary = await startBroker({ ...common, role: 'primary', port: o.primaryPort, wsPort: o.wsPort, logger: logger.child({ part: 'broker-primary' }) });
    closers.push(() => primary.close());
    const standby = await startBroker({
      ...common,
      role: 'standby',
      port: o.standbyPort,
      wsPort: o.standbyWsPort,
      bridge: { url: withCredentials(primary.url, creds.bridge) },
      logger: logger.child({ part: 'broker-standby' }),
      // One process: the primary's watch reports its stalls (Node-RED loading, say) for both.
      stallWarnMs: 0,
    });
    closers.push(() => standby.close());
    const servers = [primary.url, standby.url];

    const mongo = await connectMongo(provisioned.uri);
    closers.push(() => closeMongo(mongo));
    const topics = new Topics(o.topicRoot);
    const serviceLink = (name: string): FailoverLink => {
      const link = connectLink({ servers, clientId: `${name}-${process.pid}`, failoverMs: o.failoverMs, mqtt: { ...creds.service }, logger: logger.child({ part: name }) });
      closers.push(() => link.close());
      return link;
    };
    const live = o.redisUrl ? redisLiveState(o.redisUrl, o.topicRoot, logger.child({ part: 'live' })) : undefined;
    const ingest = await startIngest({
      db: mongo.db(o.mongodbDb),
      mqtt: linkPort(serviceLink('ingest'), topics),
      topics,
      logger: logger.child({ part: 'ingest' }),
      offlineGraceMs: o.offlineGraceMs,
      layout: o.layout,
      live,
      spillDir: path.join(o.dataDir ?? '.parking', 'ingest'),
      closeTimeoutMs: 3000,
    });
    closers.push(() => ingest.close());

    let simulation: Simulation | undefined;
    if (o.sim) {
      simulation = await startSimulation({ servers, root: o.topicRoot, link: { failoverMs: o.failoverMs, mqtt: { ...creds.simulator } }, logger: logger.child({ part: 'simulator' }) });
      closers.push(() => simulation!.stop());
    }

    const flows = await startFlows({
      httpPort: o.httpPort,
      httpHost: o.bindHost,
      mongodbUri: provisioned.uri,
      mongodbDb: o.mongodbDb,
      mqttUrls: servers,
      topicRoot: o.topicRoot,
      mqttCredentials: creds.service,
      dataDir: o.dataDir,
      adminAuth: o.adminAuth,
      credentialSecret: o.credentialSecret,
      plateKey: o.plateKey,
      retention: o.retention,
      utcOffset: o.utcOffset,
      lotTariffs: o.layout?.tariffs(),
      lots: o.layout?.lotInfo(),
      tls: o.tls,
      logger: logger.child({ part: 'flows' }),
    });
    closers.push(() => flows.close());
    const health = healthCollector({
      brokers: [
        { role: 'primary', url: primary.url, health: () => primary.health() },
        { role: 'standby', url: standby.url, health: () => standby.health() },
      ],
      mongo,
      ingest,
    });
    const wsUrls = [primary.wsUrl, standby.wsUrl].filter((u): u is string => !!u);
    // Over HTTPS a page may only open wss://: the brokers' WebSocket listeners are reached through this port.
    const routes = wsUrls.map((u, i) => ({ path: `/mqtt/${i === 0 ? 'primary' : 'standby'}`, host: new URL(u).hostname, port: Number(new URL(u).port) }));
    if (o.tls) {
      const detach = proxyWebSockets(flows.server, routes);
      closers.push(async () => detach());
    }
    const pageWsUrls = o.tls ? routes.map((r) => `${flows.url.replace(/^https/, 'wss')}${r.path}`) : wsUrls;
    const services = await startSiteServices({
      flows,
      db: mongo.db(o.mongodbDb),
      link: serviceLink,
      topics,
      health,
      metrics: metricsCollector({ health, ingest }),
      mqttWsUrls: pageWsUrls.map((u) => withCredentials(u, creds.signage)),
      failoverMs: o.failoverMs,
      layout: o.layout,
      historyDays: o.historyDays,
      openData: o.openData,
      utcOffset: o.utcOffset,
      overstayHours: o.overstayHours,
      staleSensorHours: o.staleSensorHours,
      alarmWebhook: o.alarmWebhook,
      logger,
    });
    closers.push(() => services.close());

    const firstLot = simulation?.plans[0]?.lot ?? 'mall-1';
    const urls: PlatformUrls = {
      mqtt: servers,
      ws: wsUrls,
      mongodb: provisioned.uri,
      mongodbKind: provisioned.kind,
      http: {
        dashboard: flows.urls.dashboard,
        editor: flows.urls.editor,
        signage: `${flows.url}/signage/${firstLot}`,
        reports: flows.urls.reports,
        alarms: services.urls.alarms,
        occupancy: services.urls.occupancy,
        'ngsi-ld': services.urls['ngsi-ld'],
        datex2: services.urls.datex2,
        login: `${flows.url}/login`,
        healthz: services.urls.healthz,
        metrics: services.urls.metrics,
      },
    };
    return {
      urls,
      primary,
      standby,
      ingest,
      mongo,
      simulation,
      flows,
      signage: creds.signage,
      demo: creds.demo,
      reloadAccounts: (operator) => remerge(creds.accounts, creds.own, operator),
      health,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
