// The same publish load through the platform's broker alone, a plain Aedes
// broker, Mosquitto, and a bridged primary/standby pair (one subscriber on
// each side), measuring every message from publish to subscriber and the
// broker's CPU.
import { encodeSlotState } from '../../contract/index.ts';
import { MissingBinaryError } from '../../testbed/services/index.ts';
import { cpuPer1000, peerRatios } from '../analysis.ts';
import { LoadGenerator } from '../load.ts';
import type { BenchOptions } from '../options.ts';
import { startBridgedPair, startLonePlatformBroker, startMosquittoPeer, startPlainAedes, type Endpoint, type RunningSystem } from '../platform.ts';
import { ProcessMeter, othersOf } from '../procstat.ts';
import type { PeerRun, PeerTarget, PeersSection } from '../report.ts';
import { SlotFleet, shapeFor } from '../slots.ts';
import { summarize } from '../stats.ts';
import { WireClient } from '../wire.ts';
import type { Progress } from './pipeline.ts';

const SLOT_FILTER = 'parking/+/slot/+/+';
const SEQ = Buffer.from('"seq":');

/** The `seq` of a canonical slot payload, without parsing the JSON. */
export function seqOf(payload: Buffer): number {
  const at = payload.indexOf(SEQ);
  if (at < 0) return -1;
  let n = 0;
  for (let i = at + SEQ.length; i < payload.length; i += 1) {
    const c = payload[i];
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Publish-to-receive times of one run for one subscriber, indexed by seq. */
class Receipts {
  readonly delays: Float64Array;
  count = 0;
  private wake?: () => void;

  constructor(
    readonly base: number,
    readonly sentAt: Float64Array,
  ) {
    this.delays = new Float64Array(sentAt.length).fill(NaN);
  }

  receive(seq: number, at: number): void {
    const i = seq - this.base;
    if (i < 0 || i >= this.delays.length || !Number.isNaN(this.delays[i]) || Number.isNaN(this.sentAt[i])) return;
    this.delays[i] = at - this.sentAt[i];
    this.count += 1;
    this.wake?.();
  }

  /** Resolves once `expected` messages arrived, or after `timeoutMs`. */
  all(expected: number, timeoutMs: number): Promise<void> {
    if (this.count >= expected) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        if (this.count < expected) return;
        this.wake = undefined;
        done();
      };
    });
  }
}

interface Subscriber {
  target: PeerTarget;
  client: WireClient;
  receipts?: Receipts;
}

async function subscriber(target: PeerTarget, at: Endpoint): Promise<Subscriber> {
  const client = await WireClient.connect({ host: at.host, port: at.port, clientId: `bench-peer-${target}-${process.pid}` });
  const sub: Subscriber = { target, client };
  client.onMessage = (message) => {
    const now = performance.now();
    sub.receipts?.receive(seqOf(message.payload), now);
  };
  await client.subscribe([{ topic: SLOT_FILTER, qos: 1 }]);
  return sub;
}

async function measure(
  system: RunningSystem,
  entry: Endpoint,
  subscribers: Subscriber[],
  options: BenchOptions,
  progress: Progress,
  label: string,
): Promise<PeerRun[]> {
  const publishers = await LoadGenerator.connect(entry.host, entry.port, options.publishers, `peer-${label}`);
  const sentAt = { current: new Float64Array(0), base: 0 };
  const load = new LoadGenerator(publishers, new SlotFleet(shapeFor(options.slots)), {
    onSend: (seq, at) => {
      const i = seq - sentAt.base;
      if (i < sentAt.current.length) sentAt.current[i] = at;
    },
  });
  const runs: PeerRun[] = [];
  try {
    const once = async (rate: number, durationMs: number) => {
      const capacity = Math.ceil((rate * durationMs) / 1000) + 1000;
      sentAt.current = new Float64Array(capacity).fill(NaN);
      sentAt.base = load.seq;
      for (const s of subscribers) s.receipts = new Receipts(sentAt.base, sentAt.current);
      const meter = new ProcessMeter({ ...system.processes, bench: process.pid }).start();
      const result = await load.run({ rate, durationMs });
      const usage = meter.stop();
      const others = othersOf(meter.machineCpuPct, usage);
      await Promise.all(subscribers.map((s) => s.receipts!.all(result.sent, options.drainMs)));
      return { result, usage, others };
    };
    const warm = await once(Math.min(1000, options.peerRates[0]), Math.min(1000, options.durationMs));
    const short = subscribers.filter((s) => s.receipts!.count < warm.result.sent);
    if (short.length) throw new Error(`${label}: the warm-up did not reach ${short.map((s) => s.target).join(', ')} (${short.map((s) => s.receipts!.count).join(', ')} of ${warm.result.sent})`);
    for (const rate of options.peerRates) {
      progress(`peers: ${label} at ${rate}/s for ${options.durationMs / 1000} s`);
      const { result, usage, others } = await once(rate, options.durationMs);
      const brokers = Object.entries(usage).filter(([name]) => name !== 'bench');
      const cpuMs = brokers.reduce((sum, [, u]) => sum + u.cpuMs, 0);
      const cpuPct = Math.round(brokers.reduce((sum, [, u]) => sum + u.cpuPct, 0) * 10) / 10;
      const rss = brokers.reduce((sum, [, u]) => sum + u.rssBytes, 0);
      for (const s of subscribers) {
        const latency = summarize(s.receipts!.delays);
        runs.push({
          target: s.target,
          rate,
          sent: result.sent,
          received: s.receipts!.count,
          latency,
          brokerCpuPct: cpuPct,
          cpuMsPer1000: cpuPer1000({ brokers: { cpuMs, cpuPct, cpuPeakPct: 0, rssBytes: 0, rssPeakBytes: 0 } }, result.sent).brokers ?? 0,
          brokerRssBytes: rss,
          othersCpuPct: others,
        });
        progress(`peers: ${s.target} at ${rate}/s: ${s.receipts!.count}/${result.sent} received, p50 ${latency.p50} p99 ${latency.p99} ms, broker CPU ${cpuPct}%`);
      }
    }
    return runs;
  } finally {
    await Promise.all(publishers.map((p) => p.end()));
  }
}

