// Devices that went offline (their Last Will): after a grace time their slots
// count as `unknown`; they return to their reported state when the device does.
export interface OfflineEvents {
  /** The grace time ran out: `device` at `lot` is offline. */
  expired(lot: string, device: string): void;
  /** The device is back after having been marked offline. */
  returned(lot: string, device: string): void;
}

export class OfflineTracker {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly offline = new Set<string>();

  constructor(
    private readonly graceMs: number,
    private readonly events: OfflineEvents,
  ) {}

  private key = (lot: string, device: string) => `${lot}/${device}`;

  isOffline(lot: string, device: string | undefined): boolean {
    return device !== undefined && this.offline.has(this.key(lot, device));
  }

  status(lot: string, device: string, status: 'online' | 'offline'): void {
    const key = this.key(lot, device);
    const timer = this.timers.get(key);
    if (status === 'offline') {
      if (timer || this.offline.has(key)) return;
      const t = setTimeout(() => {
        this.timers.delete(key);
        this.offline.add(key);
        this.events.expired(lot, device);
      }, this.graceMs);
      t.unref();
      this.timers.set(key, t);
      return;
    }
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (this.offline.delete(key)) this.events.returned(lot, device);
  }

  get count(): number {
    return this.offline.size;
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
