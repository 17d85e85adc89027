import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import type { RunningBroker } from '../helpers/brokers.ts';
import { broker, connect, ingestOn, nextMessage, slotJson, topics } from './helpers.ts';

describe('ingest: devices that go offline', function () {
  this.timeout(30_000);
  let m: TestMongo;
  let b: RunningBroker;
  let pub: MqttClient;

  before(async function () {
    m = await startTestMongo();
    b = await broker();
    pub = await connect(b.url);
  });

  after(async function () {
    await pub?.endAsync();
    await b?.close();
    await m?.close();
  });

  it('marks an offline device\'s slots unknown after the grace time, and restores them when it returns', async function () {
    const run = await ingestOn(m, b.url, { offlineGraceMs: 300 });
    const watcher = await connect(b.url);
    const slots = m.client().db(m.dbName).collection<any>('slots');
    const ts = Date.now();
    await pub.publishAsync(topics.slot('off', 'L', 'a'), slotJson('occupied', ts, 1, 'pi-a'), { qos: 1, retain: true });
    await pub.publishAsync(topics.slot('off', 'L', 'b'), slotJson('free', ts, 1, 'pi-b'), { qos: 1, retain: true });
    await nextMessage(watcher, topics.availability('off'), (p) => JSON.parse(p).totalSpotNumber === 2);

    const unknown = nextMessage(watcher, topics.availability('off'), (p) => JSON.parse(p).unknownSpotNumber === 1);
    const wentOffline = Date.now();
    await pub.publishAsync(topics.deviceStatus('off', 'pi-a'), 'offline', { qos: 1, retain: true });
    const summary = JSON.parse(await unknown);
    expect(Date.now() - wentOffline).to.be.at.least(250);
    expect(summary).to.include({ availableSpotNumber: 1, occupiedSpotNumber: 0, unknownSpotNumber: 1 });
    await run.ingest.flush();
    expect(await slots.findOne({ _id: 'off/L/a' })).to.include({ status: 'unknown', ts, seq: 1 });
    expect(await slots.findOne({ _id: 'off/L/b' })).to.include({ status: 'free' });

    const back = nextMessage(watcher, topics.availability('off'), (p) => JSON.parse(p).occupiedSpotNumber === 1);
    await pub.publishAsync(topics.deviceStatus('off', 'pi-a'), 'online', { qos: 1, retain: true });
    expect(JSON.parse(await back).unknownSpotNumber).to.equal(0);
    await run.ingest.flush();
    expect(await slots.findOne({ _id: 'off/L/a' })).to.include({ status: 'occupied' });
    await watcher.endAsync();
    await run.close();
  });

  it('a device back online within the grace time never shows unknown', async function () {
    const run = await ingestOn(m, b.url, { offlineGraceMs: 60_000 });
    await pub.publishAsync(topics.slot('blip', 'L', 'a'), slotJson('occupied', Date.now(), 1, 'pi-c'), { qos: 1, retain: true });
    await pub.publishAsync(topics.deviceStatus('blip', 'pi-c'), 'offline', { qos: 1, retain: true });
    await pub.publishAsync(topics.deviceStatus('blip', 'pi-c'), 'online', { qos: 1, retain: true });
    await run.ingest.flush();
    expect(run.ingest.health().offlineDevices).to.equal(0);
    expect(await m.client().db(m.dbName).collection<any>('slots').findOne({ _id: 'blip/L/a' })).to.include({ status: 'occupied' });
    await run.close();
  });
});
