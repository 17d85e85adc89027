// parking-mongodb: a MongoDB connection shared by the charging and report nodes. It
// creates billing's indexes at start and keeps retrying while MongoDB is unreachable.
import { MongoClient } from 'mongodb';
import { prepareBilling, withRetry, type BillingCollections } from '../../billing/index.ts';
import { bounded, closeMongo, MONGO_OPTIONS, OPERATION_TIMEOUT_MS } from '../../mongo/index.ts';
import { redact } from '../../config/index.ts';
import { onClose, unsetEnv, type Node, type NodeAPI, type NodeDef } from './red.ts';

export interface MongodbDef extends NodeDef {
  uri: string;
  database: string;
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
}

const DB_NAME = /^[^/\\. "$*<>:|?]{1,63}$/;

/** The connection string with the node's user and password put in, when given. Throws on a bad URI. */
export function connectionString(uri: string, user?: string, password?: string): string {
  const text = uri.trim();
  const m = /^(mongodb(?:\+srv)?:\/\/)(?:[^@/]*@)?([^/?]+)(.*)$/.exec(text);
  if (!m) throw new Error(`URI must start with mongodb:// or mongodb+srv:// and name a host, got '${redact(text)}'`);
  if (!user) return text;
  return `${m[1]}${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@${m[2]}${m[3]}`;
}

export function registerMongodb(RED: NodeAPI): void {
  RED.nodes.registerType<MongodbDef, MongodbNode>(
    'parking-mongodb',
    function (def) {
      RED.nodes.createNode(this, def);
      const node = this as MongodbNode & { database: string; hosts: string; collections: MongodbNode['collections']; readable: MongodbNode['readable'] };
      const stop = new AbortController();
      let client: MongoClient | undefined;
      let problem: Error | undefined;
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
        // The platform's client options (majority writes, retryable writes, a quick view of elections).
        client = new MongoClient(uri, { ...MONGO_OPTIONS, appName: 'parking-flows' });
      } catch (err) {
        problem = new Error(`MongoDB connection ${def.name || def.id}: ${(err as Error).message}`);
        node.error(problem.message);
      }

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
        ready ??= withRetry(() => bounded('billing index setup', OPERATION_TIMEOUT_MS, (signal) => prepareBilling(db, signal)), {
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

      onClose(node, async () => {
        stop.abort();
        if (client) await closeMongo(client);
      });
    },
    { credentials: { user: { type: 'text' }, password: { type: 'password' } } },
  );
}
