// Value parsers: each takes the text of a setting (an environment variable, a flag, a config-file
// value) and returns the typed value, or rejects it with `invalid(reason)`.
import { invalid } from './errors.ts';

export type Parser<T> = (raw: string) => T;

export interface PortOptions {
  /** Accept 0 (the system picks a free port). Only where documented. */
  allowZero?: boolean;
  /** Highest accepted value (e.g. 65533 when port+1 and port+2 are used too). */
  max?: number;
}

/** A TCP port number. */
export function port(options: PortOptions = {}): Parser<number> {
  const min = options.allowZero ? 0 : 1;
  const max = options.max ?? 65535;
  return (raw) => {
    const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= min && n <= max)) invalid(`must be a port number ${min}-${max}`);
    return n;
  };
}

/** A non-negative integer count of milliseconds. */
export function milliseconds(raw: string): number {
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) invalid('must be a whole number of milliseconds');
  return n;
}

/** A delay drawn uniformly from [min, max] milliseconds; a single number N is [N, N]. */
export type DelayRange = readonly [min: number, max: number];

/** `N` or `MIN-MAX` milliseconds. */
export function delayRange(raw: string): DelayRange {
  const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(raw);
  if (!match) invalid('must be milliseconds, a number or a range like 10000-12000');
  const min = milliseconds(match[1]);
  const max = match[2] === undefined ? min : milliseconds(match[2]);
  if (max < min) invalid('the range must go from low to high, like 10000-12000');
  return Object.freeze([min, max] as const);
}

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);

/** true/false, 1/0, yes/no (any case). */
export function boolean(raw: string): boolean {
  const word = raw.toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  return invalid('must be true or false (also 1/0, yes/no)');
}

/** One of a fixed set of words. */
export function oneOf<const T extends readonly string[]>(values: T): Parser<T[number]> {
  return (raw) => {
    if (!values.includes(raw)) invalid(`must be one of ${values.join(', ')}`);
    return raw as T[number];
  };
}

function schemeList(schemes: readonly string[]): string {
  const names = schemes.map((s) => `${s}//`);
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** A URL with one of `schemes` (given as `mqtt:`) and a host. Returned as written. */
export function url(schemes: readonly string[]): Parser<string> {
  return (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return invalid(`must be a URL starting ${schemeList(schemes)}`);
    }
    if (!schemes.includes(parsed.protocol)) invalid(`must be a URL starting ${schemeList(schemes)}`);
    if (!parsed.hostname) invalid('must name a host');
    return raw;
  };
}

/** A comma-separated list of URLs (at least one, no repeats), in the order given. */
export function urlList(schemes: readonly string[]): Parser<readonly string[]> {
  const one = url(schemes);
  return (raw) => {
    const items = raw.split(',').map((item) => item.trim());
    if (items.some((item) => item === '')) invalid(`must be a comma-separated list of URLs starting ${schemeList(schemes)}`);
    const urls = items.map((item) => {
      try {
        return one(item);
      } catch (error) {
        return invalid(`${item}: ${(error as Error).message}`);
      }
    });
    const repeated = urls.find((item, i) => urls.indexOf(item) !== i);
    if (repeated) invalid(`${repeated} is listed twice`);
    return Object.freeze(urls);
  };
}

/** A MongoDB connection string (`mongodb://host[:port][,host…]/…` or `mongodb+srv://host/…`). */
export function mongodbUri(raw: string): string {
  const match = /^(mongodb|mongodb\+srv):\/\/(?:[^@/]*@)?([^/?]*)/.exec(raw);
  if (!match) invalid('must start mongodb:// or mongodb+srv://');
  const hosts = match[2].split(',');
  if (hosts.some((host) => host === '' || host.startsWith(':'))) invalid('must name at least one host');
  if (match[1] === 'mongodb+srv' && (hosts.length > 1 || hosts[0].includes(':'))) {
    invalid('mongodb+srv:// takes one host name without a port');
  }
  return raw;
}

/** A MongoDB database name: 1-63 bytes, none of `/\. "$*<>:|?` (portable across servers). */
export function databaseName(raw: string): string {
  if (raw === '') invalid('must not be empty');
  if (Buffer.byteLength(raw) > 63) invalid('must be at most 63 bytes');
  if (/[/\\. "$*<>:|?\0]/.test(raw)) invalid('must not contain any of / \\ . space " $ * < > : | ?');
  return raw;
}

/** One MQTT topic level: not empty, no `/`, no wildcards `+` `#`, not starting `$` (kept for the broker). */
export function topicLevel(raw: string): string {
  if (raw === '') invalid('must not be empty');
  if (/[/+#\0]/.test(raw)) invalid('must be one MQTT topic level: no /, + or #');
  if (raw.startsWith('$')) invalid('must not start with $ (topics starting $ belong to the broker)');
  if (Buffer.byteLength(raw) > 256) invalid('must be at most 256 bytes');
  return raw;
}

/** A lot, level, slot, gate or device id: 1-32 characters of A-Z a-z 0-9 _ -. */
export function id(raw: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(raw)) invalid('must be 1-32 characters of A-Z a-z 0-9 _ -');
  return raw;
}

/** A comma-separated list of ids (at least one, no repeats), in the order given. */
export function idList(raw: string): readonly string[] {
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) invalid('must be a comma-separated list of ids (1-32 characters of A-Z a-z 0-9 _ -)');
  for (const item of items) if (!/^[A-Za-z0-9_-]{1,32}$/.test(item)) invalid(`${item}: must be 1-32 characters of A-Z a-z 0-9 _ -`);
  const repeated = items.find((item, i) => items.indexOf(item) !== i);
  if (repeated) invalid(`${repeated} is listed twice`);
  return Object.freeze(items);
}

/** One part of a partition: `i/n`, this instance's part i (0 to n-1) of n (1-1024). */
export interface Part {
  readonly index: number;
  readonly count: number;
}

/** `i/n` with 0 <= i < n <= 1024. */
export function part(raw: string): Part {
  const match = /^(\d{1,4})\s*\/\s*(\d{1,4})$/.exec(raw);
  if (!match) invalid('must be i/n: part i (0 to n-1) of n parts, e.g. 0/4');
  const [index, count] = [Number(match[1]), Number(match[2])];
  if (!(count >= 1 && count <= 1024)) invalid('n must be 1-1024');
  if (index >= count) invalid(`i must be 0-${count - 1} (parts are numbered from 0)`);
  return Object.freeze({ index, count });
}

/** A whole number in [min, max]. */
export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (raw) => {
    const n = /^-?\d{1,15}$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= min && n <= max)) invalid(max === Number.MAX_SAFE_INTEGER ? `must be a whole number, at least ${min}` : `must be a whole number ${min}-${max}`);
    return n;
  };
}

/** A positive decimal number (e.g. a rate). */
export function positiveNumber(raw: string): number {
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n > 0 && Number.isFinite(n))) invalid('must be a number above 0');
  return n;
}

/** A non-empty string. */
export function text(raw: string): string {
  if (raw === '') invalid('must not be empty');
  return raw;
}
