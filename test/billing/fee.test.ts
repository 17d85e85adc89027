import { expect } from 'chai';
import fc from 'fast-check';
import { computeFee, DAY_MS, DEFAULT_TARIFF, MINUTE_MS, validateTariff, type Tariff } from '../../billing/index.ts';

const T0 = Date.parse('2026-11-22T03:00:00.000Z'); // 10:00 in Jakarta (+07:00)
const min = (m: number) => m * MINUTE_MS;
const fee = (t: Tariff, ms: number, entry = T0) => computeFee(t, entry, entry + ms).fee;

const OVERNIGHT = validateTariff({
  id: 'night',
  currency: 'IDR',
  graceMinutes: 15,
  firstPeriod: { minutes: 120, price: 8000 },
  increment: { minutes: 60, price: 4000 },
  dailyMax: 60000,
  overnight: { from: '22:00', to: '06:00', utcOffset: '+07:00', price: 20000 },
  lostTicketFee: 75000,
});

const clock = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const offset = fc.integer({ min: -48, max: 56 }).map((q) => {
  const minutes = q * 15;
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
});

/** Any valid tariff, with or without a daily maximum and an overnight rate. */
const tariffs = fc
  .record({
    graceMinutes: fc.integer({ min: 0, max: 120 }),
    first: fc.record({ minutes: fc.integer({ min: 1, max: 300 }), price: fc.integer({ min: 0, max: 50_000 }) }),
    increment: fc.record({ minutes: fc.integer({ min: 1, max: 240 }), price: fc.integer({ min: 0, max: 20_000 }) }),
    dailyMax: fc.option(fc.integer({ min: 1, max: 300_000 }), { nil: null }),
    overnight: fc.option(fc.record({ from: clock, to: clock, utcOffset: offset, price: fc.integer({ min: 0, max: 100_000 }) }), { nil: null }),
  })
  .filter((r) => !r.overnight || r.overnight.from !== r.overnight.to)
  .map((r) =>
    validateTariff({ id: 'prop', currency: 'IDR', graceMinutes: r.graceMinutes, firstPeriod: r.first, increment: r.increment, dailyMax: r.dailyMax, overnight: r.overnight, lostTicketFee: 1000 }),
  );

const entries = fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2035-01-01T00:00:00Z') });
const stays = fc.integer({ min: 0, max: 10 * DAY_MS });

/** A second, independent way to price a stay without an overnight rate: step through it. */
function steppedFee(t: Tariff, stayMs: number): number {
  if (stayMs < t.graceMinutes * MINUTE_MS) return 0;
  const dayMs = t.dailyMax === null ? stayMs : DAY_MS;
  let total = 0;
  for (let start = 0; start < stayMs; start += dayMs) {
    const length = Math.min(dayMs, stayMs - start);
    let charge = t.firstPeriod.price;
    for (let covered = min(t.firstPeriod.minutes); covered < length; covered += min(t.increment.minutes)) charge += t.increment.price;
    total += t.dailyMax === null ? charge : Math.min(charge, t.dailyMax);
  }
  return total;
}

