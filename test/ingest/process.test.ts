// `parking ingest` as a process, stopped while MongoDB has no primary: it ends within its
// deadline, keeps what MongoDB had not taken in <dataDir>/ingest, and the next start writes it.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import { startPart, type Part } from '../../proc/index.ts';
import { MONGO_OPTIONS } from '../../mongo/index.ts';
import { startTestMongo, requireStandIn, waitFor, type TestMongo } from '../helpers/mongo.ts';
import type { RunningBroker } from '../helpers/brokers.ts';
import { broker, connect, nextMessage, slotJson, topics } from './helpers.ts';

const T0 = 1_795_307_400_000;

describe('parking ingest (process): a stop while MongoDB has no primary', function () {
  this.timeout(90_000);
  let m: TestMongo;
  let b: RunningBroker;
  let pub: MqttClient;
  let dataDir: string;
  let part: Part | undefined;

  before(async function () {
    m = await startTestMongo({ electionDelayMs: [10_000, 10_000] });
    requireStandIn(this, m, 'an election without handoff');
    b = await broker();
    pub = await connect(b.url);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'parking-ingest-'));
  });

  after(async function () {
    await part?.stop();
    await pub?.endAsync();
    await b?.close();
    await m?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const start = () =>
    startPart({ name: 'ingest', args: ['ingest', '--servers', b.url, '--mongodb-uri', m.uri, '--mongodb-db', m.dbName, '--data-dir', dataDir, '--log-format', 'json'], ready: /^ingest running/m });
  const send = (slot: string, seq: number) => pub.publishAsync(topics.slot('stop', 'B1', slot), slotJson('occupied', T0 + seq, seq, 'pi'), { qos: 1, retain: true });

  it('ends within its deadline, keeps the rest, and the next start writes each state once', async function () {
    const db = m.client(MONGO_OPTIONS).db(m.dbName);
    part = await start();
    const first = nextMessage(pub, topics.availability('stop'), (p) => JSON.parse(p).occupiedSpotNumber === 1);
    await send('s0', 1);
    await first;
    await waitFor(async () => (await db.collection('slots').countDocuments({ lot: 'stop' })) === 1, 'the first state durable');

    await m.rs!.stepDown({ handoff: false, stepDownSecs: 1 });
    const shown = nextMessage(pub, topics.availability('stop'), (p) => JSON.parse(p).occupiedSpotNumber === 10);
    for (let seq = 2; seq <= 10; seq++) await send(`s${seq - 1}`, seq);
    await shown; // accepted: availability does not wait for MongoDB
    const stopping = Date.now();
    await part.stop();
    const took = Date.now() - stopping;
    const output = part.output();
    part = undefined;
    expect(m.rs!.primary(), 'still no primary at the stop').to.equal(undefined);
    expect(took, 'the stop took').to.be.below(8000);
    expect(output).to.match(/exited \(0\)/);
    expect(output).to.include('kept for the next start');
    const kept = (await readdir(path.join(dataDir, 'ingest'))).filter((f) => f.endsWith('.ndjson'));
    expect(kept).to.have.lengthOf(1);

    await m.rs!.waitForPrimary(30_000);
    part = await start();
    await waitFor(async () => (await db.collection('slotEvents').countDocuments({ 'slot.lot': 'stop' })) === 10 && (await readdir(path.join(dataDir, 'ingest'))).length === 0, 'the kept states written and the spill file removed', { timeoutMs: 30_000 });
    expect(await db.collection('slots').countDocuments({ lot: 'stop' })).to.equal(10);
    expect(await db.collection('slotEvents').countDocuments({ 'slot.lot': 'stop' }), 'each state once in the history').to.equal(10);
  });
});
