// MQTT client ids that every broker accepts: MQTT 3.1.1 guarantees only
// 1-23 characters of [0-9a-zA-Z] (Aedes enforces 23 by default).
import { createHash } from 'node:crypto';

export const MAX_CLIENT_ID = 23;

/**
 * A stable client id for `name` (a device id): `prefix + name` when it fits in
 * 23 characters, otherwise `prefix` + a hash of the name.
 */
export function clientIdFor(name: string, prefix = ''): string {
  const plain = `${prefix}${name}`;
  if (plain.length <= MAX_CLIENT_ID && /^[A-Za-z0-9_-]+$/.test(plain)) return plain;
  const hash = createHash('sha256').update(name).digest('base64url').replace(/[^A-Za-z0-9]/g, '');
  return `${prefix}${hash}`.slice(0, MAX_CLIENT_ID);
}
