// The simulated slots a load publishes to: lots × levels × slots, each
// toggling between free and occupied with a growing seq, visited in a
// scattered order so consecutive updates hit different lots and levels.
import { Topics, encodeSlotState, type SlotStatus } from '../contract/index.ts';

export interface FleetShape {
  lots: number;
  levels: number;
  slotsPerLevel: number;
}

export interface SlotMessage {
  /** Slot index in the fleet. */
  index: number;
  topic: string;
  payload: string;
  seq: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A fleet shape of about `slots` slots over 10 lots of 4 levels (fewer lots for small fleets). */
export function shapeFor(slots: number): FleetShape {
  const lots = Math.max(1, Math.min(10, Math.floor(slots / 40)));
  const levels = slots >= 4 ? 4 : 1;
  return { lots, levels, slotsPerLevel: Math.max(1, Math.round(slots / (lots * levels))) };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A step coprime with `size` near size × 0.618, so `i × step mod size` visits every slot once per round, scattered. */
export function scatterStep(size: number): number {
  if (size <= 2) return 1;
  let step = Math.max(1, Math.floor(size * 0.618));
  while (gcd(step, size) !== 1) step += 1;
  return step;
}

export class SlotFleet {
  readonly size: number;
  readonly topics: string[] = [];
  readonly lots: string[] = [];
  private readonly occupied: Uint8Array;
  private readonly step: number;
  private counter = 0;

  constructor(
    readonly shape: FleetShape,
    topics: Topics = new Topics(),
    readonly lotPrefix = 'lot',
  ) {
    for (let lot = 1; lot <= shape.lots; lot += 1) {
      const lotId = `${lotPrefix}${pad(lot, 2)}`;
      this.lots.push(lotId);
      for (let level = 1; level <= shape.levels; level += 1) {
        for (let slot = 1; slot <= shape.slotsPerLevel; slot += 1) this.topics.push(topics.slot(lotId, `L${level}`, `s${pad(slot, 3)}`));
      }
    }
    this.size = this.topics.length;
    this.occupied = new Uint8Array(this.size);
    this.step = scatterStep(this.size);
  }

  /** The slot index the next update goes to. */
  peekIndex(): number {
    return (this.counter * this.step) % this.size;
  }

  /** The next update: the next slot in scattered order flips its status. */
  next(seq: number, ts: number, device: string): SlotMessage {
    const index = this.peekIndex();
    this.counter += 1;
    this.occupied[index] ^= 1;
    const status: SlotStatus = this.occupied[index] ? 'occupied' : 'free';
    return { index, topic: this.topics[index], payload: encodeSlotState({ status, ts, seq, device }), seq };
  }
}
