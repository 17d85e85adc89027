import { expect } from 'chai';
import {
  Billing,
  DEFAULT_TARIFF,
  MINUTE_MS,
  parseReportQuery,
  prepareBilling,
  ReportQueryError,
  reportCsv,
  reportFileName,
  runReport,
  toCsv,
  type BillingCollections,
  type LotGateEvent,
} from '../../billing/index.ts';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { testCarKey } from '../helpers/plates.ts';

const H = 3600_000;
// 2026-11-22 09:00 in Jakarta (+07:00).
const DAY1 = Date.parse('2026-11-22T02:00:00.000Z');
const NOW = Date.parse('2026-11-24T05:00:00.000Z');
let n = 0;
const ev = (direction: 'entry' | 'exit', carId: string, ts: number, lot = 'mall-1'): LotGateEvent => {
  n += 1;
  return { eventId: `r${n}`, direction, carId, carKey: testCarKey(carId), ts, lot, gate: 'g1', receivedAt: ts };
};

describe('billing: reports', function () {
  this.timeout(30_000);
  let m: TestMongo;
  let c: BillingCollections;
  const query = (params: Record<string, unknown>) => parseReportQuery({ from: '2026-11-20', to: '2026-11-25', ...params }, NOW);

  before(async function () {
    m = await startTestMongo();
    c = await prepareBilling(m.client().db(m.dbName), testCarKey);
    const billing = new Billing(c);
    const visits: Array<[string, number, number, string?]> = [
      ['AAA1', DAY1, DAY1 + 61 * MINUTE_MS], // 9.000 on the 22nd
      ['AAA1', DAY1 + 24 * H, DAY1 + 24 * H + 30 * MINUTE_MS], // 5.000 on the 23rd
      ['BBB2', DAY1 + 13 * H, DAY1 + 13 * H + 125 * MINUTE_MS], // exits 00:05 local on the 23rd (17:05 UTC on the 22nd): 13.000
      ['CCC3', DAY1, DAY1 + 2 * H, 'mall-2'], // 9.000 at mall-2 on the 22nd
    ];
    for (const [car, entry, exit, lot] of visits) {
      await billing.apply(ev('entry', car, entry, lot), DEFAULT_TARIFF);
      await billing.apply(ev('exit', car, exit, lot), DEFAULT_TARIFF);
    }
    await billing.apply(ev('exit', 'LOST4', DAY1 + 5 * H), DEFAULT_TARIFF); // unmatched: 50.000 on the 22nd
    await billing.apply(ev('entry', 'OPEN5', NOW - 90 * MINUTE_MS), DEFAULT_TARIFF);
  });
  after(async function () {
    await m?.close();
  });

  it('revenue per local day and lot, closed and unmatched counted apart', async function () {
    const r = await runReport(c.sessions, query({ kind: 'revenue' }));
    expect(r.rows).to.deep.equal([
      { day: '2026-11-22', lot: 'mall-1', currency: 'IDR', sessions: 2, closed: 1, unmatched: 1, revenue: 59000 },
      { day: '2026-11-22', lot: 'mall-2', currency: 'IDR', sessions: 1, closed: 1, unmatched: 0, revenue: 9000 },
      { day: '2026-11-23', lot: 'mall-1', currency: 'IDR', sessions: 2, closed: 2, unmatched: 0, revenue: 18000 },
    ]);
    const utc = await runReport(c.sessions, query({ kind: 'revenue', lot: 'mall-1', tz: '+00:00' }));
    expect(utc.rows.map((row) => [(row as { day: string }).day, (row as { revenue: number }).revenue])).to.deep.equal([
      ['2026-11-22', 72000],
      ['2026-11-23', 5000],
    ]);
  });

  it('occupancy time per car, longest first (plates in clear when asked)', async function () {
    const r = await runReport(c.sessions, query({ kind: 'occupancy', lot: 'mall-1' }), { clearPlates: true });
    expect(r.rows.map((row) => ({ ...row }))).to.deep.equal([
      { carId: 'BBB2', lot: 'mall-1', visits: 1, totalMinutes: 125, totalFee: 13000, currency: 'IDR', firstEntryAt: new Date(DAY1 + 13 * H), lastExitAt: new Date(DAY1 + 13 * H + 125 * MINUTE_MS) },
      { carId: 'AAA1', lot: 'mall-1', visits: 2, totalMinutes: 91, totalFee: 14000, currency: 'IDR', firstEntryAt: new Date(DAY1), lastExitAt: new Date(DAY1 + 24 * H + 30 * MINUTE_MS) },
    ]);
  });

  it('open sessions with the time so far and what leaving now costs', async function () {
    const r = await runReport(c.sessions, query({ kind: 'open' }), { now: NOW, tariffFor: (id) => (id === DEFAULT_TARIFF.id ? DEFAULT_TARIFF : undefined), clearPlates: true });
    expect(r.rows).to.have.length(1);
    expect(r.rows[0]).to.deep.include({ carId: 'OPEN5', lot: 'mall-1', minutesSoFar: 90, feeSoFar: 9000, currency: 'IDR', tariff: 'default' });
  });

  it('exports sessions as CSV: a header, one line per session with its reason', async function () {
    const r = await runReport(c.sessions, query({ kind: 'sessions', lot: 'mall-1', format: 'csv' }), { clearPlates: true });
    const csv = reportCsv(r);
    const lines = csv.split('\r\n');
    expect(lines[0]).to.equal('sessionId,carId,lot,status,entryAt,exitAt,durationMinutes,fee,currency,tariff,entryGate,exitGate,entryEventId,exitEventId,reason');
    expect(lines.at(-1)).to.equal('');
    expect(lines).to.have.length(1 + 5 + 1);
    const lost = lines.find((l) => l.includes('LOST4'))!;
    expect(lost).to.match(/,unmatched,,2026-11-22T07:00:00\.000Z,,50000,IDR,default,,g1,,r\d+,exit through gate g1 with no open entry for this car at mall-1: lost-ticket fee charged$/);
    expect(reportFileName(r)).to.equal('sessions-mall-1-2026-11-20-2026-11-25.csv');
  });

  it('masks the plates unless asked for them in clear', async function () {
    for (const kind of ['occupancy', 'open', 'sessions']) {
      const r = await runReport(c.sessions, query({ kind }), { now: NOW });
      const plates = (r.rows as Array<{ carId: string }>).map((row) => row.carId);
      expect(plates.length, kind).to.be.above(0);
      for (const plate of plates) expect(plate, kind).to.match(/^[A-Z0-9-]{1,2}\*+[A-Z0-9-]{1,2}$/);
    }
    const csv = reportCsv(await runReport(c.sessions, query({ kind: 'sessions' })));
    expect(csv).not.to.match(/AAA1|BBB2|LOST4|OPEN5/);
    expect(csv).to.include('A**1');
  });

  it('quotes CSV fields that need it and leaves empty cells for nothing', function () {
    const csv = toCsv(['a', 'b', 'c'], [{ a: 'x,y', b: 'say "hi"', c: null }, { a: 1, b: new Date(0), c: 'line\nbreak' }]);
    expect(csv).to.equal('a,b,c\r\n"x,y","say ""hi""",\r\n1,1970-01-01T00:00:00.000Z,"line\nbreak"\r\n');
  });

  describe('parameters', function () {
    it('reads days as local midnights, ISO times and epoch milliseconds', function () {
      const q = parseReportQuery({ kind: 'revenue', from: '2026-11-22', to: '2026-11-23T12:00:00Z' }, NOW);
      expect(q.from.toISOString()).to.equal('2026-11-21T17:00:00.000Z');
      expect(q.to.toISOString()).to.equal('2026-11-23T12:00:00.000Z');
      expect(parseReportQuery({ kind: 'open', from: 0, to: 1000 }, NOW).to.getTime()).to.equal(1000);
      // `+` in a URL query arrives as a space.
      expect(parseReportQuery({ kind: 'revenue', tz: ' 08:00', from: '2026-11-22' }, NOW).from.toISOString()).to.equal('2026-11-21T16:00:00.000Z');
    });

    it('reads a time that names no zone in the local time, not in the server\'s zone', function () {
      const to = (raw: string, tz?: string) => parseReportQuery({ kind: 'revenue', from: '2026-11-20', to: raw, ...(tz ? { tz } : {}) }, NOW).to.toISOString();
      expect(to('2026-11-22T10:00')).to.equal('2026-11-22T03:00:00.000Z');
      expect(to('2026-11-22T10:00:30.5', '+08:00')).to.equal('2026-11-22T02:00:30.500Z');
      expect(to('2026-11-22T10:00Z')).to.equal('2026-11-22T10:00:00.000Z');
      expect(to('2026-11-22T10:00+09:00')).to.equal('2026-11-22T01:00:00.000Z');
    });

    it('defaults to the last 30 days, JSON, +07:00', function () {
      const q = parseReportQuery({ kind: 'revenue' }, NOW);
      expect(q).to.deep.include({ format: 'json', utcOffset: '+07:00' });
      expect(q.to.getTime()).to.equal(NOW);
      expect(NOW - q.from.getTime()).to.equal(30 * 24 * H);
    });

    it('names the bad parameter', function () {
      const bad = (params: Record<string, unknown>) => {
        try {
          parseReportQuery({ kind: 'revenue', ...params }, NOW);
        } catch (err) {
          expect(err).to.be.instanceOf(ReportQueryError);
          return (err as ReportQueryError).parameter;
        }
        return 'accepted';
      };
      expect(bad({ kind: 'profit' })).to.equal('report');
      expect(bad({ from: 'yesterday' })).to.equal('from');
      expect(bad({ from: '2026-02-30' })).to.equal('from');
      expect(bad({ from: '2026-11-23', to: '2026-11-22' })).to.equal('from');
      expect(bad({ lot: 'a/b' })).to.equal('lot');
      expect(bad({ tz: 'Asia/Jakarta' })).to.equal('tz');
      expect(bad({ format: 'xlsx' })).to.equal('format');
    });
  });
});
