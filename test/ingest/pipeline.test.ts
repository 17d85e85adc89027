import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import type { RunningBroker } from '../helpers/brokers.ts';
import { Subject } from 'rxjs';
import { startIngest, type Inbound } from '../../ingest/index.ts';
import { broker, connect, ingestOn, nextMessage, quiet, slotJson, topics } from './helpers.ts';

describe('ingest: MQTT to MongoDB and availability', function () {
  this.timeout(30_000);
  let m: TestMongo;
  let b: RunningBroker;
  let pub: MqttClient;
  let run: Awaited<ReturnType<typeof ingestOn>>;
  const T0 = 1_795_307_315_000;

  before(async function () {
    m = await startTestMongo();
    b = await broker();
    pub = await connect(b.url);
    run = await ingestOn(m, b.url);
  });

  after(async function () {
    await run?.close();
    await pub?.endAsync();
    await b?.close();
    await m?.close();
  });

  const slots = () => m.client().db(m.dbName).collection<any>('slots');
  const events = () => m.client().db(m.dbName).collection<any>('slotEvents');

  it('writes a published slot state to `slots` and `slotEvents`, and publishes availability', async function () {
    const watcher = await connect(b.url);
    const summary = nextMessage(watcher, topics.availability('e2e'), (p) => JSON.parse(p).totalSpotNumber === 2);
    const level = nextMessage(watcher, topics.levelAvailability('e2e', 'B1'), (p) => p === '1');
    await pub.publishAsync(topics.slot('e2e', 'B1', 's1'), slotJson('occupied', T0, 1, 'pi-1'), { qos: 1, retain: true });
    await pub.publishAsync(topics.slot('e2e', 'B1', 's2'), 'false', { qos: 1, retain: true });
    const s = JSON.parse(await summary);
    expect(s).to.include({ lot: 'e2e', availableSpotNumber: 1, occupiedSpotNumber: 1, totalSpotNumber: 2, status: 'spacesAvailable' });
    expect(s.levels.B1).to.include({ availableSpotNumber: 1, totalSpotNumber: 2 });
    expect(await level).to.equal('1');
    const doc = await slots().findOne({ _id: 'e2e/B1/s1' });
    expect(doc).to.include({ lot: 'e2e', level: 'B1', slot: 's1', status: 'occupied', ts: T0, seq: 1, device: 'pi-1' });
    expect(doc.since.getTime()).to.equal(T0);
    expect(doc.updatedAt).to.be.instanceOf(Date);
    expect(await events().countDocuments({ 'slot.lot': 'e2e' })).to.equal(2);
    await watcher.endAsync();
  });

  it('never lets an older or duplicate update overwrite a newer one; `since` moves only on a change of status', async function () {
    const topic = topics.slot('order', 'L', 'x');
    for (const [status, ts, seq] of [['free', T0 + 10, 5], ['occupied', T0 + 5, 9], ['occupied', T0 + 10, 4], ['free', T0 + 10, 5], ['free', T0 + 20, 0]] as const) {
      await pub.publishAsync(topic, slotJson(status, ts, seq), { qos: 1 });
    }
    await run.ingest.flush();
    const doc = await slots().findOne({ _id: 'order/L/x' });
    expect(doc).to.include({ status: 'free', ts: T0 + 20, seq: 0 });
    expect(doc.since.getTime()).to.equal(T0 + 10);
    expect(await events().countDocuments({ 'slot.lot': 'order' })).to.equal(2);
    expect(run.ingest.metrics.stale).to.be.at.least(2);
    expect(run.ingest.metrics.duplicates).to.be.at.least(1);
  });

  it('rejects every bad input by cause, writes none of it, and keeps going', async function () {
    // Our brokers already refuse bad slot payloads, so the messages go straight into the pipeline,
    // as they would arrive through a broker that does not check (a Mosquitto standby, say).
    const inbound = new Subject<Inbound>();
    const published: string[] = [];
    const ingest = await startIngest({
      db: m.client().db(m.dbName),
      mqtt: { messages: inbound, publish: async (topic) => void published.push(topic) },
      topics,
      logger: quiet,
    });
    const bad: Array<[string, string | Buffer]> = [
      [topics.slot('rej', 'L', 'a'), '{"status":"parked"}'],
      [topics.slot('rej', 'L', 'b'), '{"status":'],
      [topics.slot('rej', 'L', 'c'), Buffer.alloc(2000, 0x31)],
      [topics.slot('rej', 'L', 'd'), '{"status":"free","ts":"soon"}'],
      [topics.slot('rej', 'L', 'e'), '{"status":"free","seq":-1}'],
      [topics.slot('rej', 'L', 'f'), '{"status":"free","device":"no spaces"}'],
      ['parking/rej lot/slot/L/g', 'true'],
      [topics.deviceStatus('rej', 'd1'), 'asleep'],
    ];
    for (const [topic, payload] of [...bad, [topics.slot('rej', 'L', 'ok'), 'true'] as [string, string]]) {
      inbound.next({ topic, payload: Buffer.from(payload), receivedAt: Date.now() });
    }
    await ingest.flush();
    expect(ingest.metrics.rejected).to.deep.equal({ 'bad-status': 2, 'bad-json': 1, oversize: 1, 'bad-ts': 1, 'bad-seq': 1, 'bad-id': 1, 'bad-topic': 1 });
    expect(ingest.metrics.accepted).to.equal(1);
    expect(await slots().find({ lot: 'rej' }).map((d: any) => d._id).toArray()).to.deep.equal(['rej/L/ok']);
    expect(published).to.include(topics.availability('rej'));
    await ingest.close();
  });
});
