import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Db } from 'mongodb';
import { Topics, type AvailabilitySummary } from '../../contract/index.ts';
import { watchSummaries } from '../../opendata/index.ts';
import { occupancyRouter, startForecaster, startHistorian, STEP_MS, type Forecast, type Historian } from '../../history/index.ts';
import { writeSimulatedHistory } from '../../history/simulate-write.ts';
import { FailoverLink } from '../../link/index.ts';
import { express } from '../../web/express.ts';
import { statusOf } from '../helpers/http.ts';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { startTestBroker, type TestBroker } from '../link/brokers.ts';
import { until } from '../link/wait.ts';

const MIN = 60_000;
const logger = { info: () => undefined, warn: () => undefined, debug: () => undefined };
// A step boundary, 2026-12-07 02:00 UTC.
const T = Date.parse('2026-12-07T02:00:00.000Z');

describe('history: the rollup in MongoDB and /api/occupancy', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let db: Db;
  let clock = T;
  let historian: Historian | undefined;
  let server: Server;
  let base: string;

  const event = (slot: string, at: number, status: string) => ({ at: new Date(at), slot: { lot: 'mall-h', level: 'L1', slot }, status, ts: at, seq: null, device: null, receivedAt: new Date(at) });
  const slot = (id: string, status: string, since: number) => ({ _id: `mall-h/L1/${id}`, lot: 'mall-h', level: 'L1', slot: id, status, ts: since, since: new Date(since), updatedAt: new Date(since) });
  const buckets = () => db.collection('occupancy').find({ lot: 'mall-h' }).sort({ at: 1 }).toArray();

  before(async function () {
    m = await startTestMongo();
    db = m.client().db(m.dbName);
    // Slot 1 arrives at 02:01 and leaves at 02:11; slot 2 stays free.
    await db.collection('slotEvents').insertMany([event('1', T - 30 * MIN, 'free'), event('2', T - 30 * MIN, 'free'), event('1', T + 1 * MIN, 'occupied'), event('1', T + 11 * MIN, 'free')]);
    await db.collection('slots').insertMany([slot('1', 'free', T + 11 * MIN), slot('2', 'free', T - 30 * MIN)] as never[]);
    const app = express();
    app.use('/api/occupancy', occupancyRouter({ collections: () => historian?.collections(), utcOffset: '+07:00', lots: { 'mall-h': { name: 'Mall H, east deck' } }, now: () => clock }));
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/occupancy`;
  });
  after(async function () {
    await historian?.close();
    await new Promise((resolve) => server?.close(resolve));
    await m?.close();
  });

  it('rolls up from the first recorded change to the last step ended a minute ago, and again to the same buckets', async function () {
    clock = T + 16 * MIN; // steps up to 02:15 are done (02:15 ended 1 min ago? no: 02:10-02:15 ended at 02:15)
    historian = startHistorian({ db, logger, now: () => clock, intervalMs: 3600_000 });
    await historian.tick();
    let rows = await buckets();
    // From 01:30 (the first change) to 02:15: 9 steps of one level.
    expect(rows.map((b) => new Date(b.at).toISOString().slice(11, 16))).to.deep.equal(['01:30', '01:35', '01:40', '01:45', '01:50', '01:55', '02:00', '02:05', '02:10']);
    const at = (hhmm: string) => rows.find((b) => new Date(b.at).toISOString().slice(11, 16) === hhmm)!;
    expect(at('02:00')).to.deep.include({ total: 2, occupied: 1, occupiedMean: 0.8, occupiedMax: 1, arrivals: 1, departures: 0 });
    expect(at('02:05')).to.deep.include({ occupied: 1, occupiedMean: 1, arrivals: 0 });
    expect(at('02:10')).to.deep.include({ occupied: 0, occupiedMean: 0.2, departures: 1, stayMinutes: 10 });

    // A restart (the state kept in MongoDB) after the stored state was lost: the same buckets, nothing twice.
    await historian.close();
    await db.collection('occupancyState').deleteMany({});
    historian = startHistorian({ db, logger, now: () => clock, intervalMs: 3600_000 });
    await historian.tick();
    const again = await buckets();
    expect(again).to.deep.equal(rows);
    rows = again;
  });

  it('a change that reached the history after its step was rolled up counts from the next step', async function () {
    // Slot 2 turned occupied at 02:12 (step 02:10, rolled up already); ingest got it only now.
    await db.collection('slotEvents').insertOne(event('2', T + 12 * MIN, 'occupied'));
    await db.collection('slots').updateOne({ _id: 'mall-h/L1/2' as never }, { $set: { status: 'occupied', since: new Date(T + 12 * MIN) } });
    clock = T + 26 * MIN;
    await historian!.tick();
    const rows = await buckets();
    const last = rows[rows.length - 1];
    expect(new Date(last.at).toISOString().slice(11, 16)).to.equal('02:20');
    expect(rows.find((b) => new Date(b.at).toISOString().slice(11, 16) === '02:15')).to.deep.include({ occupied: 1, occupiedMean: 1 });
  });

  it('answers /api/occupancy/slots: turnover and mean stay per slot, from the changes themselves; one lot, 31 days at most', async function () {
    const from = new Date(T).toISOString();
    const to = new Date(T + 30 * MIN).toISOString();
    const body = (await (await fetch(`${base}/slots?lot=mall-h&from=${from}&to=${to}`)).json()) as { query: Record<string, unknown>; rows: Array<Record<string, unknown>> };
    expect(body.query).to.deep.equal({ lot: 'mall-h', level: null, from, to, utcOffset: '+07:00', count: 2 });
    // Slot 1: in at 02:01, out at 02:11 (10 min); slot 2: in at 02:12 (the late change), still there.
    expect(body.rows).to.deep.equal([
      { lot: 'mall-h', level: 'L1', slot: '1', arrivals: 1, departures: 1, meanStayMinutes: 10, status: 'free' },
      { lot: 'mall-h', level: 'L1', slot: '2', arrivals: 1, departures: 0, meanStayMinutes: null, status: 'occupied' },
    ]);
    const csv = await (await fetch(`${base}/slots?lot=mall-h&from=${from}&to=${to}&format=csv`)).text();
    expect(csv.split('\r\n')[0]).to.equal('lot,level,slot,arrivals,departures,meanStayMinutes,status');
    const refused = async (query: string) => {
      const res = await fetch(`${base}/slots?${query}`);
      return [res.status, ((await res.json()) as { parameter: string }).parameter];
    };
    expect(await refused('from=2026-12-01')).to.deep.equal([400, 'lot']);
    expect(await refused('lot=mall-h&from=2026-10-01&to=2026-12-07')).to.deep.equal([400, 'from']);
  });

  it('answers /api/occupancy as JSON and CSV, per level or the lot, with an ETag; refuses a bad parameter', async function () {
    const from = new Date(T).toISOString();
    const to = new Date(T + 20 * MIN).toISOString();
    const res = await fetch(`${base}?lot=mall-h&level=L1&from=${from}&to=${to}&step=10m`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('cache-control')).to.equal('public, max-age=60');
    const body = (await res.json()) as { query: Record<string, unknown>; names: Record<string, string>; rows: Array<Record<string, unknown>> };
    expect(body.query).to.deep.equal({ lot: 'mall-h', level: 'L1', by: 'level', from, to, stepMinutes: 10, utcOffset: '+07:00', count: 2 });
    expect(body.names).to.deep.equal({ 'mall-h': 'Mall H, east deck' });
    expect(body.rows.map((r) => [r.from, r.occupiedMean, r.arrivals, r.departures, r.meanStayMinutes, r.coverage])).to.deep.equal([
      ['2026-12-07T02:00:00.000Z', 0.9, 1, 0, null, 1],
      ['2026-12-07T02:10:00.000Z', 0.6, 0, 1, 10, 1],
    ]);
    const etag = res.headers.get('etag');
    expect(etag).to.be.a('string');
    expect(await statusOf(`${base}?lot=mall-h&level=L1&from=${from}&to=${to}&step=10m`, { 'if-none-match': etag! })).to.equal(304);

    const csv = await fetch(`${base}?lot=mall-h&from=${from}&to=${to}&step=10m`, { headers: { accept: 'text/csv' } });
    expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).to.equal('lot,level,from,to,totalSpotNumber,occupiedMean,occupiedMax,availableMean,occupancy,arrivals,departures,meanStayMinutes,coverage');
    expect(lines[1]).to.equal('mall-h,,2026-12-07T02:00:00.000Z,2026-12-07T02:10:00.000Z,2,0.9,1,1.1,0.45,1,0,,1');

    const all = (await (await fetch(`${base}?from=${from}&to=${to}&step=1h`)).json()) as { rows: Array<{ lot: string }> };
    expect(all.rows.map((r) => r.lot), 'every lot').to.deep.equal(['mall-h']);
    const bad = await fetch(`${base}?lot=mall-h&step=7m`);
    expect(bad.status).to.equal(400);
    expect(await bad.json()).to.deep.include({ parameter: 'step' });
  });

  it('expires buckets past the retention', async function () {
    await historian!.close();
    clock = T + 2 * 86_400_000;
    historian = startHistorian({ db, logger, now: () => clock, retentionDays: 1, intervalMs: 3600_000 });
    await historian.tick();
    const rows = await buckets();
    expect(rows.length).to.be.above(0);
    expect(Math.min(...rows.map((b) => new Date(b.at).getTime()))).to.be.at.least(clock - 86_400_000 - STEP_MS);
  });
});

describe('history: simulated weeks written into MongoDB', function () {
  this.timeout(60_000);
  let m: TestMongo;
  after(async () => m?.close());

  it('writes the changes as ingest does, adds only the slots not there yet, and resets the lots\' rollup', async function () {
    m = await startTestMongo();
    const db = m.client().db(m.dbName);
    const live = { _id: 'sim-9/B1/01', lot: 'sim-9', level: 'B1', slot: '01', status: 'occupied', ts: Date.now(), since: new Date(), updatedAt: new Date() };
    await db.collection('slots').insertOne(live as never);
    await db.collection('occupancyState').insertOne({ _id: 'sim-9', until: new Date(), slots: {} } as never);
    await db.collection('occupancy').insertOne({ _id: 'sim-9/B1/x', lot: 'sim-9', level: 'B1', at: new Date() } as never);
    const to = Date.parse('2026-12-07T00:00:00.000Z');
    const written = await writeSimulatedHistory(db, { lots: [{ lot: 'sim-9', levels: [{ level: 'B1', slots: ['01', '02', '03'] }] }], from: to - 2 * 86_400_000, to, utcOffsetMs: 7 * 3_600_000, seed: 3 });
    expect(written.slots).to.equal(3);
    expect(await db.collection('slotEvents').countDocuments({ 'slot.lot': 'sim-9' })).to.equal(written.changes).and.above(10);
    expect(await db.collection('slots').findOne({ _id: 'sim-9/B1/01' as never }), 'a live slot is left as it is').to.deep.include({ status: 'occupied', ts: live.ts });
    expect(await db.collection('slots').countDocuments({ lot: 'sim-9' })).to.equal(3);
    expect(await db.collection('occupancyState').countDocuments({ _id: 'sim-9' as never })).to.equal(0);
    expect(await db.collection('occupancy').countDocuments({ lot: 'sim-9' })).to.equal(0);
  });
});

describe('history: forecasts over MQTT', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  let link: FailoverLink;
  let reader: FailoverLink;

  before(async function () {
    broker = await startTestBroker();
    link = new FailoverLink({ servers: [broker.url], clientId: 'forecast-test' });
    reader = new FailoverLink({ servers: [broker.url], clientId: 'forecast-reader' });
    link.start();
    reader.start();
    await Promise.all([link.waitConnected(), reader.waitConnected()]);
  });
  after(async function () {
    await link?.close();
    await reader?.close();
    await broker?.close();
  });

  it('publishes a retained forecast for a lot and each level from the first summary: "same as now" without history', async function () {
    const topics = new Topics('parking');
    // As the platform wires it: the one watcher of the summaries tells the forecaster of each.
    const summaries: { list(): AvailabilitySummary[] } = { list: () => [] };
    const forecaster = startForecaster({ link, topics, summaries: () => summaries.list(), collections: () => undefined, intervalMs: 3600_000, logger });
    Object.assign(summaries, await watchSummaries(link, topics, (summary) => forecaster.seen(summary)));
    const seen = new Map<string, Forecast>();
    reader.on('message', (topic, payload) => {
      if (payload.length) seen.set(topic, JSON.parse(payload.toString('utf8')) as Forecast);
    });
    await reader.subscribe('parking/+/forecast/#', 1);
    await reader.subscribe('parking/+/forecast', 1);
    await reader.publish('parking/mall-f/availability', JSON.stringify({ lot: 'mall-f', availableSpotNumber: 7, totalSpotNumber: 20, status: 'spacesAvailable', levels: { B1: { availableSpotNumber: 0, totalSpotNumber: 10 }, B2: { availableSpotNumber: 7, totalSpotNumber: 10 } }, observedAt: new Date().toISOString() }), { qos: 1, retain: true });
    await until(() => seen.size === 3, { what: () => `forecasts: ${[...seen.keys()].join(', ')}` });
    expect(seen.get('parking/mall-f/forecast')).to.deep.include({ lot: 'mall-f', method: 'same-as-now', availableSpotNumber: 7, totalSpotNumber: 20, fullInMinutes: null });
    expect(seen.get('parking/mall-f/forecast/B1')).to.deep.include({ level: 'B1', availableSpotNumber: 0, fullInMinutes: 0 });
    expect(seen.get('parking/mall-f/forecast/B2')!.forecasts.map((f) => f.availableSpotNumber)).to.deep.equal([7, 7, 7]);
    // Bad summaries say nothing and break nothing.
    await reader.publish('parking/mall-g/availability', '{oops', { qos: 1, retain: false });
    await reader.publish('parking/mall-g/availability', JSON.stringify({ lot: 'mall-g', availableSpotNumber: -1, totalSpotNumber: 3, observedAt: new Date().toISOString() }), { qos: 1, retain: false });
    await forecaster.tick();
    expect([...forecaster.latest().keys()].sort()).to.deep.equal(['parking/mall-f/forecast', 'parking/mall-f/forecast/B1', 'parking/mall-f/forecast/B2']);
    forecaster.close();
  });
});
