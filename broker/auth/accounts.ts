// MQTT accounts from the auth file (JSON): one entry per device, gate,
// display, service or operator, with a role and a password hash: scrypt, or
// for devices only a fast hash of a random token (token.ts).
import { readFileSync } from 'node:fs';
import { idProblem } from '../../contract/index.ts';
import { parseHash, type ParsedHash } from './password.ts';
import { isTokenHashText, parseTokenHash, type TokenHash } from './token.ts';

export const ROLES = ['device', 'gate', 'reader', 'service', 'bridge', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A stored password: a scrypt hash, or (role `device` only) a device token hash. */
export type StoredPassword = ParsedHash | TokenHash;

interface Base {
  username: string;
  password: StoredPassword;
}

/** A slot sensor (Pi): publishes its slots' states and its own status. */
export interface DeviceAccount extends Base {
  role: 'device';
  lot: string;
  device: string;
  /** `level/slot`, e.g. `B1/07`. */
  slots: ReadonlySet<string>;
}

/** A gate reader: publishes its gate's events, reads its gate's display. */
export interface GateAccount extends Base {
  role: 'gate';
  lot: string;
  gate: string;
}

/**
 * reader: signage, dashboards (subscribe only). service: ingest, charging
 * (publish availability and gate displays, subscribe all). bridge: a standby's
 * link (publish and subscribe all under the root). admin: everything.
 * A reader or service with `lot` is kept to that lot.
 */
export interface OtherAccount extends Base {
  role: 'reader' | 'service' | 'bridge' | 'admin';
  lot?: string;
}

export type Account = DeviceAccount | GateAccount | OtherAccount;
export type Accounts = ReadonlyMap<string, Account>;

export class AuthFileError extends Error {
  override readonly name = 'AuthFileError';
}

function fail(where: string, reason: string): never {
  throw new AuthFileError(`${where}: ${reason}`);
}

function id(where: string, field: string, value: unknown): string {
  const problem = idProblem(field, value);
  if (problem) fail(where, problem);
  return value as string;
}

function parseAccount(username: string, raw: unknown): Account {
  const where = `account ${JSON.stringify(username)}`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(where, 'must be an object');
  const doc = raw as Record<string, unknown>;
  if (typeof doc.password !== 'string') fail(where, 'password must be a hash made by `parking broker --hash-password`');
  const role = doc.role;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) fail(where, `role must be one of ${ROLES.join(', ')}`);
  const token = isTokenHashText(doc.password);
  if (token && role !== 'device') {
    fail(where, `password is a device token hash (hmac-sha256$…), which only accounts of role device may hold: a fast hash is safe only for a random token; role ${role} needs a scrypt hash (\`parking broker --hash-password\`)`);
  }
  const password = token ? parseTokenHash(doc.password) : parseHash(doc.password);
  if (typeof password === 'string') fail(where, `password ${password}`);
  const allowed: Record<Role, string[]> = {
    device: ['lot', 'device', 'slots'],
    gate: ['lot', 'gate'],
    reader: ['lot'],
    service: ['lot'],
    bridge: [],
    admin: [],
  };
  const unknown = Object.keys(doc).filter((key) => key !== 'password' && key !== 'role' && !allowed[role as Role].includes(key));
  if (unknown.length) fail(where, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} for role ${role}`);
  const base = { username, password };
  switch (role as Role) {
    case 'device': {
      if (!Array.isArray(doc.slots) || doc.slots.length === 0) fail(where, 'slots must be a non-empty list of "level/slot"');
      const slots = new Set<string>();
      for (const item of doc.slots) {
        const [level, slot, extra] = typeof item === 'string' ? item.split('/') : [];
        if (extra !== undefined || idProblem('level', level) || idProblem('slot', slot)) fail(where, `slot ${JSON.stringify(item)} must be "level/slot", each 1-32 characters of A-Z a-z 0-9 _ -`);
        slots.add(`${level}/${slot}`);
      }
      return { ...base, role: 'device', lot: id(where, 'lot', doc.lot), device: id(where, 'device', doc.device ?? username), slots };
    }
    case 'gate':
      return { ...base, role: 'gate', lot: id(where, 'lot', doc.lot), gate: id(where, 'gate', doc.gate) };
    default:
      return { ...base, role: role as OtherAccount['role'], ...(doc.lot === undefined ? {} : { lot: id(where, 'lot', doc.lot) }) };
  }
}

/** Parses the auth file's text: `{"accounts": {"<username>": {"password": "scrypt$…" or (devices) "hmac-sha256$…", "role": "…", …}}}`. */
export function parseAccounts(text: string): Accounts {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    fail('auth file', `not JSON: ${(error as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail('auth file', 'must be one JSON object with "accounts"');
  const extra = Object.keys(doc).filter((key) => key !== 'accounts');
  if (extra.length) fail('auth file', `unknown key ${extra.join(', ')} (only "accounts")`);
  const accounts = (doc as { accounts?: unknown }).accounts;
  if (!accounts || typeof accounts !== 'object' || Array.isArray(accounts)) fail('auth file', '"accounts" must be an object of username: account');
  const out = new Map<string, Account>();
  for (const [username, raw] of Object.entries(accounts)) {
    if (username === '' || username.length > 128) fail(`account ${JSON.stringify(username)}`, 'username must be 1-128 characters');
    out.set(username, parseAccount(username, raw));
  }
  return out;
}

export function loadAccounts(path: string): Accounts {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AuthFileError(code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`);
  }
  return parseAccounts(text);
}
