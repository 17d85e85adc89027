// A stopping broker's wait for the failover clients to leave: as long as they
// keep leaving (a fleet of thousands takes seconds to move), not a fixed time,
// and bounded.
import { expect } from 'chai';
import { connect, type MqttClient } from 'mqtt';
import { startBroker, type RunningBroker } from '../../broker/index.ts';
import { handOver } from '../../broker/handover.ts';

/** A timer may fire up to a millisecond before Date.now() has moved on by its delay (libuv's loop clock is whole milliseconds). */
const TIMER_SLACK_MS = 2;

describe('broker: handover on a graceful stop', function () {
  this.timeout(20_000);
  let broker: RunningBroker;
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    broker = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.close();
  });

  /** `n` clients listening for the notice. */
  function listeners(n: number): Promise<MqttClient[]> {
    return Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const c = connect(broker.url, { clientId: `listener-${i}`, reconnectPeriod: 0 });
        clients.push(c);
        await new Promise<void>((resolve) => c.once('connect', () => resolve()));
        await c.subscribeAsync('$SYS/+/leaving', { qos: 0 });
        return c;
      }),
    );
  }

  /** Once the notice arrives, the clients leave one by one, one every `everyMs`. */
  function leaveOneEvery(all: MqttClient[], everyMs: number): void {
    let left = 0;
    all[0].once('message', () => {
      const timer = setInterval(() => {
        void all[left++].endAsync();
        if (left === all.length) clearInterval(timer);
      }, everyMs);
    });
  }

  it('waits past the stall time while clients keep leaving, and ends when the last one left', async () => {
    // One leaves every 200 ms after the notice: 1.6 s in all, far past the 700 ms stall time.
    leaveOneEvery(await listeners(8), 200);
    const result = await handOver(broker.aedes, broker.id, { stallMs: 700, maxMs: 10_000 });
    expect(result).to.include({ notified: 8, stayed: 0 });
    expect(result.ms).to.be.at.least(1400).and.below(8000);
  });

  it('stops waiting once nobody left for the stall time', async () => {
    const all = await listeners(3);
    all[0].once('message', () => void all[0].endAsync());
    const result = await handOver(broker.aedes, broker.id, { stallMs: 300, maxMs: 10_000 });
    expect(result).to.include({ notified: 3, stayed: 2 });
    expect(result.ms).to.be.at.least(300 - TIMER_SLACK_MS).and.below(3000);
  });

  it('stops waiting at the cap even while clients keep leaving', async () => {
    leaveOneEvery(await listeners(20), 100);
    const result = await handOver(broker.aedes, broker.id, { stallMs: 5000, maxMs: 700 });
    expect(result.stayed).to.be.above(0);
    expect(result.ms).to.be.at.least(700 - TIMER_SLACK_MS).and.below(2000);
  });
});
