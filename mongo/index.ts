// The platform's MongoDB client: majority writes, retryable writes and
// reads, and timeouts that let writers ride out a 10-12 s election. Every
// operation runs under a deadline (`bounded`, bound.ts) and transient errors
// are retried (retry.ts).
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { settlesWithin } from './bound.ts';

export { bounded, settlesWithin, unlimited, MongoDeadlineError, OPERATION_TIMEOUT_MS, type WithSignal } from './bound.ts';
export { withRetry, isTransient, certainlyNotApplied, RetryAborted, DEFAULT_RETRY, type RetryOptions } from './retry.ts';

export const MONGO_OPTIONS: MongoClientOptions = {
  retryWrites: true,
  retryReads: true,
  writeConcern: { w: 'majority' },
  readConcern: { level: 'majority' },
  // Server selection waits out an election; each operation's own deadline (`bounded`) may be shorter.
  serverSelectionTimeoutMS: 15_000,
  // Notice a dead or unreachable member quickly.
  heartbeatFrequencyMS: 1_000,
  connectTimeoutMS: 5_000,
  appName: 'parking',
};

/** Connects (the URI's own options win over ours). */
export async function connectMongo(uri: string, extra: MongoClientOptions = {}): Promise<MongoClient> {
  const client = new MongoClient(uri, { ...MONGO_OPTIONS, ...extra });
  await client.connect();
  return client;
}

/** The current primary as `host:port`, or undefined during an election. */
export function primaryOf(client: MongoClient): string | undefined {
  const description = (client as unknown as { topology?: { description?: { servers: Map<string, { type: string }> } } }).topology?.description;
  for (const [address, server] of description?.servers ?? []) if (server.type === 'RSPrimary') return address;
  return undefined;
}

/** Closes the client, waiting at most `ms` for operations in flight (a stop must not wait for an election). */
export async function closeMongo(client: MongoClient, ms = 2000): Promise<void> {
  await settlesWithin(client.close(), ms);
}
