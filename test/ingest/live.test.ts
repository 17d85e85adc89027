import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { startRedis, type ServiceHandle } from '../../testbed/services/index.ts';
import { requireBinary } from '../helpers/services.ts';
import { startTestMongo, waitFor, type TestMongo } from '../helpers/mongo.ts';
import type { RunningBroker } from '../helpers/brokers.ts';
import { liveKeys, redisLiveState } from '../../ingest/index.ts';
import { until } from '../link/wait.ts';
import { broker, connect, ingestOn, quiet, slotJson, topics } from './helpers.ts';

describe('ingest: live slot state in Redis', function () {
  this.timeout(30_000);
  before(requireBinary('redis-server', 'redis-server'));
  let m: TestMongo;
  let b: RunningBroker;
  let pub: MqttClient;
  let redis: ServiceHandle;
  let reader: Redis;

  before(async function () {
    redis = await startRedis();
    reader = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    reader.on('error', () => {}); // Redis is killed on purpose below
    m = await startTestMongo();
    b = await broker();
    pub = await connect(b.url);
  });

  after(async function () {
    reader?.disconnect();
    await pub?.endAsync();
    await b?.close();
    await m?.close();
    await redis?.stop();
  });

  it('keeps every durable slot state and the availability summary in Redis', async function () {
    const run = await ingestOn(m, b.url, { live: redisLiveState(redis.url, 'parking', quiet) });
    const ts = Date.now();
    await pub.publishAsync(topics.slot('live', 'B1', '01'), slotJson('occupied', ts, 7, 'pi-1'), { qos: 1 });
    await pub.publishAsync(topics.slot('live', 'B1', '02'), slotJson('free', ts, 1, 'pi-2'), { qos: 1 });
    // The PUBACK comes from the broker: ingest may not have the messages yet.
    await until(() => run.ingest.metrics.messagesIn >= 2, { what: () => `ingest received ${run.ingest.metrics.messagesIn} of 2` });
    await run.ingest.flush();
    const keys = liveKeys('parking', 'live');
    // Written once ingest's Redis connection is ready (it may still be connecting).
    await waitFor(async () => (await reader.hlen(keys.slots)) === 2 && (await reader.get(keys.availability)) !== null, 'both slots and the summary in Redis', { timeoutMs: 5000 });
    expect(JSON.parse((await reader.hget(keys.slots, 'B1/01'))!)).to.deep.equal({ status: 'occupied', ts, seq: 7, device: 'pi-1' });
    expect(await reader.hlen(keys.slots)).to.equal(2);
    expect(JSON.parse((await reader.get(keys.availability))!)).to.include({ lot: 'live', availableSpotNumber: 1, totalSpotNumber: 2 });
    await run.close();
  });

  it('goes on writing MongoDB while Redis is down, and writes what Redis missed once it is back', async function () {
    const run = await ingestOn(m, b.url, { live: redisLiveState(redis.url, 'parking', quiet) });
    await redis.kill();
    await pub.publishAsync(topics.slot('live', 'B1', '03'), slotJson('occupied', Date.now(), 1), { qos: 1 });
    await until(() => run.ingest.metrics.messagesIn >= 1, { what: () => 'ingest received the message' });
    await run.ingest.flush();
    expect(await m.client().db(m.dbName).collection<any>('slots').findOne({ _id: 'live/B1/03' })).to.include({ status: 'occupied' });
    await redis.restart();
    const keys = liveKeys('parking', 'live');
    await waitFor(() => reader.hget(keys.slots, 'B1/03'), 'B1/03 in Redis after its restart');
    expect(JSON.parse((await reader.hget(keys.slots, 'B1/03'))!)).to.include({ status: 'occupied', seq: 1 });
    await run.close();
  });
});
