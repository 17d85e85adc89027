// The plate key kept in a file: read it, or make a new random one (mode 0600) when there is
// none. Losing the key makes the open sessions unmatchable (their exits are charged as lost
// tickets) and the stored hashes unlinkable; back it up with the database.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parsePlateKey, PLATE_KEY_BYTES } from './plates.ts';

export const PLATE_KEY_FILE = 'plate-key';

/**
 * The configured key (64 hex digits or base64), or the one kept in `file` (the platform's is
 * `<dataDir>/plate-key`), made there when missing unless `existing` (a tool that only reads
 * what the flows stored).
 */
export function resolvePlateKey(file: string, configured?: string, existing = false): Buffer {
  if (configured) return parsePlateKey(configured);
  if (existing && !existsSync(file)) throw new Error(`no plate key: ${file} does not exist; give PARKING_PLATE_KEY or the --data-dir of the charging flows`);
  return plateKeyFromFile(file).key;
}

/** The key in `file`, created when missing. Throws naming the file when it holds no key. */
export function plateKeyFromFile(file: string): { key: Buffer; created: boolean } {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    try {
      return { key: parsePlateKey(text), created: false };
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
  }
  const key = randomBytes(PLATE_KEY_BYTES);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(tmp, 0o600);
  try {
    // A link never replaces a file: of two processes starting at once, one key wins and both use it.
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return plateKeyFromFile(file);
  } finally {
    rmSync(tmp, { force: true });
  }
  return { key, created: true };
}
