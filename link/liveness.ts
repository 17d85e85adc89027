// Liveness by acknowledgement (`liveness: 'ack'`): a broker is alive as long
// as it acknowledges what is sent to it in time. Nothing is exchanged for
// liveness while a device has nothing to say (the MQTT keep-alive covers an
// idle link), so an idle device costs the broker nothing.
//
// The deadline of a publish in flight adapts like TCP's retransmission timer
// (RFC 6298): a smoothed round trip plus four times its variation, never less
// than `failoverMs`, never more than `maxAckWaitMs`. The first sample is the
// CONNACK: a broker that took long to accept the link (it is accepting a
// whole fleet) gets a long deadline at once. And for `settleMs` after a
// failover (a connection made because the previous broker failed) or a move
// onto the spare (whose CONNACK, long ago, says nothing of the load now) the
// deadline is at least `settleAckMs`, so a device that got in early does not
// drop a standby that is only busy taking in the rest of the fleet. A return
// to the primary gets a lighter patience (core.ts `returning`): for the
// failback window and the spare delay after it, a silence is asked about
// (a PINGREQ) before the primary is dropped, at the usual deadline, so a
// primary cut off right after a return is noticed within two deadlines.
// Nor is the deadline, for `rttMemoryMs` (60 s), shorter than the longest
// acknowledgement the broker gave while it settled after a failover: the
// smoothed estimate forgets that storm within a few publishes, and a broker
// that just took seconds to take in a fleet may stop for as long again. At
// 10,000 devices, links whose estimate was back at 300 ms dropped a standby
// that stopped for 1.5 s 45 s after a crash. Only the settling counts: a
// memory of every round trip would keep any slow outlier of a steady minute
// as the deadline, and notice a partition that much later.
import { Watchdog } from './watchdog.ts';

/**
 * A smoothed round-trip time and its variation (RFC 6298 §2), and the longest round trip of a
 * recent window. Pure.
 */
export class RoundTrip {
  private srtt: number | undefined;
  private rttvar = 0;
  /** [when, ms] of samples that are the longest since: times rising, round trips falling (a sliding-window maximum). */
  private readonly peaks: Array<[number, number]> = [];
  /** Samples up to this time (epoch ms) are remembered by `peakMs`: those of a broker settling after a failover. */
  rememberUntil = -Infinity;

  sample(ms: number, at = Date.now()): void {
    const r = Math.max(0, ms);
    if (at <= this.rememberUntil) {
      while (this.peaks.length && this.peaks[this.peaks.length - 1][1] <= r) this.peaks.pop();
      this.peaks.push([at, r]);
    }
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
      return;
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
    this.srtt = 0.875 * this.srtt + 0.125 * r;
  }

  /** SRTT + 4 × RTTVAR (with a 10 ms floor for the variation term); 0 before the first sample. */
  get timeoutMs(): number {
    return this.srtt === undefined ? 0 : this.srtt + Math.max(10, 4 * this.rttvar);
  }

  /** The longest remembered round trip sampled within `windowMs` before `now`; 0 without one. */
  peakMs(now: number, windowMs: number): number {
    while (this.peaks.length && now - this.peaks[0][0] > windowMs) this.peaks.shift();
    return this.peaks.length ? this.peaks[0][1] : 0;
  }
}

export interface AckDeadline {
  failoverMs: number;
  settleMs: number;
  settleAckMs: number;
  maxAckWaitMs: number;
  /** A round trip this recent still counts: the deadline is never shorter (0 or absent: none). */
  rttMemoryMs?: number;
}

/** The deadline of a publish in flight on a connection the link began to use at `since` (after a failover: `patient`). Pure. */
export function ackDeadline(limits: AckDeadline, rtt: RoundTrip, since: number, patient: boolean, now: number): number {
  const settling = patient && now - since < limits.settleMs ? limits.settleAckMs : 0;
  const recent = limits.rttMemoryMs ? rtt.peakMs(now, limits.rttMemoryMs) : 0;
  return Math.min(limits.maxAckWaitMs, Math.max(limits.failoverMs, rtt.timeoutMs, settling, recent));
}

/**
 * Watches the publishes in flight on one connection: dead when the oldest one waited past the
 * deadline with nothing heard from the broker since it was sent. With `ask`, a silence is first
 * a question: `ask()` says whether it sent the broker a PINGREQ, and if it did the broker gets one
 * more deadline to answer anything. A broker busy working through a fleet's publishes answers a
 * PINGREQ at once (it needs no delivery) while the PUBACK waits its turn; a dead or cut-off one
 * answers nothing. Once per silence, and never past `maxWaitMs` for the oldest publish (a broker
 * whose message bus stalled answers pings but acknowledges nothing).
 */
export class AckWatch {
  /** Entry id → when it was sent here, oldest first. */
  private readonly inFlight = new Map<number, number>();
  private readonly watchdog: Watchdog;
  /** The lastHeard() value of the silence a question was asked in, and when. */
  private askedFor: number | undefined;
  private askedAt = 0;

  constructor(
    deadline: () => number,
    private readonly lastHeard: () => number,
    onDead: (silentMs: number) => void,
    ask?: { ask(): boolean; maxWaitMs: number },
  ) {
    this.watchdog = new Watchdog(
      deadline,
      () => Math.max(this.lastHeard(), this.oldest() ?? Date.now(), this.askedAt),
      (silentMs) => {
        const heard = this.lastHeard();
        const oldest = this.oldest();
        if (ask && this.askedFor !== heard && oldest !== undefined && Date.now() - oldest < ask.maxWaitMs && ask.ask()) {
          this.askedFor = heard;
          this.askedAt = Date.now();
          this.watchdog.start();
          return;
        }
        onDead(silentMs);
      },
    );
  }

  get size(): number {
    return this.inFlight.size;
  }

  sent(id: number, at: number): void {
    this.inFlight.delete(id);
    this.inFlight.set(id, at);
    if (!this.watchdog.watching) this.watchdog.start();
  }

  /** Acknowledged: the round trip (ms) when it was sent here, else undefined. */
  acked(id: number, at: number): number | undefined {
    const sentAt = this.inFlight.get(id);
    if (sentAt === undefined) return undefined;
    this.inFlight.delete(id);
    if (this.inFlight.size === 0) this.watchdog.stop();
    return at - sentAt;
  }

  stop(): void {
    this.watchdog.stop();
    this.inFlight.clear();
  }

  private oldest(): number | undefined {
    const first = this.inFlight.values().next();
    return first.done ? undefined : first.value;
  }
}
