import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Billing, DEFAULT_TARIFF, prepareBilling } from '../../billing/index.ts';
import { uniqueName, startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { TEST_PLATE_KEY, testCarKey } from '../helpers/plates.ts';
import { helper, nextError, nextInput, nodeFile } from './helpers.ts';

const SHIPPED = JSON.parse(readFileSync(new URL('../../flows/parking.json', import.meta.url), 'utf8')) as Array<Record<string, unknown>>;
const TARIFF = { ...SHIPPED.find((n) => n.type === 'parking-tariff')!, id: 'tariff' };
const MIN = 60_000;
// 09:00 on 2026-11-22 in Jakarta.
const T0 = Date.parse('2026-11-22T02:00:00.000Z');

describe('flows: parking-report node', function () {
  this.timeout(30_000);
  let m: TestMongo;
  const dbName = uniqueName('report');

  before(async function () {
    m = await startTestMongo();
    const billing = new Billing(await prepareBilling(m.client().db(dbName), testCarKey));
    const ev = (eventId: string, direction: 'entry' | 'exit', carId: string, ts: number, lot = 'mall-1') => ({ eventId, direction, carId, carKey: testCarKey(carId), ts, lot, gate: 'g', receivedAt: ts });
    await billing.apply(ev('a1', 'entry', 'AAA1', T0), DEFAULT_TARIFF);
    await billing.apply(ev('a2', 'exit', 'AAA1', T0 + 61 * MIN), DEFAULT_TARIFF);
    await billing.apply(ev('b1', 'entry', 'BBB2', T0, 'mall-2'), DEFAULT_TARIFF);
    await billing.apply(ev('b2', 'exit', 'BBB2', T0 + 30 * MIN, 'mall-2'), DEFAULT_TARIFF);
    await billing.apply(ev('c1', 'entry', 'OPEN3', Date.now() - 90 * MIN), DEFAULT_TARIFF);
  });
  after(async function () {
    await m?.close();
  });
  afterEach(async function () {
    await helper.unload();
  });

  async function load(props: Record<string, unknown>) {
    await helper.load(
      [nodeFile('mongodb'), nodeFile('tariff'), nodeFile('report')],
      [
        { id: 'db', type: 'parking-mongodb', uri: m.uri, database: dbName, plateKey: TEST_PLATE_KEY.toString('hex') },
        TARIFF,
        { id: 'report', type: 'parking-report', mongodb: 'db', report: 'revenue', format: 'json', tz: '+07:00', wires: [['out']], ...props },
        { id: 'out', type: 'helper' },
      ],
    );
    return { report: helper.getNode('report'), out: helper.getNode('out') };
  }

  it('revenue per day and lot as rows, the range from the message', async function () {
    const { report, out } = await load({});
    const result = nextInput(out, 'the revenue rows');
    report.receive({ from: '2026-11-22', to: '2026-11-23' });
    const msg = await result;
    expect(msg.payload).to.deep.equal([
      { day: '2026-11-22', lot: 'mall-1', currency: 'IDR', sessions: 1, closed: 1, unmatched: 0, revenue: 9000 },
      { day: '2026-11-22', lot: 'mall-2', currency: 'IDR', sessions: 1, closed: 1, unmatched: 0, revenue: 5000 },
    ]);
    expect(msg.report).to.deep.include({ kind: 'revenue', count: 2, lot: undefined });
  });

  it('CSV for an http response: parameters from the request query, headers and a file name; plates in clear when set so', async function () {
    const { report, out } = await load({ report: 'occupancy', format: 'csv', plates: 'clear' });
    const result = nextInput(out, 'the CSV');
    report.receive({ req: { query: { from: '2026-11-22', to: '2026-11-23', lot: 'mall-2' } }, payload: {} });
    const msg = await result;
    expect(msg.payload).to.equal(`carId,lot,visits,totalMinutes,totalFee,currency,firstEntryAt,lastExitAt\r\nBBB2,mall-2,1,30,5000,IDR,${new Date(T0).toISOString()},${new Date(T0 + 30 * MIN).toISOString()}\r\n`);
    expect(msg.headers).to.deep.equal({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="occupancy-mall-2-2026-11-22-2026-11-23.csv"' });
  });

  it('open sessions priced with the tariff, plates masked by default', async function () {
    const { report, out } = await load({ report: 'open', tariff: 'tariff' });
    const result = nextInput(out, 'the open sessions');
    report.receive({ payload: 'go' });
    const rows = (await result).payload as Array<Record<string, unknown>>;
    expect(rows).to.have.length(1);
    expect(rows[0]).to.deep.include({ carId: 'O***3', feeSoFar: 9000 });
    expect(rows[0].minutesSoFar).to.be.within(90, 91);
  });

  it('a bad parameter is an error naming it, with status code 400 for http flows', async function () {
    const { report } = await load({});
    const error = nextError(report, 'the error');
    report.receive({ report: 'revenue', from: 'last tuesday' });
    expect(await error).to.match(/^from: must be a day YYYY-MM-DD/);
    expect(report.error.lastCall.args[1]).to.deep.include({ statusCode: 400 });
  });
});
