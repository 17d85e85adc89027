/**
 * Test helper for the MongoDB conformance suite (test/mongo/).
 *
 * `startTestMongo()` gives every test file a MongoDB replica set to talk to through the
 * unmodified `mongodb` driver:
 *   - with env `MONGODB_URI` set, that (real) server is used; every call gets its own
 *     database name, dropped again on close(), so runs do not collide;
 *   - otherwise the replica-set stand-in from testbed/mongo is started on free ports with a
 *     short election delay (override with opts.electionDelayMs).
 *
 * Tests that need fault injection (kill, partition, restart) call `requireStandIn()`, which
 * prints the reason and skips on a real server. Stepdown works on both through the real
 * `replSetStepDown` admin command (`stepDownPrimary()`).
 */
import {
  MongoClient,
  MongoServerError,
  type ChangeStream,
  type Document,
  type MongoClientOptions,
  type ServerDescriptionChangedEvent,
} from 'mongodb';
import { expect } from 'chai';

// Types only: erased at run time, so a run against a real server never loads the stand-in.
import type { ReplicaSetOptions, StandInReplicaSet } from '../../testbed/mongo/index.ts';

export type { StandInReplicaSet };

/** startReplicaSet() options (port 0 = free ports; electionDelayMs defaults to a short delay here). */
export type StandInOptions = ReplicaSetOptions;

export type TestMongoOptions = StandInOptions;

export interface TestMongo {
  /** Replica-set URI the clients use. */
  uri: string;
  kind: 'standin' | 'real';
  /** The stand-in handle (fault injection); undefined on a real server. */
  rs?: StandInReplicaSet;
  /** Replica-set name the stand-in was started with, or the URI's replicaSet parameter (real). */
  setName?: string;
  /** A new MongoClient with test options; closed by close(). */
  client(extra?: MongoClientOptions): MongoClient;
  /** A new client connected directly (directConnection=true) to one member `host:port`. */
  directClient(host: string, extra?: MongoClientOptions): MongoClient;
  /** Unique database name for this call. */
  dbName: string;
  /** Closes every client made here, drops dbName (real server) or stops the stand-in. */
  close(): Promise<void>;
}

/** Options every test client gets. */
export const TEST_CLIENT_OPTIONS: MongoClientOptions = {
  serverSelectionTimeoutMS: 30_000,
  heartbeatFrequencyMS: 500,
  connectTimeoutMS: 5_000,
  appName: 'parking-conformance',
};

/** Default election delay for the stand-in in tests (the stand-in's own default is 10-12 s). */
export const TEST_ELECTION_DELAY_MS: [number, number] = [1000, 1500];

let counter = 0;

/** A database/collection-safe unique name. */
export function uniqueName(prefix = 'conf'): string {
  counter += 1;
  const rand = Math.random().toString(36).slice(2, 8);
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter}_${rand}`;
}

/** Splits a mongodb:// URI into its parts (enough for building direct connections). */
function parseUri(uri: string): { userinfo: string; hosts: string[]; path: string; params: URLSearchParams } {
  const m = /^mongodb:\/\/(?:([^@/]*)@)?([^/?]+)(\/[^?]*)?(?:\?(.*))?$/.exec(uri);
  if (!m) throw new Error(`cannot parse MongoDB URI (mongodb+srv is not supported here): ${uri.replace(/\/\/[^@]*@/, '//***@')}`);
  return { userinfo: m[1] ?? '', hosts: m[2].split(','), path: m[3] ?? '/', params: new URLSearchParams(m[4] ?? '') };
}

/** The `host:port` list of a mongodb:// URI, in order. */
export function uriHosts(uri: string): string[] {
  return parseUri(uri).hosts;
}

/** URI for a direct connection to one member, keeping credentials and auth/TLS options. */
export function directUri(uri: string, host: string): string {
  const p = parseUri(uri);
  p.params.delete('replicaSet');
  p.params.set('directConnection', 'true');
  const auth = p.userinfo ? `${p.userinfo}@` : '';
  return `mongodb://${auth}${host}${p.path}?${p.params.toString()}`;
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

async function loadStandIn(): Promise<(opts?: StandInOptions) => Promise<StandInReplicaSet>> {
  // Loaded only when no real server is given.
  const mod = await import('../../testbed/mongo/index.ts');
  return mod.startReplicaSet;
}

