// A Last Will is published when its client's connection ends, never while the client is still
// connected. Aedes also sweeps for wills of brokers it thinks dead (a cluster's): with our 100 ms
// heartbeat it counted itself dead after any stop of its event loop over 300 ms and published the
// will of every client it served, every device "offline" while online.
import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import { startBroker, type RunningBroker } from '../../broker/index.ts';
import { guardWillSweep } from '../../broker/wills.ts';
import { blockEventLoop } from '../helpers/block.ts';
import { closeAll, connect, recorder } from './clients.ts';

describe('broker: Last Wills', function () {
  this.timeout(30_000);
  let broker: RunningBroker;

  beforeEach(async () => {
    broker = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
  });

  afterEach(async () => {
    await closeAll();
    await broker.close();
  });

  it('are not published for connected clients after the event loop stopped for a second', async () => {
    const observer = await recorder(broker.url, ['test/status/+', '$SYS/+/heartbeat']);
    const devices: MqttClient[] = [];
    for (let i = 0; i < 5; i++) devices.push(await connect(broker.url, { clientId: `device-${i}`, will: { topic: `test/status/device-${i}`, payload: Buffer.from('offline'), qos: 1, retain: false } }));
    const wills = () => observer.messages.filter((m) => m.topic.startsWith('test/status/')).map((m) => `${m.topic} ${m.payload}`);

    // Stops at every phase of the broker's 100 ms heartbeat and 400 ms sweep timers.
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setTimeout(resolve, 53 * i));
      blockEventLoop(450 + 50 * (i % 4));
    }
    // Then 20 heartbeats (2 s at 100 ms): Aedes looks for dead brokers' wills every 400 ms.
    for (let i = 0; i < 20; i++) await observer.waitNew((m) => m.topic.endsWith('/heartbeat'), 5000, 'a heartbeat');
    expect(wills(), 'wills of clients still connected').to.deep.equal([]);

    // A client that goes away still leaves its will.
    (devices[3] as unknown as { stream: { destroy(): void } }).stream.destroy();
    await observer.on('test/status/device-3', 'offline');
    expect(wills()).to.deep.equal(['test/status/device-3 offline']);
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
