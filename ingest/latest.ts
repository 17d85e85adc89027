// The newest accepted state of every slot this instance has seen: drops
// duplicates (bridged copies, QoS 1 redelivery) and stale updates.
import { compareSlotStates } from '../contract/index.ts';
import type { SlotUpdate } from './decode.ts';

export type Verdict = 'accepted' | 'duplicate' | 'stale';

export class LatestStates {
  readonly slots = new Map<string, SlotUpdate>();

  /** Judges an update against the newest known state and keeps it when accepted. */
  offer(update: SlotUpdate): Verdict {
    const current = this.slots.get(update.id);
    if (current) {
      const order = compareSlotStates(update, current);
      if (order === 0) return 'duplicate';
      if (order < 0) return 'stale';
    }
    this.slots.set(update.id, update);
    return 'accepted';
  }

  /** Seeds from durable state (at start) without judging. */
  seed(update: SlotUpdate): void {
    const current = this.slots.get(update.id);
    if (!current || compareSlotStates(update, current) > 0) this.slots.set(update.id, update);
  }

  *ofLot(lot: string): Iterable<SlotUpdate> {
    for (const s of this.slots.values()) if (s.lot === lot) yield s;
  }
}
