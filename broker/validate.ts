// Payload checks at the broker, with the contract's codecs: a slot state,
// device status or gate event that the platform would reject is refused
// before any subscriber sees it. Pure.
import { MAX_PAYLOAD_BYTES, PayloadError, decodeDeviceStatus, decodeGateEvent, type RejectCause, type Topics } from '../contract/index.ts';
import { slotStateOf } from './slotstate.ts';

export type PayloadVerdict = { ok: true } | { ok: false; cause: RejectCause; reason: string };

const OK: PayloadVerdict = Object.freeze({ ok: true });

/** Checks a publish under the topic root; topics outside the root are not ours to judge. */
export function checkPayload(topics: Topics, topic: string, payload: Buffer, now: number): PayloadVerdict {
  if (!topic.startsWith(`${topics.root}/`)) return OK;
  if (payload.length > MAX_PAYLOAD_BYTES) return { ok: false, cause: 'oversize', reason: `payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  const parsed = topics.parse(topic);
  try {
    if (parsed?.kind === 'slot') {
      // A missing ts stands for the time of arrival: no ts is never the problem.
      const state = slotStateOf(payload);
      if (state instanceof PayloadError) throw state;
    } else if (parsed?.kind === 'deviceStatus') decodeDeviceStatus(payload);
    else if (parsed?.kind === 'gateEvent') decodeGateEvent(payload, now);
  } catch (error) {
    if (error instanceof PayloadError) return { ok: false, cause: error.reason, reason: error.message };
    throw error;
  }
  return OK;
}
