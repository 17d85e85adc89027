// The slot state a payload holds, decoded once per payload. The broker checks
// a slot publish (validate.ts) and orders retained slot states by it
// (retained/order.ts), which also reads the state stored before, decoded
// when that one arrived. Each decoded it again: three JSON parses a publish,
// 9 % of the standby's work while it took in 10,000 devices after a crash.
// Aedes passes the same payload Buffer through its hooks and keeps it as the
// retained message, so the cache is keyed by that Buffer. Pure.
import { PayloadError, decodeSlotState, type SlotState } from '../contract/index.ts';

const decoded = new WeakMap<Buffer, Readonly<SlotState> | PayloadError>();

/**
 * `decodeSlotState(payload, NaN)` (a ts of NaN: the payload gave none), or the PayloadError it
 * throws, decoded at the first call for this Buffer. The state is shared: read it, never change it.
 */
export function slotStateOf(payload: Buffer): Readonly<SlotState> | PayloadError {
  let state = decoded.get(payload);
  if (state === undefined) {
    try {
      state = decodeSlotState(payload, Number.NaN);
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      state = error;
    }
    decoded.set(payload, state);
  }
  return state;
}
