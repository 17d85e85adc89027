// Cars in one lot, in virtual time: they arrive (Poisson), pass an entry
// gate, drive to a free slot, stay (exponential), drive back and pass an exit
// gate. A car that finds the lot full turns away without an event. Pure: the
// caller advances time and gets the gate and slot actions that fell due.
import { exponential, pick, uniform } from '../random.ts';
import { capacityOf, type LotPlan } from './plan.ts';

export interface TrafficOptions {
  /** Cars arriving per minute (default 6). */
  arrivalsPerMinute?: number;
  /** Mean stay, ms (default 5 minutes). */
  meanStayMs?: number;
  /** Shortest stay, ms (default 5 s). */
  minStayMs?: number;
  /** Driving between gate and slot, ms (default 2000-8000). */
  driveMs?: readonly [min: number, max: number];
  /** Share of the slots taken by cars arriving at the start (default 0). */
  prefill?: number;
}

export type SimAction =
  | { kind: 'slot'; at: number; lot: string; level: string; slot: string; occupied: boolean }
  | { kind: 'gate'; at: number; lot: string; gate: string; direction: 'entry' | 'exit'; carId: string };

interface Timed {
  at: number;
  order: number;
  run: () => void;
}

const REGIONS = ['B', 'D', 'F', 'L', 'N', 'AB', 'AD', 'DK', 'KT'];
const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';

/** An Indonesian-style plate without spaces, e.g. `B1234XYZ` (fits the contract's car id). */
export function randomPlate(random: () => number): string {
  const suffix = Array.from({ length: 1 + Math.floor(random() * 3) }, () => LETTERS[Math.floor(random() * LETTERS.length)]).join('');
  return `${pick(random, REGIONS)}${1 + Math.floor(random() * 9999)}${suffix}`;
}

export interface LotModelStats {
  arrived: number;
  turnedAway: number;
  entries: number;
  exits: number;
  /** Cars inside (between entry and exit). */
  inside: number;
  /** Slots taken or reserved by a car driving to them. */
  taken: number;
}

export class LotModel {
  private readonly queue: Timed[] = [];
  private order = 0;
  private readonly free: Array<[level: string, slot: string]>;
  private readonly inside = new Set<string>();
  private readonly stats_ = { arrived: 0, turnedAway: 0, entries: 0, exits: 0 };
  private readonly out: SimAction[] = [];
  private readonly ratePerMs: number;
  private readonly meanStayMs: number;
  private readonly minStayMs: number;
  private readonly drive: readonly [number, number];

  constructor(
    readonly plan: LotPlan,
    traffic: TrafficOptions,
    private readonly random: () => number,
    start: number,
  ) {
    this.free = plan.levels.flatMap((level) => level.slots.map((slot) => [level.level, slot] as [string, string]));
    this.ratePerMs = (traffic.arrivalsPerMinute ?? 6) / 60_000;
    this.meanStayMs = traffic.meanStayMs ?? 300_000;
    this.minStayMs = traffic.minStayMs ?? 5_000;
    this.drive = traffic.driveMs ?? [2000, 8000];
    const prefill = Math.round(Math.min(1, Math.max(0, traffic.prefill ?? 0)) * capacityOf(plan));
    for (let i = 0; i < prefill; i++) this.at(start + i * 20, () => this.arrive(start + i * 20));
    if (this.ratePerMs > 0) this.scheduleArrival(start);
  }

  /** When the next action falls due (undefined: never). */
  nextDue(): number | undefined {
    return this.queue[0]?.at;
  }

  /** Runs everything due up to `now`; returns the gate and slot actions in time order. */
  advance(now: number): SimAction[] {
    while (this.queue.length && this.queue[0].at <= now) {
      const item = this.queue.shift()!;
      item.run();
    }
    return this.out.splice(0);
  }

  stats(): LotModelStats {
    return { ...this.stats_, inside: this.inside.size, taken: capacityOf(this.plan) - this.free.length };
  }

  private at(when: number, run: () => void): void {
    const item = { at: when, order: this.order++, run };
    // Binary search keeps the queue ordered by time, then by insertion.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const q = this.queue[mid];
      if (q.at < item.at || (q.at === item.at && q.order < item.order)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, item);
  }

  private scheduleArrival(now: number): void {
    const next = now + Math.max(1, exponential(this.random, 1 / this.ratePerMs));
    this.at(next, () => {
      this.arrive(next);
      this.scheduleArrival(next);
    });
  }

  private gate(): string | undefined {
    return this.plan.gates.length ? pick(this.random, this.plan.gates) : undefined;
  }

  private driveTime(): number {
    return uniform(this.random, this.drive[0], this.drive[1]);
  }

  private newCar(): string {
    for (;;) {
      const plate = randomPlate(this.random);
      if (!this.inside.has(plate)) return plate;
    }
  }

  private arrive(now: number): void {
    this.stats_.arrived += 1;
    if (this.free.length === 0) {
      this.stats_.turnedAway += 1;
      return;
    }
    const carId = this.newCar();
    const [level, slot] = this.free.splice(Math.floor(this.random() * this.free.length), 1)[0];
    this.inside.add(carId);
    const lot = this.plan.lot;
    const entryGate = this.gate();
    if (entryGate) {
      this.stats_.entries += 1;
      this.out.push({ kind: 'gate', at: now, lot, gate: entryGate, direction: 'entry', carId });
    }
    const parked = now + this.driveTime();
    this.at(parked, () => {
      this.out.push({ kind: 'slot', at: parked, lot, level, slot, occupied: true });
      const leaves = parked + Math.max(this.minStayMs, exponential(this.random, this.meanStayMs));
      this.at(leaves, () => {
        this.out.push({ kind: 'slot', at: leaves, lot, level, slot, occupied: false });
        this.free.push([level, slot]);
        const exits = leaves + this.driveTime();
        this.at(exits, () => {
          const exitGate = this.gate();
          if (exitGate) {
            this.stats_.exits += 1;
            this.out.push({ kind: 'gate', at: exits, lot, gate: exitGate, direction: 'exit', carId });
          }
          this.inside.delete(carId);
        });
      });
    });
  }
}
