// Limits on failed MQTT authentications (pure but for the clock it is given).
// Only failures count: a fleet of thousands presenting correct credentials
// from one address is never slowed. Two token buckets, one per remote address
// and one per (user name, address): each failure takes a token, tokens come
// back at a steady rate, and while a bucket is empty the broker refuses
// without checking. There is no lock per user name alone, so failing a
// device's user name from elsewhere never locks that device out. An entry
// whose bucket is full again is forgotten, and at most `maxEntries` are kept
// (the oldest forgotten first), so memory stays bounded under any attack.

export interface Bucket {
  /** Failures allowed in a burst. */
  burst: number;
  /** One more failure allowed every this many ms. */
  refillMs: number;
}

export interface ThrottleOptions {
  /** Per remote address (an IPv6 address counts by its /64). Default 100 at once, then 1 a second. */
  perAddress?: Bucket;
  /** Per (user name, remote address). Default 5 at once, then 1 every 12 s. */
  perUser?: Bucket;
  /** Entries kept at most (default 100 000). */
  maxEntries?: number;
  now?: () => number;
}

export const DEFAULT_PER_ADDRESS: Bucket = Object.freeze({ burst: 100, refillMs: 1_000 });
export const DEFAULT_PER_USER: Bucket = Object.freeze({ burst: 5, refillMs: 12_000 });

export type ThrottleScope = 'address' | 'user';

interface Entry {
  tokens: number;
  at: number;
}

/** The address as throttled: IPv4 (also IPv4-mapped IPv6) as is, IPv6 by its /64 (one host usually holds a whole /64). */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.toLowerCase().replace(/%.*$/, '').split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export class AuthThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #address: Bucket;
  readonly #user: Bucket;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: ThrottleOptions = {}) {
    this.#address = options.perAddress ?? DEFAULT_PER_ADDRESS;
    this.#user = options.perUser ?? DEFAULT_PER_USER;
    this.#max = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** Entries held (for tests and health). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * How long (ms) until `scope` lets this attempt be checked; 0 when it may be checked now.
   * Attempts refused while throttled do not count as failures.
   */
  waitMs(scope: ThrottleScope, username: string, address: string | undefined): number {
    const bucket = scope === 'address' ? this.#address : this.#user;
    const tokens = this.#tokens(this.#key(scope, username, address), bucket, this.#now());
    return tokens >= 1 ? 0 : Math.ceil((1 - tokens) * bucket.refillMs);
  }

  /** Counts a failed check against both buckets; returns the scopes that are now throttled. */
  failed(username: string, address: string | undefined): ThrottleScope[] {
    const now = this.#now();
    const throttled: ThrottleScope[] = [];
    for (const [scope, bucket] of [['address', this.#address], ['user', this.#user]] as const) {
      const key = this.#key(scope, username, address);
      const tokens = Math.max(0, this.#tokens(key, bucket, now) - 1);
      // Re-inserted, so the map stays ordered by last failure and the oldest go first.
      this.#entries.delete(key);
      this.#entries.set(key, { tokens, at: now });
      if (tokens < 1) throttled.push(scope);
    }
    this.#sweep(now);
    return throttled;
  }

  #key(scope: ThrottleScope, username: string, address: string | undefined): string {
    return scope === 'address' ? `a\0${addressKey(address)}` : `u\0${addressKey(address)}\0${username}`;
  }

  #tokens(key: string, bucket: Bucket, now: number): number {
    const entry = this.#entries.get(key);
    if (!entry) return bucket.burst;
    return Math.min(bucket.burst, entry.tokens + Math.max(0, now - entry.at) / bucket.refillMs);
  }

  /** Forgets entries whose buckets are full again (oldest first, a few per call) and any past the cap. */
  #sweep(now: number): void {
    let checked = 0;
    for (const [key, entry] of this.#entries) {
      const bucket = key.startsWith('a\0') ? this.#address : this.#user;
      const full = entry.tokens + (now - entry.at) / bucket.refillMs >= bucket.burst;
      if (this.#entries.size > this.#max || full) this.#entries.delete(key);
      else if (++checked >= 8) break;
    }
  }
}
