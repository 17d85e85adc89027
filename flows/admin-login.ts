// The editor's login (and the reports API's) when none is configured: the
// editor runs any code a flow holds, so it never runs open, loopback
// included. On the first start a password is generated, only its bcrypt hash
// is kept in <dataDir>/admin-login.json (mode 0600), and the caller prints the
// password once, as Jupyter and Grafana do. Later starts read the file;
// deleting it makes a new password.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { BCRYPT_HASH } from '../config/index.ts';

export interface AdminCredentials {
  user: string;
  /** bcrypt hash of the password. */
  passwordHash: string;
}

export const ADMIN_LOGIN_FILE = 'admin-login.json';
/** Operators' logins (the Charging and System pages, the reports): `[{"user","passwordHash"}]`. */
export const OPERATORS_FILE = 'operators.json';
export const DEFAULT_ADMIN_USER = 'admin';
const BCRYPT_COST = 10;

export interface AdminLogin extends AdminCredentials {
  /** settings: PARKING_RED_USER and PARKING_RED_PASSWORD_HASH; file: kept from an earlier start; generated: just now. */
  source: 'settings' | 'file' | 'generated';
  /** The file that holds the hash (not for `settings`). */
  file?: string;
  /** Only when just generated: print it once, it is kept nowhere. */
  password?: string;
}

export class AdminLoginError extends Error {}

/** The configured login, or the one kept in `dataDir`, or a new one (written there). */
export function resolveAdminLogin(dataDir: string, configured?: AdminCredentials): AdminLogin {
  if (configured) return { ...configured, source: 'settings' };
  const file = join(dataDir, ADMIN_LOGIN_FILE);
  if (existsSync(file)) return { ...readLogin(file), source: 'file', file };
  const password = randomBytes(18).toString('base64url');
  const login: AdminCredentials = { user: DEFAULT_ADMIN_USER, passwordHash: bcrypt.hashSync(password, BCRYPT_COST) };
  mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { ...login, source: 'generated', file, password };
}

function readLogin(file: string): AdminCredentials {
  const fail = (problem: string): never => {
    throw new AdminLoginError(`${file}: ${problem}; delete the file to have a new password generated at the next start`);
  };
  return credentials(readJson(file, fail), fail);
}

function readJson(file: string, fail: (problem: string) => never): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return fail(`not JSON (${(error as Error).message})`);
  }
}

function credentials(parsed: unknown, fail: (problem: string) => never): AdminCredentials {
  const { user, passwordHash } = (parsed ?? {}) as Partial<AdminCredentials>;
  if (typeof user !== 'string' || !/^[\w.@-]{1,64}$/.test(user)) return fail('"user" must be a user name (letters, digits, . _ @ -)');
  if (typeof passwordHash !== 'string' || !BCRYPT_HASH.test(passwordHash)) return fail('"passwordHash" must be a bcrypt hash (npx node-red admin hash-pw)');
  return { user, passwordHash };
}

/** The operators' logins in `<dataDir>/operators.json`, none when there is no such file. Throws naming the file and entry. */
export function readOperators(dataDir: string): AdminCredentials[] {
  const file = join(dataDir, OPERATORS_FILE);
  if (!existsSync(file)) return [];
  const parsed = readJson(file, (problem) => {
    throw new AdminLoginError(`${file}: ${problem}`);
  });
  if (!Array.isArray(parsed)) throw new AdminLoginError(`${file}: must be a JSON array of {"user", "passwordHash"}`);
  return parsed.map((entry, i) =>
    credentials(entry, (problem) => {
      throw new AdminLoginError(`${file}: entry ${i + 1}: ${problem}`);
    }),
  );
}

/** How a command tells the operator about the login, after the editor's URL. */
export function describeAdminLogin(login: AdminLogin): string {
  if (login.source === 'settings') return `login: ${login.user}`;
  if (login.source === 'generated') return `login: ${login.user} / ${login.password}  (generated; shown this once, its hash is kept in ${login.file})`;
  return `login: ${login.user}, password as printed at the first start  (delete ${login.file} for a new one)`;
}
