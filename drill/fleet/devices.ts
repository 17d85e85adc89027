// The fleet drill's devices: names, slots and credentials. Pure (no I/O).
//
// Device `i` (0-based) of a fleet is `fd-<i>` in lot `fleet`, with one slot
// `L<i div 1000>/s<i>`. With per-device accounts, its token is derived from a
// secret the drill draws at random for the run: HMAC-SHA256(secret, device),
// base64url (256 bits). The drill writes the auth file from the same secret,
// and the fleet processes receive it in their environment, never on a
// command line.
import { createHmac } from 'node:crypto';

export const FLEET_LOT = 'fleet';
/** The environment variable that carries the token secret to fleet processes. */
export const FLEET_SECRET_ENV = 'PARKING_FLEET_TOKEN_SECRET';

export interface FleetDevice {
  index: number;
  device: string;
  level: string;
  slot: string;
  clientId: string;
}

export function fleetDevice(index: number): FleetDevice {
  const n = String(index).padStart(5, '0');
  return { index, device: `fd-${n}`, level: `L${Math.floor(index / 1000)}`, slot: `s${n}`, clientId: `fleet-${n}` };
}

export function fleetToken(secret: string, device: string): string {
  return createHmac('sha256', secret).update(device).digest('base64url');
}

export interface AccountEntry {
  password: string;
  role: string;
  lot?: string;
  device?: string;
  slots?: string[];
}

/** The auth file's accounts of `count` fleet devices; `hash` makes a device account's `password` field. */
export function fleetAccounts(count: number, secret: string, hash: (token: string) => string): Record<string, AccountEntry> {
  const out: Record<string, AccountEntry> = {};
  for (let i = 0; i < count; i += 1) {
    const d = fleetDevice(i);
    out[d.device] = { password: hash(fleetToken(secret, d.device)), role: 'device', lot: FLEET_LOT, device: d.device, slots: [`${d.level}/${d.slot}`] };
  }
  return out;
}
