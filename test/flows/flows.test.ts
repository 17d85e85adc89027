// The shipped charging flow in embedded Node-RED (startFlows), end to end: gate events
// published over MQTT, gate displays read back over MQTT, sessions read from MongoDB.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import mqtt, { type MqttClient } from 'mqtt';
import type { Db } from 'mongodb';
import { startFlows, type FlowsOptions, type RunningFlows } from '../../flows/index.ts';
import { createLogger, type LogLevel } from '../../log/index.ts';
import { startBroker, type RunningBroker } from '../helpers/brokers.ts';
import { basicAuthHeader, editorToken, requestEditorToken, type Login } from '../helpers/login.ts';
import { requireStandIn, startTestMongo, waitFor, type TestMongo } from '../helpers/mongo.ts';

const MIN = 60_000;
// In the past whatever the clock says, so open sessions have a fee so far.
const T0 = Date.parse('2025-06-02T03:00:00.000Z');
const logger = createLogger('flows-test', (process.env.PARKING_TEST_LOG_LEVEL as LogLevel | undefined) ?? 'silent', { format: 'json' });

interface Display {
  topic: string;
  carId: string;
  sessionId: string;
  direction: 'entry' | 'exit';
  status: string;
  durationMinutes?: number;
  fee?: number;
  currency?: string;
  text: string;
}

/** Resolves when a client whose id starts `parking-flows` subscribes to `filter` on `broker`. */
function flowsSubscribed(broker: RunningBroker, filter: string): Promise<void> {
  return new Promise((resolve) => {
    const onSubscribe = (subs: Array<{ topic: string }>, client: { id: string } | null) => {
      if (client?.id.startsWith('parking-flows') && subs.some((s) => s.topic === filter)) {
        broker.aedes.off('subscribe', onSubscribe);
        resolve();
      }
    };
    broker.aedes.on('subscribe', onSubscribe);
  });
}

