// The web router over HTTP, standalone and mounted on another express app.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import { express } from '../../web/express.ts';
import { assetBase, createWebRouter, startWebServer, withStatus, type HealthReport, type WebServer } from '../../web/index.ts';

const report = (status: 'ok' | 'degraded' | 'down'): HealthReport => {
  const brokers = [{ id: 'p', role: 'primary' as const, url: 'mqtt://127.0.0.1:1883', reachable: status !== 'down', clients: 1, retained: 2, bridge: null, refused: null }];
  const facts = { checkedAt: '2026-11-22T10:00:00.000Z', brokers, mongo: { primary: status === 'degraded' ? null : 'db:27017' }, ingest: null };
  return withStatus(facts);
};

const URLS = ['ws://127.0.0.1:9001', 'ws://127.0.0.1:9002'];

describe('web: router over HTTP', function () {
  this.timeout(10_000);
  let web: WebServer;
  let health: () => Promise<HealthReport>;
  let metrics: () => Promise<string> | string;

  before(async () => {
    web = await startWebServer({ mqttWsUrls: URLS, topicRoot: 'city/parking', health: () => health(), metrics: () => metrics(), healthTimeoutMs: 300 });
  });
  after(async () => web?.close());

  const get = (path: string) => fetch(`${web.url}${path}`);

  for (const status of ['ok', 'degraded', 'down'] as const) {
    it(`/healthz: ${status} is HTTP ${status === 'down' ? 503 : 200} with the report as JSON`, async () => {
      health = async () => report(status);
      const res = await get('/healthz');
      expect(res.status).to.equal(status === 'down' ? 503 : 200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const body = (await res.json()) as HealthReport;
      expect(body).to.deep.equal(report(status));
    });
  }

  it('/healthz: down (503) when the health check fails or hangs', async () => {
    health = async () => {
      throw new Error('boom');
    };
    let res = await get('/healthz');
    expect(res.status).to.equal(503);
    expect(await res.json()).to.deep.include({ status: 'down', problems: ['health check failed: boom'] });
    health = () => new Promise(() => {});
    res = await get('/healthz');
    expect(res.status).to.equal(503);
    expect(((await res.json()) as HealthReport).problems[0]).to.match(/took longer than 300 ms/);
  });

  it('/metrics: the text with the Prometheus content type', async () => {
    metrics = () => '# HELP x X.\n# TYPE x gauge\nx 1\n';
    const res = await get('/metrics');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4(; charset=utf-8)?$/);
    expect(await res.text()).to.equal('# HELP x X.\n# TYPE x gauge\nx 1\n');
    metrics = async () => {
      throw new Error('no numbers');
    };
    const failed = await get('/metrics');
    expect(failed.status).to.equal(500);
    expect(await failed.text()).to.include('no numbers');
  });

  it('/signage/{lot}: the page with its settings, relative asset links and a strict content policy', async () => {
    const res = await get('/signage/mall-1');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    expect(res.headers.get('content-security-policy')).to.include("script-src 'self'");
    const html = await res.text();
    const config = JSON.parse(/<script type="application\/json" id="signage-config">(.*?)<\/script>/.exec(html)![1]);
    expect(config).to.deep.equal({ lot: 'mall-1', topicRoot: 'city/parking', mqttWsUrls: URLS, failoverMs: 300, probeIntervalMs: 1000 });
    expect(html).to.include('src="assets/page.js"').and.include('src="assets/mqtt.min.js"').and.include('href="assets/signage.css"');
    const slash = await (await get('/signage/mall-1/')).text();
    expect(slash, 'with a trailing slash').to.include('src="../assets/page.js"');
  });

  it('/signage/{lot}: 404 with a clear message for an invalid lot id', async () => {
    for (const lot of ['bad%20lot', 'a.b', 'x'.repeat(33), '%3Cscript%3E']) {
      const res = await get(`/signage/${lot}`);
      expect(res.status, lot).to.equal(404);
      const html = await res.text();
      expect(html, lot).to.include('No such lot').and.include('1-32 characters of A-Z a-z 0-9 _ -');
      expect(html, 'escaped').to.not.include('<script>');
    }
    const res = await get('/signage/mall-1/extra');
    expect(res.status).to.equal(404);
    expect(await res.text()).to.include('/signage/&lt;lot&gt;');
    // Without a source of lots, /signage says how a signage URL is made.
    const list = await get('/signage');
    expect(list.status).to.equal(200);
    expect(await list.text()).to.include('A signage page is /signage/&lt;lot&gt;');
  });

  it('/ lists what is served; /signage lists the known lots, linking to their pages, and says when it cannot', async () => {
    let lots: () => Promise<readonly string[]> = async () => ['mall-1', 'mall-2'];
    const listing = await startWebServer({ mqttWsUrls: URLS, health: () => health(), metrics: () => metrics(), lots: () => lots(), index: [{ href: '/dashboard/availability', label: 'Availability', note: 'everyone' }] });
    try {
      const index = await (await fetch(`${listing.url}/`)).text();
      for (const href of ['/dashboard/availability', 'signage', 'healthz', 'metrics']) expect(index, href).to.include(`href="${href}"`);
      expect(index).to.include('signage/assets/signage.css');
      const page = await (await fetch(`${listing.url}/signage`)).text();
      expect(page).to.include('href="signage/mall-1"').and.include('href="signage/mall-2"');
      expect(await (await fetch(`${listing.url}/signage/`)).text()).to.include('href="mall-1"');
      // A signage page carries the known lots, so an unknown lot's page can say so.
      const config = (html: string) => JSON.parse(/<script type="application\/json" id="signage-config">(.*?)<\/script>/s.exec(html)![1]) as { knownLots?: string[] };
      expect(config(await (await fetch(`${listing.url}/signage/nope`)).text()).knownLots).to.deep.equal(['mall-1', 'mall-2']);
      lots = async () => [];
      expect(await (await fetch(`${listing.url}/signage`)).text()).to.include('No lot has reported a slot yet');
      lots = async () => {
        throw new Error('no database');
      };
      const failed = await fetch(`${listing.url}/signage`);
      expect(failed.status).to.equal(200);
      expect(await failed.text()).to.include('the list of lots is not available: no database');
      // Without the list the signage page still loads, and only waits.
      const unknown = await fetch(`${listing.url}/signage/nope`);
      expect(unknown.status).to.equal(200);
      expect(config(await unknown.text()).knownLots).to.equal(undefined);
    } finally {
      await listing.close();
    }
  });

  it('shows a lot\'s display name (the lot configuration\'s) on its page and in the list; the page still follows the lot id', async () => {
    const named = await startWebServer({ mqttWsUrls: URLS, health: () => health(), metrics: () => metrics(), lots: async () => ['mall-1', 'mall-2'], lotName: (lot) => (lot === 'mall-1' ? 'Mall <One>' : undefined) });
    try {
      const list = await (await fetch(`${named.url}/signage`)).text();
      expect(list).to.include('Mall &lt;One&gt;').and.include('href="signage/mall-2"');
      const page = await (await fetch(`${named.url}/signage/mall-1`)).text();
      expect(page).to.include('<title>Mall &lt;One&gt; · free spaces</title>').and.include('<h1 class="lot" id="lot-name">Mall &lt;One&gt;</h1>');
      expect(JSON.parse(/id="signage-config">(.*?)<\/script>/.exec(page)![1])).to.deep.include({ lot: 'mall-1', name: 'Mall <One>' });
      expect(await (await fetch(`${named.url}/signage/mall-2`)).text()).to.include('<h1 class="lot" id="lot-name">mall-2</h1>');
    } finally {
      await named.close();
    }
  });

  it('serves the MQTT.js browser bundle and the page scripts, and nothing else under assets', async () => {
    const bundle = await get('/signage/assets/mqtt.min.js');
    expect(bundle.status).to.equal(200);
    expect(bundle.headers.get('content-type')).to.match(/^text\/javascript/);
    expect(Buffer.from(await bundle.arrayBuffer()).equals(readFileSync('node_modules/mqtt/dist/mqtt.min.js'))).to.equal(true);
    for (const [file, type] of [
      ['page.js', /^text\/javascript/],
      ['view.js', /^text\/javascript/],
      ['failover.js', /^text\/javascript/],
      ['signage.css', /^text\/css/],
    ] as const) {
      const res = await get(`/signage/assets/${file}`);
      expect(res.status, file).to.equal(200);
      expect(res.headers.get('content-type'), file).to.match(type);
    }
    for (const file of ['view.d.ts', '..%2Frouter.ts', 'constructor']) expect((await get(`/signage/assets/${file}`)).status, file).to.equal(404);
  });

  it('keeps the page settings inside their script element whatever the topic root says', async () => {
    const other = await startWebServer({ mqttWsUrls: URLS, topicRoot: 'a</script><script>alert(1)</script>', health: async () => report('ok'), metrics: () => '' });
    try {
      const html = await (await fetch(`${other.url}/signage/mall-1`)).text();
      expect(html).to.not.include('<script>alert(1)');
      expect(JSON.parse(/id="signage-config">(.*?)<\/script>/.exec(html)![1]).topicRoot).to.equal('a</script><script>alert(1)</script>');
    } finally {
      await other.close();
    }
  });

  it('refuses broker URLs that are not WebSocket URLs', () => {
    const options = { health: async () => report('ok'), metrics: () => '' };
    expect(() => createWebRouter({ ...options, mqttWsUrls: [] })).to.throw(/at least one/);
    expect(() => createWebRouter({ ...options, mqttWsUrls: ['mqtt://127.0.0.1:1883'] })).to.throw(/not a ws:\/\/ or wss:\/\/ URL/);
  });

  it('works mounted under a path of another express app', async () => {
    const app = express();
    app.use(express.Router().get('/other', (_req, res) => res.send('other')));
    app.use('/ops', createWebRouter({ mqttWsUrls: URLS, health: async () => report('ok'), metrics: () => 'm 1\n' }));
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/ops/healthz`)).status).to.equal(200);
      expect(await (await fetch(`${base}/ops/metrics`)).text()).to.equal('m 1\n');
      const page = `${base}/ops/signage/mall-1`;
      const html = await (await fetch(page)).text();
      const script = new URL(/src="([^"]*page\.js)"/.exec(html)![1], page);
      expect(script.pathname).to.equal('/ops/signage/assets/page.js');
      expect((await fetch(script)).status).to.equal(200);
      expect(await (await fetch(`${base}/other`)).text()).to.equal('other');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('computes asset links relative to any page path', () => {
    expect(assetBase('/signage/mall-1')).to.equal('assets/');
    expect(assetBase('/signage/mall-1/')).to.equal('../assets/');
    expect(assetBase('/signage/a/b/c')).to.equal('../../assets/');
    expect(assetBase('/signage')).to.equal('signage/assets/');
  });
});
