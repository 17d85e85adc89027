// MqttPort over the failover link (link/): what `parking ingest` and `parking start` use.
import { Observable, share } from 'rxjs';
import type { FailoverLink } from '../link/index.ts';
import type { Topics } from '../contract/index.ts';
import type { Inbound } from './decode.ts';
import type { MqttPort } from './index.ts';

/** `filters`: what to subscribe to, by default every lot's slot and device-status topics (see LotFilter.filters). */
export function linkPort(link: FailoverLink, topics: Topics, filters: readonly string[] = [topics.filters.slots, topics.filters.deviceStatus]): MqttPort {
  const messages = new Observable<Inbound>((subscriber) => {
    const onMessage = (topic: string, payload: Buffer) => subscriber.next({ topic, payload, receivedAt: Date.now() });
    link.on('message', onMessage);
    void link.subscribe([...filters], 1).catch((err: Error) => subscriber.error(err));
    return () => {
      link.off('message', onMessage);
    };
  }).pipe(share());
  return { messages, publish: (topic, payload, options) => link.publish(topic, payload, options) };
}