/** A gate-side MQTT client: publishes events, collects displays, waits for them. */
class Gates {
  readonly displays: Display[] = [];
  private waiters: Array<() => void> = [];
  private n = 0;

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      this.displays.push({ topic, ...(JSON.parse(payload.toString()) as Omit<Display, 'topic'>) });
      for (const w of [...this.waiters]) w();
    });
  }

  static async connect(url: string): Promise<Gates> {
    const client = await mqtt.connectAsync(url, { clientId: `test-gates-${process.pid}-${Date.now()}`, reconnectPeriod: 200 });
    await client.subscribeAsync('parking/+/gate/+/display', { qos: 1 });
    return new Gates(client);
  }

  event(lot: string, direction: 'entry' | 'exit', carId: string, ts: number, eventId = `it-${process.pid}-${++this.n}`) {
    return { lot, gate: direction === 'entry' ? 'in-1' : 'out-1', body: { eventId, direction, carId, ts } };
  }

  async publish(e: { lot: string; gate: string; body: object }): Promise<void> {
    await this.client.publishAsync(`parking/${e.lot}/gate/${e.gate}/event`, JSON.stringify(e.body), { qos: 1 });
  }

  /** Resolves with the displays once `count` of them satisfy `match`. */
  waitFor(what: string, match: (d: Display) => boolean, count = 1, ms = 60_000): Promise<Display[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.displays.filter(match);
        if (found.length < count) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(found);
        return true;
      };
      const waiter = () => void check();
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; displays so far: ${JSON.stringify(this.displays.slice(-5))}`));
      }, ms);
      if (!check()) this.waiters.push(waiter);
    });
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

/** The editor and reports login of these tests (the editor never runs without one). */
const TESTER = { user: 'tester', password: 'tester-pw' };
const TESTER_AUTH = { user: TESTER.user, passwordHash: bcrypt.hashSync(TESTER.password, 4) };
/** The reports API's credentials header. */
const basic = (who: Login = TESTER) => basicAuthHeader(who);

/**
 * `read()` once it satisfies `ok`: the gates are answered first and MongoDB records behind
 * (billing/desk.ts), so a document is read until the record has landed; bounded by `ms`.
 */
async function recorded<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not recorded within ${ms} ms; last read ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function start(options: Partial<FlowsOptions> & Pick<FlowsOptions, 'mongodbUri' | 'mongodbDb' | 'mqttUrls'>, dataDir: string): Promise<RunningFlows> {
  return startFlows({ httpPort: 0, httpHost: '127.0.0.1', topicRoot: 'parking', dataDir, logger, mqttReconnectMs: 200, adminAuth: TESTER_AUTH, ...options });
}

describe('flows: the charging flow in embedded Node-RED', function () {
  this.timeout(120_000);
  let dataDir: string;

  before(async function () {
    dataDir = await mkdtemp(join(tmpdir(), 'parking-flows-'));
  });
  after(async function () {
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('one broker, one replica set', function () {
    let broker: RunningBroker;
    let m: TestMongo;
    let db: Db;
    let flows: RunningFlows;
    let gates: Gates;

    before(async function () {
      broker = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
      m = await startTestMongo({ electionDelayMs: [1000, 1500] });
      db = m.client().db(m.dbName);
      const subscribed = flowsSubscribed(broker, 'parking/+/gate/+/event');
      flows = await start({ mongodbUri: m.uri, mongodbDb: m.dbName, mqttUrls: [broker.url] }, dataDir);
      await subscribed;
      gates = await Gates.connect(broker.url);
    });
    after(async function () {
      await gates?.close();
      await flows?.close();
      await broker?.close();
      await m?.close();
    });

    it('serves the editor at /red and the reports at /api/reports on one HTTP server', async function () {
      expect(flows.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(flows.urls).to.deep.equal({ editor: `${flows.url}/red`, dashboard: `${flows.url}/dashboard`, reports: `${flows.url}/api/reports` });
      const editor = await fetch(`${flows.url}/red/`);
      expect(editor.status).to.equal(200);
      expect(await editor.text()).to.match(/Smart parking/);
      const login = (await (await fetch(`${flows.url}/red/auth/login`)).json()) as Record<string, unknown>;
      expect(login.type, 'the editor asks for a login').to.equal('credentials');
      expect((await fetch(`${flows.url}/red/nodes`, { headers: { accept: 'application/json' } })).status, 'the admin API without a login').to.equal(401);
      const token = await editorToken(flows.url, TESTER);
      const nodes = await (await fetch(`${flows.url}/red/nodes`, { headers: { accept: 'application/json', authorization: `Bearer ${token}` } })).json();
      const types = (nodes as Array<{ types: string[] }>).flatMap((set) => set.types);
      expect(types).to.include.members(['parking-charging', 'parking-tariff', 'parking-mongodb', 'parking-report', 'parking-mqtt-failover', 'parking-mqtt-out']);
      // The reports' index links where its reports are, whether asked with a trailing slash or not.
      for (const path of ['/api/reports', '/api/reports/']) {
        const index = (await (await fetch(`${flows.url}${path}`, { headers: basic() })).json()) as { reports: Array<{ kind: string; json: string; csv: string }> };
        expect(index.reports[0], path).to.deep.equal({ kind: 'revenue', json: '/api/reports/revenue', csv: '/api/reports/revenue.csv' });
      }
    });

    it('an entry gets a welcome, the exit its fee, and the session document holds the contract fields', async function () {
      const entry = gates.event('mall-1', 'entry', 'B1234XYZ', T0);
      const welcome = gates.waitFor('the welcome', (d) => d.carId === 'B1234XYZ' && d.direction === 'entry');
      await gates.publish(entry);
      const [w] = await welcome;
      expect(w).to.deep.equal({ topic: 'parking/mall-1/gate/in-1/display', carId: 'B1234XYZ', sessionId: entry.body.eventId, direction: 'entry', status: 'open', text: 'Welcome B1234XYZ' });

      const exit = gates.event('mall-1', 'exit', 'B1234XYZ', T0 + 125 * MIN);
      const charged = gates.waitFor('the fee', (d) => d.carId === 'B1234XYZ' && d.direction === 'exit');
      await gates.publish(exit);
      const [c] = await charged;
      expect(c).to.deep.equal({
        topic: 'parking/mall-1/gate/out-1/display',
        carId: 'B1234XYZ',
        sessionId: entry.body.eventId,
        direction: 'exit',
        status: 'closed',
        durationMinutes: 125,
        fee: 13000,
        currency: 'IDR',
        text: 'B1234XYZ  2h05m  Rp13.000',
      });
      const session = await recorded('the closed session', () => db.collection('sessions').findOne({ _id: entry.body.eventId as never }), (s) => s?.status === 'closed');
      expect(session).to.include.keys('carId', 'lot', 'entryAt', 'exitAt', 'durationMinutes', 'fee', 'currency', 'tariff', 'status');
      expect(session).to.deep.include({ carId: 'B1234XYZ', lot: 'mall-1', durationMinutes: 125, fee: 13000, currency: 'IDR', tariff: 'default', status: 'closed', entryGate: 'in-1', exitGate: 'out-1' });
      expect(session!.entryAt).to.deep.equal(new Date(T0));
      expect(session!.exitAt).to.deep.equal(new Date(T0 + 125 * MIN));
      expect(await recorded('both gate events', () => db.collection('gateEvents').countDocuments({ carId: 'B1234XYZ' }), (n) => n >= 2)).to.equal(2);
    });

    it('repeated events over MQTT: one display each, one charge, every event recorded once', async function () {
      const entry = gates.event('mall-dup', 'entry', 'DUP1', T0);
      const exit = gates.event('mall-dup', 'exit', 'DUP1', T0 + 61 * MIN);
      for (const e of [entry, entry, entry, exit, exit]) await gates.publish(e);
      // A later event of the same car is applied after the repeats: its display closes the count.
      const sentinel = gates.event('mall-dup', 'entry', 'DUP1', T0 + 120 * MIN);
      await gates.publish(sentinel);
      await gates.waitFor('the sentinel', (d) => d.sessionId === sentinel.body.eventId);
      const shown = gates.displays.filter((d) => d.carId === 'DUP1');
      expect(shown.map((d) => [d.direction, d.status, d.fee ?? null])).to.deep.equal([
        ['entry', 'open', null],
        ['exit', 'closed', 9000],
        ['entry', 'open', null],
      ]);
      expect(await recorded('the charged session', () => db.collection('sessions').countDocuments({ carId: 'DUP1', status: 'closed', fee: 9000 }), (n) => n >= 1)).to.equal(1);
      expect(await recorded('the three gate events', () => db.collection('gateEvents').countDocuments({ carId: 'DUP1' }), (n) => n >= 3)).to.equal(3);
    });

    it('an exit without an entry, a double entry and an exit before its entry: explicit statuses, no crash', async function () {
      const lost = gates.event('mall-x', 'exit', 'LOST1', T0);
      await gates.publish(lost);
      const [l] = await gates.waitFor('the unmatched exit', (d) => d.carId === 'LOST1');
      expect(l).to.deep.include({ status: 'unmatched', fee: 50000, text: 'LOST1  no entry record  Rp50.000' });
      expect(await recorded('the unmatched session', () => db.collection('sessions').findOne({ carId: 'LOST1' }), (s) => s !== null)).to.deep.include({ status: 'unmatched', fee: 50000 });

      const first = gates.event('mall-x', 'entry', 'TWICE1', T0);
      const second = gates.event('mall-x', 'entry', 'TWICE1', T0 + 60 * MIN);
      await gates.publish(first);
      await gates.publish(second);
      await gates.waitFor('both welcomes', (d) => d.carId === 'TWICE1', 2);
      const older = await recorded('the older session superseded', () => db.collection('sessions').findOne({ _id: first.body.eventId as never }), (s) => s?.status !== 'open');
      expect(older).to.deep.include({ status: 'superseded', supersededBy: second.body.eventId, fee: null });
      expect(older!.reason).to.match(/entered again/);

      await gates.publish(gates.event('mall-x', 'entry', 'SKEW1', T0));
      await gates.publish(gates.event('mall-x', 'exit', 'SKEW1', T0 - 10 * MIN));
      const [, s] = await gates.waitFor('the clock-skew exit', (d) => d.carId === 'SKEW1', 2);
      expect(s).to.deep.include({ direction: 'exit', status: 'clockSkew', durationMinutes: 0, text: 'SKEW1  please see the operator' });
      expect(s).to.not.have.property('fee');
    });

    it('a malformed event is dropped without disturbing the next one', async function () {
      await gates.client.publishAsync('parking/mall-x/gate/in-1/event', '{"eventId": broken', { qos: 1 });
      await gates.client.publishAsync('parking/mall-x/gate/in-1/event', JSON.stringify({ eventId: 'no car', direction: 'entry' }), { qos: 1 });
      const good = gates.event('mall-x', 'entry', 'AFTERBAD', T0);
      await gates.publish(good);
      await gates.waitFor('the display after the bad events', (d) => d.carId === 'AFTERBAD');
      expect(await db.collection('gateEvents').countDocuments({ lot: 'mall-x', carId: { $exists: false } })).to.equal(0);
    });

    it('reports over HTTP: JSON rows, CSV downloads, errors that name the parameter', async function () {
      const revenue = await fetch(`${flows.url}/api/reports/revenue?from=2025-06-02&to=2025-06-03&lot=mall-1`, { headers: basic() });
      expect(revenue.status).to.equal(200);
      const body = (await revenue.json()) as { report: { kind: string; count: number }; rows: unknown[] };
      expect(body.report).to.deep.include({ kind: 'revenue', count: 1 });
      expect(body.rows).to.deep.equal([{ day: '2025-06-02', lot: 'mall-1', currency: 'IDR', sessions: 1, closed: 1, unmatched: 0, revenue: 13000 }]);

      const csv = await fetch(`${flows.url}/api/reports/sessions.csv?from=2025-06-02&to=2025-06-03&lot=mall-1`, { headers: basic() });
      expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
      expect(csv.headers.get('content-disposition')).to.equal('attachment; filename="sessions-mall-1-2025-06-02-2025-06-03.csv"');
      const lines = (await csv.text()).trim().split('\r\n');
      expect(lines[0]).to.match(/^sessionId,carId,lot,status,entryAt,exitAt,durationMinutes,fee,currency,tariff/);
      expect(lines.slice(1).some((l) => l.includes(',B1234XYZ,mall-1,closed,') && l.includes(',125,13000,IDR,default,'))).to.equal(true);

      const open = (await (await fetch(`${flows.url}/api/reports/open?lot=mall-dup`, { headers: basic() })).json()) as { rows: Array<Record<string, unknown>> };
      expect(open.rows.map((r) => r.carId)).to.deep.equal(['DUP1']);
      expect(open.rows[0].feeSoFar, 'priced with the deployed tariff').to.be.a('number');

      const bad = await fetch(`${flows.url}/api/reports/revenue?from=yesterday`, { headers: basic() });
      expect(bad.status).to.equal(400);
      expect(await bad.json()).to.deep.include({ parameter: 'from' });
      expect((await fetch(`${flows.url}/api/reports/profit`, { headers: basic() })).status).to.equal(404);
    });

    it('session tools: a car found by its plate, closed and voided by hand with a reason, each change in the audit log; revenue follows', async function () {
      const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
        fetch(`${flows.url}/api/sessions${path}`, { method: 'POST', headers: { ...basic(), ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      const revenue = async () => ((await (await fetch(`${flows.url}/api/reports/revenue?lot=mall-tools`, { headers: basic() })).json()) as { rows: Array<{ revenue: number }> }).rows;
      await gates.publish(gates.event('mall-tools', 'entry', 'TOOL1', Date.now() - 90 * MIN));
      await gates.waitFor('the entry of TOOL1', (d) => d.carId === 'TOOL1');
      await recorded('the open session', () => db.collection('sessions').findOne({ carId: 'TOOL1' }), (s) => s !== null);

      expect((await fetch(`${flows.url}/api/sessions?plate=TOOL1`)).status, 'no login').to.equal(401);
      const found = (await (await fetch(`${flows.url}/api/sessions?plate=${encodeURIComponent(' tool1 ')}`, { headers: basic() })).json()) as { sessions: Array<Record<string, unknown>> };
      expect(found.sessions, 'found by the plate as typed').to.have.length(1);
      expect(found.sessions[0]).to.deep.include({ carId: 'TOOL1', lot: 'mall-tools', status: 'open' });
      expect(found.sessions[0].feeSoFar, 'what leaving now costs').to.be.a('number').above(0);
      expect(found.sessions[0], 'the keyed hash stays inside').to.not.have.property('carKey');
      const id = found.sessions[0].sessionId as string;

      expect((await post(`/${id}/close`, { fee: 1 })).status, 'no reason').to.equal(400);
      expect((await post(`/${id}/close`, 'reason=x', { 'content-type': 'application/x-www-form-urlencoded' })).status, 'not JSON').to.equal(415);
      expect((await post(`/${id}/close`, '{"reason": ', {})).status, 'broken JSON').to.be.oneOf([400, 415]);
      expect((await post(`/${id}/close`, { reason: 'reader down', fee: -5 })).status, 'a negative fee').to.equal(400);
      expect((await post('/no-such-session/close', { reason: 'reader down' })).status).to.equal(404);
      expect((await post(`/${id}/refund`, { reason: 'reader down' })).status).to.equal(404);

      const closed = await post(`/${id}/close`, { reason: 'exit reader down, paid at the booth', fee: 20000 });
      expect(closed.status).to.equal(200);
      const after = ((await closed.json()) as { session: Record<string, unknown> & { changes: Array<Record<string, unknown>> } }).session;
      expect(after).to.deep.include({ status: 'closed', fee: 20000, reason: 'closed by tester: exit reader down, paid at the booth' });
      expect(after.durationMinutes, 'started minutes from the entry to now').to.be.within(90, 92);
      expect(after.changes).to.have.length(1);
      expect(after.changes[0]).to.deep.include({ by: 'tester', action: 'close', reason: 'exit reader down, paid at the booth' });
      expect((await post(`/${id}/close`, { reason: 'again' })).status, 'closed already').to.equal(409);
      expect((await revenue()).map((r) => r.revenue), 'the manual close counts').to.deep.equal([20000]);

      // The car then passes the exit gate: no open session is left, so it is a lost-ticket exit, as for any car without one.
      expect((await post(`/${id}/void`, { reason: 'refund: charged twice' })).status).to.equal(200);
      expect(await revenue(), 'a void counts nowhere').to.deep.equal([]);
      const stored = await db.collection('sessions').findOne({ _id: id as never });
      expect(stored).to.deep.include({ status: 'void', fee: null });
      expect((stored!.changes as unknown[]).length).to.equal(2);

      const audit = (await (await fetch(`${flows.url}/api/sessions/audit`, { headers: basic() })).json()) as { entries: Array<Record<string, unknown>> };
      const mine = audit.entries.filter((e) => e.sessionId === id);
      expect(mine.map((e) => e.action), 'newest first').to.deep.equal(['void', 'close']);
      expect(mine[0]).to.deep.include({ by: 'tester', lot: 'mall-tools', carId: 'TOOL1', reason: 'refund: charged twice' });
      const csv = await fetch(`${flows.url}/api/sessions/audit?format=csv`, { headers: basic() });
      expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
      const lines = (await csv.text()).trim().split('\r\n');
      expect(lines[0]).to.equal('at,by,role,action,reason,sessionId,lot,carId,statusBefore,statusAfter,feeBefore,feeAfter,exitAtAfter');
      expect(lines.some((l) => l.includes(`,void,refund: charged twice,${id},mall-tools,TOOL1,closed,void,20000,,`))).to.equal(true);
    });

    describe('through a MongoDB failover mid-stream', function () {
      const CARS = 8;

      /** Entries then exits of CARS cars at `lot`, each event twice, `fault` after `at` events; then one sentinel per car. */
      async function stream(lot: string, at: number, fault: () => Promise<void>) {
        const events = [
          ...Array.from({ length: CARS }, (_, i) => gates.event(lot, 'entry', `${lot.toUpperCase()}-${i}`, T0 + i * MIN)),
          ...Array.from({ length: CARS }, (_, i) => gates.event(lot, 'exit', `${lot.toUpperCase()}-${i}`, T0 + i * MIN + (61 + i) * MIN)),
        ];
        let faulted: Promise<void> | undefined;
        for (const [i, e] of events.entries()) {
          if (i === at) faulted = fault();
          await gates.publish(e);
          await gates.publish(e);
        }
        await faulted;
        const sentinels = Array.from({ length: CARS }, (_, i) => gates.event(lot, 'entry', `${lot.toUpperCase()}-${i}`, T0 + 5 * 60 * MIN));
        for (const e of sentinels) await gates.publish(e);
        const ids = new Set(sentinels.map((e) => e.body.eventId));
        await gates.waitFor(`the ${CARS} sentinels at ${lot}`, (d) => ids.has(d.sessionId), CARS);
        return events;
      }

      async function expectExactlyOnce(lot: string, events: Array<{ body: { eventId: string } }>) {
        const shown = gates.displays.filter((d) => d.topic.startsWith(`parking/${lot}/`));
        expect(shown, 'one display per event: entry, exit, sentinel per car').to.have.length(3 * CARS);
        for (let i = 0; i < CARS; i += 1) {
          const car = `${lot.toUpperCase()}-${i}`;
          const mine = shown.filter((d) => d.carId === car);
          expect(mine.map((d) => [d.direction, d.status, d.fee ?? null]), car).to.deep.equal([
            ['entry', 'open', null],
            ['exit', 'closed', 9000],
            ['entry', 'open', null],
          ]);
        }
        // The gates were answered at once; MongoDB holds the events once it took them all.
        const all = events.length + CARS;
        await waitFor(async () => (await db.collection('gateEvents').countDocuments({ lot, appliedAt: { $ne: null } })) === all, `all ${all} events applied in MongoDB`, { timeoutMs: 30_000 });
        const closed = await db.collection('sessions').find({ lot, status: 'closed' }).toArray();
        expect(closed, 'one charged session per car').to.have.length(CARS);
        for (const s of closed) expect(s.fee).to.equal(9000);
        expect(await db.collection('sessions').countDocuments({ lot, status: { $nin: ['closed', 'open'] } }), 'nothing unmatched or superseded').to.equal(0);
        expect(await db.collection('gateEvents').countDocuments({ lot }), 'every event recorded once').to.equal(events.length + CARS);
        expect(await db.collection('gateEvents').countDocuments({ lot, appliedAt: null }), 'every event applied').to.equal(0);
      }

      it('a stepdown: no event lost, none charged twice', async function () {
        const events = await stream('fo-step', 5, async () => {
          if (m.rs) await m.rs.stepDown();
          else await m.client().db('admin').command({ replSetStepDown: 5, secondaryCatchUpPeriodSecs: 2 });
        });
        await expectExactlyOnce('fo-step', events);
      });

      it('a primary crash (stand-in kill): no event lost, none charged twice', async function () {
        const rs = requireStandIn(this, m, 'killing the primary');
        let killed: number | undefined;
        const events = await stream('fo-kill', 6, async () => {
          killed = await rs.waitForPrimary();
          await rs.kill(killed);
        });
        await expectExactlyOnce('fo-kill', events);
        expect(rs.primary()).to.be.a('number').and.not.equal(killed);
        await rs.restart(killed!);
      });
    });
  });

  describe('with editor credentials', function () {
    let broker: RunningBroker;
    let m: TestMongo;
    let flows: RunningFlows;

    before(async function () {
      broker = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
      m = await startTestMongo();
      await writeFile(join(dataDir, 'operators.json'), JSON.stringify([{ user: 'desk', passwordHash: bcrypt.hashSync('desk-pw', 4) }]));
      flows = await start({ mongodbUri: m.uri, mongodbDb: m.dbName, mqttUrls: [broker.url], adminAuth: { user: 'operator', passwordHash: bcrypt.hashSync('s3cret', 4) } }, dataDir);
    });
    after(async function () {
      await rm(join(dataDir, 'operators.json'), { force: true });
      await flows?.close();
      await broker?.close();
      await m?.close();
    });

    it('the editor asks for a login and accepts the configured one', async function () {
      const login = (await (await fetch(`${flows.url}/red/auth/login`)).json()) as { type?: string };
      expect(login.type).to.equal('credentials');
      const flowsDenied = await fetch(`${flows.url}/red/flows`);
      expect(flowsDenied.status).to.equal(401);
      const accessToken = await editorToken(flows.url, { user: 'operator', password: 's3cret' });
      expect((await fetch(`${flows.url}/red/flows`, { headers: { authorization: `Bearer ${accessToken}` } })).status).to.equal(200);
    });

    it('the reports need the same credentials', async function () {
      expect((await fetch(`${flows.url}/api/reports/open`)).status).to.equal(401);
      expect((await fetch(`${flows.url}/api/reports/open`, { headers: basic({ user: 'operator', password: 'nope' }) })).status).to.equal(401);
      expect((await fetch(`${flows.url}/api/reports/open`, { headers: basic({ user: 'operator', password: 's3cret' }) })).status).to.equal(200);
    });

    it('an operator (operators.json) sees the reports with plates masked, by session or basic authentication; the admin in clear; the editor refuses the operator', async function () {
      const now = new Date();
      await m.client().db(m.dbName).collection('sessions').insertOne({ _id: 'op-1', carId: 'B1234XYZ', carKey: 'k', plateClear: true, lot: 'mall-op', entryAt: now, exitAt: null, durationMinutes: null, fee: null, currency: 'IDR', tariff: 'default', status: 'open', entryEventId: 'op-1', exitEventId: null, entryGate: 'g', exitGate: null, reason: null, createdAt: now, updatedAt: now } as never);
      const plates = async (headers: Record<string, string>) => {
        const res = await fetch(`${flows.url}/api/reports/open?lot=mall-op`, { headers });
        expect(res.status).to.equal(200);
        return ((await res.json()) as { rows: Array<{ carId: string }> }).rows.map((r) => r.carId);
      };
      expect(await plates(basic({ user: 'desk', password: 'desk-pw' }))).to.deep.equal(['B1****YZ']);
      expect(await plates(basic({ user: 'operator', password: 's3cret' }))).to.deep.equal(['B1234XYZ']);

      const login = await fetch(`${flows.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=desk&password=desk-pw&next=%2Fapi%2Freports' });
      expect([login.status, login.headers.get('location')]).to.deep.equal([303, '/api/reports']);
      const cookie = login.headers.get('set-cookie')!;
      expect(cookie).to.match(/^parking_session=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
      const session = { cookie: cookie.split(';')[0] };
      expect(await plates(session)).to.deep.equal(['B1****YZ']);
      expect(await (await fetch(`${flows.url}/login/whoami`, { headers: session })).json()).to.deep.equal({ user: 'desk', role: 'operator' });
      // A login page never sends anyone to another site afterwards.
      const away = await fetch(`${flows.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=desk&password=desk-pw&next=%2F%2Fevil.example' });
      expect(away.headers.get('location')).to.equal('/');
      const logout = await fetch(`${flows.url}/logout`, { method: 'POST', redirect: 'manual', headers: session });
      expect(logout.status).to.equal(303);
      expect((await fetch(`${flows.url}/api/reports/open`, { headers: session })).status, 'after the logout').to.equal(401);

      const editor = await requestEditorToken(flows.url, { user: 'desk', password: 'desk-pw' });
      expect(editor.status, 'the editor is for the admin only').to.be.oneOf([401, 403]);
    });

    // Last in this block: the user stays throttled from this address for a while.
    it('failed logins are throttled: after 5 wrong passwords even the right one waits, in the editor too (429, Retry-After)', async function () {
      const wrong = basic({ user: 'operator', password: 'guess' });
      // Wrong passwords until the throttle answers: the bucket holds 5 (one was spent above, and one may have come back since).
      const answers: Response[] = [];
      while (answers.length < 7 && answers.at(-1)?.status !== 429) answers.push(await fetch(`${flows.url}/api/reports/open`, { headers: wrong }));
      const statuses = answers.map((a) => a.status);
      expect(statuses.at(-1), String(statuses)).to.equal(429);
      expect(statuses.slice(0, -1).every((s) => s === 401) && statuses.length >= 5 && statuses.length <= 6, String(statuses)).to.equal(true);
      expect(Number(answers.at(-1)!.headers.get('retry-after'))).to.be.within(1, 13);
      // A login accepted before keeps working (nobody is locked out by another's guesses)...
      expect((await fetch(`${flows.url}/api/reports/open`, { headers: basic({ user: 'operator', password: 's3cret' }) })).status).to.equal(200);
      const token = await requestEditorToken(flows.url, { user: 'operator', password: 's3cret' });
      // ...but a new check of that user from this address waits, even with the right password.
      expect(token.status, 'the editor login while throttled').to.equal(429);
      // Another user name from the same address is not locked out by this one's failures.
      expect((await fetch(`${flows.url}/api/reports/open`, { headers: basic({ user: 'someone', password: 'x' }) })).status).to.equal(401);
    });

    it('a wrong editor password counts as a failed login', async function () {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const token = await requestEditorToken(flows.url, { user: 'editor-guess', password: `nope${i}` }, true);
        statuses.push(token.status);
      }
      expect(statuses.slice(0, 5).every((s) => s === 401 || s === 403), String(statuses)).to.equal(true);
      expect(statuses[5]).to.equal(429);
    });
  });

  describe('MQTT broker failover', function () {
    let primary: RunningBroker;
    let standby: RunningBroker;
    let m: TestMongo;
    let flows: RunningFlows;
    let gates: Gates;

    before(async function () {
      primary = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
      standby = await startBroker({ role: 'standby', allowAnonymous: true, wsPort: false, bridge: { url: primary.url } });
      await standby.bridged();
      m = await startTestMongo();
      const subscribed = Promise.all([flowsSubscribed(primary, 'parking/+/gate/+/event'), flowsSubscribed(standby, 'parking/+/gate/+/event')]);
      flows = await start({ mongodbUri: m.uri, mongodbDb: m.dbName, mqttUrls: [primary.url, standby.url], mqttFailoverMs: 300 }, dataDir);
      await subscribed;
      gates = await Gates.connect(standby.url);
    });
    after(async function () {
      await gates?.close();
      await flows?.close();
      await standby?.close();
      await primary?.close();
      await m?.close();
    });

    it('takes gate events on both brokers: each charged once, though it arrives on both through the bridge', async function () {
      const events = Array.from({ length: 6 }, (_, i) => gates.event('mall-both', i % 2 ? 'exit' : 'entry', `BOTH${Math.floor(i / 2)}`, T0 + i * 40 * MIN));
      for (const e of events) await gates.publish(e);
      await gates.waitFor('a display per event', (d) => d.topic.startsWith('parking/mall-both/'), events.length);
      const all = events.length;
      await waitFor(async () => (await m.client().db(m.dbName).collection('gateEvents').countDocuments({ lot: 'mall-both', appliedAt: { $ne: null } })) === all, 'every event applied', { timeoutMs: 30_000 });
      const sessions = await m.client().db(m.dbName).collection('sessions').find({ lot: 'mall-both' }).toArray();
      expect(sessions.map((s) => [s.carId, s.status, s.fee]).sort()).to.deep.equal([['BOTH0', 'closed', 5000], ['BOTH1', 'closed', 5000], ['BOTH2', 'closed', 5000]]);
      expect(await m.client().db(m.dbName).collection('gateEvents').countDocuments({ lot: 'mall-both' })).to.equal(all);
    });

    it('charges through the primary, and through the standby once the primary is gone', async function () {
      // Gate on the standby, flows on the primary: the bridge carries both ways.
      const before = gates.event('mall-1', 'entry', 'FAIL1', T0);
      await gates.publish(before);
      await gates.waitFor('the welcome through the bridge', (d) => d.sessionId === before.body.eventId);

      // The flow is subscribed on the standby all along: an event published there the moment the primary is gone is not lost.
      await primary.close();
      const after = gates.event('mall-1', 'exit', 'FAIL1', T0 + 30 * MIN);
      await gates.publish(after);
      const [d] = await gates.waitFor('the fee through the standby', (x) => x.carId === 'FAIL1' && x.direction === 'exit');
      expect(d).to.deep.include({ status: 'closed', fee: 5000, sessionId: before.body.eventId });
    });
  });
});
