// The accounts `parking start` gives its own parts (ingest, charging, the
// standby's bridge, the simulator) and the read-only account of the signage
// pages, merged with the operator's auth file.
import { randomBytes } from 'node:crypto';
import { hashPassword, parseHash, type Account, type Accounts } from '../broker/index.ts';

export interface Credentials {
  username: string;
  password: string;
}

/** A demo account of `parking start` (development only; --no-demo-accounts turns them off). */
export interface DemoAccount extends Credentials {
  lot: string;
  /** What it may publish, as an MQTT topic pattern. */
  publishes: string;
}

export interface PlatformAccounts {
  /** What the brokers read: the operator's accounts and the platform's own (remerge refills it). */
  accounts: Map<string, Account>;
  service: Credentials;
  bridge: Credentials;
  simulator: Credentials;
  /** Read-only: safe to hand to browsers (signage pages). */
  signage: Credentials;
  /** A slot sensor and a gate reader a newcomer can use at once, kept to lot `demo`; unset with --no-demo-accounts. */
  demo?: { device: DemoAccount; gate: DemoAccount & { gate: string } };
  /** The accounts of the platform's own parts (the operator's file does not replace them on a reload). */
  own: Accounts;
}

/** Cheap hashing for passwords that live only as long as this process. */
const EPHEMERAL_COST = { N: 1024, r: 8, p: 1 } as const;

/** The demo lot: the demo accounts may touch nothing else. */
export const DEMO_LOT = 'demo';
const DEMO_SLOTS = Array.from({ length: 8 }, (_, i) => `L1/${i + 1}`);

async function hashed(password: string) {
  return parseHash(await hashPassword(password, EPHEMERAL_COST)) as Exclude<ReturnType<typeof parseHash>, string>;
}

async function account(username: string, role: 'service' | 'bridge' | 'admin' | 'reader', password: string): Promise<Account> {
  return { username, role, password: await hashed(password) } as Account;
}

export async function platformAccounts(operator: Accounts = new Map(), options: { demo?: boolean } = {}): Promise<PlatformAccounts> {
  const secret = () => randomBytes(18).toString('base64url');
  const service = { username: 'parking-service', password: secret() };
  const bridge = { username: 'parking-bridge', password: secret() };
  const simulator = { username: 'parking-simulator', password: secret() };
  const signage = { username: 'signage', password: 'signage' };
  const own = new Map<string, Account>();
  for (const [creds, role] of [[service, 'service'], [bridge, 'bridge'], [simulator, 'admin'], [signage, 'reader']] as const) {
    own.set(creds.username, await account(creds.username, role, creds.password));
  }
  let demo: PlatformAccounts['demo'];
  if (options.demo ?? true) {
    demo = {
      device: { username: 'demo-device', password: 'demo-device', lot: DEMO_LOT, publishes: `${DEMO_LOT}/slot/L1/1..8` },
      gate: { username: 'demo-gate', password: 'demo-gate', lot: DEMO_LOT, gate: 'main', publishes: `${DEMO_LOT}/gate/main/event` },
    };
    own.set('demo-device', { username: 'demo-device', role: 'device', lot: DEMO_LOT, device: 'demo-device', slots: new Set(DEMO_SLOTS), password: await hashed(demo.device.password) });
    own.set('demo-gate', { username: 'demo-gate', role: 'gate', lot: DEMO_LOT, gate: 'main', password: await hashed(demo.gate.password) });
  }
  const accounts = new Map<string, Account>();
  remerge(accounts, own, operator);
  return { accounts, service, bridge, simulator, signage, demo, own };
}

/**
 * Fills `target` (the map the brokers read) with the operator's accounts and the platform's own
 * where the operator has none of that name, as at start: a SIGHUP applies an edited auth file.
 */
export function remerge(target: Map<string, Account>, own: Accounts, operator: Accounts): void {
  target.clear();
  for (const [name, value] of operator) target.set(name, value);
  for (const [name, value] of own) if (!target.has(name)) target.set(name, value);
}
