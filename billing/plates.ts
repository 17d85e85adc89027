// Car plates as personal data. Pure.
//
// Entries and exits are matched by a keyed hash of the plate (`carKey`: HMAC-SHA256 under
// the plate key), so matching never needs a plate in clear. The clear plate (`carId`) is
// kept for disputes only as long as a retention setting says, then replaced by its masked
// form (billing/retention.ts). Displays and reports show the masked form to roles that
// need no more. Without the key a stored `carKey` cannot be turned back into a plate or
// matched against a guessed one.
import { createHmac } from 'node:crypto';

/** Bytes of a plate key: 256 bits. */
export const PLATE_KEY_BYTES = 32;

/** What an erased plate reads as: `*` never occurs in a plate (contract: `[A-Z0-9-]`). */
export const ERASED_PLATE = '********';

/** The keyed hash that matches a car's entry with its exit: 192 bits, base64url. */
export function carKeyOf(key: Uint8Array, carId: string): string {
  if (key.length < 16) throw new Error(`plate key too short: ${key.length} bytes, need at least 16`);
  return createHmac('sha256', key).update(carId, 'utf8').digest('base64url').slice(0, 32);
}

/** `B1234XYZ` → `B1****YZ`: enough to tell cars apart on a screen, not enough to name one. */
export function maskPlate(carId: string): string {
  if (isMasked(carId)) return carId;
  const n = carId.length;
  if (n <= 3) return '*'.repeat(n);
  const keep = n <= 6 ? 1 : 2;
  return `${carId.slice(0, keep)}${'*'.repeat(n - 2 * keep)}${carId.slice(n - keep)}`;
}

/** True for a masked or erased plate. */
export const isMasked = (carId: string): boolean => carId.includes('*');

/** Parses a plate key given as 64 hex digits or base64 of 32 bytes; throws with the reason. */
export function parsePlateKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (!key || key.length !== PLATE_KEY_BYTES) throw new Error(`a plate key is ${PLATE_KEY_BYTES} random bytes as 64 hex digits or base64 (openssl rand -hex 32)`);
  return key;
}

/** How long each kind of record keeps what (days; fractions allowed). */
export interface RetentionPolicy {
  /** Clear plates: this long after a session ended (or a gate event arrived), then masked. */
  plateDays: number;
  /** Sessions that ended this long ago are deleted (open ones never). */
  sessionDays: number;
  /** Gate events received this long ago are deleted (once applied). */
  gateEventDays: number;
}

export const DEFAULT_RETENTION: Readonly<RetentionPolicy> = Object.freeze({ plateDays: 30, sessionDays: 400, gateEventDays: 90 });
