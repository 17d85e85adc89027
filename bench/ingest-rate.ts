// The sustained rate ingest writes: slot states a second that `parking ingest`
// takes from one broker and makes durable in MongoDB (the stand-in, or
// MONGODB_URI), step by step until it falls behind. With --instances K, K
// ingest processes split the lots between them (`--lots`), as a city would
// run them (docs/scaling.md). No standby, no latency probes: this measures how
// much ingest and the database take, not how fast a visitor sees it
// (`parking bench` does that).
//
//   node --import tsx bench/ingest-rate.ts [--instances 1] [--rates 2000,4000,...] [--seconds 10] [--slots 10000]
//
// Each step publishes `rate` slot states a second for `seconds` (every one a
// new state of a slot, so each is one `slots` upsert and one `slotEvents`
// record), then sends a marker state per instance and waits for it in `slots`
// (ingest writes in order), then counts `slotEvents`. A step keeps up when the
// marker is durable and a count that began within 1 s of the last publish saw
// every record (a count of 200,000 records takes the stand-in ~0.4 s; not
// included). CPU is metered
// while the load runs. `link lost` counts ingest's failovers away from the
// broker (its link heard no heartbeat for 300 ms: a starved machine); the
// states published while it was away come back retained, their history does
// not, so such a step never counts every record and does not keep up.
import { MongoClient } from 'mongodb';
import { closeMongo } from '../mongo/index.ts';
import { startPart, type Part } from '../proc/index.ts';
import { freePort } from '../testbed/services/index.ts';
import { Topics, encodeSlotState } from '../contract/index.ts';
import { LoadGenerator } from './load.ts';
import { describeMachine } from './machine.ts';
import { ProcessMeter, othersOf } from './procstat.ts';
import { SlotFleet, shapeFor } from './slots.ts';

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const instances = Number(arg('instances', '1'));
const rates = arg('rates', '2000,5000,10000,15000,20000,25000,30000,40000').split(',').map(Number);
const seconds = Number(arg('seconds', '10'));
const slots = Number(arg('slots', '10000'));
const KEEP_UP_MS = 1000;
const DB = `ingest_rate_${process.pid}`;

const parts: Part[] = [];
const stopAll = () => Promise.all(parts.map((p) => p.stop().catch(() => undefined)));
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));

