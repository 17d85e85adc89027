import { expect } from 'chai';
import { Subject } from 'rxjs';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { startIngest, type Inbound, type Ingest } from '../../ingest/index.ts';
import { quiet, slotJson, topics } from './helpers.ts';

describe('ingest: one availability publish per topic in flight', function () {
  this.timeout(30_000);
  let m: TestMongo;
  let ingest: Ingest | undefined;
  let autoAck = false;
  let lastPublished: Array<{ ack: () => void }> = [];

  before(async function () {
    m = await startTestMongo();
  });

  after(async function () {
    autoAck = true;
    for (const p of lastPublished) p.ack();
    await ingest?.close();
    await m?.close();
  });

  it('holds later changes of a topic until the broker acknowledged the last one, then publishes only the newest', async function () {
    const messages = new Subject<Inbound>();
    const published: Array<{ topic: string; payload: string; ack: () => void }> = [];
    lastPublished = published;
    const waiters: Array<() => void> = [];
    const publishedCount = async (n: number) => {
      while (published.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    const mqtt = {
      messages,
      publish: (topic: string, payload: string) =>
        new Promise<void>((resolve) => {
          published.push({ topic, payload, ack: resolve });
          if (autoAck) resolve();
          for (const w of waiters.splice(0)) w();
        }),
    };
    const db = m.client().db(m.dbName);
    ingest = await startIngest({ db, mqtt, topics, logger: quiet });
    const stream = db.collection('slots').watch([{ $match: { 'documentKey._id': 'hold/B1/s3' } }]);
    expect(await stream.tryNext()).to.equal(null);
    const summaryTopic = topics.availability('hold');
    const summaries = () => published.filter((p) => p.topic === summaryTopic).map((p) => JSON.parse(p.payload).occupiedSpotNumber as number);
    const send = (slot: string) => messages.next({ topic: topics.slot('hold', 'B1', slot), payload: Buffer.from(slotJson('occupied', 1000, 1, 'pi')), receivedAt: Date.now() });

    send('s1');
    await publishedCount(2); // the summary and the level's count
    expect(summaries()).to.deep.equal([1]);
    send('s2');
    send('s3');
    await stream.next(); // s3 is durable, so its batch's availability has been handled
    await stream.close();
    expect(summaries(), 'nothing more while the first publish is not acknowledged').to.deep.equal([1]);
    for (const p of published.splice(0)) p.ack();
    await publishedCount(1); // the level's count (0 free) did not change
    expect(summaries(), 'then one publish with the newest counts').to.deep.equal([3]);
    for (const p of published) p.ack();
    await ingest.flush();
    expect(summaries()).to.deep.equal([3]);
    expect(published.map((p) => p.topic)).to.deep.equal([summaryTopic]);
  });
});
