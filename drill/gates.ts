// The drill's gate: a gate reader on the field side (a failover link through the
// link proxies, like the devices) that sends a steady stream of entries and exits
// to the charging flow and times each display. After a run it checks MongoDB:
// every event recorded once, every car's session charged once with the fee its
// exit display showed.
import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { Topics } from '../contract/index.ts';
import { connectLink, type FailoverLink } from '../link/index.ts';
import { bounded } from '../mongo/index.ts';
import { percentile } from './stats.ts';
import { DRILL_FAILBACK_WINDOW_MS, DRILL_LOT, DRILL_SPARE_DELAY_MS } from './traffic.ts';
import { waitFor } from './wait.ts';

export const DRILL_GATE = 'drill-gate';
const MINUTE = 60_000;

interface SentEvent {
  eventId: string;
  carId: string;
  direction: 'entry' | 'exit';
  sentAt: number;
  shownAt?: number;
  fee?: number;
}

export interface GateOptions {
  servers: readonly [string, string];
  /** Events a second (entries and exits alternate). */
  rate: number;
  failoverMs: number;
  primaryProbeMs: number;
  now: () => number;
}

export interface GateStats {
  /** Events sent in the window. */
  sent: number;
  /** Of those, answered on the display. */
  answered: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export class GateTraffic {
  private readonly topics = new Topics('parking');
  private link?: FailoverLink;
  private readonly events: SentEvent[] = [];
  /** The event waiting for its display, by car and direction. */
  private readonly waiting = new Map<string, SentEvent>();
  private timer?: NodeJS.Timeout;
  private cars = 0;
  private readonly runId = randomUUID().slice(0, 8);

  constructor(private readonly o: GateOptions) {}

  async start(timeoutMs: number): Promise<void> {
    const link = connectLink({ liveness: 'ack', failbackWindowMs: DRILL_FAILBACK_WINDOW_MS, spareDelayMs: DRILL_SPARE_DELAY_MS, servers: this.o.servers, clientId: `drill-gate-${process.pid}`, failoverMs: this.o.failoverMs, probeIntervalMs: this.o.primaryProbeMs });
    this.link = link;
    link.on('message', (topic, payload) => this.onDisplay(topic, payload));
    await waitFor(() => link.connected, { timeoutMs, what: 'the drill gate connected', on: [[link, 'connected']], pollMs: 50 });
    await link.subscribe([this.topics.gateDisplay(DRILL_LOT, DRILL_GATE)], 1);
  }

  /** One car every two events: its entry, then its exit (timed an hour or more later, so it pays). */
  startDriving(): void {
    if (this.timer) return;
    let entryTs = 0;
    let car = '';
    let next: 'entry' | 'exit' = 'entry';
    this.timer = setInterval(() => {
      if (next === 'entry') {
        this.cars += 1;
        car = `DRL${this.runId}${String(this.cars).padStart(5, '0')}`.toUpperCase();
        entryTs = Date.now();
        this.send(car, 'entry', entryTs);
        next = 'exit';
      } else {
        this.send(car, 'exit', entryTs + (61 + (this.cars % 180)) * MINUTE);
        next = 'entry';
      }
    }, 1000 / this.o.rate);
  }

  stopDriving(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private send(carId: string, direction: 'entry' | 'exit', ts: number): void {
    const ev: SentEvent = { eventId: randomUUID(), carId, direction, sentAt: this.o.now() };
    this.events.push(ev);
    this.waiting.set(`${carId}/${direction}`, ev);
    const payload = JSON.stringify({ eventId: ev.eventId, direction, carId, ts });
    void this.link?.publish(this.topics.gateEvent(DRILL_LOT, DRILL_GATE), payload, { qos: 1, retain: false }).catch(() => undefined);
  }

  private onDisplay(topic: string, payload: Buffer): void {
    if (topic !== this.topics.gateDisplay(DRILL_LOT, DRILL_GATE)) return;
    let body: { carId?: unknown; direction?: unknown; fee?: unknown };
    try {
      body = JSON.parse(payload.toString('utf8')) as typeof body;
    } catch {
      return;
    }
    const key = `${String(body.carId)}/${String(body.direction)}`;
    const ev = this.waiting.get(key);
    if (!ev) return;
    this.waiting.delete(key);
    ev.shownAt = this.o.now();
    if (typeof body.fee === 'number') ev.fee = body.fee;
  }

  /** Gate figures for the events sent in [from, to). */
  stats(from: number, to: number): GateStats {
    const sent = this.events.filter((e) => e.sentAt >= from && e.sentAt < to);
    const waits = sent.filter((e) => e.shownAt !== undefined).map((e) => e.shownAt! - e.sentAt).sort((a, b) => a - b);
    return { sent: sent.length, answered: waits.length, p50Ms: percentile(waits, 50), p99Ms: percentile(waits, 99), maxMs: waits.length ? waits[waits.length - 1] : null };
  }

  /**
   * Waits (up to `timeoutMs`) until MongoDB holds every event sent in [from, to), then
   * checks each car of the window: one session, charged once, with the fee its exit display
   * showed. Returns the problems found (empty: all well).
   */
  async verify(db: Db, from: number, to: number, timeoutMs: number, signal?: AbortSignal): Promise<string[]> {
    const sent = this.events.filter((e) => e.sentAt >= from && e.sentAt < to);
    if (sent.length === 0) return [];
    const ids = sent.map((e) => e.eventId);
    const gateEvents = db.collection<{ eventId: string; appliedAt: Date | null }>('gateEvents');
    let applied = 0;
    const deadline = this.o.now() + timeoutMs;
    while (!signal?.aborted) {
      applied = await bounded('gate event count', 5000, (s) => gateEvents.countDocuments({ eventId: { $in: ids }, appliedAt: { $ne: null } }, { signal: s })).catch(() => applied);
      if (applied === ids.length || this.o.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const problems: string[] = [];
    if (applied < ids.length) problems.push(`${ids.length - applied} of ${ids.length} gate events not applied in MongoDB within ${timeoutMs} ms`);
    const recorded = await bounded('gate event count', 5000, (s) => gateEvents.countDocuments({ eventId: { $in: ids } }, { signal: s }));
    if (recorded !== ids.length) problems.push(`${recorded} gate events recorded for ${ids.length} sent`);
    const cars = [...new Set(sent.map((e) => e.carId))];
    const sessions = await bounded('sessions read', 5000, (s) => db.collection<{ carId: string; status: string; fee: number | null }>('sessions').find({ lot: DRILL_LOT, carId: { $in: cars } }, { signal: s }).toArray());
    for (const car of cars) {
      const mine = sessions.filter((s) => s.carId === car);
      const exit = this.events.find((e) => e.carId === car && e.direction === 'exit');
      const closed = mine.filter((s) => s.status === 'closed');
      if (mine.length !== 1) problems.push(`${car}: ${mine.length} sessions (${mine.map((s) => s.status).join(', ')})`);
      else if (exit && closed.length !== 1 && exit.sentAt < to) problems.push(`${car}: exit not closed (${mine[0].status})`);
      else if (exit?.fee !== undefined && closed[0] && closed[0].fee !== exit.fee) problems.push(`${car}: charged ${closed[0].fee}, the display showed ${exit.fee}`);
    }
    return problems.slice(0, 20);
  }

  async close(): Promise<void> {
    this.stopDriving();
    await this.link?.close();
  }
}
