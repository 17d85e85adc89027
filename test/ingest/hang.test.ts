// A primary that dies while ingest writes a large batch must not stop ingest.
//
// What happened: the driver writes a command larger than the socket's high-water mark
// (16 KiB) and then waits for the socket's 'drain' event. Node reads the dead server's FIN
// in the poll phase ('end'), ingest's writer runs its write in the check phase of the same
// turn (setImmediate), and the socket closes in the close phase: no 'drain', no 'error'.
// Without a deadline (CSOT `timeoutMS`) that write never settles, and ingest, which has one
// write in flight at a time, never wrote again. These tests make that turn happen on
// purpose: they watch the driver's sockets (diagnostics_channel) and act on 'end'.
import diagnostics from 'node:diagnostics_channel';
import type net from 'node:net';
import { expect } from 'chai';
import type { MongoClient } from 'mongodb';
import pino from 'pino';
import { Subject } from 'rxjs';
import { MONGO_OPTIONS } from '../../mongo/index.ts';
import { startIngest, type Inbound } from '../../ingest/index.ts';
import { startTestMongo, requireStandIn, type TestMongo } from '../helpers/mongo.ts';
import { slotJson, topics } from './helpers.ts';

const SLOTS = 300;
const T0 = 1_795_307_400_000;
const quiet = pino({ level: 'silent' });

/** Calls `onEnd` in the 'end' event of every socket this process opens to `port` from now on, until the returned function is called. */
function onServerEnd(port: () => number, onEnd: () => void): () => void {
  const channel = diagnostics.channel('net.client.socket');
  const listener = (message: unknown) => {
    const socket = (message as { socket: net.Socket }).socket;
    let remote: number | undefined;
    socket.once('connect', () => (remote = socket.remotePort));
    socket.once('end', () => {
      if (remote === port()) onEnd();
    });
  };
  channel.subscribe(listener);
  return () => channel.unsubscribe(listener);
}

/** The port of member `index` of the replica set at `uri` (-1 for no member). */
const portOf = (uri: string, index: number) => {
  const host = /\/\/([^/?]+)/.exec(uri)![1].split(',')[index];
  return host ? Number(host.split(':')[1]) : -1;
};

/** Resolves with `p`'s outcome, or 'pending' if it has not settled within `ms`. */
function settledWithin<T>(p: Promise<T>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.then(() => 'resolved' as const, () => 'rejected' as const),
    new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms))),
  ]).finally(() => clearTimeout(timer));
}

describe('MongoDB: a primary crash in the middle of a large write', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let stopWatching: (() => void) | undefined;

  beforeEach(async function () {
    m = await startTestMongo({ electionDelayMs: [1000, 1500] });
    requireStandIn(this, m, 'killing the primary at a chosen moment');
  });

  afterEach(async function () {
    stopWatching?.();
    stopWatching = undefined;
    await m?.close();
  });

  async function ready(client: MongoClient): Promise<number> {
    await client.db(m.dbName).collection('t').insertOne({ warm: true });
    return m.rs!.waitForPrimary();
  }

  const bigDocs = () => Array.from({ length: SLOTS }, (_, i) => ({ i, pad: 'x'.repeat(100) }));

  it('without a deadline, the driver never settles such a write (the defect the platform guards against)', async function () {
    let primary = -1;
    let write: Promise<unknown> | undefined;
    stopWatching = onServerEnd(() => portOf(m.uri, primary), () => {
      write ??= new Promise((resolve, reject) => setImmediate(() => client.db(m.dbName).collection('t').insertMany(bigDocs()).then(resolve, reject)));
    });
    const client = m.client({ retryWrites: true });
    primary = await ready(client);
    await m.rs!.kill(primary);
    await m.rs!.waitForPrimary(10_000);
    expect(write, 'a write was issued in the turn the server hung up').to.not.equal(undefined);
    expect(await settledWithin(write!, 3000)).to.equal('pending');
    await client.close(true).catch(() => undefined);
  });

  it("with the platform's client options, such a write ends within its deadline", async function () {
    let primary = -1;
    let write: Promise<unknown> | undefined;
    stopWatching = onServerEnd(() => portOf(m.uri, primary), () => {
      write ??= new Promise((resolve, reject) => setImmediate(() => client.db(m.dbName).collection('t').insertMany(bigDocs(), { signal: AbortSignal.timeout(2000) } as never).then(resolve, reject)));
    });
    const client = m.client(MONGO_OPTIONS);
    primary = await ready(client);
    await m.rs!.kill(primary);
    await m.rs!.waitForPrimary(10_000);
    expect(write).to.not.equal(undefined);
    expect(await settledWithin(write!, 5000)).to.not.equal('pending');
  });

  it('ingest keeps writing: the stuck write times out, is retried on the new primary, and each update is durable with one history record', async function () {
    let primary = -1;
    const client = m.client(MONGO_OPTIONS);
    const messages = new Subject<Inbound>();
    const ingest = await startIngest({
      db: client.db(m.dbName),
      mqtt: { messages, publish: async () => undefined },
      topics,
      logger: quiet,
      writeTimeoutMs: 1000,
    });
    let burst = false;
    let arrived!: () => void;
    const burstArrived = new Promise<void>((resolve) => (arrived = resolve));
    stopWatching = onServerEnd(() => portOf(m.uri, primary), () => {
      if (burst) return;
      burst = true;
      arrived();
      // Updates arrive in the turn the server hung up: the writer writes them in its check phase.
      for (let i = 0; i < SLOTS; i++) {
        messages.next({ topic: topics.slot('crash-large', 'L1', `s${i}`), payload: Buffer.from(slotJson('occupied', T0 + i, 1, 'sim')), receivedAt: Date.now() });
      }
    });
    primary = await ready(client);
    await m.rs!.kill(primary);
    await burstArrived;
    expect(await settledWithin(ingest.flush(), 30_000)).to.equal('resolved');
    const db = client.db(m.dbName);
    expect(await db.collection('slots').countDocuments({ lot: 'crash-large' })).to.equal(SLOTS);
    expect(await db.collection('slotEvents').countDocuments({ 'slot.lot': 'crash-large' }), 'one history record per update').to.equal(SLOTS);
    await ingest.close();
  });
});
