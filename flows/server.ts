// Node-RED embedded in our process: one HTTP server (an express app) with the editor at
// /red, the flows' HTTP endpoints and the dashboard under /, and the reports at
// /api/reports; the shipped charging flows; our nodes loaded from flows/nodes.
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { DEFAULT_RETENTION, DEFAULT_UTC_OFFSET, PLATE_KEY_FILE, resolvePlateKey, type BillingCollections, type RetentionPolicy } from '../billing/index.ts';
import { closeMongo, MONGO_OPTIONS } from '../mongo/index.ts';
import type { Logger, LogLevel } from '../log/index.ts';
import type { LotInfo } from '../layout/index.ts';
import { express, forgetLoadedModules, RED, restoreRuntimeSettings, type App } from './deps.ts';
import { Access } from './access.ts';
import { readOperators, resolveAdminLogin, type AdminCredentials, type AdminLogin } from './admin-login.ts';
import { applyEnv, defaultClientId, flowsEnv } from './env.ts';
import { AuthThrottle, throttleEditorLogins } from './login-throttle.ts';
import { redLogging } from './logging.ts';
import { deployedTariff } from './nodes/tariff.ts';
import { reportsRouter } from './reports-api.ts';
import { SESSIONS_PATH, sessionsRouter } from './sessions-api.ts';
import { redSettings } from './settings.ts';

export const SHIPPED_FLOWS = fileURLToPath(new URL('./parking.json', import.meta.url));
export const NODES_DIR = fileURLToPath(new URL('./nodes/', import.meta.url));
export const DEFAULT_DATA_DIR = '.parking';
export const EDITOR_PATH = '/red';
export const REPORTS_PATH = '/api/reports';
export const DASHBOARD_PATH = '/dashboard';
/** The dashboard pages only operators see (the paths of their ui-page nodes). */
export const OPERATOR_PAGES = ['/charging', '/system'] as const;

export interface FlowsOptions {
  /** Port to listen on when the server is not listening yet; 0 = a free one. Default 1880. */
  httpPort?: number;
  /** Address to listen on; default all (`0.0.0.0`). */
  httpHost?: string;
  /** PEM certificate (chain) and key: HTTPS instead of HTTP (not with `server`). */
  tls?: { cert: Buffer; key: Buffer };
  /** An HTTP server to share (without a request handler of its own): the flows' app handles its requests. */
  server?: Server;
  mongodbUri: string;
  mongodbDb: string;
  /** Broker URLs, primary first. */
  mqttUrls: readonly string[];
  topicRoot: string;
  /** Node-RED's user directory is `<dataDir>/node-red`. Default `.parking`. */
  dataDir?: string;
  /** The flows file; default the shipped flows/parking.json (deploying from the editor writes it). */
  flowFile?: string;
  /**
   * Editor login (and reports API authentication). None given: the one kept in
   * `<dataDir>/admin-login.json`, generated on the first start (see admin-login.ts).
   */
  adminAuth?: AdminCredentials;
  /** Key of the flows' credentials file; unset: Node-RED generates one in the user directory. */
  credentialSecret?: string;
  /** The plate key (64 hex digits or base64); unset: the one kept in `<dataDir>/plate-key`, made on the first start. */
  plateKey?: string;
  /** Retention of plates in clear, sessions and gate events, days; unset: DEFAULT_RETENTION. */
  retention?: Partial<RetentionPolicy>;
  /** The site's local time, a UTC offset (default +07:00): the reports' local days, the Charging page's times. */
  utcOffset?: string;
  /** Lot → tariff id, from the lot configuration: the charging node charges each lot by its tariff. */
  lotTariffs?: Record<string, string>;
  /** The configured lots' display names and local times (the lot configuration's): pages, reports and session tools use them. */
  lots?: Record<string, LotInfo>;
  logger: Logger;
  /** Level of Node-RED's own log lines; default the logger's. */
  logLevel?: LogLevel;
  /** Milliseconds without an MQTT connection before the flow moves to the next broker. Default 3000. */
  mqttFailoverMs?: number;
  /** Milliseconds between MQTT reconnection attempts. Default 1000. */
  mqttReconnectMs?: number;
  /** The flows' MQTT account (brokers without anonymous access); or put `user:password@` in the URLs. */
  mqttCredentials?: { username: string; password: string };
  /** MQTT client id of the flows; default `parking-flows-<host>-<http port>`. */
  mqttClientId?: string;
  /** Longest wait for the flows to start, ms. Default 60000. */
  startTimeoutMs?: number;
}

