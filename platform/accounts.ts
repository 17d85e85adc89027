// The accounts `parking start` gives its own parts (ingest, charging, the
// standby's bridge, the simulator) and the read-only account of the signage
// pages, merged with the operator's auth file.
import { randomBytes } from 'node:crypto';
import { hashPassword, parseHash, type Account, type Accounts } from '../broker/index.ts';

export interface Credentials {
  username: string;
  password: string;
}

export interface PlatformAccounts {
  accounts: Accounts;
  service: Credentials;
  bridge: Credentials;
  simulator: Credentials;
  /** Read-only: safe to hand to browsers (signage pages). */
  signage: Credentials;
}

/** Cheap hashing for passwords that live only as long as this process. */
const EPHEMERAL_COST = { N: 1024, r: 8, p: 1 } as const;

async function account(username: string, role: 'service' | 'bridge' | 'admin' | 'reader', password: string): Promise<Account> {
  return { username, role, password: parseHash(await hashPassword(password, EPHEMERAL_COST)) } as Account;
}

export async function platformAccounts(operator: Accounts = new Map()): Promise<PlatformAccounts> {
  const secret = () => randomBytes(18).toString('base64url');
  const service = { username: 'parking-service', password: secret() };
  const bridge = { username: 'parking-bridge', password: secret() };
  const simulator = { username: 'parking-simulator', password: secret() };
  const signage = { username: 'signage', password: 'signage' };
  const accounts = new Map(operator);
  for (const [creds, role] of [[service, 'service'], [bridge, 'bridge'], [simulator, 'admin'], [signage, 'reader']] as const) {
    if (!accounts.has(creds.username)) accounts.set(creds.username, await account(creds.username, role, creds.password));
  }
  return { accounts, service, bridge, simulator, signage };
}
