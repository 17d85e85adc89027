// What the fleet's publishes reached: an MQTT subscriber on each broker
// (direct, not through a proxy) records every slot state it is delivered,
// by device and seq, so the drill can count what was lost and duplicated.
// Pure bookkeeping apart from the subscriber itself.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { FLEET_LOT } from './devices.ts';

/** Seqs delivered per slot topic, over every observer. */
export class Deliveries {
  private readonly seen = new Map<string, Set<number>>();
  /** Deliveries of a seq this observer had already had (not counting retained copies on a resubscribe). */
  duplicated = 0;
  received = 0;

  record(observer: string, topic: string, seq: number, retained: boolean): void {
    this.received += 1;
    const key = `${observer}\0${topic}`;
    let set = this.seen.get(key);
    if (!set) this.seen.set(key, (set = new Set()));
    if (set.has(seq)) {
      if (!retained) this.duplicated += 1;
      return;
    }
    set.add(seq);
  }

  /** Seqs 1..last of `topic` that no observer was delivered. */
  missing(topic: string, last: number, observers: readonly string[]): number[] {
    const sets = observers.map((o) => this.seen.get(`${o}\0${topic}`));
    const out: number[] = [];
    for (let seq = 1; seq <= last; seq += 1) if (!sets.some((set) => set?.has(seq))) out.push(seq);
    return out;
  }
}

export interface Observer {
  name: string;
  close(): Promise<void>;
}

/** Subscribes to the fleet's slot topics on `url` and records what arrives into `into`. */
export function observe(name: string, url: string, into: Deliveries, mqttOptions: IClientOptions = {}): Observer {
  const client: MqttClient = mqtt.connect(url, { ...mqttOptions, clientId: `fleet-obs-${name}-${process.pid}`, reconnectPeriod: 200, connectTimeout: 5000, clean: true, protocolVersion: 4 });
  client.on('connect', () => client.subscribe({ [`parking/${FLEET_LOT}/slot/#`]: { qos: 1 } }));
  client.on('error', () => undefined);
  client.on('message', (topic, payload, packet) => {
    const seq = /"seq":(\d+)/.exec(payload.toString('utf8'));
    if (seq) into.record(name, topic, Number(seq[1]), packet.retain);
  });
  return {
    name,
    close: () => new Promise((resolve) => client.end(true, {}, () => resolve())),
  };
}
