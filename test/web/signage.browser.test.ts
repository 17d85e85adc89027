// The signage page in headless Chromium against real broker processes: the
// counts from the availability topics, live updates, and failover to the
// standby when the primary process is killed, and back when it returns.
import { expect } from 'chai';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { startBrokerProcess, type BrokerProcess } from '../helpers/brokers.ts';
import { healthCollector, metricsCollector, startWebServer, type WebServer } from '../../web/index.ts';
import { bodyHas, collectErrors, launchChromium, requireChromium, saveScreenshot, shows } from './browser.ts';

const LOT = 'mall-1';
const topic = (level?: string) => `parking/${LOT}/availability${level ? `/${level}` : ''}`;

/** An availability summary as ingest publishes it (levels: [free, total]). */
function summary(levels: Record<string, [number, number]>, status: string) {
  const free = Object.values(levels).reduce((s, [f]) => s + f, 0);
  const total = Object.values(levels).reduce((s, [, t]) => s + t, 0);
  return JSON.stringify({
    lot: LOT,
    availableSpotNumber: free,
    occupiedSpotNumber: total - free,
    closedSpotNumber: 0,
    unknownSpotNumber: 0,
    totalSpotNumber: total,
    status,
    levels: Object.fromEntries(Object.entries(levels).map(([name, [f, t]]) => [name, { availableSpotNumber: f, occupiedSpotNumber: t - f, closedSpotNumber: 0, unknownSpotNumber: 0, totalSpotNumber: t }])),
    observedAt: new Date().toISOString(),
  });
}

/** Publishes the summary and the level topics, retained, QoS 1, on the broker at `url`. */
async function publishAvailability(url: string, levels: Record<string, [number, number]>, status: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000 });
  try {
    await client.publishAsync(topic(), summary(levels, status), { qos: 1, retain: true });
    for (const [level, [free]] of Object.entries(levels)) await client.publishAsync(topic(level), String(free), { qos: 1, retain: true });
  } finally {
    await client.endAsync();
  }
}

