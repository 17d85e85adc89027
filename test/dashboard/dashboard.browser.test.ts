// The shipped dashboard (Dashboard 2.0 at /dashboard) in headless Chromium: startFlows with
// in-process brokers and the MongoDB stand-in, slot states, device statuses and gate
// events published over MQTT; the Availability page shows each slot's state live, the
// Charging page the sessions, the System page /healthz and the devices. Screenshots of
// each page go to artifacts/screenshots (docs/screenshots with PARKING_UPDATE_SCREENSHOTS=1).
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { MongoClient } from 'mongodb';
import type { Browser, Page } from 'playwright-core';
import { startFlows, type RunningFlows } from '../../flows/index.ts';
import { createLogger, type LogLevel } from '../../log/index.ts';
import { healthCollector } from '../../web/index.ts';
import { occupancyRouter, startHistorian, type Historian } from '../../history/index.ts';
import { writeSimulatedHistory } from '../../history/simulate-write.ts';
import { startBroker, type RunningBroker } from '../helpers/brokers.ts';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { collectErrors, launchChromium, requireChromium, saveScreenshot, shows } from '../web/browser.ts';

const logger = createLogger('dashboard-test', (process.env.PARKING_TEST_LOG_LEVEL as LogLevel | undefined) ?? 'silent', { format: 'json' });
const LOT = 'mall-1';
/** The slot map the test publishes: level -> statuses of slots 01, 02, … */
const SLOTS: Record<string, string[]> = {
  B1: ['free', 'occupied', 'occupied', 'free', 'closed', 'occupied', 'unknown', 'occupied', 'free', 'occupied', 'occupied', 'occupied'],
  B2: ['occupied', 'free', 'free', 'free', 'occupied', 'occupied', 'free', 'closed'],
};
const slotId = (i: number) => String(i + 1).padStart(2, '0');
const MIN = 60_000;

