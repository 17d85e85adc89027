// The drill's own traffic: measuring devices (failover links through the
// link proxies, publishing slot states with seq at a steady rate), a marker
// device whose state changes at each fault, and one observer on each broker
// (direct, not through a proxy) that sees what was delivered. Every message
// goes into the ledger.
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { Topics } from '../contract/index.ts';
import { connectLink, type FailoverLink } from '../link/index.ts';
import { Ledger, RecoveryWatch, type Via } from './ledger.ts';
import { waitFor } from './wait.ts';

export const DRILL_LOT = 'drill';
/** The measuring devices return to the primary within this window (not 10 s: the drill's runs follow each other). */
export const DRILL_FAILBACK_WINDOW_MS = 1000;
/**
 * The drill's links open their spare within this after each return to the primary (the
 * default is 10 s). Each broker fault starts once every measuring device holds its spare, as
 * a device does in service: this only shortens the wait between runs, never a measured time.
 */
export const DRILL_SPARE_DELAY_MS = 1000;
/** Level of the measuring devices' slots. */
export const MEASURE_LEVEL = 'M';
/** Level of the marker slot: its free count (0 or 1) shows the marker's state. */
export const MARKER_LEVEL = 'V';
export const MARKER_SLOT = 'mark';
export const MARKER_DEVICE = 'drill-mark';

export interface TrafficOptions {
  /** The link proxies in front of the brokers, primary first. */
  servers: readonly [string, string];
  /** The brokers themselves, primary first: where the observers subscribe. */
  brokers: readonly [string, string];
  devices: number;
  ratePerDevice: number;
  failoverMs: number;
  primaryProbeMs: number;
  root?: string;
  now: () => number;
}

interface Device {
  id: string;
  slot: string;
  link: FailoverLink;
  seq: number;
  timer?: ReturnType<typeof setTimeout>;
  /** When its next publish is due (Date.now() clock). */
  nextAt?: number;
}

interface Observer {
  name: Via;
  client: MqttClient;
}

interface AvailabilityWaiter {
  expected: string;
  after: number;
  resolve: (at: number) => void;
}

export interface MarkerChange {
  seq: number;
  status: 'free' | 'occupied';
  /** The marker level's free count once ingest applied it. */
  expected: string;
  slotId: string;
}

export class Traffic extends EventEmitter<{ change: [] }> {
  readonly ledger = new Ledger();
  private readonly topics: Topics;
  private readonly devices: Device[] = [];
  private marker!: { link: FailoverLink; seq: number; status: 'free' | 'occupied' };
  private readonly observers: Observer[] = [];
  private readonly waiters = new Set<AvailabilityWaiter>();
  private watch: RecoveryWatch | undefined;
  /** The marker level's free count as the observers last saw it. */
  private shown: string | undefined;
  private failovers = 0;
  private publishing = false;

  constructor(private readonly options: TrafficOptions) {
    super();
    this.topics = new Topics(options.root ?? 'parking');
  }

  private linkFor(device: string, clientId: string): FailoverLink {
    const link = connectLink({ liveness: 'ack', failbackWindowMs: DRILL_FAILBACK_WINDOW_MS, spareDelayMs: DRILL_SPARE_DELAY_MS, servers: this.options.servers, clientId, failoverMs: this.options.failoverMs, probeIntervalMs: this.options.primaryProbeMs });
    link.on('failover', (_from, to, reason) => {
      if (reason !== 'failback') this.failovers += 1;
      if (reason !== 'failback' && to === this.options.servers[1]) this.watch?.linkReady(device, this.options.now());
      this.emit('change');
    });
    link.on('connected', () => this.emit('change'));
    link.on('disconnected', () => {
      this.watch?.linkLost(device, this.options.now());
      this.emit('change');
    });
    return link;
  }

