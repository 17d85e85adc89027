// The drill's message accounting: every message the measuring devices send,
// its acknowledgement, and every time an observer (a subscriber on either
// broker) sees it. Pure: times are given by the caller (milliseconds on one
// monotonic clock).

/** Which broker acknowledged a publish. */
export type Via = 'primary' | 'standby';

interface Entry {
  device: string;
  seq: number;
  bytes: number;
  sentAt: number;
  /** The broker the device's link was connected to when it published; none during an outage. */
  sentTo?: Via;
  ackedAt?: number;
  ackVia?: Via;
  firstSeenAt?: number;
  /** Live (not retained-replay) receipts per observer. */
  live?: Map<string, number>;
}

export interface Counts {
  sent: number;
  acked: number;
  /** Seen by at least one observer (live or as a retained replay), counted once per device and seq. */
  delivered: number;
  /** Sent but never seen by any observer. */
  lost: number;
  /** Extra live receipts of the same message by the same observer. */
  duplicated: number;
}

export interface Rate {
  messages: number;
  bytes: number;
  windowMs: number;
  messagesPerSec: number;
  bytesPerSec: number;
}

/** First index of `entries` (sorted by sentAt) whose sentAt >= t. */
function lowerBound(entries: readonly Entry[], t: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].sentAt < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const keyOf = (device: string, seq: number) => `${device}\u0000${seq}`;

export class Ledger {
  private readonly entries: Entry[] = [];
  private readonly byKey = new Map<string, Entry>();
  private readonly byDevice = new Map<string, Entry[]>();
  private readonly listeners = new Set<() => void>();
  /** Receipts of messages this ledger never sent (an earlier drill's retained states). */
  unknown = 0;

  /** A message went out (to the broker `to`, when the link had one); `at` must not go back in time between calls. */
  sent(device: string, seq: number, bytes: number, at: number, to?: Via): void {
    const last = this.entries[this.entries.length - 1];
    if (last && at < last.sentAt) throw new RangeError(`sent() times must not decrease (${at} after ${last.sentAt})`);
    const key = keyOf(device, seq);
    if (this.byKey.has(key)) throw new Error(`message ${device} #${seq} was already sent`);
    const entry: Entry = { device, seq, bytes, sentAt: at, ...(to ? { sentTo: to } : {}) };
    this.entries.push(entry);
    this.byKey.set(key, entry);
    const own = this.byDevice.get(device);
    if (own) own.push(entry);
    else this.byDevice.set(device, [entry]);
    this.changed();
  }

  /** A broker acknowledged it (the first acknowledgement counts). */
  acked(device: string, seq: number, at: number, via: Via): void {
    const entry = this.byKey.get(keyOf(device, seq));
    if (!entry || entry.ackedAt !== undefined) return;
    entry.ackedAt = at;
    entry.ackVia = via;
    this.changed();
  }

