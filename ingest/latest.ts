// The newest accepted state of every slot this instance has seen: drops
// duplicates (bridged copies, QoS 1 redelivery) and stale updates.
import { compareSlotStates } from '../contract/index.ts';
import type { SlotUpdate } from './decode.ts';

export type Verdict = 'accepted' | 'duplicate' | 'stale';

export class LatestStates {
  readonly slots = new Map<string, SlotUpdate>();
  private readonly lots = new Map<string, Map<string, SlotUpdate>>();

  private keep(update: SlotUpdate): void {
    this.slots.set(update.id, update);
    let lot = this.lots.get(update.lot);
    if (!lot) this.lots.set(update.lot, (lot = new Map()));
    lot.set(update.id, update);
  }

  /** Judges an update against the newest known state and keeps it when accepted. */
  offer(update: SlotUpdate): Verdict {
    const current = this.slots.get(update.id);
    if (current) {
      const order = compareSlotStates(update, current);
      if (order === 0) return 'duplicate';
      if (order < 0) return 'stale';
    }
    this.keep(update);
    return 'accepted';
  }

  /** Seeds from durable state (at start) without judging. */
  seed(update: SlotUpdate): void {
    const current = this.slots.get(update.id);
    if (!current || compareSlotStates(update, current) > 0) this.keep(update);
  }

  ofLot(lot: string): Iterable<SlotUpdate> {
    return this.lots.get(lot)?.values() ?? [];
  }

  get lotNames(): Iterable<string> {
    return this.lots.keys();
  }
}