/** Resolves once a subscriber on `url` has `payload` on `t` (a message, not a sleep). */
async function seenOn(url: string, t: string, payload: string): Promise<void> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${t} = ${payload} never reached ${url}`)), 10_000);
      client.on('message', (got, body) => {
        if (got === t && body.toString() === payload) {
          clearTimeout(timer);
          resolve();
        }
      });
      void client.subscribeAsync(t, { qos: 1 });
    });
  } finally {
    await client.endAsync();
  }
}

/** Browser noise that failover causes on purpose: connections to a dead broker fail. */
const expectedNoise = (error: string) => /WebSocket connection to '.*' failed/.test(error);

describe('web: signage page in Chromium, brokers as processes', function () {
  this.timeout(60_000);
  let primary: BrokerProcess;
  let standby: BrokerProcess;
  let web: WebServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(requireChromium());
  before(async () => {
    primary = await startBrokerProcess({ role: 'primary' });
    standby = await startBrokerProcess({ role: 'standby', primaryUrl: primary.url });
    const health = healthCollector({
      brokers: [
        { role: 'primary', url: primary.url },
        { role: 'standby', url: standby.url },
      ],
    });
    web = await startWebServer({ mqttWsUrls: [primary.wsUrl, standby.wsUrl], topicRoot: 'parking', health, metrics: metricsCollector({ health }), failoverMs: 300, probeIntervalMs: 300 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    errors = collectErrors(page);
  });
  after(async () => {
    await browser?.close();
    await web?.close();
    await standby?.stop();
    await primary?.stop();
  });

  it('shows the free spots of the lot and of each level from the retained availability topics', async () => {
    const published = Date.now();
    await publishAvailability(primary.url, { B1: [12, 60], B2: [21, 60], B3: [5, 40] }, 'spacesAvailable');
    // The standby has them too (bridged), so the page will find them after a failover.
    await seenOn(standby.url, topic('B3'), '5');
    await page.goto(`${web.url}/signage/${LOT}`);
    await shows(page, '#lot-free', '38');
    await shows(page, '#lot-total', 'of 160');
    await shows(page, '[data-level="B1"] .free', '12');
    await shows(page, '[data-level="B2"] .free', '21');
    await shows(page, '[data-level="B3"] .free', '5');
    await shows(page, '[data-level="B3"] .of', 'of 40');
    await shows(page, '#lot-status', 'SPACES');
    await shows(page, '#connection-text', 'live');
    await bodyHas(page, 'data-status', 'spacesAvailable');
    expect(await page.locator('.level').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { level: string } }).dataset.level))).to.deep.equal(['B1', 'B2', 'B3']);
    expect(await page.locator('[data-level="B3"]').getAttribute('data-status'), '5 of 40 is 12.5 %: not almost full').to.equal('spacesAvailable');
    // The age shown is that of the summary: never more than the time since it was published.
    const age = /^updated (\d+)s ago$/.exec((await page.locator('#updated').textContent()) ?? '');
    expect(age, 'an "updated Ns ago" line').to.not.equal(null);
    expect(Number(age![1])).to.be.at.most(Math.ceil((Date.now() - published) / 1000));
    await saveScreenshot(page, 'signage');
  });

  it('follows live changes: almost full, then full', async () => {
    await publishAvailability(primary.url, { B1: [3, 60], B2: [4, 60], B3: [1, 40] }, 'almostFull');
    await shows(page, '#lot-free', '8');
    await shows(page, '#lot-status', 'ALMOST FULL');
    await bodyHas(page, 'data-status', 'almostFull');
    await shows(page, '[data-level="B3"] .free', '1');
    expect(await page.locator('[data-level="B3"]').getAttribute('data-status')).to.equal('almostFull');
    await saveScreenshot(page, 'signage-almost-full');

    await publishAvailability(primary.url, { B1: [0, 60], B2: [0, 60], B3: [0, 40] }, 'full');
    await shows(page, '#lot-free', '0');
    await shows(page, '#lot-status', 'FULL');
    await bodyHas(page, 'data-status', 'full');
    expect(await page.locator('[data-level="B1"]').getAttribute('data-status')).to.equal('full');
    const red = await page.locator('#lot-free').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color);
    expect(red, 'a full lot is red').to.equal('rgb(255, 64, 64)');
    await saveScreenshot(page, 'signage-full');
  });

  it('keeps updating from the standby after the primary process is killed, and moves back when it returns', async () => {
    await primary.kill('SIGKILL');
    await shows(page, '#connection-text', 'live · standby broker', 5_000);
    await bodyHas(page, 'data-connection', 'standby');
    expect(await page.locator('#connection').getAttribute('data-url')).to.equal(standby.wsUrl);

    await publishAvailability(standby.url, { B1: [9, 60], B2: [14, 60], B3: [7, 40] }, 'spacesAvailable');
    await shows(page, '#lot-free', '30');
    await shows(page, '[data-level="B2"] .free', '14');
    await shows(page, '#lot-status', 'SPACES');
    await saveScreenshot(page, 'signage-standby');

    const mark = standby.mark();
    await primary.restart();
    await shows(page, '#connection-text', 'live', 15_000);
    expect(await page.locator('#connection').getAttribute('data-url')).to.equal(primary.wsUrl);
    // The restarted primary got the standby's state back over the bridge; new figures come from it.
    await standby.waitForOutput(/resynchron/i, { from: mark });
    await publishAvailability(primary.url, { B1: [10, 60], B2: [14, 60], B3: [7, 40] }, 'spacesAvailable');
    await shows(page, '#lot-free', '31');
    await shows(page, '[data-level="B1"] .free', '10');
    expect(errors.filter((e) => !expectedNoise(e)), 'page errors').to.deep.equal([]);
  });
});