export interface RunningFlows {
  /** `http://127.0.0.1:<port>` (the address it listens on, loopback when all). */
  readonly url: string;
  readonly urls: { editor: string; dashboard: string; reports: string };
  /** The editor's login: the password only when it was just generated (print it once). */
  readonly login: AdminLogin;
  readonly server: Server;
  /** The express app: add routes (/healthz, /metrics, /signage) here. */
  readonly app: App;
  /** Logins over HTTP: who a request is (`loginOf`), guards for routes (`requireLogin`). */
  readonly access: Access;
  /** Stops the flows, Node-RED and (when it created it) the server. */
  close(): Promise<void>;
}

let running = false;

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolveListen();
    });
  });
}

function flowsStarted(timeoutMs: number): Promise<void> {
  const events = (RED as unknown as { events: NodeJS.EventEmitter }).events;
  return new Promise((resolveStarted, reject) => {
    const timer = setTimeout(() => {
      events.off('flows:started', onStarted);
      reject(new Error(`Node-RED flows did not start within ${timeoutMs} ms (a node type missing? see the log)`));
    }, timeoutMs);
    const onStarted = () => {
      clearTimeout(timer);
      resolveStarted();
    };
    events.once('flows:started', onStarted);
  });
}

/** A plain HTTP listener of `app` on a free loopback port, for the flows' own requests; its base URL. */
async function loopbackListener(app: App, cleanups: Array<() => unknown>): Promise<string> {
  const internal = createServer(app);
  await listen(internal, 0, '127.0.0.1');
  cleanups.push(() => new Promise<void>((done) => {
    internal.close(() => done());
    internal.closeAllConnections();
  }));
  return `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
}

/** Starts Node-RED with the charging flows. Only one may run in a process at a time. */
export async function startFlows(o: FlowsOptions): Promise<RunningFlows> {
  if (running) throw new Error('Node-RED is already running in this process (startFlows was called twice)');
  if (o.mqttUrls.length === 0) throw new Error('startFlows: no MQTT broker URLs');
  running = true;
  const logger = o.logger;
  const cleanups: Array<() => unknown> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'flows: cleanup step failed');
      }
    }
    cleanups.length = 0;
    running = false;
  };

  try {
    const dataDir = resolve(o.dataDir ?? DEFAULT_DATA_DIR);
    const userDir = join(dataDir, 'node-red');
    await mkdir(userDir, { recursive: true });
    const login = resolveAdminLogin(dataDir, o.adminAuth);
    const adminAuth: AdminCredentials = { user: login.user, passwordHash: login.passwordHash };
    // One throttle for every HTTP login: guessing the editor's password through the reports gains nothing.
    const throttle = new AuthThrottle();
    const users = [{ ...adminAuth, role: 'admin' as const }, ...readOperators(dataDir).filter((u) => u.user !== adminAuth.user).map((u) => ({ ...u, role: 'operator' as const }))];
    const access = new Access({ users, throttle, dashboardPath: DASHBOARD_PATH, operatorPages: OPERATOR_PAGES });

    const app = express();
    app.disable('x-powered-by');
    const ownServer = !o.server;
    const server = o.server ?? (o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key }) : createServer());
    server.on('request', app);
    cleanups.push(() => server.off('request', app));

    const port = o.httpPort ?? 1880;
    const host = o.httpHost ?? '0.0.0.0';
    if (!server.listening) {
      await listen(server, port, host);
      if (ownServer) {
        cleanups.push(
          () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections();
            }),
        );
      }
    }
    const address = server.address() as AddressInfo;
    const shownHost = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address.includes(':') ? `[${address.address}]` : address.address;
    const url = `${o.tls ? 'https' : 'http'}://${shownHost}:${address.port}`;
    // The System page's flow reads /healthz over plain HTTP on loopback: a certificate for the
    // public name need not be valid for 127.0.0.1.
    const healthUrl = o.tls ? `${await loopbackListener(app, cleanups)}/healthz` : `${url}/healthz`;

    const utcOffset = o.utcOffset ?? DEFAULT_UTC_OFFSET;
    const plateKey = resolvePlateKey(join(dataDir, PLATE_KEY_FILE), o.plateKey);
    cleanups.push(
      applyEnv(
        flowsEnv({
          mqttUrls: o.mqttUrls,
          topicRoot: o.topicRoot,
          mongodbUri: o.mongodbUri,
          mongodbDb: o.mongodbDb,
          mqttFailoverMs: o.mqttFailoverMs ?? 3000,
          mqttClientId: o.mqttClientId ?? defaultClientId(address.port),
          mqttCredentials: o.mqttCredentials,
          healthUrl,
          plateKey: plateKey.toString('hex'),
          retention: { ...DEFAULT_RETENTION, ...o.retention },
          utcOffset,
          lotTariffs: o.lotTariffs,
          lots: o.lots,
        }),
      ),
    );

    // The reports and session tools have their own MongoDB client: they answer whatever the flows
    // are doing. Reports read (a secondary will do during an election); the session tools' changes
    // go to the primary. The charging node creates the indexes.
    const client = new MongoClient(o.mongodbUri, { ...MONGO_OPTIONS, appName: 'parking-reports' });
    cleanups.push(() => closeMongo(client));
    const db = client.db(o.mongodbDb);
    const readable: BillingCollections = { sessions: db.collection('sessions'), gateEvents: db.collection('gateEvents') } as BillingCollections;
    const collections = () => Promise.resolve(readable);

    restoreRuntimeSettings();
    RED.init(
      server,
      redSettings({
        userDir,
        flowFile: resolve(o.flowFile ?? SHIPPED_FLOWS),
        nodesDir: NODES_DIR,
        credentialSecret: o.credentialSecret,
        adminAuth,
        logging: redLogging(logger.child({ component: 'node-red' }), o.logLevel ?? (logger.level as LogLevel)),
        mqttReconnectMs: o.mqttReconnectMs ?? 1000,
        dashboard: { middleware: access.dashboardGuard, ioMiddleware: access.socketGuard },
        parkingAccess: { operatorPages: OPERATOR_PAGES },
      }),
    );
    app.use(access.routes());
    app.use(REPORTS_PATH, reportsRouter({ collections, tariffFor: deployedTariff, utcOffset, lots: o.lots, guard: access.requireLogin, logger }));
    app.use(SESSIONS_PATH, sessionsRouter({ collections, tariffFor: deployedTariff, plateKey, utcOffset, lots: o.lots, guard: access.requireLogin, logger }));
    app.use(EDITOR_PATH, ...throttleEditorLogins(throttle), RED.httpAdmin);
    app.use('/', RED.httpNode);

    const started = flowsStarted(o.startTimeoutMs ?? 60_000);
    started.catch(() => undefined);
    cleanups.push(async () => {
      await RED.stop();
      const kept = forgetLoadedModules();
      if (kept.length) logger.warn({ modules: kept }, 'flows: Node-RED kept modules loaded; starting it again in this process may miss their nodes');
    });
    await RED.start();
    await started;
    logger.info({ url, editor: `${url}${EDITOR_PATH}`, flowFile: o.flowFile ?? SHIPPED_FLOWS, userDir }, 'flows: Node-RED started');

    let closing: Promise<void> | undefined;
    return {
      url,
      urls: { editor: `${url}${EDITOR_PATH}`, dashboard: `${url}${DASHBOARD_PATH}`, reports: `${url}${REPORTS_PATH}` },
      login,
      server,
      app,
      access,
      close: () => (closing ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
