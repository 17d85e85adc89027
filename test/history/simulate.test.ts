import { expect } from 'chai';
import { demand, runBacktest, simulateHistory, type SimulatedChange } from '../../history/index.ts';

const DAY = 86_400_000;

describe('history: simulated weeks and the forecast backtest', function () {
  this.timeout(60_000);

  it('simulates the same weeks from the same seed, in time order, busier at a weekday noon than at night', function () {
    const ids = Array.from({ length: 20 }, (_, i) => String(i + 1));
    const spec = { lots: [{ lot: 'sim-1', levels: [{ level: 'B1', slots: ids }, { level: 'B2', slots: ids }] }], from: Date.parse('2026-11-23T17:00:00.000Z'), to: Date.parse('2026-11-30T17:00:00.000Z'), utcOffsetMs: 7 * 3_600_000, seed: 7 };
    const run = () => {
      const all: SimulatedChange[] = [];
      let chunks = 0;
      simulateHistory(spec, (c) => {
        chunks += 1;
        all.push(...c);
      });
      return { all, chunks };
    };
    const a = run();
    expect(a.chunks, 'a day at a time').to.equal(7);
    expect(run().all).to.deep.equal(a.all);
    for (let i = 1; i < a.all.length; i += 1) expect(a.all[i].at).to.be.at.least(a.all[i - 1].at);
    expect(a.all.every((c) => c.at >= spec.from && c.at < spec.to && /^(1?\d|20)$/.test(c.slot))).to.equal(true);
    // Occupied slots of B1 at a weekday's noon and at 03:00 (local), replayed.
    const occupiedAt = (t: number) => {
      const s = new Map<string, string>();
      for (const c of a.all) if (c.at <= t && c.level === 'B1') s.set(c.slot, c.status);
      return [...s.values()].filter((v) => v === 'occupied').length;
    };
    const wednesday = spec.from + DAY; // from is Tuesday 2026-11-24 00:00 local
    expect(occupiedAt(wednesday + 12 * 3_600_000)).to.be.above(occupiedAt(wednesday + 3 * 3_600_000) + 5);
    expect(demand(12, false)).to.be.above(demand(3, false));
    expect(demand(15, true)).to.be.above(demand(9, true));
  });

  it('the forecast beats "same as now" at +15, +30 and +60 minutes on a simulated month', function () {
    const r = runBacktest({ days: 21 });
    expect(r.profiled, 'forecasts made from the profile').to.be.above(0.95);
    for (const row of r.rows) {
      expect(row.count, `+${row.minutes}`).to.be.above(500);
      expect(row.maeForecast, `+${row.minutes} min: ours ${row.maeForecast}, same as now ${row.maeSameAsNow}`).to.be.below(row.maeSameAsNow);
    }
  });
});
