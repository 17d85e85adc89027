// Gate events (entry/exit with a car id) and the display messages the
// charging flow sends back to a gate.
import { parseTimestamp, PayloadError, MAX_PAYLOAD_BYTES } from './slot.ts';

export type Direction = 'entry' | 'exit';

export interface GateEvent {
  eventId: string;
  direction: Direction;
  carId: string;
  /** Epoch milliseconds. */
  ts: number;
}

export interface GateDisplay {
  carId: string;
  sessionId?: string;
  direction: Direction;
  durationMinutes?: number;
  fee?: number;
  currency?: string;
  text: string;
}

const EVENT_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const CAR_ID = /^[A-Z0-9-]{1,16}$/;

/** True for a car id as stored: 1-16 of `A-Z 0-9 -`. */
export const isCarId = (carId: string): boolean => CAR_ID.test(carId);

/** Car ids (number plates) are kept uppercase without spaces: `b 1234 xyz` is `B1234XYZ`. */
export function normaliseCarId(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase();
}

export function decodeGateEvent(payload: Buffer | string, receivedAt: number): GateEvent {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES) throw new PayloadError('oversize', `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  let body: unknown;
  try {
    body = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch (err) {
    throw new PayloadError('bad-json', `broken JSON: ${(err as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new PayloadError('bad-json', 'gate event must be a JSON object');
  const doc = body as Record<string, unknown>;
  if (typeof doc.eventId !== 'string' || !EVENT_ID.test(doc.eventId)) {
    throw new PayloadError('bad-field', 'eventId must be 1-64 characters of A-Z a-z 0-9 _ . : -');
  }
  if (doc.direction !== 'entry' && doc.direction !== 'exit') {
    throw new PayloadError('bad-field', `direction must be entry or exit, got ${JSON.stringify(doc.direction)}`);
  }
  const carId = typeof doc.carId === 'string' ? normaliseCarId(doc.carId) : '';
  if (!CAR_ID.test(carId)) throw new PayloadError('bad-field', `carId must be 1-16 letters, digits or -, got ${JSON.stringify(doc.carId)}`);
  const ts = doc.ts === undefined ? receivedAt : parseTimestamp(doc.ts);
  return { eventId: doc.eventId, direction: doc.direction, carId, ts };
}

export const encodeGateEvent = (e: GateEvent): string =>
  JSON.stringify({ eventId: e.eventId, direction: e.direction, carId: e.carId, ts: e.ts });

/** `Rp12.000` for IDR; other currencies as `12.50 EUR` from minor units. */
export function formatMoney(minor: number, currency: string, minorDigits = currency === 'IDR' ? 0 : 2): string {
  const major = minor / 10 ** minorDigits;
  if (currency === 'IDR') return `Rp${Math.round(major).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.')}`;
  return `${major.toFixed(minorDigits)} ${currency}`;
}

/** `2h05m`, or `45m` under an hour. */
export function formatDuration(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m`;
}
