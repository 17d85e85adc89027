// A fleet process of the fleet drill (`parking fleet`): `count` device links,
// each a real device link (ack liveness, Last Will, online status), each
// publishing its slot's state every `periodMs` (random phase). It answers
// the drill on stdin/stdout (one JSON object per line):
//
// in:  {"cmd":"burst","at":<epoch ms>}  every device publishes at that time
//      {"cmd":"pause"} / {"cmd":"resume"} the periodic publishes
//      {"cmd":"report"}                   flushes, then prints the report
// out: {"ready":n}                        every device connected
//      {"stats":{...}}                    every `statsMs`
//      {"report":{...}}
import { Topics, encodeSlotState } from '../../contract/index.ts';
import { announceStatus } from '../../devices/index.ts';
import { FailoverLink, type LinkOptions } from '../../link/index.ts';
import { FLEET_LOT, fleetDevice, fleetToken, type FleetDevice } from './devices.ts';

export interface FleetWorkerOptions {
  servers: readonly string[];
  /** Devices first..first+count-1. */
  first: number;
  count: number;
  periodMs: number;
  /** Devices connected per second at start (a site powering up is spread too). */
  connectRate: number;
  /** With per-device accounts: the secret their tokens derive from. */
  tokenSecret?: string;
  statsMs?: number;
  link?: Partial<LinkOptions>;
  write: (line: string) => void;
}

interface Member {
  spec: FleetDevice;
  link: FailoverLink;
  topic: string;
  seq: number;
  status: 'free' | 'occupied';
  timer?: ReturnType<typeof setTimeout>;
  burst?: { at: number; ackMs?: number; standbyMs?: number };
  /** When it was back on the primary after the latest burst. */
  backAt?: number;
}

export interface FleetStats {
  devices: number;
  primary: number;
  standby: number;
  down: number;
  /** Links holding a spare connection to the standby (see LinkOptions.spare). */
  spares: number;
  failovers: number;
  failbacks: number;
  /** Moves back to the primary that failed (LinkStats.failedReturns). */
  failedReturns: number;
  queued: number;
  published: number;
  acked: number;
}

/** Every count at zero: what a fleet's stats are summed into. */
export function emptyFleetStats(devices = 0): FleetStats {
  return { devices, primary: 0, standby: 0, down: 0, spares: 0, failovers: 0, failbacks: 0, failedReturns: 0, queued: 0, published: 0, acked: 0 };
}

export interface FleetReport {
  first: number;
  count: number;
  /** Per device: ms from the burst to its publish acknowledged (null: not acknowledged). */
  burstAckMs: Array<number | null>;
  /** Per device: ms from the burst to being on the standby (null: it did not move). */
  standbyMs: Array<number | null>;
  /** Per device: when it was back on the primary (epoch ms; null: not back). */
  backAt: Array<number | null>;
  /** Per device: the last seq it published (all acknowledged). */
  lastSeq: number[];
  unacked: number;
  stats: FleetStats;
}

