// When an ack link opens its spare connection, and when it replaces a spare it
// moved onto (see LinkOptions.spare, docs/devices.md "The spare connection").
//
// - The spare opens a random time within `spareDelayMs` after the link is on
//   the primary (at start, after a return, after the spare was lost), so a
//   fleet's spares reach the standby spread, never as a storm. While the
//   spare keeps failing (the standby down), the wait doubles, up to 32 times.
// - A spare carries no Last Will. After the link moved onto it, a connection
//   with the will replaces it once the standby has settled (`settleMs`), a
//   random time within `willRefreshMs` after that (make before break), unless
//   the link went back to the primary first: most returns come sooner, and
//   a fleet's refreshes must not add to the standby's load while it settles.

export interface SpareActions {
  /** On the primary, ready, no spare open, not closing. */
  wantsSpare(): boolean;
  openSpare(): void;
  /** Serving on a connection that was a spare, no other move under way, not closing. */
  wantsRefresh(): boolean;
  refresh(): void;
}

export class SparePlanner {
  private spareTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;

  constructor(
    private readonly delays: { spareDelayMs: number; willRefreshMs: number; settleMs: number },
    private readonly actions: SpareActions,
    private readonly random: () => number,
  ) {}

  /** The spare is up: the next one, if it is lost, waits the plain delay again. */
  spareUp(): void {
    this.failures = 0;
  }

  /** The spare was lost or could not be opened. */
  spareLost(): void {
    this.failures = Math.min(this.failures + 1, 5);
  }

  /** Plans the spare, unless one is planned. */
  planSpare(): void {
    if (this.spareTimer) return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = undefined;
      if (this.actions.wantsSpare()) this.actions.openSpare();
    }, Math.round(this.delays.spareDelayMs * 2 ** this.failures * this.random()));
  }

  /** Plans the replacement of the spare the link serves on, unless one is planned. */
  planRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (this.actions.wantsRefresh()) this.actions.refresh();
    }, this.delays.settleMs + Math.round(this.delays.willRefreshMs * this.random()));
  }

  cancel(): void {
    clearTimeout(this.spareTimer);
    clearTimeout(this.refreshTimer);
    this.spareTimer = this.refreshTimer = undefined;
  }
}
