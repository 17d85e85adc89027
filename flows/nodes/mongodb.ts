// parking-mongodb: a MongoDB connection shared by the charging and report nodes. It
// creates billing's indexes at start and keeps retrying while MongoDB is unreachable. It
// holds the data-protection settings of what it stores: the plate key (entries and exits
// are matched by the plate's keyed hash) and the retention of plates, sessions and gate
// events, which it applies every hour (billing/retention.ts).
import path from 'node:path';
import { MongoClient } from 'mongodb';
import {
  carKeyOf,
  DEFAULT_RETENTION,
  prepareBilling,
  resolvePlateKey,
  sweepRetention,
  withRetry,
  type BillingCollections,
  type RetentionPolicy,
} from '../../billing/index.ts';
import { bounded, closeMongo, MONGO_OPTIONS, OPERATION_TIMEOUT_MS } from '../../mongo/index.ts';
import { redactUrls } from '../../log/index.ts';
import { onClose, unsetEnv, type Node, type NodeAPI, type NodeDef } from './red.ts';

export interface MongodbDef extends NodeDef {
  uri: string;
  database: string;
  /** The plate key (64 hex digits), usually `${PARKING_FLOWS_PLATE_KEY}`; unset: kept in `<userDir>/parking-plate-key`. */
  plateKey?: string;
  /** Retention in days (unset: DEFAULT_RETENTION). */
  plateDays?: string | number;
  sessionDays?: string | number;
  gateEventDays?: string | number;
}

export interface MongodbNode extends Node {
  /** Database name. */
  readonly database: string;
  /** Hosts of the URI, for messages (no credentials). */
  readonly hosts: string;
  /** The billing collections, once their indexes exist (that needs a primary). Rejects on a bad configuration. */
  collections(): Promise<BillingCollections>;
  /** The billing collections for reading at once, a secondary included; undefined on a bad configuration. */
  readable(): BillingCollections | undefined;
  /** The keyed hash of a plate (billing/plates.ts); throws on a bad configuration. */
  carKey(carId: string): string;
  readonly retention: RetentionPolicy;
}

/** The retention sweep runs this often, ms; the first a minute after start. */
const SWEEP_EVERY_MS = 3600_000;
const FIRST_SWEEP_MS = 60_000;
/** Longest one sweep may take, ms (it works in batches: what is left waits for the next). */
const SWEEP_TIMEOUT_MS = 300_000;
const DAYS_LIMIT = 36_500;

/** A retention in days from a property (blank or an unset `${VAR}`: the default). */
export function retentionDays(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null || unsetEnv(value) || String(value).trim() === '') return fallback;
  const days = Number(String(value).trim());
  if (!Number.isFinite(days) || days < 0 || days > DAYS_LIMIT) throw new Error(`${name} must be a number of days from 0 to ${DAYS_LIMIT}, got '${String(value)}'`);
  return days;
}

/** The plate key from the property, or the one kept in Node-RED's user directory. */
export function plateKeyOf(def: Pick<MongodbDef, 'plateKey'>, userDir: unknown): Buffer {
  const given = (def.plateKey ?? '').trim();
  const configured = given && !unsetEnv(given) ? given : undefined;
  if (!configured && (typeof userDir !== 'string' || !userDir)) throw new Error('no plate key: set the node\'s plate key (PARKING_FLOWS_PLATE_KEY) or give Node-RED a user directory');
  return resolvePlateKey(path.join(String(userDir), 'parking-plate-key'), configured);
}