  /** Connects the observers and the devices; resolves once all are connected. */
  async start(timeoutMs: number): Promise<void> {
    this.options.brokers.forEach((url, i) => this.observers.push(this.observe(url, i === 0 ? 'primary' : 'standby')));
    for (let i = 1; i <= this.options.devices; i += 1) {
      const n = String(i).padStart(2, '0');
      this.devices.push({ id: `drill-${n}`, slot: `d${n}`, link: this.linkFor(`drill-${n}`, `drill-${process.pid}-${n}`), seq: 0 });
    }
    this.marker = { link: this.linkFor(MARKER_DEVICE, `drill-${process.pid}-mark`), seq: 0, status: 'occupied' };
    await waitFor(() => this.allConnected(), { timeoutMs, what: 'the drill devices and observers connected', on: [[this, 'change']], pollMs: 50 });
  }

  private observe(url: string, name: Via): Observer {
    const client = mqtt.connect(url, { clientId: `drill-obs-${name}-${process.pid}`, reconnectPeriod: 100, connectTimeout: 2000, clean: true, protocolVersion: 4 });
    const filters = [this.topics.slot(DRILL_LOT, MEASURE_LEVEL, '+'), this.topics.slot(DRILL_LOT, MARKER_LEVEL, MARKER_SLOT), this.topics.levelAvailability(DRILL_LOT, MARKER_LEVEL)];
    client.on('connect', () => {
      client.subscribe(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])), () => this.emit('change'));
    });
    client.on('close', () => this.emit('change'));
    client.on('error', () => undefined);
    const markerTopic = this.topics.levelAvailability(DRILL_LOT, MARKER_LEVEL);
    client.on('message', (topic, payload, packet) => {
      const at = this.options.now();
      if (topic === markerTopic) {
        const value = payload.toString('utf8');
        this.shown = value;
        if (packet.retain) return;
        for (const waiter of [...this.waiters]) {
          if (value === waiter.expected && at >= waiter.after) {
            this.waiters.delete(waiter);
            waiter.resolve(at);
          }
        }
        return;
      }
      let body: { device?: unknown; seq?: unknown };
      try {
        body = JSON.parse(payload.toString('utf8')) as typeof body;
      } catch {
        return;
      }
      if (typeof body.device === 'string' && typeof body.seq === 'number') this.ledger.seen(name, body.device, body.seq, at, packet.retain);
    });
    return { name, client };
  }

  private allConnected(): boolean {
    return this.observers.every((o) => o.client.connected) && this.devices.every((d) => d.link.connected) && this.marker.link.connected;
  }

  /** Every device and the marker on the primary, both observers connected. */
  allOnPrimary(): boolean {
    return this.allConnected() && [...this.devices.map((d) => d.link), this.marker.link].every((link) => link.role === 'primary');
  }

  /** Every measuring device and the marker hold their spare connection to the standby. */
  sparesUp(): boolean {
    return [...this.devices.map((d) => d.link), this.marker.link].every((link) => link.stats().spare === 'up');
  }

  /** Devices connected to the primary now. */
  onPrimary(): Set<string> {
    return new Set(this.devices.filter((d) => d.link.connected && d.link.role === 'primary').map((d) => d.id));
  }

  /** Broker switches that were not a return to the primary, since start. */
  get failoverCount(): number {
    return this.failovers;
  }

  /**
   * Starts the steady traffic: each device publishes `ratePerDevice` slot states a second,
   * staggered, on a fixed schedule: a late timer catches up instead of slowing the rate, so
   * the rate sent is the same in every window and a change in the delivered rate is the
   * platform's.
   */
  startPublishing(): void {
    if (this.publishing) return;
    this.publishing = true;
    const interval = 1000 / this.options.ratePerDevice;
    const start = Date.now();
    this.devices.forEach((device, i) => {
      device.nextAt = start + (i * interval) / this.devices.length;
      this.schedule(device, interval);
    });
  }

  private schedule(device: Device, interval: number): void {
    if (!this.publishing || device.nextAt === undefined) return;
    device.timer = setTimeout(() => {
      const now = Date.now();
      while (this.publishing && device.nextAt! <= now) {
        this.publish(device);
        device.nextAt! += interval;
      }
      this.schedule(device, interval);
    }, Math.max(0, device.nextAt - Date.now()));
  }

  stopPublishing(): void {
    this.publishing = false;
    for (const device of this.devices) {
      clearTimeout(device.timer);
      device.nextAt = undefined;
    }
  }

  private publish(device: Device): void {
    device.seq += 1;
    const seq = device.seq;
    const topic = this.topics.slot(DRILL_LOT, MEASURE_LEVEL, device.slot);
    const payload = JSON.stringify({ status: seq % 2 ? 'occupied' : 'free', ts: Date.now(), seq, device: device.id });
    // The device's link queues it even while no broker is reachable; its acknowledgement comes later.
    this.ledger.sent(device.id, seq, Buffer.byteLength(topic) + Buffer.byteLength(payload), this.options.now(), this.via(device.link.url));
    device.link.publishAcked(topic, payload, { qos: 1, retain: true }).then(
      (url) => {
        const at = this.options.now();
        this.ledger.acked(device.id, seq, at, this.via(url) ?? 'primary');
        if (this.watch) this.emit('change');
      },
      () => undefined,
    );
  }

  /** Which broker a link URL leads to (undefined: none). */
  private via(url: string | undefined): Via | undefined {
    return url === undefined ? undefined : url === this.options.servers[1] ? 'standby' : 'primary';
  }

  /** From now on, acknowledgements feed a recovery watch for a fault at `faultAt`. */
  watchRecovery(faultAt: number, blocked: ReadonlySet<string>): RecoveryWatch {
    this.watch = new RecoveryWatch(this.ledger, faultAt, blocked);
    return this.watch;
  }

  /**
   * Changes the marker slot (retained, QoS 1) to the opposite of what the availability topic
   * shows now, so the change shows there even when an earlier marker state was lost. The
   * publish is counted like every other message and not awaited.
   */
  flipMarker(): MarkerChange {
    const m = this.marker;
    m.seq += 1;
    m.status = this.shown === '1' ? 'occupied' : this.shown === '0' ? 'free' : m.status === 'free' ? 'occupied' : 'free';
    const topic = this.topics.slot(DRILL_LOT, MARKER_LEVEL, MARKER_SLOT);
    const payload = JSON.stringify({ status: m.status, ts: Date.now(), seq: m.seq, device: MARKER_DEVICE });
    const seq = m.seq;
    this.ledger.sent(MARKER_DEVICE, seq, Buffer.byteLength(topic) + Buffer.byteLength(payload), this.options.now(), this.via(m.link.url));
    m.link.publishAcked(topic, payload, { qos: 1, retain: true }).then(
      (url) => this.ledger.acked(MARKER_DEVICE, seq, this.options.now(), this.via(url) ?? 'primary'),
      () => undefined,
    );
    return { seq: m.seq, status: m.status, expected: m.status === 'free' ? '1' : '0', slotId: `${DRILL_LOT}/${MARKER_LEVEL}/${MARKER_SLOT}` };
  }

  /** Resolves with the time an observer got `expected` live on the marker's availability topic at or after `after`. */
  availabilitySeen(expected: string, after: number): { promise: Promise<number>; cancel: () => void } {
    let waiter!: AvailabilityWaiter;
    const promise = new Promise<number>((resolve) => {
      waiter = { expected, after, resolve };
      this.waiters.add(waiter);
    });
    return { promise, cancel: () => this.waiters.delete(waiter) };
  }

  async close(): Promise<void> {
    this.stopPublishing();
    await Promise.allSettled([...this.devices.map((d) => d.link.close()), this.marker?.link.close()]);
    await Promise.allSettled(this.observers.map((o) => o.client.endAsync(true)));
  }
}
