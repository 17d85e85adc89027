// Classifies one MQTT message into what the pipeline acts on: a slot update,
// a device status, a rejection with its cause, or something not ours.
import {
  PayloadError, decodeDeviceStatus, decodeSlotState, type DeviceStatus, type RejectCause, type SlotState, type Topics,
} from '../contract/index.ts';

export interface Inbound {
  topic: string;
  payload: Buffer;
  receivedAt: number;
}

export interface SlotUpdate extends SlotState {
  kind: 'slot';
  id: string; // `{lot}/{level}/{slot}`, the slots document _id
  lot: string;
  level: string;
  slot: string;
  receivedAt: number;
}

export interface StatusUpdate {
  kind: 'status';
  lot: string;
  device: string;
  status: DeviceStatus;
  receivedAt: number;
}

export interface Rejected {
  kind: 'rejected';
  topic: string;
  /** `unknown-slot`, `retired-slot`: a slot the lot configuration does not count (layout/). */
  cause: RejectCause | 'bad-topic' | 'unknown-slot' | 'retired-slot';
  message: string;
}

export type Classified = SlotUpdate | StatusUpdate | Rejected | { kind: 'ignored' };

export const slotId = (lot: string, level: string, slot: string) => `${lot}/${level}/${slot}`;

export function classify(msg: Inbound, topics: Topics): Classified {
  const topic = topics.parse(msg.topic);
  if (!topic) {
    const ours = msg.topic.startsWith(`${topics.root}/`) && /\/(slot|device)\//.test(msg.topic);
    return ours ? { kind: 'rejected', topic: msg.topic, cause: 'bad-topic', message: 'malformed id in topic (ids are 1-32 of A-Z a-z 0-9 _ -)' } : { kind: 'ignored' };
  }
  try {
    if (topic.kind === 'slot') {
      const state = decodeSlotState(msg.payload, msg.receivedAt);
      return { kind: 'slot', id: slotId(topic.lot, topic.level, topic.slot), lot: topic.lot, level: topic.level, slot: topic.slot, receivedAt: msg.receivedAt, ...state };
    }
    if (topic.kind === 'deviceStatus') {
      if (msg.payload.length === 0) return { kind: 'ignored' }; // a cleared retained status
      return { kind: 'status', lot: topic.lot, device: topic.device, status: decodeDeviceStatus(msg.payload), receivedAt: msg.receivedAt };
    }
  } catch (err) {
    if (err instanceof PayloadError) return { kind: 'rejected', topic: msg.topic, cause: err.reason, message: err.message };
    throw err;
  }
  return { kind: 'ignored' };
}
