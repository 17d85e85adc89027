import { expect } from 'chai';
import {
  forecastOf,
  parseOccupancyQuery,
  parseStep,
  reconcile,
  resample,
  rollStep,
  STEP_MS,
  sumLevels,
  windowStart,
  OccupancyQueryError,
  SlotStats,
  type Bucket,
  type LotStates,
} from '../../history/index.ts';

const T0 = Date.parse('2026-12-07T02:00:00.000Z');
const MIN = 60_000;

describe('history: the 5-minute rollup (pure)', function () {
  it('weighs occupancy by time, counts arrivals, departures and stays, and keeps a bucket for a quiet level', function () {
    const states: LotStates = new Map([
      ['B1/1', { status: 'occupied', since: T0 - 10 * MIN }],
      ['B1/2', { status: 'free', since: T0 - 60 * MIN }],
      ['B2/1', { status: 'free', since: T0 - 60 * MIN }],
    ]);
    const buckets = rollStep('mall-1', T0, states, [
      { level: 'B1', slot: '2', at: T0 + 1 * MIN, status: 'occupied' }, // arrives: 2 occupied from minute 1
      { level: 'B1', slot: '2', at: T0 + 1 * MIN + 1, status: 'occupied' }, // a repeat: nothing
      { level: 'B1', slot: '1', at: T0 + 3 * MIN, status: 'free' }, // leaves after 13 minutes
      { level: 'B1', slot: '3', at: T0 + 4 * MIN, status: 'unknown' }, // a new slot, silent
    ]);
    expect(buckets.map((b) => b._id)).to.deep.equal(['mall-1/B1/2026-12-07T02:00:00.000Z', 'mall-1/B2/2026-12-07T02:00:00.000Z']);
    const [b1, b2] = buckets;
    // occupied: 1 for 1 min, 2 for 2 min, 1 for 2 min: (1 + 4 + 2) / 5
    expect(b1).to.deep.include({ lot: 'mall-1', level: 'B1', stepMs: STEP_MS, total: 3, occupied: 1, free: 1, unknown: 1, closed: 0, occupiedMean: 1.4, occupiedMax: 2, arrivals: 1, departures: 1, stayMinutes: 13 });
    expect(b1.at.toISOString()).to.equal('2026-12-07T02:00:00.000Z');
    expect(b2).to.deep.include({ total: 1, occupied: 0, free: 1, occupiedMean: 0, occupiedMax: 0, arrivals: 0 });
    expect(states.get('B1/1')).to.deep.equal({ status: 'free', since: T0 + 3 * MIN });
    expect(states.get('B1/3')).to.deep.equal({ status: 'unknown', since: T0 + 4 * MIN });
    // The next step starts from where this one ended.
    const [next] = rollStep('mall-1', T0 + STEP_MS, states, []);
    expect(next).to.deep.include({ occupiedMean: 1, occupiedMax: 1, arrivals: 0 });
  });

  it('rolls a step up again to the same buckets (what makes a repeat after a crash harmless)', function () {
    const start = (): LotStates => new Map([['L1/1', { status: 'free', since: 0 }]]);
    const changes = [{ level: 'L1', slot: '1', at: T0 + 2 * MIN, status: 'occupied' }];
    expect(rollStep('x', T0, start(), changes)).to.deep.equal(rollStep('x', T0, start(), changes));
  });

  it('reconcile takes what the rollup missed before `until` (a change that arrived late), not what came after', function () {
    const states: LotStates = new Map([
      ['L1/1', { status: 'free', since: 0 }],
      ['L1/2', { status: 'free', since: 0 }],
    ]);
    const fixed = reconcile(
      states,
      [
        { level: 'L1', slot: '1', status: 'occupied', since: T0 - MIN }, // missed: late
        { level: 'L1', slot: '2', status: 'occupied', since: T0 + MIN }, // after until: the next step's events have it
        { level: 'L1', slot: '3', status: 'free', since: T0 - 3600_000 }, // never changed in the window
      ],
      T0,
    );
    expect(fixed).to.equal(2);
    expect(states.get('L1/1')).to.deep.equal({ status: 'occupied', since: T0 - MIN });
    expect(states.get('L1/2')?.status).to.equal('free');
    expect(states.has('L1/3')).to.equal(true);
  });
});

function bucket(level: string, at: number, occupiedMean: number, extra: Partial<Bucket> = {}): Bucket {
  return { _id: `x/${level}/${at}`, lot: 'x', level, at: new Date(at), stepMs: STEP_MS, total: 10, occupied: 0, free: 0, unknown: 0, closed: 0, occupiedMean, occupiedMax: Math.ceil(occupiedMean), arrivals: 1, departures: 1, stayMinutes: 30, ...extra };
}

