// Editing the MQTT auth file's accounts (`parking accounts`): what an account
// of each role holds, its new secret and the hash the file keeps. Pure, apart
// from the random secret and the hashing.
import { randomBytes } from 'node:crypto';
import { idProblem } from '../contract/index.ts';
import { hashDeviceToken, hashPassword, newDeviceToken, parseAccounts, ROLES, type Account, type Role } from '../broker/index.ts';

/** The roles an operator makes accounts for (`bridge` too: a standby's link to the primary). */
export const ACCOUNT_ROLES: readonly Role[] = ROLES;

/** An account's fields as the file holds them, but its password. */
export type AccountFields = Record<string, unknown> & { role: Role };

/** One account as the file holds it (the password is a hash). */
export type RawAccount = AccountFields & { password: string };

/** The auth file's document. */
export interface AuthDoc {
  accounts: Record<string, RawAccount>;
}

export interface AccountSpec {
  username: string;
  role: Role;
  lot?: string;
  /** Devices: the device id (default: the username). */
  device?: string;
  /** Devices: `level/slot` each. */
  slots?: readonly string[];
  /** Gates: the gate id. */
  gate?: string;
}

export class AccountError extends Error {
  override readonly name = 'AccountError';
}

/** The fields of an account of `spec`'s role, without the password; throws AccountError naming a wrong or missing one. */
export function accountFields(spec: AccountSpec): AccountFields {
  const { username, role } = spec;
  if (username === '' || username.length > 128 || /\s/.test(username) || username.includes(String.fromCharCode(0))) throw new AccountError(`username ${JSON.stringify(username)}: 1-128 characters, no spaces`);
  if (!(ROLES as readonly string[]).includes(role)) throw new AccountError(`role ${JSON.stringify(role)}: one of ${ROLES.join(', ')}`);
  const id = (field: string, value: string | undefined, needed: boolean): string | undefined => {
    if (value === undefined) {
      if (needed) throw new AccountError(`an account of role ${role} needs --${field}`);
      return undefined;
    }
    const problem = idProblem(field, value);
    if (problem) throw new AccountError(`--${field}: ${problem}`);
    return value;
  };
  const unused = (field: keyof AccountSpec, flag: string) => {
    if (spec[field] !== undefined) throw new AccountError(`--${flag} is not for an account of role ${role}`);
  };
  switch (role) {
    case 'device': {
      unused('gate', 'gate');
      const slots = spec.slots ?? [];
      if (slots.length === 0) throw new AccountError('an account of role device needs --slots: its slots as level/slot, e.g. B1/07,B1/08');
      for (const item of slots) {
        const [level, slot, extra] = item.split('/');
        if (extra !== undefined || idProblem('level', level) || idProblem('slot', slot)) throw new AccountError(`--slots: ${JSON.stringify(item)} must be level/slot, each 1-32 characters of A-Z a-z 0-9 _ -`);
      }
      const device = id('device', spec.device ?? username, true);
      return { role, lot: id('lot', spec.lot, true), ...(device !== username ? { device } : {}), slots: [...new Set(slots)] };
    }
    case 'gate':
      unused('device', 'device');
      unused('slots', 'slots');
      return { role, lot: id('lot', spec.lot, true), gate: id('gate', spec.gate, true) };
    case 'reader':
    case 'service': {
      for (const [field, flag] of [['device', 'device'], ['slots', 'slots'], ['gate', 'gate']] as const) unused(field, flag);
      const lot = id('lot', spec.lot, false);
      return { role, ...(lot ? { lot } : {}) };
    }
    default:
      for (const [field, flag] of [['lot', 'lot'], ['device', 'device'], ['slots', 'slots'], ['gate', 'gate']] as const) unused(field, flag);
      return { role };
  }
}

/**
 * A new secret for an account of `role`: 192 random bits, base64url (32 characters). A device's
 * is a device token (kept as a fast keyed hash); the others' are kept as scrypt hashes.
 */
export function newSecret(role: Role): string {
  return role === 'device' ? newDeviceToken() : randomBytes(24).toString('base64url');
}

/** What the file keeps of `secret` for an account of `role`. */
export async function secretHash(role: Role, secret: string): Promise<string> {
  return role === 'device' ? hashDeviceToken(secret) : hashPassword(secret);
}

/** The document parsed and checked as the brokers will (throws AuthFileError naming the problem). */
export function checkDoc(doc: AuthDoc): ReadonlyMap<string, Account> {
  return parseAccounts(JSON.stringify(doc));
}

/** One line per account for `parking accounts list`: never a hash. */
export function describe(account: Account): string {
  switch (account.role) {
    case 'device':
      return `lot ${account.lot}, device ${account.device}, slots ${[...account.slots].join(',')}`;
    case 'gate':
      return `lot ${account.lot}, gate ${account.gate}`;
    default:
      return account.lot ? `lot ${account.lot}` : 'every lot';
  }
}

/** How its password is kept: a device token's keyed hash or scrypt. */
export function secretKind(account: Account): 'token' | 'scrypt' {
  return 'scheme' in account.password ? 'token' : 'scrypt';
}
