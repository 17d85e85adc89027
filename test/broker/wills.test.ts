// A Last Will is published when its client's connection ends, never while the client is still
// connected. Aedes also sweeps for wills of brokers it thinks dead (a cluster's): with our 100 ms
// heartbeat it counted itself dead after any stop of its event loop over 300 ms and published the
// will of every client it served, every device "offline" while online.
import { expect } from 'chai';
import { connect, type MqttClient } from 'mqtt';
import { startBroker, type RunningBroker } from '../../broker/index.ts';
import { guardWillSweep } from '../../broker/wills.ts';

function block(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // the event loop is stopped, as a busy broker's is while it works through a burst
  }
}

describe('broker: Last Wills', function () {
  this.timeout(30_000);
  let broker: RunningBroker;
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    broker = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.close();
  });

  async function client(id: string, will?: { topic: string; payload: string }): Promise<MqttClient> {
    const c = connect(broker.url, { clientId: id, reconnectPeriod: 0, ...(will ? { will: { ...will, qos: 1, retain: false } } : {}) });
    clients.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    return c;
  }

  it('are not published for connected clients after the event loop stopped for a second', async () => {
    const wills: string[] = [];
    const observer = await client('will-observer');
    observer.on('message', (topic, payload) => {
      if (topic.startsWith('test/status/')) wills.push(`${topic} ${payload.toString()}`);
    });
    await observer.subscribeAsync('test/status/+', { qos: 1 });
    await observer.subscribeAsync('$SYS/+/heartbeat', { qos: 0 });
    for (let i = 0; i < 5; i++) await client(`device-${i}`, { topic: `test/status/device-${i}`, payload: 'offline' });

    // Stops at every phase of the broker's 100 ms heartbeat and 400 ms sweep timers.
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setTimeout(resolve, 53 * i));
      block(450 + 50 * (i % 4));
    }
    // Then 20 heartbeats (2 s at 100 ms): Aedes looks for dead brokers' wills every 400 ms.
    let heartbeats = 0;
    await new Promise<void>((resolve) => {
      const onMessage = (topic: string) => {
        if (topic.endsWith('/heartbeat') && ++heartbeats >= 20) {
          observer.off('message', onMessage);
          resolve();
        }
      };
      observer.on('message', onMessage);
    });
    expect(wills, 'wills of clients still connected').to.deep.equal([]);

    // A client that goes away still leaves its will.
    const gone = clients.find((c) => c.options.clientId === 'device-3')!;
    (gone as unknown as { stream: { destroy(): void } }).stream.destroy();
    const deadline = Date.now() + 5000;
    while (wills.length === 0 && Date.now() < deadline) await new Promise((resolve) => observer.once('message', resolve));
    expect(wills).to.deep.equal(['test/status/device-3 offline']);
  });
});

describe('broker: the will sweep guard', () => {
  it('passes Aedes its own broker and the peers heard within the grace as alive, and forgets peers silent longer', async () => {
    let clock = 1_000_000;
    const asked: Array<Record<string, number>> = [];
    const persistence = guardWillSweep({ setup: async (_broker: { id: string }) => undefined, streamWill: (brokers: Record<string, number> = {}) => void asked.push(brokers) }, 10_000, () => clock);
    await persistence.setup({ id: 'me' });
    persistence.streamWill({ peer: clock - 100 });
    expect(asked.at(-1)).to.deep.equal({ peer: clock - 100, me: clock });
    // Aedes dropped the peer after 3 silent heartbeats (this broker's own loop stopped): still alive here.
    clock += 2000;
    persistence.streamWill({});
    expect(Object.keys(asked.at(-1)!).sort()).to.deep.equal(['me', 'peer']);
    // Silent past the grace: dead, its wills may go out.
    clock += 9000;
    persistence.streamWill({});
    expect(asked.at(-1)).to.deep.equal({ me: clock });
  });
});
