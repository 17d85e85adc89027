// A broker, a MongoDB and ingest wired together for the ingest tests.
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { Topics } from '../../contract/index.ts';
import { startIngest, type Ingest, type IngestOptions } from '../../ingest/index.ts';
import { mqttPort } from '../../ingest/mqtt.ts';
import { startBroker, type RunningBroker } from '../helpers/brokers.ts';
import type { TestMongo } from '../helpers/mongo.ts';

export const topics = new Topics();
export const quiet = pino({ level: process.env.PARKING_TEST_LOG ?? 'silent' });

export async function connect(url: string, clientId?: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId, reconnectPeriod: 200, connectTimeout: 5000 });
}

export async function broker(): Promise<RunningBroker> {
  return startBroker({ role: 'primary', allowAnonymous: true, wsPort: false, logger: quiet as never });
}

export async function ingestOn(m: TestMongo, url: string, extra: Partial<IngestOptions> = {}): Promise<{ ingest: Ingest; client: MqttClient; close(): Promise<void> }> {
  const client = await connect(url);
  const db = m.client().db(m.dbName);
  const ingest = await startIngest({ db, mqtt: mqttPort(client, topics), topics, logger: quiet, ...extra });
  return {
    ingest,
    client,
    async close() {
      await ingest.close();
      await client.endAsync();
    },
  };
}

/** Resolves with the next message on `topic` whose payload satisfies `accept`. */
export function nextMessage(client: MqttClient, topic: string, accept: (payload: string) => boolean = () => true): Promise<string> {
  return new Promise((resolve) => {
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic || !accept(payload.toString())) return;
      client.off('message', onMessage);
      resolve(payload.toString());
    };
    client.on('message', onMessage);
    client.subscribe(topic, { qos: 1 });
  });
}

export const slotJson = (status: string, ts: number, seq?: number, device?: string) => JSON.stringify({ status, ts, ...(seq !== undefined ? { seq } : {}), ...(device ? { device } : {}) });
