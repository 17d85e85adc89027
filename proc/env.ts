// What every child of ours shares: where `parking` is, the environment it
// starts from, the open-files limit, and the kill of all of them at exit.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root (the children's working directory). */
export const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** bin/parking.js. */
export const BIN = fileURLToPath(new URL('../bin/parking.js', import.meta.url));
/** Settings a child must not inherit from our own environment. */
const SETTING_VARS = /^(PARKING_|MONGODB_URI$|REDIS_URL$|LOG_LEVEL$)/;

/** `text` with the passwords of URLs in it (`//user:password@`) masked, for messages and logs. */

/** Our environment without PARKING_*, MONGODB_URI, REDIS_URL and LOG_LEVEL, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SETTING_VARS.test(name)));
  return { ...env, ...extra };
}

/** argv for running `command args` with the open-files limit raised (through sh, which execs the command: the pid stays the command's). */
export function withOpenFiles(limit: number | undefined, command: string, args: readonly string[]): [string, string[]] {
  if (!limit) return [command, [...args]];
  const script = `ulimit -n ${Math.floor(limit)} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  return ['sh', ['-c', script, 'sh', command, ...args]];
}

const live = new Set<ChildProcess>();
let hooked = false;

/** Kills every child still running (SIGKILL), synchronously: for exit and signal handlers. */
export function killAllParts(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Remembers `child` until it exits, to be killed if we exit first. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => child.pid === undefined && live.delete(child));
  if (hooked) return;
  hooked = true;
  process.once('exit', killAllParts);
}
