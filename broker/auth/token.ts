// Device tokens: a random secret of 192 bits that a device presents as its
// MQTT password, stored as `hmac-sha256$<salt base64>$<mac base64>`, the
// HMAC-SHA256 of the token keyed with a random 16-byte salt of the account.
// A check costs one HMAC (microseconds), so a standby meeting a whole fleet at
// once accepts it at once. A fast hash is safe here, unlike for a human
// password, because nobody can guess or brute-force 128 bits or more even
// from a stolen auth file (2^128 HMACs); the salt makes equal tokens hash
// differently and rules out precomputed tables. Only accounts of role
// `device` may hold one; people keep scrypt (password.ts). See docs/broker.md.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deviceTokenProblem } from './entropy.ts';

export { deviceTokenProblem } from './entropy.ts';

export const TOKEN_SCHEME = 'hmac-sha256';
const TOKEN_BYTES = 24;
const SALT_BYTES = 16;
const MAC_BYTES = 32;
const FORMAT = /^hmac-sha256\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

/** A stored device token hash. */
export interface TokenHash {
  scheme: typeof TOKEN_SCHEME;
  salt: Buffer;
  hash: Buffer;
}

/** A new random device token: 24 bytes (192 bits), base64url (32 characters, safe in URLs and JSON). */
export function newDeviceToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

function mac(salt: Buffer, token: string | Buffer): Buffer {
  return createHmac('sha256', salt).update(token).digest();
}

/**
 * What a device account's `password` field holds for `token` (synchronous,
 * microseconds). Throws when the token is too weak to be stored this way
 * (deviceTokenProblem).
 */
export function hashDeviceToken(token: string): string {
  const problem = deviceTokenProblem(token);
  if (problem) throw new Error(problem);
  const salt = randomBytes(SALT_BYTES);
  return `${TOKEN_SCHEME}$${salt.toString('base64')}$${mac(salt, token).toString('base64')}`;
}

/** Whether the stored text claims to be a device token hash (then parseTokenHash says whether it is a good one). */
export function isTokenHashText(text: string): boolean {
  return text.startsWith(`${TOKEN_SCHEME}$`);
}

/** The parts of a stored device token hash, or a reason it is not one. */
export function parseTokenHash(text: string): TokenHash | string {
  const match = FORMAT.exec(text);
  if (!match) return `must be a device token hash made by \`parking broker --hash-password --role device\` (${TOKEN_SCHEME}$salt$mac, base64)`;
  const salt = Buffer.from(match[1], 'base64');
  const hash = Buffer.from(match[2], 'base64');
  if (salt.length < 16) return `${TOKEN_SCHEME} salt too short (at least 16 bytes)`;
  if (hash.length !== MAC_BYTES) return `${TOKEN_SCHEME} mac must be ${MAC_BYTES} bytes`;
  return { scheme: TOKEN_SCHEME, salt, hash };
}

/** Whether `token` (the MQTT password as sent) matches; constant time in the stored hash. */
export function verifyDeviceToken(token: string | Buffer, stored: TokenHash): boolean {
  return timingSafeEqual(mac(stored.salt, token), stored.hash);
}

/** Whether a parsed stored password is a device token hash (else a scrypt hash). */
export function isTokenHash(stored: object): stored is TokenHash {
  return (stored as { scheme?: unknown }).scheme === TOKEN_SCHEME;
}
