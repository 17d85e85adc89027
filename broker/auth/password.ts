// Password hashes of MQTT accounts: scrypt (node:crypto), stored as
// `scrypt$N$r$p$<salt base64>$<hash base64>` so the cost travels with the hash.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** 2^14, 8, 1: about 16 MiB and a few tens of milliseconds per check. */
export const DEFAULT_SCRYPT_COST: ScryptCost = Object.freeze({ N: 16384, r: 8, p: 1 });

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function scrypt(password: string | Buffer, salt: Buffer, bytes: number, cost: ScryptCost): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCallback(password, salt, bytes, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export interface ParsedHash extends ScryptCost {
  salt: Buffer;
  hash: Buffer;
}

/** The parts of a stored hash, or a reason it is not one. */
export function parseHash(text: string): ParsedHash | string {
  const match = FORMAT.exec(text);
  if (!match) return 'must be a hash made by `parking broker --hash-password` (scrypt$N$r$p$salt$hash)';
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (N < 2 || (N & (N - 1)) !== 0) return 'scrypt N must be a power of two';
  if (r < 1 || p < 1) return 'scrypt r and p must be at least 1';
  const salt = Buffer.from(match[4], 'base64');
  const hash = Buffer.from(match[5], 'base64');
  if (salt.length < 8 || hash.length < 16) return 'salt or hash too short';
  return { N, r, p, salt, hash };
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string | Buffer, stored: ParsedHash): Promise<boolean> {
  const key = await scrypt(password, stored.salt, stored.hash.length, stored);
  return timingSafeEqual(key, stored.hash);
}