describe('history: /api/occupancy parameters and resampling (pure)', function () {
  const NOW = Date.parse('2026-12-07T10:02:00.000Z');
  const WIB = 7 * 3600_000;

  it('reads the parameters: defaults, local days, steps, CSV by Accept; refuses what is wrong, naming it', function () {
    expect(parseOccupancyQuery({}, NOW, '+07:00')).to.deep.equal({ lot: undefined, level: undefined, from: NOW - 86_400_000, to: NOW, stepMs: 5 * MIN, format: 'json', byLevel: false });
    expect(parseOccupancyQuery({ lot: 'x', by: 'level' }, NOW, '+07:00').byLevel).to.equal(true);
    const week = parseOccupancyQuery({ lot: 'mall-1', level: 'B1', from: '2026-12-01', to: '2026-12-08' }, NOW, '+07:00', 'text/csv');
    expect(week).to.deep.include({ lot: 'mall-1', level: 'B1', from: Date.parse('2026-11-30T17:00:00.000Z'), stepMs: 30 * MIN, format: 'csv' });
    expect([parseStep('15m'), parseStep('1h'), parseStep('1d'), parseStep('900')]).to.deep.equal([15 * MIN, 60 * MIN, 1440 * MIN, 15 * MIN]);
    const refused = (params: Record<string, unknown>, parameter: string) => {
      try {
        parseOccupancyQuery(params, NOW, '+07:00');
      } catch (err) {
        expect(err).to.be.instanceOf(OccupancyQueryError);
        expect((err as OccupancyQueryError).parameter).to.equal(parameter);
        return;
      }
      expect.fail(`accepted ${JSON.stringify(params)}`);
    };
    refused({ lot: 'mall 1' }, 'lot');
    refused({ level: 'B1' }, 'level');
    refused({ from: 'yesterday' }, 'from');
    refused({ from: '2026-12-08', to: '2026-12-07' }, 'from');
    refused({ from: '2024-01-01' }, 'from');
    refused({ step: '7m' }, 'step');
    refused({ step: '8d' }, 'step');
    refused({ from: '2026-01-01', step: '5m' }, 'step');
    refused({ format: 'xml' }, 'format');
    refused({ lot: 'x', by: 'slot' }, 'by');
  });

  it('resamples buckets per level or for the lot, with turnover, mean stay and coverage; days start at local midnight', function () {
    const h = Date.parse('2026-12-07T02:00:00.000Z');
    const buckets = [bucket('B1', h, 4), bucket('B2', h, 2), bucket('B1', h + STEP_MS, 6), bucket('B2', h + STEP_MS, 2, { total: 12 })];
    const perLevel = resample(buckets, 60 * MIN, WIB, true);
    expect(perLevel.map((r) => [r.level, r.occupiedMean, r.totalSpotNumber, r.availableMean, r.occupancy, r.arrivals, r.meanStayMinutes, r.coverage])).to.deep.equal([
      ['B1', 5, 10, 5, 0.5, 2, 30, 0.167],
      ['B2', 2, 12, 10, 0.167, 2, 30, 0.167],
    ]);
    const lot = resample(buckets, 60 * MIN, WIB, false);
    expect(lot).to.have.length(1);
    expect(lot[0]).to.deep.include({ lot: 'x', from: '2026-12-07T02:00:00.000Z', to: '2026-12-07T03:00:00.000Z', totalSpotNumber: 22, occupiedMean: 7, occupiedMax: 8, arrivals: 4 });
    expect(lot[0]).to.not.have.property('level');
    // 2026-12-07 02:00 UTC is 09:00 at +07:00: the local day began at 17:00 UTC the day before.
    expect(new Date(windowStart(h, 86_400_000, WIB)).toISOString()).to.equal('2026-12-06T17:00:00.000Z');
    expect(resample([], 60 * MIN, WIB, true)).to.deep.equal([]);
  });
});

