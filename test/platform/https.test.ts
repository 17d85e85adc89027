// `parking start` with PARKING_TLS_CERT and PARKING_TLS_KEY: the HTTP port serves HTTPS, a
// login's cookie is Secure, and the signage page reaches the brokers over wss:// through the
// same port (a page served over HTTPS may not open ws://).
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startPart, type Part } from '../../proc/index.ts';
import { freePort } from '../../testbed/services/index.ts';
import { requireBinary } from '../helpers/services.ts';
import { selfSignedCert } from '../helpers/tls.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('parking start over HTTPS (process)', function () {
  this.timeout(60_000);
  let part: Part | undefined;
  let dir: string;
  let ca: Buffer;
  let base: string;

  /** One HTTPS request trusting only the test's certificate. */
  const fetchTls = (path: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(`${base}${path}`, { method: options.method ?? 'GET', ca, headers: options.headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end(options.body);
    });

  before(requireBinary('openssl', 'openssl'));
  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'parking-https-'));
    const files = selfSignedCert(dir);
    ca = readFileSync(files.cert);
    const ports: Record<string, string> = {};
    for (const name of ['PARKING_MQTT_PORT', 'PARKING_STANDBY_PORT', 'PARKING_WS_PORT', 'PARKING_STANDBY_WS_PORT', 'PARKING_HTTP_PORT']) ports[name] = String(await freePort());
    base = `https://127.0.0.1:${ports.PARKING_HTTP_PORT}`;
    part = await startPart({
      name: 'start-https',
      args: ['start', '--allow-anonymous', '--log-level', 'warn'],
      env: { PARKING_DATA_DIR: join(dir, 'data'), PARKING_TLS_CERT: files.cert, PARKING_TLS_KEY: files.key, ...ports },
      ready: /simulated lots/,
      readyTimeoutMs: 50_000,
    });
  });
  after(async function () {
    if (part?.running) await part.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints https:// URLs and serves the pages over TLS', async function () {
    expect(part!.output()).to.include(`${base}/dashboard`);
    expect((await fetchTls('/dashboard/availability')).status).to.equal(200);
    expect((await fetchTls('/healthz')).status).to.equal(200);
  });

  it('a login sets a Secure, HttpOnly, SameSite=Strict cookie', async function () {
    const password = /login: admin \/ (\S+)/.exec(part!.output())![1];
    const answer = await fetchTls('/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `username=admin&password=${encodeURIComponent(password)}&next=%2Fdashboard%2Fcharging` });
    expect(answer.status).to.equal(303);
    const cookie = String(answer.headers['set-cookie']);
    expect(cookie).to.match(/^parking_session=[^;]+;.*; HttpOnly; Secure; SameSite=Strict$/);
  });

  it('the signage page names wss:// URLs on the same port, and MQTT flows through them to each broker', async function () {
    const page = (await fetchTls('/signage/sim-1')).body;
    const config = JSON.parse(/<script type="application\/json" id="signage-config">(.*?)<\/script>/s.exec(page)![1]) as { mqttWsUrls: string[] };
    expect(config.mqttWsUrls.map((u) => u.replace(/\/\/[^@/]*@/, '//'))).to.deep.equal([`${base.replace('https', 'wss')}/mqtt/primary`, `${base.replace('https', 'wss')}/mqtt/standby`]);
    for (const url of config.mqttWsUrls) {
      const client = await mqtt.connectAsync(url, { ca, reconnectPeriod: 0, connectTimeout: 5000 });
      const summary = new Promise<{ lot: string }>((resolve) => client.on('message', (_t, payload) => resolve(JSON.parse(payload.toString()))));
      await client.subscribeAsync('parking/sim-1/availability');
      expect(await summary, url).to.include({ lot: 'sim-1' });
      await client.endAsync();
    }
  });
});
