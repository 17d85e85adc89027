import { expect } from 'chai';
import { summarise, type SlotStatus } from '../../contract/index.ts';
import pino from 'pino';
import { AvailabilityCounts } from '../../ingest/availability.ts';
import { WriteBuffer } from '../../ingest/buffer.ts';
import type { SlotUpdate } from '../../ingest/decode.ts';
import { createMetrics } from '../../ingest/metrics.ts';
import type { IngestCollections } from '../../ingest/store.ts';
import { Writer } from '../../ingest/writer.ts';
// A seeded generator, so a failure can be replayed.
import { mulberry32 as rng } from '../../devices/random.ts';


const STATUSES: SlotStatus[] = ['free', 'occupied', 'closed', 'unknown'];

describe('ingest: availability counts kept one slot at a time', function () {
  const at = new Date('2026-11-22T10:00:00.000Z');

  it('equals a full summarise over the same slots after every change, with and without configured totals', function () {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = rng(seed);
      const counts = new AvailabilityCounts();
      const slots = new Map<string, { lot: string; level: string; status: SlotStatus }>();
      const totals = seed % 2 ? { B1: 30, Z9: 3 } : undefined;
      for (let step = 0; step < 400; step += 1) {
        const lot = `lot${Math.floor(random() * 3)}`;
        const level = ['B2', 'B1', 'G', 'A'][Math.floor(random() * 4)];
        const id = `${lot}/${level}/s${Math.floor(random() * 12)}`;
        const status = STATUSES[Math.floor(random() * STATUSES.length)];
        slots.set(id, { lot, level, status });
        counts.set(id, lot, level, status);
        for (const l of ['lot0', 'lot1', 'lot2']) {
          const expected = summarise(l, [...slots.values()].filter((s) => s.lot === l), at, totals);
          expect(JSON.stringify(counts.summary(l, at, totals)), `seed ${seed} step ${step} ${l}`).to.equal(JSON.stringify(expected));
        }
      }
    }
  });

  it('moves a slot between counts when its status changes, and counts a repeat once', function () {
    const counts = new AvailabilityCounts();
    counts.set('a/B1/s1', 'a', 'B1', 'free');
    counts.set('a/B1/s1', 'a', 'B1', 'free');
    counts.set('a/B1/s2', 'a', 'B1', 'occupied');
    expect(counts.summary('a', at).levels.B1).to.deep.equal({ availableSpotNumber: 1, occupiedSpotNumber: 1, closedSpotNumber: 0, unknownSpotNumber: 0, totalSpotNumber: 2 });
    counts.set('a/B1/s1', 'a', 'B1', 'unknown');
    const s = counts.summary('a', at);
    expect([s.availableSpotNumber, s.unknownSpotNumber, s.totalSpotNumber, s.status]).to.deep.equal([0, 1, 2, 'full']);
    expect(counts.summary('none', at)).to.deep.equal(summarise('none', [], at));
  });
});

