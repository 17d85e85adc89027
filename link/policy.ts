// Which broker to try next and how long to wait first: pure, no timers.
//
// - The first attempt after a link dies goes to the next server at once.
// - A failed attempt moves on to the following server at once, until every
//   server has been tried in this round.
// - When a whole round failed, wait (exponential backoff with jitter) and
//   start the next round from the primary.

export type Role = 'primary' | 'standby';

/** Server 0 is the primary; every other server is a standby. */
export const roleOf = (index: number): Role => (index === 0 ? 'primary' : 'standby');

export interface BackoffOptions {
  /** First wait after a failed round, ms (default 100). */
  initialMs?: number;
  /** Longest wait, ms (default 5000). */
  maxMs?: number;
  /** Growth per failed round (default 2). */
  factor?: number;
  /** Share of the wait drawn at random, 0-1 (default 0.2): spreads a fleet reconnecting at once. */
  jitter?: number;
}

export interface NextAttempt {
  index: number;
  delayMs: number;
}

export class ServerRotation {
  private tried = 0;
  private failedRounds = 0;
  private last = -1;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;

  constructor(
    readonly count: number,
    backoff: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    if (count < 1) throw new Error('at least one server is needed');
    this.initialMs = backoff.initialMs ?? 100;
    this.maxMs = backoff.maxMs ?? 5000;
    this.factor = backoff.factor ?? 2;
    this.jitter = backoff.jitter ?? 0.2;
  }

  /** The very first attempt: the primary, at once. */
  first(): NextAttempt {
    this.tried = 0;
    this.last = 0;
    return { index: 0, delayMs: 0 };
  }

  /** A connection to `index` came up: the next trouble starts a fresh round without backoff. */
  connected(index: number): void {
    this.last = index;
    this.tried = 0;
    this.failedRounds = 0;
  }

  /** The live link to `index` died: try the next server at once (the same one when it is the only one). */
  linkDied(index: number): NextAttempt {
    this.tried = 1;
    this.last = (index + 1) % this.count;
    return { index: this.last, delayMs: 0 };
  }

  /** The attempt on `index` failed: the next server at once, or after a backoff when the round is done. */
  attemptFailed(index: number): NextAttempt {
    this.tried += 1;
    if (this.tried < this.count) {
      this.last = (index + 1) % this.count;
      return { index: this.last, delayMs: 0 };
    }
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.failedRounds);
    this.failedRounds += 1;
    this.tried = 0;
    this.last = 0;
    const delayMs = Math.round(base * (1 - this.jitter + this.jitter * 2 * this.random()));
    return { index: 0, delayMs: Math.min(this.maxMs, Math.max(0, delayMs)) };
  }
}