describe('history: forecasts (pure)', function () {
  const WEEK = 7 * 86_400_000;
  const NOW = Date.parse('2026-12-04T09:00:00.000Z'); // a Friday, 16:00 at +07:00

  /** A level of 100 slots whose past Fridays had `free(m)` free m minutes from 16:00. */
  function fridays(weeks: number, free: (m: number) => number): Bucket[] {
    const out: Bucket[] = [];
    for (let w = 1; w <= weeks; w += 1) {
      for (let m = -60; m <= 100; m += 5) out.push(bucket('B3', NOW - w * WEEK + m * MIN, 100 - free(m + 2.5), { total: 100 }));
    }
    return out;
  }
  // Fills steadily: 60 free at 16:00, 2 fewer every 5 minutes.
  const filling = (m: number) => 60 - 0.4 * m;

  it('says "same as now" until the history holds this weekday and hour', function () {
    const f = forecastOf({ lot: 'x', level: 'B3' }, NOW, 40, 100, []);
    expect(f).to.deep.include({ lot: 'x', level: 'B3', method: 'same-as-now', availableSpotNumber: 40, totalSpotNumber: 100, fullInMinutes: null, observedAt: new Date(NOW).toISOString() });
    expect(f.forecasts).to.deep.equal([
      { minutes: 15, at: new Date(NOW + 15 * MIN).toISOString(), availableSpotNumber: 40 },
      { minutes: 30, at: new Date(NOW + 30 * MIN).toISOString(), availableSpotNumber: 40 },
      { minutes: 60, at: new Date(NOW + 60 * MIN).toISOString(), availableSpotNumber: 40 },
    ]);
    expect(f.basis).to.match(/no history/);
    expect(forecastOf({ lot: 'x' }, NOW, 0, 100, []).fullInMinutes, 'full now').to.equal(0);
  });

  it('follows the weekday profile when today is as usual', function () {
    const f = forecastOf({ lot: 'x', level: 'B3' }, NOW, 60, 100, fridays(4, filling));
    expect(f.method).to.equal('weekday-profile');
    expect(f.basis).to.match(/4 past weeks/);
    expect(f.forecasts.map((p) => p.availableSpotNumber)).to.deep.equal([54, 48, 36]);
    expect(f.fullInMinutes, 'not within the hour').to.equal(null);
  });

  it('says when a level is expected to fill', function () {
    const f = forecastOf({ lot: 'x', level: 'B3' }, NOW, 40, 100, fridays(4, (m) => Math.max(0, 40 - m)));
    expect(f.forecasts[0].availableSpotNumber).to.be.within(22, 30);
    expect(f.fullInMinutes).to.be.within(40, 60);
  });

  it('corrects by how far today is from the profile, fading with the horizon', function () {
    // Today 20 more free than on past Fridays.
    const f = forecastOf({ lot: 'x', level: 'B3' }, NOW, 80, 100, fridays(4, filling));
    const [in15, in30, in60] = f.forecasts.map((p) => p.availableSpotNumber);
    expect(in15).to.equal(54 + 17); // 20 * 0.5^(15/60) = 16.8
    expect(in30).to.equal(48 + 14); // 14.1
    expect(in60).to.equal(36 + 10); // 10
  });

  it('a lot is its levels summed step by step', function () {
    const at = new Date(NOW);
    expect(sumLevels([bucket('B1', NOW, 3, { total: 10 }), bucket('B2', NOW, 5, { total: 20 })])).to.deep.equal([{ at, total: 30, occupiedMean: 8 }]);
  });
});

describe('history: turnover and mean stay per slot (SlotStats)', function () {
  const M = 60_000;
  const FROM = Date.parse('2026-12-07T00:00:00.000Z');
  const at = (minutes: number) => FROM + minutes * M;

  it('counts arrivals and departures in the range; a stay begun in the look-back has its length, repeats are no change', function () {
    const stats = new SlotStats('mall-1', FROM);
    for (const c of [
      { level: 'B1', slot: '10', at: at(-90), status: 'occupied' }, // the look-back: a stay that ends in the range
      { level: 'B1', slot: '2', at: at(-30), status: 'free' },
      { level: 'B1', slot: '10', at: at(30), status: 'free' },
      { level: 'B1', slot: '2', at: at(40), status: 'occupied' },
      { level: 'B1', slot: '2', at: at(45), status: 'occupied' }, // said again
      { level: 'B1', slot: '2', at: at(60), status: 'free' },
      { level: 'B1', slot: '2', at: at(70), status: 'occupied' },
      { level: 'B1', slot: '2', at: at(100), status: 'free' },
    ]) stats.add(c);
    expect(stats.rows()).to.deep.equal([
      { lot: 'mall-1', level: 'B1', slot: '2', arrivals: 2, departures: 2, meanStayMinutes: 25, status: 'free' },
      { lot: 'mall-1', level: 'B1', slot: '10', arrivals: 0, departures: 1, meanStayMinutes: 120, status: 'free' },
    ]);
  });

  it('a slot first seen in the range leaving a state it was in before the look-back: no departure (its start is not known); one seen in the look-back: counted', function () {
    const stats = new SlotStats('mall-1', FROM);
    stats.add({ level: 'B1', slot: '1', at: at(5), status: 'free' });
    expect(stats.rows()).to.deep.equal([{ lot: 'mall-1', level: 'B1', slot: '1', arrivals: 0, departures: 0, meanStayMinutes: null, status: 'free' }]);
    const occupied = new SlotStats('mall-1', FROM);
    occupied.add({ level: 'B1', slot: '1', at: at(-10), status: 'free' });
    occupied.add({ level: 'B1', slot: '1', at: at(-5), status: 'occupied' });
    occupied.add({ level: 'B1', slot: '1', at: at(20), status: 'free' });
    expect(occupied.rows()[0]).to.include({ arrivals: 0, departures: 1, meanStayMinutes: 25 });
  });
});