/** Resolves once a message published on the primary reaches a subscriber on the standby (republished every 100 ms until then). */
async function bridgeFlowing(primary: Endpoint, standby: Endpoint, timeoutMs: number): Promise<void> {
  const topic = 'parking/benchready/slot/L1/s1';
  const [pub, sub] = await Promise.all([
    WireClient.connect({ host: primary.host, port: primary.port, clientId: `bench-bridge-check-pub-${process.pid}` }),
    WireClient.connect({ host: standby.host, port: standby.port, clientId: `bench-bridge-check-sub-${process.pid}` }),
  ]);
  try {
    await new Promise<void>((resolve, reject) => {
      let seq = 0;
      const send = () => pub.publish(topic, encodeSlotState({ status: 'free', ts: Date.now(), seq: ++seq }), 1, false);
      const repeat = setInterval(send, 100);
      const timer = setTimeout(() => {
        clearInterval(repeat);
        reject(new Error(`the standby received nothing over the bridge within ${timeoutMs} ms`));
      }, timeoutMs);
      sub.onMessage = (message) => {
        if (message.topic !== topic) return;
        clearInterval(repeat);
        clearTimeout(timer);
        resolve();
      };
      void sub.subscribe([{ topic, qos: 1 }]).then(send, reject);
    });
  } finally {
    await Promise.all([pub.end(), sub.end()]);
  }
}

async function withSystem<T extends RunningSystem>(start: () => Promise<T>, body: (system: T) => Promise<PeerRun[]>): Promise<PeerRun[]> {
  const system = await start();
  try {
    return await body(system);
  } finally {
    await system.stop();
  }
}

async function lone(target: PeerTarget, start: () => Promise<RunningSystem & { endpoint: Endpoint }>, options: BenchOptions, progress: Progress): Promise<PeerRun[]> {
  return withSystem(start, async (system) => {
    const sub = await subscriber(target, system.endpoint);
    try {
      return await measure(system, system.endpoint, [sub], options, progress, target);
    } finally {
      await sub.client.end();
    }
  });
}

export async function runPeers(options: BenchOptions, progress: Progress): Promise<PeersSection> {
  const runs: PeerRun[] = [];
  const skipped: string[] = [];
  progress('peers: the platform broker alone');
  runs.push(...(await lone('platform', () => startLonePlatformBroker(), options, progress)));
  progress('peers: plain Aedes');
  runs.push(...(await lone('aedes', startPlainAedes, options, progress)));
  progress('peers: Mosquitto');
  try {
    runs.push(...(await lone('mosquitto', startMosquittoPeer, options, progress)));
  } catch (error) {
    if (!(error instanceof MissingBinaryError)) throw error;
    skipped.push(`mosquitto: ${(error as Error).message}`);
  }
  progress('peers: primary and bridged standby');
  runs.push(
    ...(await withSystem(startBridgedPair, async (pair) => {
      await bridgeFlowing(pair.primary, pair.standby, options.drainMs * 2);
      const subs = [await subscriber('bridge-direct', pair.primary), await subscriber('bridge-standby', pair.standby)];
      try {
        return await measure(pair, pair.primary, subs, options, progress, 'bridge');
      } finally {
        await Promise.all(subs.map((s) => s.client.end()));
      }
    })),
  );
  return { runs, ratios: peerRatios(runs), skipped };
}
