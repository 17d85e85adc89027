// The platform's MongoDB client: majority writes, retryable writes and
// reads, and timeouts that let writers ride out a 10-12 s election.
import { MongoClient, type MongoClientOptions } from 'mongodb';

export const MONGO_OPTIONS: MongoClientOptions = {
  retryWrites: true,
  retryReads: true,
  writeConcern: { w: 'majority' },
  readConcern: { level: 'majority' },
  // Server selection waits out an election; writers retry beyond that themselves.
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
