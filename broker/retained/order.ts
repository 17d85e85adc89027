// Whether a retained publish may replace the retained message on its topic.
// Slot states are ordered by ts, then seq (the contract's isNewer); the same
// payload again is a repeat (a resynchronisation, a bridge echo) and is not
// stored or delivered a second time. Pure.
import { PayloadError, isNewer, type SlotState, type Topics } from '../../contract/index.ts';
import { slotStateOf } from '../slotstate.ts';

export type RetainedDecision = 'store' | 'stale' | 'duplicate';

/** A slot state with the time the sensor gave, or undefined when it gave none or the payload is not one. */
function sensorState(payload: Buffer): Readonly<SlotState> | undefined {
  // A ts of NaN: the payload gave none.
  const state = slotStateOf(payload);
  return state instanceof PayloadError || Number.isNaN(state.ts) ? undefined : state;
}

/**
 * `candidate` is a retained payload about to be stored on `topic`, `current`
 * the one stored there (undefined: none). An empty candidate clears the topic
 * and is always stored. Slot states without a `ts` (short forms like `1`)
 * cannot be ordered: the one that arrives last wins.
 */
export function decideRetained(topics: Topics, topic: string, candidate: Buffer, current: Buffer | undefined): RetainedDecision {
  if (candidate.length === 0 || current === undefined) return 'store';
  if (candidate.equals(current)) return 'duplicate';
  if (topics.parse(topic)?.kind !== 'slot') return 'store';
  const next = sensorState(candidate);
  const now = sensorState(current);
  if (!next || !now) return 'store';
  return isNewer(next, now) ? 'store' : 'stale';
}