describe('billing: fees', function () {
  describe('the default tariff', function () {
    it('is free inside the 10-minute grace period, and charges the first hour from then on', function () {
      expect(fee(DEFAULT_TARIFF, 0)).to.equal(0);
      expect(fee(DEFAULT_TARIFF, min(10) - 1)).to.equal(0);
      expect(computeFee(DEFAULT_TARIFF, T0, T0 + min(9)).grace).to.equal(true);
      expect(fee(DEFAULT_TARIFF, min(10))).to.equal(5000);
      expect(fee(DEFAULT_TARIFF, min(60))).to.equal(5000);
    });

    it('charges each started hour after the first', function () {
      expect(fee(DEFAULT_TARIFF, min(60) + 1)).to.equal(9000);
      expect(fee(DEFAULT_TARIFF, min(120))).to.equal(9000);
      const r = computeFee(DEFAULT_TARIFF, T0, T0 + min(125));
      expect(r).to.include({ fee: 13000, durationMinutes: 125, grace: false });
    });

    it('counts started minutes for the duration', function () {
      expect(computeFee(DEFAULT_TARIFF, T0, T0 + min(124) + 1000).durationMinutes).to.equal(125);
      expect(computeFee(DEFAULT_TARIFF, T0, T0).durationMinutes).to.equal(0);
    });

    it('caps each 24 hours from entry at Rp40.000, and starts the next day with the first hour again', function () {
      expect(fee(DEFAULT_TARIFF, min(11 * 60))).to.equal(40000);
      expect(fee(DEFAULT_TARIFF, DAY_MS)).to.equal(40000);
      expect(fee(DEFAULT_TARIFF, DAY_MS + 1)).to.equal(45000);
      expect(fee(DEFAULT_TARIFF, DAY_MS + min(61))).to.equal(49000);
      expect(fee(DEFAULT_TARIFF, 2 * DAY_MS)).to.equal(80000);
      const days = computeFee(DEFAULT_TARIFF, T0, T0 + DAY_MS + min(30)).days;
      expect(days.map((d) => [d.charge, d.capped])).to.deep.equal([
        [40000, true],
        [5000, false],
      ]);
    });

    it('refuses an exit before the entry instead of charging a negative stay', function () {
      expect(() => computeFee(DEFAULT_TARIFF, T0, T0 - 1)).to.throw(RangeError, /before entry/);
      expect(() => computeFee(DEFAULT_TARIFF, T0, Number.NaN)).to.throw(RangeError, /finite/);
    });
  });

  describe('an overnight flat rate (22:00-06:00 at +07:00, Rp20.000)', function () {
    const local = (iso: string) => Date.parse(`${iso}+07:00`);

    it('charges the night once, and the time rate only for the time outside it', function () {
      // 20:00-08:00: 2 h before and 2 h after the window: first 2 h Rp8.000 + 2 started hours Rp8.000 + the night.
      const r = computeFee(OVERNIGHT, local('2026-11-22T20:00:00'), local('2026-11-23T08:00:00'));
      expect(r.fee).to.equal(8000 + 8000 + 20000);
      expect(r.days[0]).to.include({ nights: 1, timeMs: min(240), overnightCharge: 20000 });
    });

    it('charges a stay inside the window the flat rate only', function () {
      expect(computeFee(OVERNIGHT, local('2026-11-22T23:00:00'), local('2026-11-23T05:00:00')).fee).to.equal(20000);
      expect(computeFee(OVERNIGHT, local('2026-11-23T01:00:00'), local('2026-11-23T01:10:00')).fee).to.equal(0);
    });

    it('charges a day stay without a night by the time rate', function () {
      expect(computeFee(OVERNIGHT, local('2026-11-22T09:00:00'), local('2026-11-22T12:30:00')).fee).to.equal(8000 + 2 * 4000);
    });

    it('charges each night of a longer stay, each day capped', function () {
      // 2 days 14 hours from 08:00: days 1 and 2 (16 h by time + a night) capped at Rp60.000;
      // day 3 is 08:00-22:00, 14 h by time: Rp8.000 + 12 x Rp4.000; the night starting at the exit is not touched.
      const r = computeFee(OVERNIGHT, local('2026-11-22T08:00:00'), local('2026-11-24T22:00:00'));
      expect(r.days.map((d) => [d.nights, d.capped, d.charge])).to.deep.equal([
        [1, true, 60000],
        [1, true, 60000],
        [0, false, 56000],
      ]);
      expect(r.fee).to.equal(176000);
    });
  });

  describe('properties (any valid tariff)', function () {
    it('never decreases as the stay grows', function () {
      fc.assert(
        fc.property(tariffs, entries, stays, stays, (t, entry, a, b) => {
          const [short, long] = a <= b ? [a, b] : [b, a];
          expect(fee(t, short, entry)).to.be.at.most(fee(t, long, entry));
        }),
        { numRuns: 2000 },
      );
    });

    it('never decreases one millisecond later, at the edges of periods, grace and days', function () {
      const edges = fc.tuple(tariffs, entries).chain(([t, entry]) => {
        const marks = [t.graceMinutes, t.firstPeriod.minutes, t.firstPeriod.minutes + t.increment.minutes].map(min);
        const edge = fc.oneof(fc.constantFrom(...marks, DAY_MS, 2 * DAY_MS), stays);
        return fc.tuple(fc.constant(t), fc.constant(entry), edge, fc.integer({ min: -2, max: 1 }));
      });
      fc.assert(
        fc.property(edges, ([t, entry, edge, shift]) => {
          const ms = Math.max(0, edge + shift);
          expect(fee(t, ms, entry)).to.be.at.most(fee(t, ms + 1, entry));
        }),
        { numRuns: 2000 },
      );
    });

    it('never exceeds the daily maximum per started day', function () {
      const capped = tariffs.filter((t) => t.dailyMax !== null);
      fc.assert(
        fc.property(capped, entries, stays, (t, entry, ms) => {
          const days = Math.ceil(ms / DAY_MS);
          expect(fee(t, ms, entry)).to.be.at.most(t.dailyMax! * days);
        }),
        { numRuns: 2000 },
      );
    });

    it('is zero inside the grace period', function () {
      const withGrace = tariffs.filter((t) => t.graceMinutes > 0);
      fc.assert(
        fc.property(withGrace, entries, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (t, entry, share) => {
          const ms = Math.floor(share * min(t.graceMinutes));
          expect(computeFee(t, entry, entry + ms)).to.deep.include({ fee: 0, grace: true });
        }),
        { numRuns: 1000 },
      );
    });

    it('is a non-negative safe integer, with the started minutes as duration', function () {
      fc.assert(
        fc.property(tariffs, entries, stays, (t, entry, ms) => {
          const r = computeFee(t, entry, entry + ms);
          expect(Number.isSafeInteger(r.fee) && r.fee >= 0).to.equal(true);
          expect(r.durationMinutes).to.equal(Math.ceil(ms / MINUTE_MS));
        }),
        { numRuns: 1000 },
      );
    });

    it('without an overnight rate, equals pricing the stay step by step', function () {
      const plain = tariffs.map((t) => ({ ...t, overnight: null }));
      fc.assert(
        fc.property(plain, entries, stays, (t, entry, ms) => {
          expect(fee(t, ms, entry)).to.equal(steppedFee(t, ms));
        }),
        { numRuns: 1000 },
      );
    });

    it('charges a stay that lies inside one overnight window the flat rate (capped), if past grace', function () {
      const nightly = tariffs.filter((t) => t.overnight !== null);
      fc.assert(
        fc.property(nightly, entries, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (t, around, a, b) => {
          const w = nextWindow(t, around);
          const [x, y] = a <= b ? [a, b] : [b, a];
          const entry = w.start + Math.floor(x * (w.end - w.start));
          const exit = w.start + Math.floor(y * (w.end - w.start));
          const expected = exit - entry < min(t.graceMinutes) || exit === entry ? 0 : Math.min(t.overnight!.price, t.dailyMax ?? Infinity);
          expect(computeFee(t, entry, exit).fee).to.equal(expected);
        }),
        { numRuns: 1000 },
      );
    });
  });
});

/** The first overnight window of `t` that starts at or after `from`, computed from the clock times directly. */
function nextWindow(t: Tariff, from: number): { start: number; end: number } {
  const o = t.overnight!;
  const sign = o.utcOffset.startsWith('-') ? -1 : 1;
  const offset = sign * (Number(o.utcOffset.slice(1, 3)) * 60 + Number(o.utcOffset.slice(4, 6))) * MINUTE_MS;
  const startOfDay = (h: string) => Number(h.slice(0, 2)) * 60 + Number(h.slice(3, 5));
  const startMin = startOfDay(o.from);
  const length = ((startOfDay(o.to) - startMin + 1440) % 1440) * MINUTE_MS;
  let day = Math.floor((from + offset) / DAY_MS);
  let start = day * DAY_MS - offset + startMin * MINUTE_MS;
  while (start < from) {
    day += 1;
    start = day * DAY_MS - offset + startMin * MINUTE_MS;
  }
  return { start, end: start + length };
}
