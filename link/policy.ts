// Which broker to try next and how long to wait first: pure, no timers.
//
// - The first attempt after a link dies goes to the next server at once.
// - A failed attempt moves on to the following server at once, until every
//   server has been tried in this round.
// - When a whole round failed, wait (exponential backoff with jitter) and
//   start the next round from the primary.
// - A round in which a broker was silent (took the connection but sent no
//   CONNACK in time, or its accept queue was full so the TCP connection never
//   came up) waits far longer, with full jitter, and the next attempt waits
//   longer for its CONNACK: coming back at once only adds to the queue of
//   connects that broker works through, while a refused connection (nobody
//   listening) costs nobody anything.

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
  /** First wait after a round in which a broker was silent (no CONNACK or no TCP connection in time, or "server unavailable"), ms (default 1000). */
  busyInitialMs?: number;
  /** Longest wait after a busy round, ms (default 30000). */
  busyMaxMs?: number;
}

export interface NextAttempt {
  index: number;
  delayMs: number;
}

export class ServerRotation {
  private tried = 0;
  private failedRounds = 0;
  private busyRounds = 0;
  private busyInRound = false;
  private last = -1;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly busyInitialMs: number;
  private readonly busyMaxMs: number;

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
    this.busyInitialMs = backoff.busyInitialMs ?? 1000;
    this.busyMaxMs = Math.max(this.maxMs, backoff.busyMaxMs ?? 30_000);
  }

  /** The very first attempt: the primary, at once. */
  first(): NextAttempt {
    this.tried = 0;
    this.busyInRound = false;
    this.last = 0;
    return { index: 0, delayMs: 0 };
  }

  /** A connection to `index` came up: the next trouble starts a fresh round without backoff. */
  connected(index: number): void {
    this.last = index;
    this.tried = 0;
    this.failedRounds = 0;
    this.busyRounds = 0;
    this.busyInRound = false;
  }

  /** The live link to `index` died: try the next server at once (the same one when it is the only one). */
  linkDied(index: number): NextAttempt {
    this.tried = 1;
    this.busyInRound = false;
    this.last = (index + 1) % this.count;
    return { index: this.last, delayMs: 0 };
  }

  /**
   * How long the next attempt waits for its CONNACK, given the usual `baseMs`: twice as long after
   * every busy round in a row, up to 30 s (or `baseMs` when longer). A broker working through a
   * queue of connects longer than the wait only ever answers connections already given up on.
   */
  connackMs(baseMs: number): number {
    return Math.min(Math.max(baseMs, 30_000), baseMs * 2 ** this.busyRounds);
  }

  /**
   * The attempt on `index` failed (`busy`: the broker took the connection but sent no CONNACK in
   * time, or the connection itself was not up in time: busy or cut off, not refused): the next
   * server at once, or after a backoff when the round is done.
   */
  attemptFailed(index: number, busy = false): NextAttempt {
    this.tried += 1;
    this.busyInRound ||= busy;
    if (this.tried < this.count) {
      this.last = (index + 1) % this.count;
      return { index: this.last, delayMs: 0 };
    }
    const wasBusy = this.busyInRound;
    this.tried = 0;
    this.last = 0;
    this.busyInRound = false;
    if (wasBusy) {
      // Full jitter over a window that doubles: a fleet's retries spread out instead of returning as one wave.
      const window = Math.min(this.busyMaxMs, this.busyInitialMs * this.factor ** this.busyRounds);
      this.busyRounds += 1;
      return { index: 0, delayMs: Math.round(window * this.random()) };
    }
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.failedRounds);
    this.failedRounds += 1;
    const delayMs = Math.round(base * (1 - this.jitter + this.jitter * 2 * this.random()));
    return { index: 0, delayMs: Math.min(this.maxMs, Math.max(0, delayMs)) };
  }
}
