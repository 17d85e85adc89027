// The simulated fleet against a broker: everything it publishes decodes with
// the contract codecs, in canonical form, and tells a consistent story.
import { expect } from 'chai';
import { PayloadError, Topics, decodeDeviceStatus, decodeGateEvent, decodeSlotState, encodeGateEvent, encodeSlotState, isNewer, type SlotState } from '../../contract/index.ts';
import { startSimulation, type Simulation } from '../../devices/index.ts';
import { startTestBroker, type Accepted, type TestBroker } from '../link/brokers.ts';
import { until } from '../link/wait.ts';

const topics = new Topics('parking');

/** Decodes every message with the contract codecs; returns the problems found. */
function check(messages: Accepted[], capacity: Record<string, number>): string[] {
  const problems: string[] = [];
  const slots = new Map<string, SlotState>();
  const inside = new Map<string, Set<string>>();
  const eventIds = new Set<string>();
  const occupied = new Map<string, number>();
  for (const m of messages) {
    const t = topics.parse(m.topic);
    const text = m.payload.toString();
    try {
      if (!t) throw new Error('not a contract topic');
      if (t.kind === 'slot') {
        const state = decodeSlotState(m.payload, 0);
        if (encodeSlotState(state) !== text) throw new Error('not canonical');
        if (!m.retain) throw new Error('slot state not retained');
        const key = `${t.lot}/${t.level}/${t.slot}`;
        const before = slots.get(key);
        if (before && !isNewer(state, before) && encodeSlotState(before) !== text) throw new Error('older than the state before it');
        if (before?.status !== state.status) {
          const lot = occupied.get(t.lot) ?? 0;
          occupied.set(t.lot, lot + (state.status === 'occupied' ? 1 : before?.status === 'occupied' ? -1 : 0));
          if (occupied.get(t.lot)! > capacity[t.lot]) throw new Error('more slots occupied than the lot has');
        }
        slots.set(key, state);
      } else if (t.kind === 'gateEvent') {
        const event = decodeGateEvent(m.payload, 0);
        if (encodeGateEvent(event) !== text) throw new Error('not canonical');
        if (m.retain) throw new Error('gate event retained');
        if (eventIds.has(event.eventId)) continue; // a repeat (at least once) is fine
        eventIds.add(event.eventId);
        const cars = inside.get(t.lot) ?? new Set<string>();
        inside.set(t.lot, cars);
        if (event.direction === 'entry') {
          if (cars.has(event.carId)) throw new Error(`${event.carId} entered twice`);
          cars.add(event.carId);
        } else if (!cars.delete(event.carId)) throw new Error(`${event.carId} exits without entering`);
      } else if (t.kind === 'deviceStatus') {
        decodeDeviceStatus(m.payload);
        if (!m.retain) throw new Error('status not retained');
      } else {
        throw new Error(`a simulator does not publish ${t.kind}`);
      }
    } catch (error) {
      problems.push(`${m.topic} ${text}: ${error instanceof PayloadError ? `${error.reason} ` : ''}${(error as Error).message}`);
    }
  }
  return problems;
}

describe('devices: simulated fleet', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  let sim: Simulation | undefined;

  beforeEach(async () => (broker = await startTestBroker()));
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
    await broker.close();
  });

  const events = () => broker.accepted.filter((m) => m.topic.endsWith('/event'));

  it('publishes only what the contract accepts, and a consistent story (one link per lot)', async () => {
    sim = await startSimulation({
      servers: [broker.url],
      lots: 2,
      levels: 2,
      slotsPerLevel: 4,
      gates: 2,
      arrivalsPerMinute: 3000,
      meanStayMs: 300,
      minStayMs: 50,
      driveMs: [10, 40],
      prefill: 0.5,
      seed: 3,
    });
    const s = sim;
    await until(() => events().filter((m) => JSON.parse(m.payload.toString()).direction === 'exit').length >= 20, { timeoutMs: 15_000, what: () => JSON.stringify(s.stats()) });
    await sim.stop();
    const stats = sim.stats();
    expect(stats.queued).to.equal(0);
    expect(stats.lots['sim-1'].turnedAway + stats.lots['sim-2'].turnedAway).to.be.greaterThan(0);
    const problems = check(broker.accepted, { 'sim-1': 8, 'sim-2': 8 });
    expect(problems, problems.slice(0, 5).join('\n')).to.deep.equal([]);
    const slotTopics = new Set(broker.accepted.filter((m) => m.topic.includes('/slot/')).map((m) => m.topic));
    expect(slotTopics.size).to.equal(16);
    expect(broker.accepted.filter((m) => m.topic === 'parking/sim-1/device/sim/status').map((m) => m.payload.toString())).to.deep.equal(['online', 'offline']);
    // Every slot state and gate event the simulation published reached the broker (repeats aside).
    const states = new Set(broker.accepted.filter((m) => m.topic.includes('/slot/')).map((m) => `${topics.parse(m.topic)!.lot}/${decodeSlotState(m.payload, 0).seq}`));
    expect(states.size).to.equal(stats.slotStates);
    expect(new Set(events().map((m) => decodeGateEvent(m.payload, 0).eventId)).size).to.equal(stats.gateEvents);
  });

  it('with one link per slot and gate, every device has its own status and seq', async () => {
    sim = await startSimulation({ servers: [broker.url], lots: 1, levels: 1, slotsPerLevel: 3, gates: 1, links: 'device', arrivalsPerMinute: 1200, meanStayMs: 200, minStayMs: 50, driveMs: [10, 30], seed: 5 });
    expect(sim.links).to.have.length(4);
    const s = sim;
    await until(() => events().length >= 6, { timeoutMs: 15_000, what: () => JSON.stringify(s.stats()) });
    await sim.stop();
    expect(check(broker.accepted, { 'sim-1': 3 })).to.deep.equal([]);
    const statuses = new Set(broker.accepted.filter((m) => m.topic.endsWith('/status')).map((m) => m.topic));
    expect([...statuses].sort()).to.deep.equal(['parking/sim-1/device/sim-1-B1-01/status', 'parking/sim-1/device/sim-1-B1-02/status', 'parking/sim-1/device/sim-1-B1-03/status']);
    const devices = new Set(broker.accepted.filter((m) => m.topic.includes('/slot/')).map((m) => decodeSlotState(m.payload, 0).device));
    expect(devices.size).to.equal(3);
  });
});
