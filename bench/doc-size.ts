// The stored size of what ingest writes for one slot state, as BSON
// (calculateObjectSize): the `slotEvents` history record and the `slots`
// document, built by ingest's own decoder and store code from a realistic
// sensor message, and the BSON of the history index's key. docs/scaling.md
// turns these into storage a year.
//
//   node --import tsx bench/doc-size.ts
import { calculateObjectSize } from 'bson';
import { Topics } from '../contract/index.ts';
import { classify, type SlotUpdate } from '../ingest/decode.ts';
import { historyRecord } from '../ingest/store.ts';

const topics = new Topics();
const update = (payload: string): SlotUpdate => {
  const c = classify({ topic: topics.slot('mall-042', 'B2', 's1234'), payload: Buffer.from(payload), receivedAt: 1_795_307_315_140 }, topics);
  if (c.kind !== 'slot') throw new Error(`not a slot state: ${c.kind}`);
  return c;
};

const full = update('{"status":"occupied","ts":1795307315123,"seq":48213,"device":"pi-b2-s1234"}');
const event = historyRecord(full);
// The slots document as the guarded upsert leaves it (ingest/store.ts).
const slot = { _id: full.id, lot: full.lot, level: full.level, slot: full.slot, since: new Date(full.ts), status: full.status, ts: full.ts, seq: full.seq ?? null, device: full.device ?? null, updatedAt: new Date() };
// An index key holds the values without field names: BSON of the values with empty names.
const keySize = (...values: unknown[]) => calculateObjectSize(Object.fromEntries(values.map((v, i) => [' '.repeat(i), v]))) - values.reduce<number>((n, _, i) => n + i, 0);

console.log(`slotEvents record (${JSON.stringify(event)}): ${calculateObjectSize(event)} bytes`);
console.log(`slotEvents record of a short form (\`true\`: no seq, no device): ${calculateObjectSize(historyRecord(update('true')))} bytes`);
console.log(`slots document: ${calculateObjectSize(slot)} bytes`);
console.log(`history index key {slot.lot, slot.level, slot.slot, at}: ${keySize(full.lot, full.level, full.slot, event.at)} bytes; _id key: ${keySize(event._id)} bytes (each before the record id and the storage engine's prefix compression)`);
