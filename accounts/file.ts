// The auth file on disk: read, changed under a lock, written whole or not at
// all (a temporary file beside it, flushed, then renamed over it). A new file
// is readable by its owner only; a changed one keeps its mode, owner and group
// (root editing /etc/parking/mqtt-accounts.json, 0640 root:parking, leaves it
// readable by the brokers). A change that would leave a file the brokers
// refuse is not written.
import { closeSync, fchmodSync, fchownSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import { AccountError, checkDoc, type AuthDoc } from './edit.ts';

/** The document in `file`; an empty one when the file does not exist yet. */
export function readAuthDoc(file: string): { doc: AuthDoc; exists: boolean } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { doc: { accounts: {} }, exists: false };
    throw new AccountError(`${file}: cannot read: ${(error as Error).message}`);
  }
  let doc: AuthDoc;
  try {
    doc = JSON.parse(text) as AuthDoc;
  } catch (error) {
    throw new AccountError(`${file}: not JSON: ${(error as Error).message}`);
  }
  try {
    checkDoc(doc);
  } catch (error) {
    throw new AccountError(`${file}: ${(error as Error).message}`);
  }
  return { doc, exists: true };
}

function writeWhole(file: string, text: string, before: Stats | undefined): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    fchmodSync(fd, before ? before.mode & 0o777 : 0o600);
    if (before) {
      try {
        fchownSync(fd, before.uid, before.gid);
      } catch (error) {
        // Not root: the file stays ours, as it was (an owner may edit only its own).
        if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
      }
    }
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (error) {
    unlinkSync(tmp);
    throw error;
  }
}

/**
 * Applies `change` to the file's document under `<file>.lock` (created exclusively: a second
 * `parking accounts` at the same time is refused, not lost) and writes the result. Returns what
 * `change` returned.
 */
export async function changeAuthFile<T>(file: string, change: (doc: AuthDoc, exists: boolean) => Promise<T> | T): Promise<T> {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const lock = `${file}.lock`;
  let lockFd: number;
  try {
    lockFd = openSync(lock, 'wx', 0o600);
  } catch (error) {
    // Not a usage error (exit 1): the same command works once the other one is done.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${file} is being changed by another parking accounts (${lock} exists; remove it if none is running)`);
    throw new AccountError(`${lock}: cannot create: ${(error as Error).message}`);
  }
  try {
    const { doc, exists } = readAuthDoc(file);
    const result = await change(doc, exists);
    checkDoc(doc);
    writeWhole(file, `${JSON.stringify(doc, null, 2)}\n`, exists ? statSync(file) : undefined);
    return result;
  } finally {
    closeSync(lockFd);
    unlinkSync(lock);
  }
}