/** Starts (or connects to) the MongoDB the conformance tests run against. */
export async function startTestMongo(opts: TestMongoOptions = {}): Promise<TestMongo> {
  const envUri = process.env.MONGODB_URI?.trim();
  const dbName = uniqueName('conf');
  const clients: MongoClient[] = [];
  let rs: StandInReplicaSet | undefined;
  let uri: string;
  let setName: string | undefined;

  if (envUri) {
    uri = envUri;
    try {
      setName = parseUri(uri).params.get('replicaSet') ?? undefined;
    } catch {
      setName = undefined;
    }
  } else {
    const startReplicaSet = await loadStandIn();
    setName = opts.setName ?? 'rs0';
    rs = await startReplicaSet({
      port: 0,
      electionDelayMs: TEST_ELECTION_DELAY_MS,
      ...opts,
      setName,
    });
    uri = rs.uri;
  }

  const track = (c: MongoClient): MongoClient => {
    clients.push(c);
    return c;
  };

  let closed = false;
  return {
    uri,
    kind: rs ? 'standin' : 'real',
    rs,
    setName,
    dbName,
    client: (extra = {}) => track(new MongoClient(uri, { ...TEST_CLIENT_OPTIONS, ...extra })),
    directClient: (host, extra = {}) => track(new MongoClient(directUri(uri, host), { ...TEST_CLIENT_OPTIONS, ...extra })),
    async close() {
      if (closed) return;
      closed = true;
      if (!rs) {
        const c = new MongoClient(uri, { ...TEST_CLIENT_OPTIONS, serverSelectionTimeoutMS: 10_000 });
        clients.push(c);
        try {
          await withTimeout(c.db(dbName).dropDatabase(), 15_000);
        } catch (err) {
          console.log(`[mongo helper] could not drop test database ${dbName}: ${(err as Error).message}`);
        }
      }
      await Promise.all(clients.map((c) => withTimeout(c.close().catch(() => undefined), 10_000)));
      if (rs) await rs.close();
    },
  };
}

/**
 * For tests that need the stand-in's fault injection: on a real server, prints the reason
 * and skips the test (or, called from a `before` hook, the whole suite).
 */
export function requireStandIn(ctx: Mocha.Context, m: TestMongo | undefined, what: string): StandInReplicaSet {
  if (!m?.rs) {
    console.log(`      skipped on a real server (MONGODB_URI): ${what} needs the stand-in's fault injection`);
    ctx.skip();
  }
  return m!.rs!;
}

/** Polls `fn` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  { timeoutMs = 15_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
      lastErr = undefined;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const why = lastErr ? ` (last error: ${(lastErr as Error).message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Awaits `p`, expecting it to reject; returns the error. */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

/** Expects `p` to reject with a MongoServerError with `code`; returns the error. */
export async function expectServerError(p: Promise<unknown>, code: number): Promise<MongoServerError & Document> {
  const err = await rejection(p);
  expect(err, `expected a MongoServerError, got ${err?.name}: ${err?.message}`).to.be.instanceOf(MongoServerError);
  expect(err.code, `error code (message: ${err.message})`).to.equal(code);
  return err;
}

/** `hello` from the current primary, through a short-lived client. */
export async function primaryHello(m: TestMongo): Promise<Document> {
  const c = m.client();
  try {
    return await c.db('admin').command({ hello: 1 });
  } finally {
    await c.close();
  }
}

/** `hello` from one member over a direct connection. */
export async function memberHello(m: TestMongo, host: string): Promise<Document> {
  const c = m.directClient(host, { serverSelectionTimeoutMS: 5_000 });
  try {
    return await c.db('admin').command({ hello: 1 });
  } finally {
    await c.close();
  }
}

/**
 * Steps the primary down with the real `replSetStepDown` admin command (works on the stand-in
 * and a real replica set alike) and waits until another member is primary.
 * Returns the old and the new primary's `host:port` and the command's reply (undefined if the
 * server dropped the connection instead of answering).
 */
export async function stepDownPrimary(
  m: TestMongo,
  { stepDownSecs = 5, secondaryCatchUpPeriodSecs = 3, timeoutMs = 30_000 } = {},
): Promise<{ oldPrimary: string; newPrimary: string; reply?: Document }> {
  const before = await primaryHello(m);
  const oldPrimary = before.me as string;
  const c = m.client();
  let reply: Document | undefined;
  try {
    reply = await c.db('admin').command({ replSetStepDown: stepDownSecs, secondaryCatchUpPeriodSecs });
  } catch (err) {
    // Servers before 4.2 dropped all connections on stepdown; a network error is fine here,
    // the dedicated conformance test checks the reply.
    if (err instanceof MongoServerError) throw err;
  } finally {
    await c.close().catch(() => undefined);
  }
  let lastSeen = '(none)';
  const newPrimary = await waitFor(
    async () => {
      const h = await primaryHello(m);
      lastSeen = h.me;
      return h.isWritablePrimary && h.me !== oldPrimary ? (h.me as string) : undefined;
    },
    `a primary other than ${oldPrimary} after replSetStepDown`,
    { timeoutMs, intervalMs: 100 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; primary seen last: ${lastSeen}`);
  });
  return { oldPrimary, newPrimary, reply };
}

/** Awaits `p` for at most `ms`; fails with `what` on timeout. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  p.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits (bounded) for the next change-stream event, failing with `what` on timeout. */
export async function nextChange(cs: ChangeStream<any, any>, what: string, ms = 15_000): Promise<any> {
  return within(cs.next(), ms, `change event (${what})`);
}

/**
 * Resolves when `client`'s topology monitoring marks `host` Unknown (e.g. after the member
 * crashed). Register it before causing the crash.
 */
export function clientSeesDown(client: MongoClient, host: string): Promise<void> {
  return new Promise((resolve) => {
    const onChange = (e: ServerDescriptionChangedEvent) => {
      if (e.address === host && e.newDescription.type === 'Unknown') {
        client.off('serverDescriptionChanged', onChange);
        resolve();
      }
    };
    client.on('serverDescriptionChanged', onChange);
  });
}
