// A child of `parking bench --only history`: writes a site's simulated past into the bench's
// MongoDB (not measured), then, on `go` from stdin, runs the platform's historian over it as
// it runs after a restart with days to catch up: the heaviest the history gets. Prints
// `{"written":N}` once the past is in, `{"rolled":N}` with the buckets on `stats`.
//   node --import tsx bench/historian-load.ts URI DB DAYS SLOTS_PER_LEVEL
import { createInterface } from 'node:readline';
import { MongoClient } from 'mongodb';
import { startHistorian, type Historian } from '../history/index.ts';
import { writeSimulatedHistory } from '../history/simulate-write.ts';
import { createLogger } from '../log/index.ts';

const [uri, dbName, daysText, perLevelText] = process.argv.slice(2);
const days = Number(daysText);
/** A site: 4 levels (of 500 slots in the full run). */
const LOT = 'bench-history';
const slots = Array.from({ length: Number(perLevelText) }, (_, i) => String(i + 1));
const levels = ['L1', 'L2', 'L3', 'L4'].map((level) => ({ level, slots }));

const client = await MongoClient.connect(uri);
const db = client.db(dbName);
const to = Date.now();
const written = await writeSimulatedHistory(db, {
  lots: [{ lot: LOT, levels }],
  from: to - days * 86_400_000,
  to,
  utcOffsetMs: 7 * 3_600_000,
  seed: 7,
});
process.stdout.write(`${JSON.stringify({ written: written.changes })}\n`);

let historian: Historian | undefined;
const logger = createLogger('bench-historian', 'warn', { format: 'json' });
const rolled = () => db.collection('occupancy').countDocuments({ lot: LOT });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'go') {
    // Every second, as if it had been down for `days`: it rolls the backlog up step by step.
    historian = startHistorian({ db, logger, intervalMs: 1000 });
    process.stdout.write('{"started":true}\n');
  } else if (line === 'stats') {
    process.stdout.write(`${JSON.stringify({ rolled: await rolled() })}\n`);
  } else if (line === 'stop') break;
}
await historian?.close();
await client.close();
// The stdin pipe the bench holds open would keep the process alive.
process.exit(0);
