// The whole chain in Chromium: slot states published on the primary, ingest
// into MongoDB (the stand-in, or MONGODB_URI), the availability it publishes
// on the signage page; /healthz and /metrics with the live figures; the page
// for a lot id that cannot exist.
import { expect } from 'chai';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { Topics } from '../../contract/index.ts';
import { startBroker, type RunningBroker } from '../../broker/index.ts';
import { startIngest, type Ingest } from '../../ingest/index.ts';
import { mqttPort } from '../../ingest/mqtt.ts';
import { healthCollector, metricsCollector, startWebServer, type HealthReport, type WebServer } from '../../web/index.ts';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { collectErrors, launchChromium, requireChromium, saveScreenshot, shows } from './browser.ts';

const topics = new Topics();
const quiet = pino({ level: 'silent' });
const LOT = 'mall-1';
/** Free slots per level; every level has 8 slots. */
const FREE: Record<string, number> = { B1: 3, B2: 6, B3: 1 };

describe('web: signage, /healthz and /metrics in Chromium over the whole chain', function () {
  this.timeout(60_000);
  let primary: RunningBroker;
  let standby: RunningBroker;
  let mongo: TestMongo;
  let ingestClient: MqttClient;
  let ingest: Ingest;
  let web: WebServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(requireChromium());
  before(async () => {
    primary = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: 0, logger: quiet as never });
    standby = await startBroker({ role: 'standby', allowAnonymous: true, wsPort: 0, bridge: { url: primary.url }, logger: quiet as never });
    await standby.bridged();
    mongo = await startTestMongo();
    const client = mongo.client();
    await client.connect();
    ingestClient = await mqtt.connectAsync(primary.url, { reconnectPeriod: 200 });
    ingest = await startIngest({ db: client.db(mongo.dbName), mqtt: mqttPort(ingestClient, topics), topics, logger: quiet });
    const health = healthCollector({
      brokers: [
        { role: 'primary', url: primary.url, health: () => primary.health() },
        { role: 'standby', url: standby.url, health: () => standby.health() },
      ],
      mongo: client,
      ingest,
    });
    web = await startWebServer({ mqttWsUrls: [primary.wsUrl!, standby.wsUrl!], health, metrics: metricsCollector({ health, ingest }) });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    errors = collectErrors(page);
  });
  after(async () => {
    await browser?.close();
    await web?.close();
    await ingest?.close();
    await ingestClient?.endAsync();
    await mongo?.close();
    await standby?.close();
    await primary?.close();
  });

  it('shows the availability ingest computed from the slot states', async () => {
    const sensor = await mqtt.connectAsync(primary.url);
    const ts = Date.now();
    let seq = 0;
    for (const [level, free] of Object.entries(FREE)) {
      for (let slot = 1; slot <= 8; slot++) {
        const state = { status: slot <= free ? 'free' : 'occupied', ts, seq: ++seq, device: 'sim' };
        await sensor.publishAsync(topics.slot(LOT, level, String(slot).padStart(2, '0')), JSON.stringify(state), { qos: 1, retain: true });
      }
    }
    // Refused by the broker, counted in /metrics.
    await sensor.publishAsync(topics.slot(LOT, 'B1', '99'), '{"status":"parked"}', { qos: 1 });
    await sensor.endAsync();

    await page.goto(`${web.url}/signage/${LOT}`);
    await shows(page, '#lot-free', '10');
    await shows(page, '#lot-total', 'of 24');
    for (const [level, free] of Object.entries(FREE)) await shows(page, `[data-level="${level}"] .free`, String(free));
    await shows(page, '[data-level="B3"] .of', 'of 8');
    await shows(page, '#lot-status', 'SPACES');
    expect(await page.locator('[data-level="B3"]').getAttribute('data-status'), '1 of 8').to.equal('spacesAvailable');
    expect(errors).to.deep.equal([]);
  });

  it('/healthz: every broker, the MongoDB primary and ingest, overall ok', async () => {
    await ingest.flush();
    const response = await page.goto(`${web.url}/healthz`);
    expect(response?.status()).to.equal(200);
    const report = JSON.parse(await page.locator('body').innerText()) as HealthReport;
    expect(report.status).to.equal('ok');
    expect(report.brokers.map((b) => [b.role, b.reachable])).to.deep.equal([
      ['primary', true],
      ['standby', true],
    ]);
    expect(report.brokers[1].bridge?.connected).to.equal(true);
    expect(report.mongo?.primary).to.be.a('string').and.match(/:\d+$/);
    expect(report.ingest).to.include({ bufferDepth: 0, writeErrors: 0 });
    expect(report.ingest?.lastWriteAt).to.be.a('string');
    await saveScreenshot(page, 'healthz', { fullPage: true });
  });

  it('/metrics: the ingest counters and broker gauges as Prometheus text', async () => {
    const response = await page.goto(`${web.url}/metrics`);
    expect(response?.headers()['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await page.locator('body').innerText();
    expect(text).to.match(/^parking_ingest_accepted_total 24$/m);
    expect(text).to.match(/^parking_ingest_messages_total 24$/m);
    expect(text).to.match(/^parking_ingest_batches_total [1-9]\d*$/m);
    expect(text).to.match(new RegExp(`^parking_broker_refused_total\\{broker="${primary.id}",role="primary",cause="invalid"\\} 1$`, 'm'));
    expect(text).to.match(new RegExp(`^parking_broker_bridge_connected\\{broker="${standby.id}",role="standby"\\} 1$`, 'm'));
    expect(text).to.match(/^parking_health_status\{status="ok"\} 1$/m);
    expect(text).to.match(/^parking_mongodb_primary_up 1$/m);
    await saveScreenshot(page, 'metrics');
  });

  it('a lot id that cannot exist: 404 with a clear message', async () => {
    const response = await page.goto(`${web.url}/signage/level%201%20(north)`);
    expect(response?.status()).to.equal(404);
    await shows(page, 'h1', 'No such lot');
    expect(await page.locator('p').innerText()).to.equal("'level 1 (north)' is not a lot id: a lot id is 1-32 characters of A-Z a-z 0-9 _ -. A signage page is /signage/<lot>, e.g. /signage/mall-1.");
    await saveScreenshot(page, 'signage-not-found');
  });
});
