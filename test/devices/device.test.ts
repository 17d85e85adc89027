// A slot device against an in-process broker: debounce, status, seq.
import { expect } from 'chai';
import { decodeSlotState } from '../../contract/index.ts';
import { ManualSensor, startSignage, startSlotDevice, type SignageView } from '../../devices/index.ts';
import { startTestBroker, type TestBroker } from '../link/brokers.ts';
import { until } from '../link/wait.ts';

describe('devices: slot device and signage', function () {
  this.timeout(20_000);
  let broker: TestBroker;
  beforeEach(async () => (broker = await startTestBroker()));
  afterEach(() => broker.close());

  const slotMessages = (topic: string) => broker.accepted.filter((m) => m.topic === topic).map((m) => decodeSlotState(m.payload, 0));

  it('a flapping sensor does not flood the broker: one state after it settles', async () => {
    const sensor = new ManualSensor();
    const device = await startSlotDevice({ servers: [broker.url], lot: 'mall-1', level: 'B1', slot: '11', sensor, debounceMs: 150 });
    try {
      await device.link.waitConnected();
      sensor.set(false);
      await until(() => slotMessages(device.publisher.topic).length === 1, { what: () => 'the first state' });
      // Flapping: a change every 10 ms for 800 ms, far shorter than the 150 ms hold.
      for (let i = 0; i < 80; i++) {
        sensor.set(i % 2 === 0);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(slotMessages(device.publisher.topic), 'states published while flapping').to.have.length(1);
      sensor.set(true);
      await until(() => slotMessages(device.publisher.topic).length === 2, { what: () => 'the settled state' });
      const [first, second] = slotMessages(device.publisher.topic);
      expect([first.status, second.status]).to.deep.equal(['free', 'occupied']);
      expect(second.seq).to.equal(first.seq! + 1);
      expect(second.ts).to.be.greaterThan(first.ts);
      expect(broker.accepted[0]).to.deep.include({ topic: 'parking/mall-1/device/mall-1-B1-11/status', retain: true });
      expect(broker.accepted[0].payload.toString()).to.equal('online');
    } finally {
      await device.stop();
    }
  });

  it('signage follows the retained availability topics live', async () => {
    const publish = (topic: string, payload: string) => new Promise<void>((resolve) => broker.broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false }, () => resolve()));
    await publish('parking/mall-1/availability', JSON.stringify({ lot: 'mall-1', availableSpotNumber: 3, totalSpotNumber: 10, status: 'spacesAvailable', levels: { B1: { availableSpotNumber: 3, totalSpotNumber: 10 } } }));
    const lines: string[] = [];
    const views: SignageView[] = [];
    const signage = await startSignage({ servers: [broker.url], lot: 'mall-1', out: { write: (t) => lines.push(t) }, onView: (v) => views.push(v) });
    try {
      await until(() => lines.some((l) => l.includes('mall-1 free 3/10 spacesAvailable | B1 3/10')), { what: () => lines.join('') });
      await publish('parking/mall-1/availability/B1', '0');
      await until(() => views.at(-1)?.levels[0].free === 0, { what: () => lines.join('') });
      expect(lines.at(-1)).to.match(/B1 0\/10/);
    } finally {
      await signage.stop();
    }
  });
});