describe('ingest: the writer', function () {
  interface Deferred { promise: Promise<unknown>; resolve(): void; reject(err: Error): void }
  const deferred = (): Deferred => {
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = () => res({});
      reject = rej;
    });
    return { promise, resolve, reject };
  };

  /** Fake collections: every write and history lookup waits until the test settles it; `calls` says what was done, in order. */
  function fakeMongo() {
    const calls: Array<{ kind: 'slots' | 'history' | 'lookup'; ids: string[]; done: Deferred; docs?: Array<{ _id: unknown }> }> = [];
    const waiters: Array<() => void> = [];
    const record = (kind: 'slots' | 'history' | 'lookup', ids: string[], docs?: Array<{ _id: unknown }>) => {
      const done = deferred();
      calls.push({ kind, ids, done, docs });
      for (const w of waiters.splice(0)) w();
      return done.promise;
    };
    /** The records of history call `n` that a lookup answers as stored. */
    let storedAnswer: Array<{ _id: unknown }> = [];
    const collections = {
      slots: { bulkWrite: (ops: Array<{ updateOne: { filter: { _id: string } } }>) => record('slots', ops.map((o) => o.updateOne.filter._id)) },
      slotEvents: {
        insertMany: (docs: Array<{ _id: unknown; slot: { slot: string } }>) => record('history', docs.map((d) => d.slot.slot), docs),
        find: () => ({ toArray: () => record('lookup', []).then(() => storedAnswer) }),
      },
    };
    /** Resolves with the n-th call (0-based) once it has been made. */
    const call = async (n: number) => {
      while (calls.length <= n) await new Promise<void>((resolve) => waiters.push(resolve));
      return calls[n];
    };
    return { calls, call, collections: collections as unknown as IngestCollections, answerLookup: (docs: Array<{ _id: unknown }>) => (storedAnswer = docs) };
  }

  const update = (slot: string, ts = 1000): SlotUpdate => ({ kind: 'slot', id: `l/B1/${slot}`, lot: 'l', level: 'B1', slot, status: 'free', ts, receivedAt: ts });

  function writerOn(collections: IngestCollections, buffer: WriteBuffer, writeTimeoutMs = 60_000) {
    const slotsDurable: string[] = [];
    const durable: string[] = [];
    const writer = new Writer(buffer, async () => collections, createMetrics(), pino({ level: 'silent' }), {
      onSlotsDurable: (applied) => slotsDurable.push(...applied.map((u) => u.slot)),
      onDurable: (applied) => durable.push(...applied.map((u) => u.slot)),
    }, { maxBatch: 100, backoffMs: 1, maxBackoffMs: 2, writeTimeoutMs });
    return { writer, slotsDurable, durable };
  }

  it('writes one thing at a time: slots, their history, the next slots', async function () {
    const m = fakeMongo();
    const buffer = new WriteBuffer(1000);
    const { writer, slotsDurable, durable } = writerOn(m.collections, buffer);
    buffer.push(update('a'));
    const flushed = writer.flush();
    const slots1 = await m.call(0);
    buffer.push(update('b'));
    buffer.push(update('a', 2000));
    void writer.kick();
    slots1.done.resolve();
    const history1 = await m.call(1);
    expect([history1.kind, history1.ids]).to.deep.equal(['history', ['a']]);
    expect(slotsDurable, 'the slot state is durable before its history').to.deep.equal(['a']);
    expect(writer.oldestPendingAt(), 'the oldest update whose history is not durable').to.equal(1000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(m.calls.length, 'the next slot write waits for the history write').to.equal(2);
    history1.done.resolve();
    const slots2 = await m.call(2);
    expect([slots2.kind, slots2.ids]).to.deep.equal(['slots', ['l/B1/b', 'l/B1/a']]);
    slots2.done.resolve();
    const history2 = await m.call(3);
    expect(history2.ids).to.deep.equal(['b', 'a']);
    history2.done.resolve();
    await flushed;
    expect(durable).to.deep.equal(['a', 'b', 'a']);
    expect(buffer.depth).to.equal(0);
    expect(writer.oldestPendingAt(), 'nothing left').to.equal(undefined);
  });

  it('retries a failed history write alone, storing only the records the failed attempt did not', async function () {
    const m = fakeMongo();
    const buffer = new WriteBuffer(1000);
    const { writer, durable } = writerOn(m.collections, buffer);
    buffer.push(update('a'));
    buffer.push(update('b'));
    const flushed = writer.flush();
    (await m.call(0)).done.resolve();
    const first = await m.call(1);
    // The connection dropped after the server stored `a`: the outcome is unknown to the writer.
    m.answerLookup([first.docs![0]]);
    first.done.reject(new Error('connection 3 to 127.0.0.1:27017 closed'));
    const lookup = await m.call(2);
    expect(lookup.kind, 'an uncertain failure is looked up first').to.equal('lookup');
    lookup.done.resolve();
    const retry = await m.call(3);
    expect([retry.kind, retry.ids]).to.deep.equal(['history', ['b']]);
    expect(retry.docs![0]._id, 'the same record, with the same _id').to.equal(first.docs![1]._id);
    retry.done.resolve();
    await flushed;
    expect(durable).to.deep.equal(['a', 'b']);
    expect(m.calls.map((c) => c.kind)).to.deep.equal(['slots', 'history', 'lookup', 'history']);
  });

  it('abandons a write that never answers at its deadline and tries it again', async function () {
    const m = fakeMongo();
    const buffer = new WriteBuffer(1000);
    const { writer, durable } = writerOn(m.collections, buffer, 50);
    buffer.push(update('a'));
    const flushed = writer.flush();
    const stuck = await m.call(0);
    const retry = await m.call(1);
    expect([retry.kind, retry.ids], 'the same slot write, after the deadline').to.deep.equal(['slots', ['l/B1/a']]);
    stuck.done.resolve(); // an answer after the deadline changes nothing
    retry.done.resolve();
    (await m.call(2)).done.resolve();
    await flushed;
    expect(durable).to.deep.equal(['a']);
    expect(m.calls.map((c) => c.kind)).to.deep.equal(['slots', 'slots', 'history']);
  });

  it('stops at once with a write in flight, and says what is not durable', async function () {
    const m = fakeMongo();
    const buffer = new WriteBuffer(1000);
    const { writer } = writerOn(m.collections, buffer);
    buffer.push(update('a'));
    const flushed = writer.flush();
    await m.call(0);
    buffer.push(update('b'));
    writer.stop();
    await flushed;
    const left = writer.pending();
    expect(left.slots.map((u) => u.slot)).to.deep.equal(['a', 'b']);
    expect(left.maybeApplied.map((u) => u.slot), 'the write in flight may have been applied').to.deep.equal(['a']);
    expect(left.history).to.deep.equal([]);
  });
});