async function main(): Promise<void> {
  const machine = describeMachine();
  console.log(`ingest rate  ${new Date().toISOString()}  ${instances} ingest instance(s), ${slots} slots, ${seconds} s a step; ${JSON.stringify(machine)}`);
  const mongoUri = process.env.MONGODB_URI;
  const [mongo, broker] = await Promise.all([
    mongoUri ? undefined : startPart({ name: 'mongo', args: ['testbed', 'mongo', '--port', '0'], ready: /(mongodb:\/\/\S+)/ }),
    (async () => {
      const [port, ws] = [await freePort(), await freePort()];
      return startPart({ name: 'broker', args: ['broker', '--role', 'primary', '--port', String(port), '--ws-port', String(ws), '--bind', '127.0.0.1', '--allow-anonymous'], env: { PARKING_LOG_LEVEL: 'warn' }, ready: /broker primary listening (mqtt:\/\/\S+)/ });
    })(),
  ]);
  if (mongo) parts.push(mongo);
  parts.push(broker);
  const uri = mongoUri ?? mongo!.ready[1];
  const url = new URL(broker.ready[1]);
  const fleet = new SlotFleet(shapeFor(slots));
  const ingests: Part[] = [];
  for (let k = 0; k < instances; k++) {
    const lots = fleet.lots.filter((_, i) => i % instances === k);
    const selection = instances > 1 ? ['--lots', lots.join(',')] : [];
    const part = await startPart({ name: `ingest-${k}`, args: ['ingest', '--servers', url.href, '--mongodb-uri', uri, '--mongodb-db', DB, '--log-format', 'json', ...selection], ready: /^ingest running/m });
    parts.push(part);
    ingests.push(part);
    await part.waitForOutput(/"msg":"connected"/, { timeoutMs: 20_000 });
  }
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 15_000 });
  await client.connect();
  const db = client.db(DB);
  const records = () => db.collection('slotEvents').countDocuments({});
  const publishers = await LoadGenerator.connect(url.hostname, Number(url.port), 4, 'ingest-rate');
  const load = new LoadGenerator(publishers, fleet);
  const pids: Record<string, number> = { broker: broker.pid, bench: process.pid };
  if (mongo) pids.mongo = mongo.pid;
  ingests.forEach((p, k) => (pids[`ingest${instances > 1 ? k : ''}`] = p.pid));

  // After each step, one marker state per instance (a slot of its own first lot), sent after the load's last
  // publish: ingest writes in order, so a durable marker says the step before it is durable (then a count checks).
  const topics = new Topics();
  const markers = ingests.map((_, k) => ({ lot: fleet.lots[k], id: `${fleet.lots[k]}/M/marker` }));
  let markerSeq = 0;
  const sendMarkers = () => {
    markerSeq += 1;
    const payload = encodeSlotState({ status: markerSeq % 2 ? 'occupied' : 'free', ts: Date.now(), seq: markerSeq, device: 'marker' });
    for (const m of markers) publishers[0].publish(topics.slot(m.lot, 'M', 'marker'), payload, 1, true);
  };
  const markersDurable = async (limitMs: number) => {
    const from = performance.now();
    const slots = db.collection<{ _id: string; seq?: number }>('slots');
    while (performance.now() - from < limitMs) {
      const docs = await slots.find({ _id: { $in: markers.map((m) => m.id) } }, { projection: { seq: 1 } }).toArray();
      if (docs.length === markers.length && docs.every((d) => d.seq === markerSeq)) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  };
  /** Counts the history records until there are `target`: when the count that saw them all began; undefined past `limitMs`. */
  const allRecorded = async (target: number, limitMs: number) => {
    const from = performance.now();
    while (performance.now() - from < limitMs) {
      const asked = performance.now();
      if ((await records()) >= target) return asked;
      await new Promise((r) => setTimeout(r, 50));
    }
    return undefined;
  };

  let total = 0;
  const warm = await load.run({ rate: 1000, durationMs: 2000 });
  sendMarkers();
  total += warm.sent + markers.length;
  if (!(await markersDurable(30_000)) || (await allRecorded(total, 30_000)) === undefined) throw new Error('the warm-up did not become durable');
  const names = Object.keys(pids);
  console.log(`  rate/s  achieved  durable/s  after-last ms  all recorded  kept up  link lost  ${names.map((n) => `${n}%`.padStart(9)).join('')}  others%  ingest CPU ms/1000`);
  const losses = () => ingests.reduce((n, p) => n + (p.output().match(/"link lost"/g)?.length ?? 0), 0);
  for (const rate of rates) {
    const lostBefore = losses();
    const meter = new ProcessMeter(pids).start();
    const started = performance.now();
    const result = await load.run({ rate, durationMs: seconds * 1000 });
    sendMarkers();
    const ended = performance.now();
    total += result.sent + markers.length;
    const usage = meter.stop();
    const marked = await markersDurable(30_000);
    const seenAll = marked ? await allRecorded(total, 30_000) : undefined;
    // The marker durable, and every record counted by a count that began this long after the last publish.
    const after = seenAll === undefined ? undefined : seenAll - ended;
    const complete = seenAll !== undefined;
    const lost = losses() - lostBefore;
    const durableRate = after === undefined ? NaN : result.sent / ((ended + Math.max(0, after) - started) / 1000);
    const keptUp = complete && after !== undefined && after <= KEEP_UP_MS && result.achievedRate >= rate * 0.98;
    const ingestMs = Object.entries(usage).filter(([n]) => n.startsWith('ingest')).reduce((sum, [, u]) => sum + u.cpuMs, 0);
    console.log(
      `  ${String(rate).padStart(6)}  ${String(result.achievedRate).padStart(8)}  ${Math.round(durableRate).toString().padStart(9)}  ${(after === undefined ? '>30000' : String(Math.round(after))).padStart(13)}  ${(complete ? 'yes' : 'NO').padStart(12)}  ${(keptUp ? 'yes' : 'NO').padStart(7)}  ${String(lost).padStart(9)}  ` +
        `${names.map((n) => String(usage[n].cpuPct).padStart(9)).join('')}  ${String(othersOf(meter.machineCpuPct, usage)).padStart(7)}  ${((ingestMs * 1000) / result.sent).toFixed(1).padStart(18)}`,
    );
    if (!keptUp) {
      if (!complete || lost) console.log(ingests.map((p) => p.output().split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-5).join('\n')).join('\n'));
      break;
    }
  }
  console.log(`  ingest RSS MiB: ${ingests.map((p) => Math.round((readRssOf(p.pid) ?? 0) / 2 ** 20)).join(', ')}`);
  for (const c of publishers) c.end();
  await closeMongo(client);
}

function readRssOf(pid: number): number | undefined {
  const usage = new ProcessMeter({ p: pid }).start().stop();
  return usage.p.rssBytes;
}

main()
  .catch((err: Error) => {
    console.error(`ingest rate: ${err.message}`);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
