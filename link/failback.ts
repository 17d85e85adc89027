// When a link on a standby goes back to the primary.
//
// Every `probeIntervalMs` (±20 %, so a fleet that failed over together does
// not act in lockstep) the link checks the primary:
// - heartbeat liveness: a separate short probe connection must get a
//   heartbeat, `probeHealthy` times in a row;
// - ack liveness: no separate probe (a probe is a connection, and a fleet of
//   probes is a storm); the failback connection is the check.
// Then it waits a random time in `failbackWindowMs` and moves: a fleet that
// sat on the standby returns spread over the window, not all at once. A
// failed move starts over. While the standby says its bridge to the primary
// is down (`$SYS/<id>/bridge`), nothing moves: the link plans again when it
// says `synced`.

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

export class FailbackPlanner {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private busy = false;
  private streak = 0;
  readonly counts = { healthy: 0, failed: 0 };

  constructor(
    private readonly plan: FailbackPlan,
    private readonly actions: FailbackActions,
    private readonly random: () => number,
  ) {}

  /** The link is ready on a standby (or a move failed): plan the return, unless one is planned. */
  schedule(): void {
    if (this.plan.probeIntervalMs <= 0 || this.timer || this.busy) return;
    this.later(this.plan.probeIntervalMs * (0.8 + 0.4 * this.random()), () => void this.check());
  }

  /** Forgets the plan: the link moved, was lost or closes. */
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
