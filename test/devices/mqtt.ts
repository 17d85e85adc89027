// Plain MQTT clients for device tests: observers and retained reads.
import { connect, type MqttClient } from 'mqtt';

export interface Observer {
  client: MqttClient;
  messages: Array<{ topic: string; payload: string; retain: boolean }>;
  close(): void;
}

/** A QoS 0 subscriber on one broker (QoS 0: it sends nothing that could make a dying broker reset the socket). */
export async function observe(url: string, filters: string | string[]): Promise<Observer> {
  const client = connect(url, { reconnectPeriod: 0 });
  client.on('error', () => {});
  const messages: Observer['messages'] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(filters, { qos: 0 });
  return { client, messages, close: () => void client.end(true) };
}

/** The retained message of `topic` on a broker (rejects when none arrives within `timeoutMs`). */
export async function retained(url: string, topic: string, timeoutMs = 3000): Promise<string> {
  const client = connect(url, { reconnectPeriod: 0 });
  client.on('error', () => {});
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no retained message on ${topic} at ${url} within ${timeoutMs} ms`)), timeoutMs);
      client.on('message', (t, payload, packet) => {
        if (t === topic && packet.retain) {
          clearTimeout(timer);
          resolve(payload.toString());
        }
      });
      client.on('connect', () => void client.subscribeAsync(topic, { qos: 0 }).catch(reject));
    });
  } finally {
    client.end(true);
  }
}
