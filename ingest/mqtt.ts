// MqttPort over an MQTT.js client (or anything with its subscribe/publish/on API).
import { Observable, share } from 'rxjs';
import type { MqttClient } from 'mqtt';
import type { Topics } from '../contract/index.ts';
import type { Inbound } from './decode.ts';
import type { MqttPort } from './index.ts';

export function mqttPort(client: MqttClient, topics: Topics): MqttPort {
  const messages = new Observable<Inbound>((subscriber) => {
    const onMessage = (topic: string, payload: Buffer) => subscriber.next({ topic, payload, receivedAt: Date.now() });
    client.on('message', onMessage);
    client.subscribe([topics.filters.slots, topics.filters.deviceStatus], { qos: 1 });
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