const DB_NAME = /^[^/\\. "$*<>:|?]{1,63}$/;

/** The connection string with the node's user and password put in, when given. Throws on a bad URI. */
export function connectionString(uri: string, user?: string, password?: string): string {
  const text = uri.trim();
  const m = /^(mongodb(?:\+srv)?:\/\/)(?:[^@/]*@)?([^/?]+)(.*)$/.exec(text);
  if (!m) throw new Error(`URI must start with mongodb:// or mongodb+srv:// and name a host, got '${redactUrls(text)}'`);
  if (!user) return text;
  return `${m[1]}${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@${m[2]}${m[3]}`;
}

export function registerMongodb(RED: NodeAPI): void {
  RED.nodes.registerType<MongodbDef, MongodbNode>(
    'parking-mongodb',
    function (def) {
      RED.nodes.createNode(this, def);
      const node = this as MongodbNode & { database: string; hosts: string; collections: MongodbNode['collections']; readable: MongodbNode['readable']; carKey: MongodbNode['carKey']; retention: RetentionPolicy };
      const stop = new AbortController();
      let client: MongoClient | undefined;
      let problem: Error | undefined;
      let key: Buffer | undefined;
      node.retention = { ...DEFAULT_RETENTION };
      node.database = (def.database ?? '').trim();
      node.hosts = '';
      try {
        for (const [field, value] of [['URI', def.uri], ['database', def.database]]) {
          const name = unsetEnv(value);
          if (name) throw new Error(`${field} is \${${name}}, but that environment variable is not set`);
        }
        const uri = connectionString(def.uri ?? '', this.credentials?.user, this.credentials?.password);
        node.hosts = /\/\/(?:[^@/]*@)?([^/?]+)/.exec(uri)?.[1] ?? '';
        if (!DB_NAME.test(node.database)) throw new Error(`database must be 1-63 characters without / \\ . space " $ * < > : | ?, got '${node.database}'`);
        key = plateKeyOf(def, RED.settings.userDir);
        node.retention = {
          plateDays: retentionDays(def.plateDays, 'plate retention', DEFAULT_RETENTION.plateDays),
          sessionDays: retentionDays(def.sessionDays, 'session retention', DEFAULT_RETENTION.sessionDays),
          gateEventDays: retentionDays(def.gateEventDays, 'gate event retention', DEFAULT_RETENTION.gateEventDays),
        };
        // The platform's client options (majority writes, retryable writes, a quick view of elections).
        client = new MongoClient(uri, { ...MONGO_OPTIONS, appName: 'parking-flows' });
      } catch (err) {
        problem = new Error(`MongoDB connection ${def.name || def.id}: ${(err as Error).message}`);
        node.error(problem.message);
      }

      node.carKey = (carId) => {
        if (!key) throw problem ?? new Error('no plate key');
        return carKeyOf(key, carId);
      };
      let ready: Promise<BillingCollections> | undefined;
      let warned = false;
      node.readable = () => {
        if (problem || !client) return undefined;
        const db = client.db(node.database);
        return { sessions: db.collection('sessions'), gateEvents: db.collection('gateEvents') } as BillingCollections;
      };
      node.collections = () => {
        if (problem || !client) return Promise.reject(problem);
        const db = client.db(node.database);
        ready ??= withRetry(() => bounded('billing index setup', OPERATION_TIMEOUT_MS, (signal) => prepareBilling(db, node.carKey, signal)), {
          deadlineMs: Number.POSITIVE_INFINITY,
          maxDelayMs: 5000,
          signal: stop.signal,
          onRetry: ({ error }) => {
            if (!warned) node.warn(`MongoDB ${node.hosts} not reachable yet (${(error as Error).message}); retrying`);
            warned = true;
          },
        }).catch((err: Error) => {
          ready = undefined;
          throw err;
        });
        return ready;
      };
      // Indexes at start.
      if (client) node.collections().catch((err: Error) => stop.signal.aborted || node.error(`MongoDB ${node.hosts}: ${err.message}`));

      // Retention: a minute after start, then every hour; a failed sweep is tried again at the next.
      let sweepTimer: NodeJS.Timeout | undefined;
      const sweep = () => {
        node
          .collections()
          .then((c) => bounded('retention sweep', SWEEP_TIMEOUT_MS, (signal) => sweepRetention(c, node.retention, Date.now(), signal), stop.signal))
          .then(
            (r) => {
              if (r.sessionsMasked + r.gateEventsMasked + r.sessionsDeleted + r.gateEventsDeleted > 0) node.log(`retention: ${r.sessionsMasked} session and ${r.gateEventsMasked} gate event plates masked, ${r.sessionsDeleted} sessions and ${r.gateEventsDeleted} gate events deleted`);
            },
            (err: Error) => stop.signal.aborted || node.warn(`retention sweep failed (tried again in an hour): ${err.message}`),
          )
          .finally(() => {
            if (!stop.signal.aborted) sweepTimer = setTimeout(sweep, SWEEP_EVERY_MS).unref();
          });
      };
      if (client && key) sweepTimer = setTimeout(sweep, FIRST_SWEEP_MS).unref();

      onClose(node, async () => {
        clearTimeout(sweepTimer);
        stop.abort();
        if (client) await closeMongo(client);
      });
    },
    { credentials: { user: { type: 'text' }, password: { type: 'password' } } },
  );
}
