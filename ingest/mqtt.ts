// MqttPort over an MQTT.js client (or anything with its subscribe/publish/on API).
import { Observable, share } from 'rxjs';
import type { MqttClient } from 'mqtt';
import type { Topics } from '../contract/index.ts';
import type { Inbound } from './decode.ts';
import type { MqttPort } from './index.ts';

/** `filters`: what to subscribe to, by default every lot's slot and device-status topics (see LotFilter.filters). */
export function mqttPort(client: MqttClient, topics: Topics, filters: readonly string[] = [topics.filters.slots, topics.filters.deviceStatus]): MqttPort {
  const messages = new Observable<Inbound>((subscriber) => {
    const onMessage = (topic: string, payload: Buffer) => subscriber.next({ topic, payload, receivedAt: Date.now() });
    client.on('message', onMessage);
    client.subscribe([...filters], { qos: 1 });
    return () => {
      client.off('message', onMessage);
    };
  }).pipe(share());
  return {
    messages,
    publish: async (topic, payload, options) => {
      await client.publishAsync(topic, payload, options);
    },
  };
}
