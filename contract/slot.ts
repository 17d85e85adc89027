// Slot state payloads: decoding every form the contract allows, the
// canonical encoding, and the "newer wins" order.
import { isId } from './ids.ts';

export const SLOT_STATUSES = ['free', 'occupied', 'closed', 'unknown'] as const;
export type SlotStatus = (typeof SLOT_STATUSES)[number];

export interface SlotState {
  status: SlotStatus;
  /** When the sensor saw it, epoch milliseconds. */
  ts: number;
  seq?: number;
  device?: string;
}

/** Largest payload accepted on any slot, status or gate topic. */
export const MAX_PAYLOAD_BYTES = 1024;

export type RejectCause = 'oversize' | 'bad-json' | 'bad-status' | 'bad-id' | 'bad-ts' | 'bad-seq' | 'bad-field';

export class PayloadError extends Error {
  constructor(
    readonly reason: RejectCause,
    message: string,
  ) {
    super(message);
  }
}

const SHORT_FORMS: Record<string, SlotStatus> = {
  true: 'occupied',
  '1': 'occupied',
  occupied: 'occupied',
  false: 'free',
  '0': 'free',
  free: 'free',
  closed: 'closed',
  unknown: 'unknown',
};

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Epoch milliseconds from a number or an ISO-8601 string; throws PayloadError. */
export function parseTimestamp(value: unknown, field = 'ts'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value > 8.64e15) throw new PayloadError('bad-ts', `${field} ${value} is not a valid epoch-millisecond time`);
    return Math.round(value);
  }
  if (typeof value === 'string' && ISO_8601.test(value)) {
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) return ms;
  }
  throw new PayloadError('bad-ts', `${field} must be epoch milliseconds or an ISO-8601 string with a time zone, got ${JSON.stringify(value)}`);
}

function payloadText(payload: Buffer | string): string {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES) throw new PayloadError('oversize', `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  return (typeof payload === 'string' ? payload : payload.toString('utf8')).trim();
}

/**
 * Decodes a slot payload: canonical JSON or a short form (`true`, `1`,
 * `occupied`, `false`, `0`, `free`). `receivedAt` stands in for a missing `ts`.
 */
export function decodeSlotState(payload: Buffer | string, receivedAt: number): SlotState {
  const text = payloadText(payload);
  const short = SHORT_FORMS[text.toLowerCase()];
  if (short) return { status: short, ts: receivedAt };
  if (!text.startsWith('{')) {
    if (/^"?[a-z]+"?$/i.test(text)) throw new PayloadError('bad-status', `unknown status ${JSON.stringify(text)}: use free, occupied, closed or unknown`);
    throw new PayloadError('bad-json', `payload is neither JSON nor a short form (true/false/1/0/free/occupied)`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new PayloadError('bad-json', `broken JSON: ${(err as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PayloadError('bad-json', 'slot state must be a JSON object');
  const doc = body as Record<string, unknown>;
  if (typeof doc.status !== 'string' || !(SLOT_STATUSES as readonly string[]).includes(doc.status)) {
    throw new PayloadError('bad-status', `unknown status ${JSON.stringify(doc.status)}: use free, occupied, closed or unknown`);
  }
  const state: SlotState = { status: doc.status as SlotStatus, ts: doc.ts === undefined ? receivedAt : parseTimestamp(doc.ts) };
  if (doc.seq !== undefined) {
    if (typeof doc.seq !== 'number' || !Number.isSafeInteger(doc.seq) || doc.seq < 0) {
      throw new PayloadError('bad-seq', `seq must be a non-negative integer, got ${JSON.stringify(doc.seq)}`);
    }
    state.seq = doc.seq;
  }
  if (doc.device !== undefined) {
    if (!isId(doc.device)) throw new PayloadError('bad-id', `device ${JSON.stringify(doc.device)} must be 1-32 characters of A-Z a-z 0-9 _ -`);
    state.device = doc.device;
  }
  return state;
}

/** Canonical JSON, fields in contract order. */
export function encodeSlotState(state: SlotState): string {
  const out: Record<string, unknown> = { status: state.status, ts: state.ts };
  if (state.seq !== undefined) out.seq = state.seq;
  if (state.device !== undefined) out.device = state.device;
  return JSON.stringify(out);
}

/** Orders updates by `ts`, then `seq` (a missing seq is oldest): negative when a is older. */
export function compareSlotStates(a: Pick<SlotState, 'ts' | 'seq'>, b: Pick<SlotState, 'ts' | 'seq'>): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return (a.seq ?? -1) - (b.seq ?? -1);
}

/** True when `candidate` may replace `current` (strictly newer). */
export const isNewer = (candidate: Pick<SlotState, 'ts' | 'seq'>, current: Pick<SlotState, 'ts' | 'seq'> | undefined): boolean =>
  !current || compareSlotStates(candidate, current) > 0;

export type DeviceStatus = 'online' | 'offline';

export function decodeDeviceStatus(payload: Buffer | string): DeviceStatus {
  const text = payloadText(payload).toLowerCase();
  if (text === 'online' || text === 'offline') return text;
  throw new PayloadError('bad-status', `device status must be online or offline, got ${JSON.stringify(text.slice(0, 40))}`);
}
