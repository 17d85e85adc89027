// Runs a simulated fleet against real brokers. Links: one per lot by default
// (the lot's simulator is one device `sim` with its own status and Last Will;
// a few connections carry any number of slots), or one per slot and gate
// (`links: 'device'`: every slot and gate is a full device with its own
// connection, status and Last Will, like a lot full of Pis, for load).
import { Topics } from '../../contract/index.ts';
import { FailoverLink, clientIdFor, type LinkOptions } from '../../link/index.ts';
import { announceStatus, startSlotDevice, type DeviceLogger, type SlotDevice } from '../device.ts';
import { GateReader, startGateDevice, type GateDevice } from '../gate.ts';
import { mulberry32 } from '../random.ts';
import { SeqCounter } from '../seq.ts';
import { ManualSensor } from '../sensors/index.ts';
import { SlotPublisher } from '../slot.ts';
import { LotModel, type LotModelStats, type SimAction, type TrafficOptions } from './model.ts';
import { planFleet, type FleetShape, type LotPlan } from './plan.ts';

/** The device id of a lot's simulator when it shares one link (`links: 'lot'`). */
export const LOT_SIMULATOR_DEVICE = 'sim';

export interface SimulationOptions extends FleetShape, TrafficOptions {
  servers: readonly string[];
  /** Topic root (default `parking`). */
  root?: string;
  /** `lot` (default): one link per lot; `device`: one link per slot and gate. */
  links?: 'lot' | 'device';
  /** PRNG seed (default random). */
  seed?: number;
  /** Hold time of simulated sensors, ms (default 0: they do not flap). */
  debounceMs?: number;
  /** Further options of every link (failoverMs, probeIntervalMs, ...). */
  link?: Partial<LinkOptions>;
  logger?: DeviceLogger;
  /** Every action as it is carried out. */
  onAction?: (action: SimAction) => void;
}

export interface SimulationStats {
  lots: Record<string, LotModelStats>;
  slotStates: number;
  gateEvents: number;
  /** Publishes not yet acknowledged, over all links. */
  queued: number;
  failovers: number;
}

