// The publish load: slot updates at a steady rate over several sensor-gateway
// connections (QoS 1, retained, as devices publish), plus latency probes at
// their own rate on a connection of their own.
import { Pacer } from './pacer.ts';
import type { SlotFleet } from './slots.ts';
import { WireClient } from './wire.ts';

export interface LoadPlan {
  /** Slot updates per second, probes included. */
  rate: number;
  durationMs: number;
  /** Probes per second (part of `rate`); 0 = none. */
  probeRate?: number;
  /** Sends probe number `i` (the generator counts them). */
  sendProbe?: (i: number) => void;
}

export interface LoadResult {
  rate: number;
  /** Updates sent, probes included. */
  sent: number;
  probes: number;
  elapsedMs: number;
  achievedRate: number;
  /** Most updates the schedule was ahead of the generator. */
  maxBehind: number;
  /** Ticks in which a connection had `maxInflight` unacknowledged publishes and sending paused. */
  blockedTicks: number;
  /** Publishes still unacknowledged when the run ended. */
  unacked: number;
}

export interface LoadOptions {
  /** Unacknowledged QoS 1 publishes per connection before it pauses (default 20,000). */
  maxInflight?: number;
  /** Called for every load update sent (its seq and the send time, performance.now()). */
  onSend?: (seq: number, atMs: number) => void;
}

const TICK_MS = 1;

export class LoadGenerator {
  /** The next seq: one counter for the whole fleet, so every slot's seq grows. */
  seq = 1;
  private readonly maxInflight: number;

  constructor(
    readonly publishers: readonly WireClient[],
    readonly fleet: SlotFleet,
    private readonly options: LoadOptions = {},
  ) {
    if (!publishers.length) throw new Error('the load needs at least one publisher connection');
    this.maxInflight = options.maxInflight ?? 20_000;
  }

  /** Opens `n` gateway connections to host:port. */
  static async connect(host: string, port: number, n: number, tag: string): Promise<WireClient[]> {
    return Promise.all(Array.from({ length: n }, (_, k) => WireClient.connect({ host, port, clientId: `bench-${tag}-gw${k}-${process.pid}` })));
  }

  run(plan: LoadPlan): Promise<LoadResult> {
    const start = performance.now();
    const probeRate = plan.probeRate && plan.sendProbe ? plan.probeRate : 0;
    const loadRate = plan.rate - probeRate;
    const pacer = loadRate > 0 ? new Pacer(loadRate, start) : undefined;
    const probes = probeRate > 0 ? new Pacer(probeRate, start) : undefined;
    const k = this.publishers.length;
    const onSend = this.options.onSend;
    let maxBehind = 0;
    let blockedTicks = 0;
    return new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        const end = now >= start + plan.durationMs;
        const at = end ? start + plan.durationMs : now;
        // The last tick sends whatever is still owed, so a run sends rate × duration unless the brokers held it back.
        if (pacer) {
          const due = end ? pacer.behind(at) : pacer.due(at);
          let sent = 0;
          let blocked = false;
          const ts = Date.now();
          for (; sent < due; sent += 1) {
            const gateway = this.fleet.peekIndex() % k;
            const client = this.publishers[gateway];
            if (client.inflight >= this.maxInflight || client.closed) {
              blocked = true;
              break;
            }
            const seq = this.seq;
            this.seq += 1;
            const message = this.fleet.next(seq, ts, `gw${gateway}`);
            client.publish(message.topic, message.payload, 1, true);
            onSend?.(seq, now);
          }
          pacer.commit(sent);
          if (blocked) blockedTicks += 1;
          maxBehind = Math.max(maxBehind, pacer.behind(at));
        }
        if (probes) {
          const due = end ? probes.behind(at) : probes.due(at);
          for (let i = 0; i < due; i += 1) plan.sendProbe!(probes.sent + i);
          probes.commit(due);
        }
        if (!end) {
          setTimeout(tick, TICK_MS);
          return;
        }
        const elapsedMs = performance.now() - start;
        const sent = (pacer?.sent ?? 0) + (probes?.sent ?? 0);
        resolve({
          rate: plan.rate,
          sent,
          probes: probes?.sent ?? 0,
          elapsedMs: Math.round(elapsedMs),
          achievedRate: Math.round((sent * 1000) / plan.durationMs),
          maxBehind,
          blockedTicks,
          unacked: this.publishers.reduce((n, c) => n + c.inflight, 0),
        });
      };
      tick();
    });
  }
}
