// The failCommand fail point as the tests set it: on the primary, limited to the client
// under test (by its appName), whose commands are recorded for the test to count.
import type { CommandStartedEvent, Db, Document, MongoClient } from 'mongodb';
import type { TestMongo } from './mongo.ts';

export interface FailPointRig {
  /** The admin database, through a client of the test's own (never failed). */
  admin: Db;
  /** The test database through the test's own client: to look at what was written. */
  check: Db;
  /** The client under test (appName set, commands monitored) and its database. */
  client: MongoClient;
  db: Db;
  /** Every command the client under test sent, in order. */
  commands: CommandStartedEvent[];
  /** Sets failCommand for the client under test; returns how often it had fired before. */
  failCommand(mode: unknown, data: Document): Promise<number>;
  /** Turns it off; returns how often it fired since `since`. */
  fired(since: number): Promise<number>;
}

export function failPointRig(m: TestMongo, appName: string): FailPointRig {
  const own = m.client();
  const admin = own.db('admin');
  const client = m.client({ appName, monitorCommands: true });
  const commands: CommandStartedEvent[] = [];
  client.on('commandStarted', (e) => commands.push(e));
  return {
    admin,
    check: own.db(m.dbName),
    client,
    db: client.db(m.dbName),
    commands,
    failCommand: async (mode, data) => (await admin.command({ configureFailPoint: 'failCommand', mode, data: { appName, ...data } })).count,
    fired: async (since) => (await admin.command({ configureFailPoint: 'failCommand', mode: 'off' })).count - since,
  };
}
