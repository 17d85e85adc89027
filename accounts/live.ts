// The accounts a running broker checks, read again from the auth file on
// request (SIGHUP: `systemctl reload`, `kill -HUP`). The broker looks an
// account up at every CONNECT, so a reload takes effect for the next
// connection: an added account gets in, a removed or rotated one is refused.
// A file that does not parse leaves the accounts as they were.
import { loadAccounts, type Account, type Accounts } from '../broker/index.ts';

export interface ReloadResult {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface LiveAccounts {
  /** The map the broker reads (the same object across reloads). */
  readonly accounts: Accounts;
  /** Reads the file again; throws (AuthFileError) and changes nothing when it does not parse. */
  reload(): ReloadResult;
}

/** Same role, scope and stored password (a rotation changes the hash). */
function same(a: Account, b: Account): boolean {
  const scope = (x: Account) => JSON.stringify({ ...x, password: undefined, slots: 'slots' in x ? [...x.slots].sort() : undefined });
  return scope(a) === scope(b) && a.password.hash.equals(b.password.hash);
}

/** The accounts of `file`, read again by reload(). */
export function liveAccounts(file: string): LiveAccounts {
  const accounts = new Map<string, Account>(loadAccounts(file));
  return {
    accounts,
    reload() {
      const next = loadAccounts(file);
      const result: ReloadResult = { added: [], removed: [], changed: [] };
      for (const [name, account] of next) {
        const before = accounts.get(name);
        if (!before) result.added.push(name);
        else if (!same(before, account)) result.changed.push(name);
      }
      for (const name of accounts.keys()) if (!next.has(name)) result.removed.push(name);
      accounts.clear();
      for (const [name, account] of next) accounts.set(name, account);
      return result;
    },
  };
}
