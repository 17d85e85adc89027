// When a link on a standby goes back to the primary.
//
// Every `probeIntervalMs` (±20 %, so a fleet that failed over together does
// not act in lockstep) the link checks the primary; after a failover the
// first check waits a failback window more (core.ts `ready`): the standby's
// first seconds go to the fleet's pending publishes, not to its questions
// about the primary (docs/devices.md, "Returning to the primary"):
// - heartbeat liveness: a separate short probe connection must get a
//   heartbeat, `probeHealthy` times in a row;
// - ack liveness: no separate probe (a probe is a connection, and a fleet of
//   probes is a storm); the failback connection is the check.
// Then it waits a random time in `failbackWindowMs` and moves: a fleet that
// sat on the standby returns spread over the window, not all at once. A
// failed move starts over, after twice the wait of the one before (up to 32
// times the probe interval), and the next attempt gives the primary twice as
// long to show its heartbeat: a primary too busy taking the fleet back to
// answer in time must not be kept busy by the fleet's retries (at 10,000
// devices, retrying at the same pace kept a restarted primary from taking
// anyone back). A return lost again soon after it (core.ts `returning`)
// counts as a failed move too. While the standby says its bridge to the primary is down
// (`$SYS/<id>/bridge`), nothing moves: the link plans again when it says
// `synced`.

export interface FailbackPlan {
  liveness: 'heartbeat' | 'ack';
  probeIntervalMs: number;
  probeHealthy: number;
  failbackWindowMs: number;
}

export interface FailbackActions {
  /** heartbeat liveness: one probe of the primary; true when healthy. */
  probe(): Promise<boolean>;
  /** Still on a standby and free to move (no move under way, not closing). */
  canMove(): boolean;
  /** Opens the connection back to the primary. */
  move(): void;
}

/** Failed moves in a row that still lengthen the wait (2^5 = 32 times). */
const MAX_DOUBLINGS = 5;

export class FailbackPlanner {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private busy = false;
  private streak = 0;
  private failures = 0;
  readonly counts = { healthy: 0, failed: 0 };

  constructor(
    private readonly plan: FailbackPlan,
    private readonly actions: FailbackActions,
    private readonly random: () => number,
  ) {}

  /** 2^(failed moves in a row): how much longer the next wait, and the next check of the primary, may be. */
  get backoff(): number {
    return 2 ** this.failures;
  }

  /** The link is ready on a standby: plan the return, unless one is planned; the first check no sooner than `notBeforeMs`. */
  schedule(notBeforeMs = 0): void {
    if (this.plan.probeIntervalMs <= 0 || this.timer || this.busy) return;
    this.later(notBeforeMs + this.plan.probeIntervalMs * this.backoff * (0.8 + 0.4 * this.random()), () => void this.check());
  }

  /** The move back failed (the primary refused, or did not show its heartbeat in time): plan again, waiting longer. */
  moveFailed(): void {
    this.returnFailed();
    this.schedule();
  }

  /** The link lost the primary soon after it moved back: the next return, once on a standby, waits longer. */
  returnFailed(): void {
    this.failures = Math.min(this.failures + 1, MAX_DOUBLINGS);
  }

  /** The return held (the link lost a primary it had served a while): the next failed move starts from the first wait. */
  reset(): void {
    this.failures = 0;
  }

  /** Forgets the plan (the link moved back, was lost or closes); failed moves still count. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.streak = 0;
  }

  private later(ms: number, fn: () => void): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fn();
    }, ms);
  }

  private async check(): Promise<void> {
    if (!this.actions.canMove()) return;
    if (this.plan.liveness === 'heartbeat') {
      this.busy = true;
      let healthy: boolean;
      try {
        healthy = await this.actions.probe();
      } finally {
        this.busy = false;
      }
      if (healthy) this.counts.healthy += 1;
      else this.counts.failed += 1;
      this.streak = healthy ? this.streak + 1 : 0;
      if (!this.actions.canMove()) return;
      if (this.streak < this.plan.probeHealthy) return this.schedule();
    }
    this.streak = 0;
    this.later(this.plan.failbackWindowMs * this.random(), () => {
      if (this.actions.canMove()) this.actions.move();
    });
  }
}
