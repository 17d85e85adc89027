import fs from 'node:fs';
import path from 'node:path';

/** Directories searched after PATH: daemons such as mosquitto live in sbin. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** A service binary is not installed (or not where an option pointed). */
export class MissingBinaryError extends Error {
  override readonly name = 'MissingBinaryError';
  constructor(
    /** The program, e.g. `mosquitto`. */
    readonly binary: string,
    /** The Debian package that provides it. */
    readonly pkg: string,
    /** The paths that were tried. */
    readonly searched: readonly string[] = [],
  ) {
    super(`${binary} not found: install the Debian package '${pkg}' (apt-get install ${pkg})`);
  }
}

/** The environment variable that overrides where `name` is found: `PARKING_MOSQUITTO_BIN`, `PARKING_REDIS_SERVER_BIN`. */
export function binaryEnvVar(name: string): string {
  return `PARKING_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BIN`;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Candidate paths for `name`, explicit path or env override first, then PATH, then the sbin directories. */
function candidates(name: string, explicit?: string): string[] {
  const wanted = explicit ?? process.env[binaryEnvVar(name)] ?? name;
  if (wanted.includes('/')) return [path.resolve(wanted)];
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return [...new Set([...dirs, ...SBIN_DIRS])].map((dir) => path.join(dir, wanted));
}

/** The absolute path of `name` (or of `explicit`, a path or a program name), or undefined. */
export function findBinary(name: string, explicit?: string): string | undefined {
  return candidates(name, explicit).find(isExecutable);
}

/** Like findBinary, but throws MissingBinaryError naming the Debian package `pkg`. */
export function resolveBinary(name: string, pkg: string, explicit?: string): string {
  const found = findBinary(name, explicit);
  if (!found) throw new MissingBinaryError(name, pkg, candidates(name, explicit));
  return found;
}