export class FleetWorker {
  private readonly members: Member[] = [];
  private readonly topics = new Topics('parking');
  private paused = false;
  private statsTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly o: FleetWorkerOptions) {}

  async start(): Promise<void> {
    const gap = 1000 / Math.max(1, this.o.connectRate);
    for (let i = 0; i < this.o.count; i += 1) {
      this.members.push(this.member(fleetDevice(this.o.first + i)));
      if (gap >= 1 || i % Math.round(1 / gap) === 0) await new Promise((resolve) => setTimeout(resolve, Math.max(1, gap)));
    }
    // Stats from the start: a fleet slow to come up shows how far it got.
    this.statsTimer = setInterval(() => this.o.write(JSON.stringify(this.tally())), this.o.statsMs ?? 500);
    await new Promise<void>((resolve) => {
      const check = () => (this.members.every((m) => m.link.connected) ? resolve() : setTimeout(check, 100));
      check();
    });
    for (const m of this.members) this.schedule(m, Math.random() * this.o.periodMs);
    this.o.write(JSON.stringify({ ready: this.members.length }));
  }

  private member(spec: FleetDevice): Member {
    const statusTopic = this.topics.deviceStatus(FLEET_LOT, spec.device);
    const link = new FailoverLink({
      liveness: 'ack',
      ...this.o.link,
      servers: this.o.servers,
      clientId: spec.clientId,
      will: { topic: statusTopic, payload: 'offline', qos: 1, retain: true },
      ...(this.o.tokenSecret ? { mqtt: { username: spec.device, password: fleetToken(this.o.tokenSecret, spec.device) } } : {}),
    });
    const m: Member = { spec, link, topic: this.topics.slot(FLEET_LOT, spec.level, spec.slot), seq: 0, status: 'free' };
    link.on('failover', (_from, to, reason) => {
      const now = Date.now();
      if (reason === 'failback') m.backAt = now;
      else if (to !== this.o.servers[0] && m.burst && m.burst.standbyMs === undefined) m.burst.standbyMs = now - m.burst.at;
    });
    announceStatus(link, statusTopic, link.keepaliveSec);
    link.start();
    return m;
  }

  private schedule(m: Member, inMs: number): void {
    clearTimeout(m.timer);
    m.timer = setTimeout(() => {
      if (!this.paused) void this.publish(m);
      this.schedule(m, this.o.periodMs);
    }, inMs);
  }

  private publish(m: Member): Promise<void> {
    m.seq += 1;
    m.status = m.status === 'free' ? 'occupied' : 'free';
    const payload = encodeSlotState({ status: m.status, ts: Date.now(), seq: m.seq, device: m.spec.device });
    return m.link.publish(m.topic, payload, { qos: 1, retain: true });
  }

  /** Every device publishes at `at`; the time to each acknowledgement is recorded. */
  burst(at: number): void {
    const wait = Math.max(0, at - Date.now());
    setTimeout(() => {
      for (const m of this.members) {
        const burst: NonNullable<Member['burst']> = { at };
        m.burst = burst;
        m.backAt = undefined;
        this.publish(m).then(
          () => (burst.ackMs = Date.now() - at),
          () => undefined,
        );
      }
    }, wait);
  }

  pause(on: boolean): void {
    this.paused = on;
  }

  stats(): FleetStats {
    return this.tally().stats;
  }

  /**
   * One pass over the links: the stats, and of the links not on the primary how many last failed
   * to move back for each reason (numbers left out), or never tried.
   */
  private tally(): { stats: FleetStats; notBack: Record<string, number> } {
    const out = emptyFleetStats(this.members.length);
    const notBack: Record<string, number> = {};
    for (const { link } of this.members) {
      // Not link.stats(): twice a second over thousands of links, building it all cost the storm 7 % of this process.
      const { counts, queued, spareUp, lastReturnError } = link.totals;
      const role = link.connected ? link.role : undefined;
      if (!role) out.down += 1;
      else if (role === 'primary') out.primary += 1;
      else out.standby += 1;
      if (role !== 'primary') {
        const reason = lastReturnError?.replace(/\d+/g, 'N') ?? 'no failed return';
        notBack[reason] = (notBack[reason] ?? 0) + 1;
      }
      if (spareUp) out.spares += 1;
      out.failovers += counts.failovers;
      out.failbacks += counts.failbacks;
      out.failedReturns += counts.failedReturns;
      out.queued += queued;
      out.published += counts.published;
      out.acked += counts.acked;
    }
    return { stats: out, notBack };
  }

  /** Waits (up to `timeoutMs`) for every publish to be acknowledged, then reports. */
  async report(timeoutMs: number): Promise<FleetReport> {
    await Promise.all(this.members.map((m) => m.link.flush(timeoutMs).catch(() => undefined)));
    return {
      first: this.o.first,
      count: this.members.length,
      burstAckMs: this.members.map((m) => m.burst?.ackMs ?? null),
      standbyMs: this.members.map((m) => m.burst?.standbyMs ?? null),
      backAt: this.members.map((m) => m.backAt ?? null),
      lastSeq: this.members.map((m) => m.seq),
      unacked: this.members.reduce((n, m) => n + m.link.stats().queued, 0),
      stats: this.stats(),
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.statsTimer);
    for (const m of this.members) clearTimeout(m.timer);
    await Promise.all(this.members.map((m) => m.link.close({ drainMs: 1000 })));
  }

  /** One command line from the drill. */
  async command(line: string): Promise<void> {
    let msg: { cmd?: string; at?: number; timeoutMs?: number };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      this.o.write(JSON.stringify({ error: `not JSON: ${line.slice(0, 80)}` }));
      return;
    }
    switch (msg.cmd) {
      case 'burst':
        return this.burst(Number(msg.at));
      case 'pause':
        return this.pause(true);
      case 'resume':
        return this.pause(false);
      case 'report':
        this.o.write(JSON.stringify({ report: await this.report(msg.timeoutMs ?? 30_000) }));
        return;
      default:
        this.o.write(JSON.stringify({ error: `unknown command ${String(msg.cmd)}` }));
    }
  }
}