export interface Simulation {
  readonly plans: LotPlan[];
  readonly seed: number;
  readonly links: FailoverLink[];
  stats(): SimulationStats;
  /** Resolves once every publish so far was acknowledged. */
  flush(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface LotRuntime {
  model: LotModel;
  publishers: SlotPublisher[];
  slot(level: string, slot: string): SlotPublisher;
  gate(gate: string): GateReader;
  links: FailoverLink[];
  stop(): Promise<void>;
}

async function sharedLot(plan: LotPlan, options: SimulationOptions, topics: Topics, model: LotModel): Promise<LotRuntime> {
  const statusTopic = topics.deviceStatus(plan.lot, LOT_SIMULATOR_DEVICE);
  const link = new FailoverLink({
    liveness: 'ack',
    ...options.link,
    servers: options.servers,
    clientId: options.link?.clientId ?? clientIdFor(plan.lot, 'sim-'),
    will: { topic: statusTopic, payload: 'offline', qos: 1, retain: true },
    logger: options.logger,
  });
  const announcer = announceStatus(link, statusTopic, link.keepaliveSec);
  const seq = await SeqCounter.open();
  const slots = new Map<string, SlotPublisher>();
  for (const level of plan.levels) {
    for (const slot of level.slots) {
      slots.set(`${level.level}/${slot}`, new SlotPublisher({ link, topics, lot: plan.lot, level: level.level, slot, device: LOT_SIMULATOR_DEVICE, seq, debounceMs: options.debounceMs ?? 0 }));
    }
  }
  const gates = new Map(plan.gates.map((gate) => [gate, new GateReader({ link, topics, lot: plan.lot, gate })]));
  link.on('connected', () => {
    for (const publisher of slots.values()) void publisher.republish();
  });
  link.start();
  return {
    model,
    publishers: [...slots.values()],
    slot: (level, slot) => slots.get(`${level}/${slot}`)!,
    gate: (gate) => gates.get(gate)!,
    links: [link],
    async stop() {
      announcer.stop();
      for (const publisher of slots.values()) publisher.stop();
      void link.publish(statusTopic, 'offline', { qos: 1, retain: true });
      await link.close({ drainMs: 2000 });
    },
  };
}

async function deviceLot(plan: LotPlan, options: SimulationOptions, model: LotModel): Promise<LotRuntime> {
  const sensors = new Map<string, ManualSensor>();
  const devices: SlotDevice[] = [];
  const gates = new Map<string, GateDevice>();
  for (const level of plan.levels) {
    for (const slot of level.slots) {
      const sensor = new ManualSensor();
      sensors.set(`${level.level}/${slot}`, sensor);
      devices.push(await startSlotDevice({ servers: options.servers, root: options.root, lot: plan.lot, level: level.level, slot, sensor, debounceMs: options.debounceMs ?? 0, link: options.link, logger: options.logger }));
    }
  }
  for (const gate of plan.gates) {
    gates.set(gate, await startGateDevice({ servers: options.servers, root: options.root, lot: plan.lot, gate, link: options.link, logger: options.logger }));
  }
  const byKey = new Map(devices.map((d) => [`${d.publisher.topic}`, d]));
  const topics = new Topics(options.root);
  return {
    model,
    publishers: devices.map((d) => d.publisher),
    slot: (level, slot) => byKey.get(topics.slot(plan.lot, level, slot))!.publisher,
    gate: (gate) => gates.get(gate)!.reader,
    links: [...devices.map((d) => d.link), ...[...gates.values()].map((g) => g.link)],
    async stop() {
      await Promise.all([...devices.map((d) => d.stop()), ...[...gates.values()].map((g) => g.stop())]);
    },
  };
}

export async function startSimulation(options: SimulationOptions): Promise<Simulation> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const random = mulberry32(seed);
  const plans = planFleet(options);
  const topics = new Topics(options.root);
  const start = Date.now();
  const lots: LotRuntime[] = [];
  let gateEvents = 0;
  for (const plan of plans) {
    const model = new LotModel(plan, options, random, start);
    lots.push(options.links === 'device' ? await deviceLot(plan, options, model) : await sharedLot(plan, options, topics, model));
  }
  // Every slot starts free, so the lot's picture is complete from the start.
  for (const lot of lots) {
    for (const level of lot.model.plan.levels) for (const slot of level.slots) lot.slot(level.level, slot).reading(false, start);
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const carryOut = (lot: LotRuntime, action: SimAction) => {
    options.onAction?.(action);
    if (action.kind === 'slot') {
      lot.slot(action.level, action.slot).reading(action.occupied, action.at);
    } else {
      lot.gate(action.gate).event(action.direction, action.carId);
      gateEvents += 1;
    }
  };
  const tick = () => {
    timer = undefined;
    if (stopped) return;
    const now = Date.now();
    for (const lot of lots) for (const action of lot.model.advance(now)) carryOut(lot, action);
    const due = lots.map((lot) => lot.model.nextDue()).filter((at): at is number => at !== undefined);
    if (due.length) timer = setTimeout(tick, Math.max(0, Math.min(...due) - Date.now()));
  };
  tick();

  const allLinks = () => lots.flatMap((lot) => lot.links);
  return {
    plans,
    seed,
    get links() {
      return allLinks();
    },
    stats() {
      const stats = allLinks().map((link) => link.stats());
      return {
        lots: Object.fromEntries(lots.map((lot) => [lot.model.plan.lot, lot.model.stats()])),
        slotStates: lots.reduce((sum, lot) => sum + lot.publishers.reduce((n, p) => n + p.published, 0), 0),
        gateEvents,
        queued: stats.reduce((sum, s) => sum + s.queued, 0),
        failovers: stats.reduce((sum, s) => sum + s.failovers, 0),
      };
    },
    async flush(timeoutMs = 10_000) {
      await Promise.all(allLinks().map((link) => link.flush(timeoutMs)));
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.all(lots.map((lot) => lot.stop()));
    },
  };
}

