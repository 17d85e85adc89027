// MQTT clients for the broker tests: connect, record what arrives, and wait
// for a message by event (never by sleeping).
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
  at: number;
}

export class Recorder {
  readonly messages: Received[] = [];
  #waiters: Array<{ test: (m: Received) => boolean; resolve: (m: Received) => void }> = [];

  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const message = { topic, payload: payload.toString('utf8'), retain: packet.retain, qos: packet.qos, at: performance.now() };
      this.messages.push(message);
      for (const waiter of [...this.#waiters]) {
        if (waiter.test(message)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    });
  }

  /** The first message (already received or still to come) that passes `test`. */
  next(test: (m: Received) => boolean, timeoutMs = 10_000, what = 'a message'): Promise<Received> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return this.waitNew(test, timeoutMs, what);
  }

  /** The next message still to come that passes `test`. */
  waitNew(test: (m: Received) => boolean, timeoutMs = 10_000, what = 'a message'): Promise<Received> {
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (m: Received) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.messages.slice(-10).map((m) => [m.topic, m.payload, m.retain]))}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  on(topic: string, payload?: string): Promise<Received> {
    return this.next((m) => m.topic === topic && (payload === undefined || m.payload === payload), 10_000, `${topic} ${payload ?? ''}`);
  }

  count(topic: string, payload?: string): number {
    return this.messages.filter((m) => m.topic === topic && (payload === undefined || m.payload === payload)).length;
  }

  of(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }
}

const open = new Set<MqttClient>();

export async function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options }, false);
  open.add(client);
  return client;
}

/** A connected client that records everything matching `filters`. */
export async function recorder(url: string, filters: string | string[], options: IClientOptions = {}): Promise<Recorder> {
  const client = await connect(url, options);
  const rec = new Recorder(client);
  await client.subscribeAsync(filters, { qos: 1 });
  return rec;
}

export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((client) => client.endAsync(true).catch(() => {})));
  open.clear();
}

let counter = 0;
/** A topic-safe unique id for one test. */
export function unique(prefix = 't'): string {
  counter += 1;
  return `${prefix}${process.pid}x${counter}`;
}
