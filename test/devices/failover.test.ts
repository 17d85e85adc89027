// A slot device and a gate reader through a primary broker kill (SIGKILL) and
// a silent partition, against real `parking broker` processes.
import { expect } from 'chai';
import { connect } from 'mqtt';
import { decodeGateEvent, decodeSlotState, type SlotState } from '../../contract/index.ts';
import { ManualSensor, startGateDevice, startSlotDevice, type DisplayMessage, type SlotDevice } from '../../devices/index.ts';
import type { LinkOptions } from '../../link/index.ts';
import { startLinkProxy, type LinkProxy } from '../../testbed/linkproxy/index.ts';
import { startBrokerProcess, type BrokerProcess } from '../helpers/brokers.ts';
import { next, until } from '../link/wait.ts';
import { observe, retained, type Observer } from './mqtt.ts';

// A short failback window: these tests are about the moves, not how a fleet's return is spread.
const LINK: Partial<LinkOptions> = { failoverMs: 300, probeIntervalMs: 200, probeHealthy: 2, connectTimeoutMs: 1000, backoff: { initialMs: 50, maxMs: 200 }, failbackWindowMs: 2000 };

/** Slot states seen on `topic` by any observer, by seq. */
function seenSeqs(observers: Observer[], topic: string): Set<number> {
  const seqs = new Set<number>();
  for (const o of observers) for (const m of o.messages) if (m.topic === topic) seqs.add(decodeSlotState(m.payload, 0).seq!);
  return seqs;
}