describe('dashboard: the shipped Dashboard 2.0 pages in Chromium', function () {
  this.timeout(120_000);
  let dataDir: string;
  let primary: RunningBroker;
  let standby: RunningBroker;
  let mongo: TestMongo;
  let flows: RunningFlows;
  let client: MqttClient;
  let mongoClient: MongoClient;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let seq = 0;
  let historian: Historian | undefined;

  before(requireChromium());
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'parking-dashboard-'));
    primary = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
    standby = await startBroker({ role: 'standby', allowAnonymous: true, wsPort: false, bridge: { url: primary.url } });
    await standby.bridged();
    mongo = await startTestMongo();
    flows = await startFlows({ httpPort: 0, httpHost: '127.0.0.1', topicRoot: 'parking', dataDir, logger, mqttReconnectMs: 200, mongodbUri: mongo.uri, mongodbDb: mongo.dbName, mqttUrls: [primary.url, standby.url] });
    mongoClient = mongo.client();
    await mongoClient.connect();
    const health = healthCollector({
      brokers: [
        { role: 'primary', url: primary.url, health: () => primary.health() },
        { role: 'standby', url: standby.url, health: () => standby.health() },
      ],
      mongo: mongoClient,
    });
    flows.app.get('/healthz', (_req, res) => {
      void health().then((report) => res.status(report.status === 'down' ? 503 : 200).json(report));
    });
    client = await mqtt.connectAsync(primary.url, { clientId: `test-dashboard-${process.pid}`, reconnectPeriod: 200 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    errors = collectErrors(page);
  });
  after(async () => {
    await historian?.close();
    await browser?.close();
    await client?.endAsync();
    await flows?.close();
    await mongoClient?.close();
    await mongo?.close();
    await standby?.close();
    await primary?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const publishSlot = (level: string, slot: string, status: string, ts = Date.now()) =>
    client.publishAsync(`parking/${LOT}/slot/${level}/${slot}`, JSON.stringify({ status, ts, seq: ++seq, device: `pi-${level}-${slot}` }), { qos: 1, retain: true });
  const tile = (level: string, slot: string, status: string) => page.locator(`[data-slot="${LOT}/${level}/${slot}"][data-status="${status}"]`);

  it('shows every slot of every level in its state, with the free counts, and follows a change', async () => {
    for (const [level, statuses] of Object.entries(SLOTS)) {
      for (const [i, status] of statuses.entries()) await publishSlot(level, slotId(i), status);
    }
    await page.goto(`${flows.urls.dashboard}/availability`);
    for (const [level, statuses] of Object.entries(SLOTS)) {
      for (const [i, status] of statuses.entries()) await tile(level, slotId(i), status).waitFor({ timeout: 15_000 });
      await shows(page, `[data-level-free="${LOT}/${level}"]`, String(statuses.filter((s) => s === 'free').length));
    }
    const free = Object.values(SLOTS).flat().filter((s) => s === 'free').length;
    await shows(page, `[data-lot-free="${LOT}"]`, String(free));
    // B1/07 is unknown: the level and the lot say how many sensors report; B2's all do.
    await shows(page, `[data-reporting="${LOT}/B1"]`, '11 of 12 sensors reporting');
    await shows(page, `[data-reporting="${LOT}"]`, '19 of 20 sensors reporting');
    expect(await page.locator(`[data-reporting="${LOT}/B2"]`).count()).to.equal(0);
    expect(await page.locator(`[data-slot="${LOT}/B1/07"] .pk-slot-id`).textContent()).to.equal('07');
    expect(await page.locator('[data-slot]').count()).to.equal(Object.values(SLOTS).flat().length);

    // A car leaves B1/02: the tile turns free (how fast is measured and printed here, and by `parking bench`).
    const t0 = Date.now();
    await publishSlot('B1', '02', 'free');
    await tile('B1', '02', 'free').waitFor({ timeout: 5000 });
    const ms = Date.now() - t0;
    await shows(page, `[data-lot-free="${LOT}"]`, String(free + 1), 5000);
    // An older message never overwrites a newer one.
    await publishSlot('B1', '02', 'occupied', t0 - MIN);
    await publishSlot('B1', '03', 'free');
    await tile('B1', '03', 'free').waitFor({ timeout: 5000 });
    expect(await tile('B1', '02', 'free').count(), 'B1/02 after an older message').to.equal(1);
    console.log(`      tile followed the sensor in ${ms} ms`);
    await saveScreenshot(page, 'dashboard-availability', { fullPage: true });
  });

  it('marks a lot whose sensors are all silent as such: no free count shown as live, no "full"', async () => {
    const silent = 'silent-1';
    const topic = (slot: string) => `parking/${silent}/slot/L1/${slot}`;
    try {
      for (const slot of ['1', '2', '3']) await client.publishAsync(topic(slot), JSON.stringify({ status: 'unknown', ts: Date.now(), seq: ++seq }), { qos: 1, retain: true });
      await client.publishAsync(`parking/${silent}/availability`, JSON.stringify({ lot: silent, availableSpotNumber: 0, occupiedSpotNumber: 0, closedSpotNumber: 0, unknownSpotNumber: 3, totalSpotNumber: 3, status: 'full', levels: { L1: { availableSpotNumber: 0, totalSpotNumber: 3 } }, observedAt: new Date().toISOString() }), { qos: 1, retain: true });
      await page.goto(`${flows.urls.dashboard}/availability`);
      await shows(page, `[data-reporting="${silent}"]`, 'no sensor reporting', 15_000);
      await shows(page, `[data-reporting="${silent}/L1"]`, 'no sensor reporting');
      await shows(page, `[data-lot-free="${silent}"]`, '–');
      expect(await page.locator(`[data-lot="${silent}"] .pk-status`).count(), 'no "full" badge').to.equal(0);
    } finally {
      for (const t of [topic('1'), topic('2'), topic('3'), `parking/${silent}/availability`]) await client.publishAsync(t, '', { qos: 1, retain: true });
    }
  });

  it('shows each lot\'s and level\'s forecast on the Availability page, in the signage\'s words', async () => {
    const forecast = (available: number, in30: number, fullInMinutes: number | null) => JSON.stringify({ lot: LOT, method: 'weekday-profile', availableSpotNumber: available, totalSpotNumber: 12, forecasts: [{ minutes: 30, availableSpotNumber: in30 }], fullInMinutes });
    try {
      await client.publishAsync(`parking/${LOT}/forecast/B1`, forecast(3, 0, 25), { qos: 1, retain: true });
      await page.goto(`${flows.urls.dashboard}/availability`);
      await shows(page, `[data-forecast="${LOT}/B1"]`, 'full in about 25 min', 15_000);
    } finally {
      await client.publishAsync(`parking/${LOT}/forecast/B1`, '', { qos: 1, retain: true });
    }
    await page.locator(`[data-forecast="${LOT}/B1"]`).waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('keeps the Charging page from visitors: a login first, and none of its data on a visitor\'s dashboard or debug endpoint', async () => {
    await page.goto(`${flows.urls.dashboard}/charging`);
    expect(page.url()).to.equal(`${flows.url}/login?next=%2Fdashboard%2Fcharging`);
    const system = await fetch(`${flows.urls.dashboard}/system`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect([system.status, system.headers.get('location')]).to.deep.equal([303, '/login?next=%2Fdashboard%2Fsystem']);
    expect((await fetch(`${flows.urls.dashboard}/availability`)).status, 'the visitors\' page').to.equal(200);
    const debug = await fetch(`${flows.urls.dashboard}/_debug/datastore/dash-charging-board`);
    expect(debug.status, 'the stored data of an operator widget').to.equal(401);
    const wrong = await fetch(`${flows.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=admin&password=nope&next=%2Fdashboard%2Fcharging' });
    expect(wrong.status).to.equal(401);
    expect(wrong.headers.get('set-cookie')).to.equal(null);
  });

  it('shows open sessions, exits with their fee (plates masked) and the revenue on the Charging page, to an operator only', async () => {
    // A visitor's dashboard, moved to the Charging page inside the app (no request the page guard sees).
    const visitorContext = await browser.newContext();
    const visitor = await visitorContext.newPage();
    await visitor.goto(`${flows.urls.dashboard}/availability`);
    await visitor.locator('[data-slot]').first().waitFor({ timeout: 15_000 });
    await visitor.evaluate("history.pushState({}, '', '/dashboard/charging'); dispatchEvent(new PopStateEvent('popstate'))");
    await visitor.locator('[data-login-needed]').waitFor({ timeout: 10_000 });

    const now = Date.now();
    const events = [
      { gate: 'in-1', body: { eventId: `dash-${now}-1`, direction: 'entry', carId: 'B1234XYZ', ts: now - 125 * MIN } },
      { gate: 'in-1', body: { eventId: `dash-${now}-2`, direction: 'entry', carId: 'D4321ABC', ts: now - 50 * MIN } },
      { gate: 'in-1', body: { eventId: `dash-${now}-3`, direction: 'entry', carId: 'F777GHI', ts: now - 20 * MIN } },
      { gate: 'out-1', body: { eventId: `dash-${now}-4`, direction: 'exit', carId: 'B1234XYZ', ts: now - 1000 } },
      // An exit with no entry: a lost ticket, flagged.
      { gate: 'out-1', body: { eventId: `dash-${now}-5`, direction: 'exit', carId: 'LOST9', ts: now - 500 } },
    ];
    for (const e of events) await client.publishAsync(`parking/${LOT}/gate/${e.gate}/event`, JSON.stringify(e.body), { qos: 1 });
    await page.goto(`${flows.urls.dashboard}/charging`);
    await page.fill('input[name=username]', flows.login.user);
    await page.fill('input[name=password]', flows.login.password!);
    await Promise.all([page.waitForURL(`${flows.urls.dashboard}/charging`), page.click('button[type=submit]')]);
    // 2h05m under the default tariff: Rp5.000 + 2 × Rp4.000.
    await page.locator('[data-table="exits"] tr[data-car="B1****YZ"]', { hasText: 'Rp13.000' }).waitFor({ timeout: 20_000 });
    await shows(page, '[data-open-count]', '2', 20_000);
    await page.locator('[data-table="open"] tr[data-car="F7***HI"]').waitFor({ timeout: 5000 });
    await page.locator('[data-table="exits"] tr[data-car="L***9"][data-status="unmatched"] [data-flag="lost-ticket"]').waitFor({ timeout: 5000 });
    await shows(page, '[data-lost-tickets]', '1 lost ticket among them');
    // 2h05m (Rp13.000) and the lost-ticket fee (Rp50.000).
    await shows(page, '[data-revenue-today]', 'Rp63.000');
    expect(await page.content()).not.to.match(/B1234XYZ|D4321ABC|F777GHI|LOST9/);
    await saveScreenshot(page, 'dashboard-charging', { fullPage: true });

    // The operator's view has come several times over: none of it reached the visitor.
    expect(await visitor.locator('[data-car]').count(), 'rows on a visitor\'s Charging page').to.equal(0);
    expect(await visitor.locator('[data-login-needed]').count()).to.equal(1);
    await visitorContext.close();
  });

  it('holds up on a phone (390 px): no amount or time breaks inside, every hour of the axis is readable', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${flows.urls.dashboard}/charging`);
      await page.locator('[data-table="exits"] tr[data-car="B1****YZ"]').waitFor({ timeout: 20_000 });
      const layout = (await page.evaluate(`(() => {
        const lines = (el) => { const r = document.createRange(); r.selectNodeContents(el); return new Set([...r.getClientRects()].filter((x) => x.width > 0).map((x) => Math.round(x.top))).size; };
        const cells = [...document.querySelectorAll('[data-table] td, [data-revenue-today], [data-exits-today]')].filter((el) => el.textContent.trim());
        const broken = cells.filter((el) => lines(el) > 1).map((el) => el.textContent.trim());
        const hours = [...document.querySelectorAll('.pk-bar-hour')];
        const clipped = hours.filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.textContent);
        return { cells: cells.length, broken, hours: hours.length, clipped, pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth };
      })()`)) as { cells: number; broken: string[]; hours: number; clipped: string[]; pageOverflow: number };
      expect(layout.cells).to.be.above(5);
      expect(layout.broken, 'cells whose text breaks over lines').to.deep.equal([]);
      expect(layout.hours).to.equal(24);
      expect(layout.clipped, 'hour labels cut off').to.deep.equal([]);
      expect(layout.pageOverflow, 'the page itself scrolls sideways').to.be.at.most(0);
      await saveScreenshot(page, 'dashboard-charging-390', { fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('shows the alarms (a banner until acknowledged), the brokers, MongoDB, the devices and changes of the brokers on the System page', async () => {
    for (const [device, status] of [['pi-b1-01', 'online'], ['pi-b1-02', 'online'], ['pi-b2-01', 'online'], ['pi-b2-02', 'offline']]) {
      await client.publishAsync(`parking/${LOT}/device/${device}/status`, status, { qos: 1, retain: true });
    }
    await page.goto(`${flows.urls.dashboard}/system`);
    await page.locator('[data-broker="primary"] .pk-ok', { hasText: 'up' }).waitFor({ timeout: 10_000 });
    await page.locator('[data-broker="standby"] .pk-ok', { hasText: 'up' }).waitFor({ timeout: 10_000 });
    await shows(page, '[data-devices-online]', '3', 10_000);
    await shows(page, '[data-devices-offline]', '1', 10_000);
    await page.locator('[data-mongo] .pk-ok').waitFor({ timeout: 10_000 });
    // Times in the browser's local time, as on the Charging page, not raw UTC.
    const checked = (await page.locator('[data-checked]').textContent()) ?? '';
    expect(checked).to.match(/^checked \S/);
    expect(checked, 'the System page shows raw UTC').not.to.match(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    await page.locator('[data-no-alarms]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-alarm-banner]').count(), 'no banner without an alarm').to.equal(0);
    // An alarm as the platform's alarm service keeps it: retained, then acknowledged elsewhere, then cleared.
    const topic = `parking/${LOT}/alarm/lot-full`;
    const alarm = { kind: 'lot-full', severity: 'warning', since: new Date().toISOString(), text: `${LOT} is full (0 of 4 free)`, acknowledged: false };
    await client.publishAsync(topic, JSON.stringify(alarm), { qos: 1, retain: true });
    await shows(page, '[data-alarm-banner]', `1 alarm not acknowledged · ${LOT} is full (0 of 4 free)`, 10_000);
    await page.locator(`[data-table="alarms"] tr[data-alarm="${LOT}/lot-full"][data-severity="warning"] [data-ack]`).waitFor({ timeout: 5000 });
    await saveScreenshot(page, 'dashboard-system', { fullPage: true });
    await client.publishAsync(topic, JSON.stringify({ ...alarm, acknowledged: true }), { qos: 1, retain: true });
    await page.locator(`[data-table="alarms"] tr[data-alarm="${LOT}/lot-full"] [data-acknowledged]`).waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-alarm-banner]').count(), 'no banner once acknowledged').to.equal(0);
    await client.publishAsync(topic, '', { qos: 1, retain: true });
    await page.locator('[data-no-alarms]').waitFor({ timeout: 10_000 });
    expect(errors.filter((e) => e.startsWith('pageerror')), 'page errors').to.deep.equal([]);
  });
  it('holds up on a phone (390 px) on the Availability and System pages too: no sideways scroll, no figure broken over lines', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const alarmTopic = `parking/${LOT}/alarm/sensors-offline`;
    try {
      await client.publishAsync(alarmTopic, JSON.stringify({ kind: 'sensors-offline', severity: 'warning', since: new Date().toISOString(), text: '2 devices offline for over 2 min: pi-b2-02, pi-b2-03', acknowledged: false }), { qos: 1, retain: true });
      const check = (selector: string) =>
        page.evaluate(`(() => {
          // Lines of text (text nodes only: a badge's padding is not a line), tops within 4 px the same line.
          const lines = (el) => {
            const tops = [];
            const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            for (let node = walk.nextNode(); node; node = walk.nextNode()) {
              const r = document.createRange();
              r.selectNodeContents(node);
              for (const x of r.getClientRects()) if (x.width > 0 && !tops.some((t) => Math.abs(t - x.top) < 4)) tops.push(x.top);
            }
            return tops.length;
          };
          const figures = [...document.querySelectorAll(${JSON.stringify(selector)})].filter((el) => el.textContent.trim());
          return { figures: figures.length, broken: figures.filter((el) => lines(el) > 1).map((el) => el.textContent.trim()), pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth };
        })()`) as Promise<{ figures: number; broken: string[]; pageOverflow: number }>;
      await page.goto(`${flows.urls.dashboard}/availability`);
      await page.locator(`[data-lot-free="${LOT}"]`).waitFor({ timeout: 15_000 });
      const availability = await check('[data-lot-free], [data-level-free], .pk-slot-id');
      expect(availability.figures).to.be.above(3);
      expect(availability.broken, 'Availability: figures broken over lines').to.deep.equal([]);
      expect(availability.pageOverflow, 'Availability: the page scrolls sideways').to.be.at.most(0);
      await saveScreenshot(page, 'dashboard-availability-390', { fullPage: true });
      await page.goto(`${flows.urls.dashboard}/system`);
      await page.locator(`[data-table="alarms"] tr[data-alarm="${LOT}/sensors-offline"]`).waitFor({ timeout: 10_000 });
      await page.locator('[data-broker="primary"] .pk-ok').waitFor({ timeout: 10_000 });
      const system = await check('[data-devices-online], [data-devices-offline], [data-broker] td, [data-table="alarms"] td:first-child');
      expect(system.figures).to.be.above(2);
      expect(system.broken, 'System: figures broken over lines').to.deep.equal([]);
      expect(system.pageOverflow, 'System: the page scrolls sideways').to.be.at.most(0);
      await saveScreenshot(page, 'dashboard-system-390', { fullPage: true });
    } finally {
      await client.publishAsync(alarmTopic, '', { qos: 1, retain: true });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('draws the History page from /api/occupancy: today beside the usual weekday, the weekday × hour heatmap, turnover per level; at 1280 and 390 px', async () => {
    const db = mongoClient.db(mongo.dbName);
    const ids = Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(2, '0'));
    // The page's "today" starts at local midnight, and a day's first 5-minute bucket is rolled up a
    // minute after it ends: in the first minutes of a day there is no turnover yet ("nothing yet
    // today"). So the test runs at the latest local 15:00 past (+07:00), in the page, the historian
    // and the API alike, whatever the wall clock says.
    const [DAY, OFFSET] = [86_400_000, 7 * 3_600_000];
    const real = Date.now();
    let now = Math.floor((real + OFFSET) / DAY) * DAY - OFFSET + 15 * 3_600_000;
    if (now > real) now -= DAY;
    await writeSimulatedHistory(db, { lots: [{ lot: 'hist-1', levels: [{ level: 'B1', slots: ids }, { level: 'B2', slots: ids }] }], from: now - 22 * DAY, to: now, utcOffsetMs: OFFSET, seed: 11 });
    // The 22 days at once: nothing else shares MongoDB here (the platform's historian catches up a quarter of the time).
    historian = startHistorian({ db, logger, intervalMs: 3_600_000, catchUpShare: 1, now: () => now });
    await historian.tick();
    flows.app.use('/api/occupancy', occupancyRouter({ collections: () => historian!.collections(), utcOffset: '+07:00', lots: { 'hist-1': { name: 'History Hall' } }, now: () => now }));
    // A page of its own: its clock stays at `now`.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    await page.clock.setFixedTime(now);
    try {
      await drawHistory(page);
    } finally {
      await page.close();
    }
    expect(errors, 'errors in the page').to.deep.equal([]);
  });

  async function drawHistory(page: Page): Promise<void> {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.goto(`${flows.urls.dashboard}/history`);
      await page.locator('[data-history-lot]').waitFor({ timeout: 15_000 });
      await page.locator('[data-table="turnover"] tr[data-level="B2"]').waitFor({ timeout: 15_000 });
      const drawn = (await page.evaluate(`(() => ({
        today: document.querySelector('[data-series="today"]').getAttribute('points').split(' ').filter(Boolean).length,
        usual: document.querySelector('[data-series="usual"]').getAttribute('points').split(' ').filter(Boolean).length,
        cells: document.querySelectorAll('.pk-heat-cell').length,
        painted: [...document.querySelectorAll('.pk-heat-cell')].filter((c) => c.style.background && !c.style.background.includes('236, 239, 241')).length,
        lots: [...document.querySelectorAll('[data-history-lot] option')].map((o) => [o.value, o.textContent.trim()]),
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      }))()`)) as { today: number; usual: number; cells: number; painted: number; lots: string[][]; overflow: number };
      expect(drawn.lots, 'the lot by its name').to.deep.equal([['hist-1', 'History Hall']]);
      expect(drawn.today, 'today so far, in quarter hours').to.be.above(0);
      expect(drawn.usual, 'the usual weekday: the whole day').to.be.above(80);
      expect(drawn.cells, '7 days x 24 hours').to.equal(168);
      expect(drawn.painted, 'three weeks of history: every hour of every weekday').to.equal(168);
      expect(drawn.overflow, `${width} px: the page scrolls sideways`).to.be.at.most(0);
      await saveScreenshot(page, width === 390 ? 'dashboard-history-390' : 'dashboard-history', { fullPage: true });
    }
  }
});
