// Latency probes: slot updates that can be recognised where they come out.
// Probe i sets slot `p<i>` of a lot used only by probes to occupied, so the
// lot's occupied count only grows: an availability summary saying
// `occupiedSpotNumber: k` shows that probes 0..k-1 are visible (they are sent
// in order on one connection, and ingest keeps that order). The durable
// document of probe i is recognised by its `_id`.
import { summarize, type LatencySummary } from './stats.ts';

export const PROBE_LEVEL = 'P';

export const probeSlot = (i: number): string => `p${i}`;

/** The probe index of a `slots` document id `{lot}/P/p{i}` of `lot`, or undefined. */
export function probeIndexOf(lot: string, id: string): number | undefined {
  const prefix = `${lot}/${PROBE_LEVEL}/p`;
  if (!id.startsWith(prefix)) return undefined;
  const n = Number(id.slice(prefix.length));
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** `occupiedSpotNumber` of an availability summary payload, or undefined. */
export function occupiedOf(payload: Buffer | string): number | undefined {
  try {
    const value = (JSON.parse(payload.toString()) as { occupiedSpotNumber?: unknown }).occupiedSpotNumber;
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface ProbeResults {
  sent: number;
  /** Probes seen in the availability summary. */
  visible: number;
  /** Probes seen durable (change stream on `slots`); null when not tracked. */
  durable: number | null;
  availability: LatencySummary;
  durableLatency: LatencySummary;
}

/** Send and arrival times (ms, one clock) of the probes of one run. */
export class ProbeBook {
  private readonly sentAt: number[] = [];
  private readonly visibleAt: number[] = [];
  private readonly durableAt: number[] = [];
  private visibleCount = 0;
  private durableCount = 0;
  private waiters: Array<() => void> = [];

  /** `durable: false` when nothing reports durable documents (then only visibility counts). */
  constructor(readonly trackDurable = true) {}

  get sent(): number {
    return this.sentAt.length;
  }

  get visible(): number {
    return this.visibleCount;
  }

  get durable(): number {
    return this.durableCount;
  }

  /** Records the next probe's send time; returns its index. */
  markSent(atMs: number): number {
    this.sentAt.push(atMs);
    this.visibleAt.push(NaN);
    this.durableAt.push(NaN);
    return this.sentAt.length - 1;
  }

  /** An availability summary saying `occupied` probes are in: every probe below that index is visible now (first sight counts). */
  markVisibleUpTo(occupied: number, atMs: number): void {
    const upTo = Math.min(occupied, this.sentAt.length);
    for (let i = this.visibleCount; i < upTo; i += 1) if (Number.isNaN(this.visibleAt[i])) this.visibleAt[i] = atMs;
    if (upTo > this.visibleCount) this.visibleCount = upTo;
    this.wake();
  }

  markDurable(index: number, atMs: number): void {
    if (index >= this.sentAt.length || !Number.isNaN(this.durableAt[index])) return;
    this.durableAt[index] = atMs;
    this.durableCount += 1;
    this.wake();
  }

  /** True once every probe sent so far is visible and durable. */
  get complete(): boolean {
    return this.visibleCount >= this.sentAt.length && (!this.trackDurable || this.durableCount >= this.sentAt.length);
  }

  /** Resolves when every probe sent so far is visible and durable, or false after `timeoutMs`. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.complete) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!this.complete) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Latencies of what arrived; a probe that never arrived is counted as missing, not as a latency. */
  results(): ProbeResults {
    const delays = (arrivals: number[]) => arrivals.map((at, i) => at - this.sentAt[i]);
    return {
      sent: this.sentAt.length,
      visible: this.visibleCount,
      durable: this.trackDurable ? this.durableCount : null,
      availability: summarize(delays(this.visibleAt)),
      durableLatency: summarize(delays(this.durableAt)),
    };
  }
}
