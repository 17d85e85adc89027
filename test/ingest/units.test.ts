import { expect } from 'chai';
import { summarise, type SlotStatus } from '../../contract/index.ts';
import { AvailabilityCounts } from '../../ingest/availability.ts';

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
