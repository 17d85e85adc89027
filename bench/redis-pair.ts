// What an Aedes cluster on Redis costs per message, against one broker in
// memory: the same slot-state load (QoS 1, retained, as sensors publish) from
// publishers on one node to a subscriber on `parking/+/slot/+/+`.
//
//   memory: one `parking broker` in memory; publishers and subscriber on it.
//   redis:  two `parking broker --redis-url` nodes on one redis-server
//           (mqemitter-redis, aedes-persistence-redis); publishers on node A,
//           the subscriber on node B, so every message crosses Redis.
//
//   node --import tsx bench/redis-pair.ts [--rates 1000,2000] [--seconds 10]
//
// Prints, per mode and rate: messages received, publish -> subscriber p50/p99
// (ms), and CPU per 1,000 messages (ms) of each broker and of Redis.
import { startPart, type Part } from '../proc/index.ts';
import { freePort, startRedis } from '../testbed/services/index.ts';
import { LoadGenerator } from './load.ts';
import { ProcessMeter, othersOf } from './procstat.ts';
import { seqOf } from './scenarios/peers.ts';
import { SlotFleet, shapeFor } from './slots.ts';
import { summarize } from './stats.ts';
import { WireClient } from './wire.ts';

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const rates = arg('rates', '1000,2000').split(',').map(Number);
const seconds = Number(arg('seconds', '10'));

async function broker(name: string, env: Record<string, string>): Promise<{ part: Part; host: string; port: number }> {
  const [port, ws] = [await freePort(), await freePort()];
  const part = await startPart({
    name,
    args: ['broker', '--role', 'primary', '--port', String(port), '--ws-port', String(ws), '--bind', '127.0.0.1', '--allow-anonymous'],
    env: { PARKING_LOG_LEVEL: 'warn', PARKING_BROKER_ID: name, ...env },
    ready: /broker primary listening (mqtt:\/\/\S+)/,
  });
  return { part, host: '127.0.0.1', port };
}

async function run(mode: 'memory' | 'redis'): Promise<void> {
  const redis = mode === 'redis' ? await startRedis() : undefined;
  const env: Record<string, string> = redis ? { REDIS_URL: redis.url } : {};
  const a = await broker(`${mode}-a`, env);
  const b = redis ? await broker(`${mode}-b`, env) : a;
  const parts = redis ? [a.part, b.part] : [a.part];
  try {
    const sub = await WireClient.connect({ host: b.host, port: b.port, clientId: `rp-sub-${process.pid}` });
    let sentAt = new Float64Array(0);
    let base = 0;
    let delays = new Float64Array(0);
    let received = 0;
    sub.onMessage = (m) => {
      const i = seqOf(m.payload) - base;
      if (i >= 0 && i < delays.length && Number.isNaN(delays[i]) && !Number.isNaN(sentAt[i])) {
        delays[i] = performance.now() - sentAt[i];
        received += 1;
      }
    };
    await sub.subscribe([{ topic: 'parking/+/slot/+/+', qos: 1 }]);
    const publishers = await LoadGenerator.connect(a.host, a.port, 4, `rp-${mode}`);
    const load = new LoadGenerator(publishers, new SlotFleet(shapeFor(10_000)), {
      onSend: (seq, at) => {
        const i = seq - base;
        if (i < sentAt.length) sentAt[i] = at;
      },
    });
    const pids: Record<string, number> = redis ? { nodeA: a.part.pid, nodeB: b.part.pid, redis: redis.pid } : { broker: a.part.pid };
    for (const [i, rate] of [1000, ...rates].entries()) {
      const durationMs = i === 0 ? 2000 : seconds * 1000; // the first: a warm-up, not printed
      sentAt = new Float64Array(Math.ceil((rate * durationMs) / 1000) + 1000).fill(NaN);
      delays = new Float64Array(sentAt.length).fill(NaN);
      base = load.seq;
      received = 0;
      const meter = new ProcessMeter({ ...pids, bench: process.pid }).start();
      const result = await load.run({ rate, durationMs });
      const usage = meter.stop();
      const until = performance.now() + 10_000;
      while (received < result.sent && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
      if (i === 0) continue;
      const s = summarize(delays);
      const per1000 = Object.entries(usage)
        .filter(([n]) => n !== 'bench')
        .map(([n, u]) => `${n} ${((u.cpuMs * 1000) / result.sent).toFixed(1)}`)
        .join(', ');
      console.log(`  ${mode.padEnd(6)} ${String(rate).padStart(6)}/s  received ${received}/${result.sent}  p50 ${s.p50} p99 ${s.p99} ms  CPU ms per 1,000: ${per1000}; others ${othersOf(meter.machineCpuPct, usage)}%`);
    }
    for (const c of [...publishers, sub]) c.end();
  } finally {
    await Promise.all(parts.map((p) => p.stop()));
    await redis?.stop();
  }
}

console.log(`redis pair  ${new Date().toISOString()}  ${seconds} s a step`);
for (const mode of ['memory', 'redis'] as const) await run(mode);
process.exit(0);