describe('devices: through broker failures (parking broker processes)', function () {
  this.timeout(60_000);
  let primary: BrokerProcess;
  let standby: BrokerProcess;
  const cleanups: Array<() => unknown> = [];

  before(async () => {
    primary = await startBrokerProcess({ role: 'primary' });
    standby = await startBrokerProcess({ role: 'standby', primaryUrl: primary.url });
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    if (!primary.running) await primary.restart();
  });
  after(async () => {
    await Promise.all([primary.stop(), standby.stop()]);
  });

  /** Toggles the sensor `n` times, `everyMs` apart (longer than the debounce), calling `at(i)` first. */
  async function drive(sensor: ManualSensor, n: number, everyMs: number, at: (i: number) => unknown): Promise<void> {
    for (let i = 1; i <= n; i++) {
      await at(i);
      sensor.set(i % 2 === 1);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  async function startDevice(servers: string[], slot: string): Promise<{ device: SlotDevice; sensor: ManualSensor; published: SlotState[] }> {
    const sensor = new ManualSensor();
    const published: SlotState[] = [];
    const device = await startSlotDevice({ servers, lot: 'lot-t', level: 'L1', slot, sensor, debounceMs: 20, link: LINK, onPublish: (s) => published.push(s) });
    cleanups.push(() => device.stop());
    await device.link.waitConnected();
    return { device, sensor, published };
  }

  it('a device publishes through a primary SIGKILL: no state lost, the brokers end current', async () => {
    const observers = [await observe(primary.url, 'parking/lot-t/#'), await observe(standby.url, 'parking/lot-t/#')];
    cleanups.push(() => observers.forEach((o) => o.close()));
    const { device, sensor, published } = await startDevice([primary.url, standby.url], '01');
    const failover = next<[string, string, string, number]>(device.link, 'failover', { timeoutMs: 5000 });
    let killedAt = 0;
    await drive(sensor, 30, 40, async (i) => {
      if (i === 12) {
        killedAt = Date.now();
        await primary.kill('SIGKILL');
      }
    });
    const [, to] = await failover;
    console.log(`      device, primary SIGKILL: failover in ${device.link.stats().lastFailover!.at - killedAt} ms`);
    expect(to).to.equal(standby.url);
    await device.link.flush(5000);
    expect(published).to.have.length(30);
    const seqs = published.map((s) => s.seq!);
    expect(seqs).to.deep.equal(seqs.map((_, i) => seqs[0] + i), 'seq counts up by one');
    await until(() => seqs.every((seq) => seenSeqs(observers, device.publisher.topic).has(seq)), {
      what: () => `lost: ${seqs.filter((seq) => !seenSeqs(observers, device.publisher.topic).has(seq)).join(',')}`,
    });
    const last = published[published.length - 1];
    expect(decodeSlotState(await retained(standby.url, device.publisher.topic), 0)).to.deep.equal(last);
    expect(await retained(standby.url, device.statusTopic)).to.equal('online');

    const back = next(device.link, 'failover', { timeoutMs: 15_000, filter: (_f: string, _t: string, reason: string) => reason === 'failback' });
    await primary.restart();
    await back;
    await device.link.flush(5000);
    expect(decodeSlotState(await retained(primary.url, device.publisher.topic), 0)).to.deep.equal(last);
    expect(await retained(primary.url, device.statusTopic)).to.equal('online');
  });

  it('a device publishes through a silent partition: fails over in under a second, no state lost, moves back when healed', async () => {
    const proxy: LinkProxy = await startLinkProxy({ target: { host: '127.0.0.1', port: primary.port } });
    cleanups.push(() => proxy.close());
    const observers = [await observe(primary.url, 'parking/lot-t/#'), await observe(standby.url, 'parking/lot-t/#')];
    cleanups.push(() => observers.forEach((o) => o.close()));
    const { device, sensor, published } = await startDevice([proxy.url('mqtt'), standby.url], '02');
    const failover = next<[string, string, string, number]>(device.link, 'failover', { timeoutMs: 5000 });
    let partitionedAt = 0;
    await drive(sensor, 30, 40, (i) => {
      if (i === 12) {
        partitionedAt = Date.now();
        proxy.partition();
      }
    });
    const [, to, reason] = await failover;
    const ms = device.link.stats().lastFailover!.at - partitionedAt;
    console.log(`      device, silent partition: failover in ${ms} ms`);
    expect([to, reason]).to.deep.equal([standby.url, 'heartbeat']);
    expect(ms).to.be.below(1000);
    await device.link.flush(5000);
    const seqs = published.map((s) => s.seq!);
    expect(seqs).to.have.length(30);
    await until(() => seqs.every((seq) => seenSeqs(observers, device.publisher.topic).has(seq)), {
      what: () => `lost: ${seqs.filter((seq) => !seenSeqs(observers, device.publisher.topic).has(seq)).join(',')}`,
    });
    const last = published[published.length - 1];
    expect(decodeSlotState(await retained(standby.url, device.publisher.topic), 0)).to.deep.equal(last);

    const back = next(device.link, 'failover', { timeoutMs: 15_000, filter: (_f: string, _t: string, r: string) => r === 'failback' });
    proxy.heal();
    await back;
    sensor.set(true);
    sensor.set(false);
    sensor.set(true);
    await until(() => published.length === 31, { what: () => `${published.length} states published` });
    await device.link.flush(5000);
    const newest = published[published.length - 1];
    expect(decodeSlotState(await retained(primary.url, device.publisher.topic), 0)).to.deep.equal(newest);
    expect(await retained(primary.url, device.statusTopic)).to.equal('online');
  });

  it('gate events are delivered at least once and never lost through a primary SIGKILL; the display is printed', async () => {
    const observers = [await observe(primary.url, 'parking/lot-t/gate/+/event'), await observe(standby.url, 'parking/lot-t/gate/+/event')];
    cleanups.push(() => observers.forEach((o) => o.close()));
    const displays: DisplayMessage[] = [];
    const gate = await startGateDevice({ servers: [primary.url, standby.url], lot: 'lot-t', gate: 'north', link: LINK, onDisplay: (d) => displays.push(d) });
    cleanups.push(() => gate.stop());
    await gate.link.waitConnected();
    const ids: string[] = [];
    for (let i = 1; i <= 60; i++) {
      if (i === 25) await primary.kill('SIGKILL');
      ids.push(gate.reader.event(i % 2 ? 'entry' : 'exit', `B${1000 + Math.ceil(i / 2)}XYZ`).event.eventId);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await gate.link.flush(5000);
    const seen = () => new Set(observers.flatMap((o) => o.messages.map((m) => decodeGateEvent(m.payload, 0).eventId)));
    await until(() => ids.every((id) => seen().has(id)), { what: () => `lost: ${ids.filter((id) => !seen().has(id)).length}` });
    expect(new Set(ids).size).to.equal(60);

    const display = connect(standby.url, { reconnectPeriod: 0 });
    cleanups.push(() => display.end(true));
    await display.publishAsync('parking/lot-t/gate/north/display', JSON.stringify({ carId: 'B1001XYZ', direction: 'entry', text: 'Welcome B1001XYZ' }), { qos: 1 });
    await until(() => displays.length > 0, { what: () => 'a display message' });
    expect(displays[0]).to.deep.include({ kind: 'display' });
  });
});
