import { expect } from 'chai';
import { summarise, type SlotStatus } from '../../contract/index.ts';
import pino from 'pino';
import { AvailabilityCounts } from '../../ingest/availability.ts';
import { WriteBuffer } from '../../ingest/buffer.ts';
import type { SlotUpdate } from '../../ingest/decode.ts';
import { createMetrics } from '../../ingest/metrics.ts';
import type { IngestCollections } from '../../ingest/store.ts';
import { Writer } from '../../ingest/writer.ts';

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

describe('ingest: the writer overlaps slot writes with the previous batch\'s history', function () {
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

  /** Fake collections: every write waits until the test settles it; `calls` says what was written, in order. */
  function fakeMongo() {
    const calls: Array<{ kind: 'slots' | 'history'; ids: string[]; done: Deferred }> = [];
    const waiters: Array<() => void> = [];
    const record = (kind: 'slots' | 'history', ids: string[]) => {
      const done = deferred();
      calls.push({ kind, ids, done });
      for (const w of waiters.splice(0)) w();
      return done.promise;
    };
    const collections = {
      slots: { bulkWrite: (ops: Array<{ updateOne: { filter: { _id: string } } }>) => record('slots', ops.map((o) => o.updateOne.filter._id)) },
      slotEvents: { insertMany: (docs: Array<{ slot: { slot: string } }>) => record('history', docs.map((d) => d.slot.slot)) },
    };
    /** Resolves with the n-th call (0-based) once it has been made. */
    const call = async (n: number) => {
      while (calls.length <= n) await new Promise<void>((resolve) => waiters.push(resolve));
      return calls[n];
    };
    return { calls, call, collections: collections as unknown as IngestCollections };
  }

  const update = (slot: string, ts = 1000): SlotUpdate => ({ kind: 'slot', id: `l/B1/${slot}`, lot: 'l', level: 'B1', slot, status: 'free', ts, receivedAt: ts });

  function writerOn(collections: IngestCollections, buffer: WriteBuffer) {
    const slotsDurable: string[] = [];
    const durable: string[] = [];
    const writer = new Writer(buffer, collections, createMetrics(), pino({ level: 'silent' }), {
      onSlotsDurable: (applied) => slotsDurable.push(...applied.map((u) => u.slot)),
      onDurable: (applied) => durable.push(...applied.map((u) => u.slot)),
    }, { maxBatch: 100, backoffMs: 1, maxBackoffMs: 2 });
    return { writer, slotsDurable, durable };
  }

  it('writes batch 2\'s slot states while batch 1\'s history is in flight, and keeps both kinds of write in order', async function () {
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
    const [history1, slots2] = [await m.call(1), await m.call(2)];
    expect([history1.kind, history1.ids]).to.deep.equal(['history', ['a']]);
    expect([slots2.kind, slots2.ids], 'the next slot write does not wait for the history').to.deep.equal(['slots', ['l/B1/b', 'l/B1/a']]);
    expect(slotsDurable, 'availability follows the durable slot state').to.deep.equal(['a']);
    slots2.done.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(slotsDurable).to.deep.equal(['a', 'b', 'a']);
    expect(m.calls.length, 'one history write in flight at most').to.equal(3);
    expect(durable).to.deep.equal([]);
    history1.done.resolve();
    const history2 = await m.call(3);
    expect([history2.kind, history2.ids]).to.deep.equal(['history', ['b', 'a']]);
    history2.done.resolve();
    await flushed;
    expect(durable).to.deep.equal(['a', 'b', 'a']);
    expect(buffer.depth).to.equal(0);
  });

  it('an update that arrives while the last history write is in flight is written at once, its history after that one', async function () {
    const m = fakeMongo();
    const buffer = new WriteBuffer(1000);
    const { writer, durable } = writerOn(m.collections, buffer);
    buffer.push(update('a'));
    const running = writer.kick();
    (await m.call(0)).done.resolve();
    const history = await m.call(1);
    buffer.push(update('b'));
    void writer.kick();
    const slots = await m.call(2);
    expect([slots.kind, slots.ids]).to.deep.equal(['slots', ['l/B1/b']]);
    slots.done.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(m.calls.length, 'history of b waits for the history of a').to.equal(3);
    history.done.resolve();
    (await m.call(3)).done.resolve();
    await running;
    expect(durable).to.deep.equal(['a', 'b']);
    expect(m.calls.map((c) => c.kind)).to.deep.equal(['slots', 'history', 'slots', 'history']);
  });

  it('writes the history of the batches that became durable during one history write in the next one, in order', async function () {
    const m = fakeMongo();
    const buffer = new WriteBuffer(1000);
    const { writer, durable } = writerOn(m.collections, buffer);
    buffer.push(update('a'));
    const flushed = writer.flush();
    (await m.call(0)).done.resolve();
    const history1 = await m.call(1);
    buffer.push(update('b'));
    void writer.kick();
    (await m.call(2)).done.resolve();
    buffer.push(update('c'));
    void writer.kick();
    const slots3 = await m.call(3);
    expect([slots3.kind, slots3.ids]).to.deep.equal(['slots', ['l/B1/c']]);
    slots3.done.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(m.calls.length).to.equal(4);
    history1.done.resolve();
    const history2 = await m.call(4);
    expect([history2.kind, history2.ids]).to.deep.equal(['history', ['b', 'c']]);
    history2.done.resolve();
    await flushed;
    expect(durable).to.deep.equal(['a', 'b', 'c']);
    expect(m.calls.map((c) => c.kind)).to.deep.equal(['slots', 'history', 'slots', 'slots', 'history']);
  });

  it('retries a failed history write alone: the slot states are not written again', async function () {
    const m = fakeMongo();
    const buffer = new WriteBuffer(1000);
    const { writer, durable } = writerOn(m.collections, buffer);
    buffer.push(update('a'));
    const flushed = writer.flush();
    (await m.call(0)).done.resolve();
    (await m.call(1)).done.reject(new Error('not primary'));
    const retry = await m.call(2);
    expect([retry.kind, retry.ids]).to.deep.equal(['history', ['a']]);
    retry.done.resolve();
    await flushed;
    expect(durable).to.deep.equal(['a']);
    expect(m.calls.map((c) => c.kind)).to.deep.equal(['slots', 'history', 'history']);
  });
});
