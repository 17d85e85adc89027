// While MongoDB has no primary: visitors still see every change at once, the durability
// lag says how far behind MongoDB is, and a stop neither hangs nor loses anything.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { Subject } from 'rxjs';
import { MONGO_OPTIONS } from '../../mongo/index.ts';
import { startIngest, type Inbound, type Ingest } from '../../ingest/index.ts';
import { startTestMongo, requireStandIn, type TestMongo } from '../helpers/mongo.ts';
import { quiet, slotJson, topics } from './helpers.ts';

const T0 = 1_795_307_400_000;

/** A fake MQTT side: messages in, and every availability summary published, with when. */
function fakeMqtt() {
  const messages = new Subject<Inbound>();
  const summaries: Array<{ lot: string; occupied: number; at: number }> = [];
  const waiters: Array<() => void> = [];
  return {
    messages,
    summaries,
    port: {
      messages,
      publish: async (topic: string, payload: string) => {
        const m = /^parking\/([^/]+)\/availability$/.exec(topic);
        if (m) summaries.push({ lot: m[1], occupied: JSON.parse(payload).occupiedSpotNumber as number, at: Date.now() });
        for (const w of waiters.splice(0)) w();
      },
    },
    /** Resolves with the first summary of `lot` showing `occupied` occupied slots. */
    async summary(lot: string, occupied: number) {
      for (;;) {
        const found = summaries.find((s) => s.lot === lot && s.occupied === occupied);
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    send(lot: string, slot: string, seq: number) {
      messages.next({ topic: topics.slot(lot, 'B1', slot), payload: Buffer.from(slotJson('occupied', T0 + seq, seq, 'pi')), receivedAt: Date.now() });
    },
  };
}

describe('ingest: while MongoDB has no primary', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let ingest: Ingest | undefined;
  let dir: string;

  before(async function () {
    m = await startTestMongo({ electionDelayMs: [3000, 3500] });
    requireStandIn(this, m, 'an election without handoff');
  });

  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'parking-spill-'));
    await m.rs!.waitForPrimary(20_000);
  });

  afterEach(async function () {
    await ingest?.close();
    ingest = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  after(async function () {
    await m?.close();
  });

  it('availability follows each accepted state at once; the durability lag shows the wait and returns to 0', async function () {
    const client = m.client(MONGO_OPTIONS);
    const db = client.db(m.dbName);
    const mqtt = fakeMqtt();
    ingest = await startIngest({ db, mqtt: mqtt.port, topics, logger: quiet, writeTimeoutMs: 1000 });
    await m.rs!.stepDown({ handoff: false, stepDownSecs: 1 });
    const latencies: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const sent = Date.now();
      mqtt.send('no-primary', `s${i}`, i);
      latencies.push((await mqtt.summary('no-primary', i)).at - sent);
    }
    expect(m.rs!.primary(), 'still no primary').to.equal(undefined);
    expect(Math.max(...latencies), `availability latencies ${latencies.join(', ')} ms`).to.be.below(100);
    expect(ingest.health().lagMs, 'durability lags behind').to.be.above(0);
    await m.rs!.waitForPrimary(20_000);
    await ingest.flush();
    expect(ingest.health().lagMs).to.equal(0);
    expect(await db.collection('slots').countDocuments({ lot: 'no-primary' })).to.equal(20);
    expect(await db.collection('slotEvents').countDocuments({ 'slot.lot': 'no-primary' })).to.equal(20);
  });

  it('a stop without a primary ends within its deadline and keeps the rest for the next start, which writes it once', async function () {
    const client = m.client(MONGO_OPTIONS);
    const db = client.db(m.dbName);
    const first = fakeMqtt();
    ingest = await startIngest({ db, mqtt: first.port, topics, logger: quiet, writeTimeoutMs: 1000, closeTimeoutMs: 500, spillDir: dir });
    first.send('spill', 's1', 1);
    await ingest.flush();
    await m.rs!.stepDown({ handoff: false, stepDownSecs: 1 });
    for (let seq = 2; seq <= 30; seq++) first.send('spill', `s${seq % 5}`, seq);
    await first.summary('spill', 5);
    const stopping = Date.now();
    await ingest.close();
    ingest = undefined;
    expect(Date.now() - stopping, 'close took').to.be.below(1500);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ndjson'));
    expect(files, 'one spill file').to.have.lengthOf(1);

    await m.rs!.waitForPrimary(20_000);
    const second = fakeMqtt();
    ingest = await startIngest({ db, mqtt: second.port, topics, logger: quiet, spillDir: dir });
    await ingest.flush();
    expect(await db.collection('slotEvents').countDocuments({ 'slot.lot': 'spill' }), 'every state once in the history').to.equal(30);
    const stored = await db.collection<{ _id: string; seq: number }>('slots').find({ lot: 'spill' }).sort({ _id: 1 }).toArray();
    expect(stored.map((d) => [d._id, d.seq])).to.deep.equal([['spill/B1/s0', 30], ['spill/B1/s1', 26], ['spill/B1/s2', 27], ['spill/B1/s3', 28], ['spill/B1/s4', 29]]);
    expect(await readdir(dir), 'the spill file is removed once written').to.deep.equal([]);
  });
});
