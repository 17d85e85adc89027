// MqttPort over the failover link (link/): what `parking ingest` and `parking start` use.
import { Observable, share } from 'rxjs';
import type { FailoverLink } from '../link/index.ts';
import type { Topics } from '../contract/index.ts';
import type { Inbound } from './decode.ts';
import type { MqttPort } from './index.ts';

export function linkPort(link: FailoverLink, topics: Topics): MqttPort {
  const messages = new Observable<Inbound>((subscriber) => {
    const onMessage = (topic: string, payload: Buffer) => subscriber.next({ topic, payload, receivedAt: Date.now() });
    link.on('message', onMessage);
    void link.subscribe([topics.filters.slots, topics.filters.deviceStatus], 1).catch((err: Error) => subscriber.error(err));
    return () => {
      link.off('message', onMessage);
    };
  }).pipe(share());
  return { messages, publish: (topic, payload, options) => link.publish(topic, payload, options) };
}