  /** `observer` received it; `retained` when it came as a retained replay on (re)subscribing. */
  seen(observer: string, device: string, seq: number, at: number, retained: boolean): void {
    const entry = this.byKey.get(keyOf(device, seq));
    if (!entry) {
      this.unknown += 1;
      return;
    }
    if (!retained) {
      entry.live ??= new Map();
      entry.live.set(observer, (entry.live.get(observer) ?? 0) + 1);
    }
    if (entry.firstSeenAt === undefined || at < entry.firstSeenAt) {
      const first = entry.firstSeenAt === undefined;
      entry.firstSeenAt = at;
      if (first) this.changed();
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** Counts for the messages sent in [from, to). */
  counts(from = -Infinity, to = Infinity): Counts {
    const out: Counts = { sent: 0, acked: 0, delivered: 0, lost: 0, duplicated: 0 };
    for (const entry of this.range(from, to)) {
      out.sent += 1;
      if (entry.ackedAt !== undefined) out.acked += 1;
      if (entry.firstSeenAt !== undefined) out.delivered += 1;
      for (const n of entry.live?.values() ?? []) out.duplicated += Math.max(0, n - 1);
    }
    out.lost = out.sent - out.delivered;
    return out;
  }

  /** Messages first seen by an observer in [from, to), per second (the delivered rate). */
  throughput(from: number, to: number): Rate {
    const windowMs = Math.max(0, to - from);
    let messages = 0;
    let bytes = 0;
    for (const entry of this.entries) {
      if (entry.firstSeenAt !== undefined && entry.firstSeenAt >= from && entry.firstSeenAt < to) {
        messages += 1;
        bytes += entry.bytes;
      }
    }
    const perSec = (n: number) => (windowMs > 0 ? (n * 1000) / windowMs : 0);
    return { messages, bytes, windowMs, messagesPerSec: perSec(messages), bytesPerSec: perSec(bytes) };
  }

  /** Up to `limit` of the messages sent in [from, to) that no observer saw, oldest first. */
  missing(from: number, to: number, limit: number): Array<{ device: string; seq: number; sentAt: number; ackedAt?: number; ackVia?: Via }> {
    const out: Array<{ device: string; seq: number; sentAt: number; ackedAt?: number; ackVia?: Via }> = [];
    for (const entry of this.range(from, to)) {
      if (entry.firstSeenAt !== undefined) continue;
      out.push({ device: entry.device, seq: entry.seq, sentAt: entry.sentAt, ...(entry.ackedAt !== undefined ? { ackedAt: entry.ackedAt, ackVia: entry.ackVia } : {}) });
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Messages sent in [from, to) not seen by any observer yet. */
  undelivered(from = -Infinity, to = Infinity): number {
    let n = 0;
    for (const entry of this.range(from, to)) if (entry.firstSeenAt === undefined) n += 1;
    return n;
  }

  /**
   * When the last of the messages sent in [from, to) was first seen, once all of them were;
   * undefined while some are missing; `from` when there are none.
   */
  deliveredBy(from: number, to: number): number | undefined {
    let last = from;
    for (const entry of this.range(from, to)) {
      if (entry.firstSeenAt === undefined) return undefined;
      last = Math.max(last, entry.firstSeenAt);
    }
    return last;
  }

  /** `device`'s messages sent in [from, to) not acknowledged yet. */
  unackedOf(device: string, from: number, to: number): number {
    let n = 0;
    for (const entry of this.deviceRange(device, from, to)) if (entry.ackedAt === undefined) n += 1;
    return n;
  }

  /**
   * The first acknowledgement at or after `ackedFrom`, by `via`, of `device`'s messages sent in
   * [from, to) that waited for the switch: sent while the link had no broker, or to another one.
   */
  firstSwitchedAckOf(device: string, from: number, to: number, via: Via, ackedFrom: number): number | undefined {
    let first: number | undefined;
    for (const entry of this.deviceRange(device, from, to)) {
      if (entry.ackedAt === undefined || entry.ackVia !== via || entry.ackedAt < ackedFrom || entry.sentTo === via) continue;
      if (first === undefined || entry.ackedAt < first) first = entry.ackedAt;
    }
    return first;
  }

  /** Calls `listener` after every send, acknowledgement and first sighting; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private *range(from: number, to: number): Generator<Entry> {
    for (let i = this.lowerBound(from); i < this.entries.length && this.entries[i].sentAt < to; i += 1) yield this.entries[i];
  }

  private *deviceRange(device: string, from: number, to: number): Generator<Entry> {
    const own = this.byDevice.get(device) ?? [];
    for (let i = lowerBound(own, from); i < own.length && own[i].sentAt < to; i += 1) yield own[i];
  }

  private lowerBound(t: number): number {
    return lowerBound(this.entries, t);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** How far before the fault an unacknowledged publish still counts as in flight at the fault, ms. */
const LOOKBACK_MS = 10_000;

/** What the drill knows of one device's failover, ms after the fault. */
export interface DeviceRecovery {
  /** The link declared the primary gone. */
  lostMs: number | null;
  /** The link was up on the standby. */
  readyMs: number | null;
  /** The first PUBACK from the standby for a publish that was blocked; null when none was. */
  recoveredMs: number | null;
}

export interface RecoveryResult {
  /** When the last blocked device got its first PUBACK from the standby; null if one never did, or none was blocked. */
  failoverMs: number | null;
  /** When the first blocked device did. */
  firstMs: number | null;
  /** Devices with a publish that was blocked by the fault. */
  blocked: number;
  /** Latest time a device's link noticed the loss, and was up on the standby. */
  detectMs: number | null;
  linkReadyMs: number | null;
  perDevice: Record<string, DeviceRecovery>;
}

/**
 * Failover as the devices see it. A publish is blocked when it went out before the device's
 * link was up on the standby and was not acknowledged by the broker it was sent to (in flight
 * on the primary at the fault, or made while the link had no broker); it is acknowledged by
 * the standby once the link resends it. For each device with a blocked publish: the time from
 * the fault to the first such acknowledgement. A device that moved while its old broker still
 * served it (a planned switchover) has no blocked publish: nothing it sent waited for the switch.
 */
export class RecoveryWatch {
  private readonly lost = new Map<string, number>();
  private readonly ready = new Map<string, number>();

  constructor(
    private readonly ledger: Ledger,
    readonly faultAt: number,
    /** Devices connected to the primary at the fault. */
    readonly devices: ReadonlySet<string>,
  ) {}

  /** The device's link declared its broker gone. */
  linkLost(device: string, at: number): void {
    if (this.devices.has(device) && at >= this.faultAt && !this.lost.has(device)) this.lost.set(device, at);
  }

  /** The device's link is up on the standby. */
  linkReady(device: string, at: number): void {
    if (this.devices.has(device) && at >= this.faultAt && !this.ready.has(device)) this.ready.set(device, at);
  }

  /** Every device is on the standby and every publish it made before is acknowledged. */
  get complete(): boolean {
    for (const device of this.devices) {
      const ready = this.ready.get(device);
      if (ready === undefined || this.ledger.unackedOf(device, this.faultAt - LOOKBACK_MS, ready) > 0) return false;
    }
    return true;
  }

  result(): RecoveryResult {
    const perDevice: Record<string, DeviceRecovery> = {};
    const recovered: number[] = [];
    let unrecovered = 0;
    for (const device of [...this.devices].sort()) {
      const ready = this.ready.get(device);
      const since = (t: number | undefined) => (t === undefined ? null : t - this.faultAt);
      const first = ready === undefined ? undefined : this.ledger.firstSwitchedAckOf(device, this.faultAt - LOOKBACK_MS, ready, 'standby', this.faultAt);
      const blockedUnacked = ready === undefined || this.ledger.unackedOf(device, this.faultAt - LOOKBACK_MS, ready) > 0;
      perDevice[device] = { lostMs: since(this.lost.get(device)), readyMs: since(ready), recoveredMs: since(first) };
      if (first !== undefined) recovered.push(first - this.faultAt);
      else if (blockedUnacked) unrecovered += 1;
    }
    const times = (map: Map<string, number>) => (map.size === this.devices.size && map.size > 0 ? Math.max(...map.values()) - this.faultAt : null);
    return {
      failoverMs: recovered.length && unrecovered === 0 ? Math.max(...recovered) : null,
      firstMs: recovered.length ? Math.min(...recovered) : null,
      blocked: recovered.length + unrecovered,
      detectMs: times(this.lost),
      linkReadyMs: times(this.ready),
      perDevice,
    };
  }
}
