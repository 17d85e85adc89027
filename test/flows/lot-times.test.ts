// A lot with a local time of its own (the lot configuration's `utcOffset`): its reports, the
// exit time given to close one of its sessions by hand, and its occupancy history are in its
// local time; the other lots keep the site's.
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DEFAULT_TARIFF, prepareBilling, type BillingCollections, type SessionDoc } from '../../billing/index.ts';
import { reportsRouter } from '../../flows/reports-api.ts';
import { sessionsRouter } from '../../flows/sessions-api.ts';
import { occupancyRouter } from '../../history/index.ts';
import { parseLayout, LotLayout } from '../../layout/index.ts';
import { express } from '../../web/express.ts';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { TEST_PLATE_KEY, testCarKey } from '../helpers/plates.ts';

const logger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as never;
const ENTRY = new Date('2026-12-07T01:00:00.000Z');

describe('flows: a lot in a time zone of its own', function () {
  this.timeout(30_000);
  let m: TestMongo;
  let server: Server;
  let base: string;
  const layout = new LotLayout(
    parseLayout({
      lots: {
        'bali-1': { name: 'Bali One', utcOffset: '+08:00', levels: { L1: { slots: 2 } } },
        'jkt-1': { levels: { L1: { slots: 2 } } },
      },
    }),
  );

  before(async function () {
    m = await startTestMongo();
    const db = m.client().db(m.dbName);
    const { sessions, gateEvents } = await prepareBilling(db, testCarKey);
    const open = (id: string, lot: string): SessionDoc => ({
      _id: id, carId: 'B1234XYZ', carKey: testCarKey('B1234XYZ'), plateClear: true, lot, entryAt: ENTRY, exitAt: null, durationMinutes: null, fee: null, currency: 'IDR',
      tariff: DEFAULT_TARIFF.id, status: 'open', entryEventId: id, exitEventId: null, entryGate: 'in-1', exitGate: null, reason: null, createdAt: ENTRY, updatedAt: ENTRY,
    });
    await sessions.insertMany([open('s-bali', 'bali-1'), open('s-jkt', 'jkt-1')]);
    const collections = () => Promise.resolve({ sessions, gateEvents } as BillingCollections);
    const app = express();
    // An operator's login, as the flows' guard would set it.
    const guard = (_req: unknown, res: { locals: Record<string, unknown> }, next: () => void) => ((res.locals.login = { user: 'op', role: 'operator' }), next());
    const lots = layout.lotInfo();
    app.use('/api/reports', reportsRouter({ collections, tariffFor: () => DEFAULT_TARIFF, utcOffset: '+07:00', lots, guard: guard as never, logger }));
    app.use('/api/sessions', sessionsRouter({ collections, tariffFor: () => DEFAULT_TARIFF, plateKey: TEST_PLATE_KEY, utcOffset: '+07:00', lots, guard: guard as never, logger, now: () => Date.parse('2026-12-08T00:00:00Z') }));
    app.use('/api/occupancy', occupancyRouter({ collections: () => ({ occupancy: db.collection('occupancy'), state: db.collection('occupancyState') }) as never, utcOffset: '+07:00', lots }));
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async function () {
    await new Promise((resolve) => server?.close(resolve));
    await m?.close();
  });

  it('the lot configuration gives each lot its name and local time, and refuses an offset it cannot read', function () {
    expect(layout.lotInfo()).to.deep.equal({ 'bali-1': { name: 'Bali One', utcOffset: '+08:00' }, 'jkt-1': {} });
    expect(() => parseLayout({ lots: { b: { utcOffset: '+8', levels: { L1: { slots: 1 } } } } })).to.throw(/^lots\.b\.utcOffset: must be a UTC offset \+HH:MM/);
    expect(() => parseLayout({ lots: { b: { utcOffset: '+15:00', levels: { L1: { slots: 1 } } } } })).to.throw(/^lots\.b\.utcOffset: must be/);
  });

  it('a report of one lot counts its local days; of another lot, or of all, the site\'s', async function () {
    const day = async (query: string) => ((await (await fetch(`${base}/api/reports/revenue?from=2026-12-07&to=2026-12-08${query}`)).json()) as { report: { from: string; utcOffset: string } }).report;
    expect(await day('&lot=bali-1')).to.deep.include({ from: '2026-12-06T16:00:00.000Z', utcOffset: '+08:00' });
    expect(await day('&lot=jkt-1')).to.deep.include({ from: '2026-12-06T17:00:00.000Z', utcOffset: '+07:00' });
    expect(await day('')).to.deep.include({ from: '2026-12-06T17:00:00.000Z', utcOffset: '+07:00' });
    expect(await day('&lot=bali-1&tz=%2B07:00'), 'a tz given wins').to.deep.include({ utcOffset: '+07:00' });
  });

  it('closing a session by hand at a local exit time reads it in the session\'s lot\'s time', async function () {
    const close = async (id: string) => {
      const res = await fetch(`${base}/api/sessions/${id}/close`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'barrier left open', exitAt: '2026-12-07T10:00' }) });
      expect(res.status, await res.clone().text()).to.equal(200);
      return ((await res.json()) as { session: { exitAt: string } }).session.exitAt;
    };
    expect(new Date(await close('s-bali')).toISOString()).to.equal('2026-12-07T02:00:00.000Z');
    expect(new Date(await close('s-jkt')).toISOString()).to.equal('2026-12-07T03:00:00.000Z');
  });

  it('the occupancy history of one lot is asked in its local days', async function () {
    const head = async (lot: string) => ((await (await fetch(`${base}/api/occupancy?lot=${lot}&from=2026-12-07&to=2026-12-08&step=1d`)).json()) as { query: { from: string; utcOffset: string } }).query;
    expect(await head('bali-1')).to.deep.include({ from: '2026-12-06T16:00:00.000Z', utcOffset: '+08:00' });
    expect(await head('jkt-1')).to.deep.include({ from: '2026-12-06T17:00:00.000Z', utcOffset: '+07:00' });
  });
});
