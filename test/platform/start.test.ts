// `parking start` as a user runs it: one process, every part, URLs printed.
import { expect } from 'chai';
import mqtt from 'mqtt';
import { mkdtempSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPart, type Part } from '../../proc/index.ts';
import { basicAuthHeader, editorToken } from '../helpers/login.ts';
import { freePort } from '../../testbed/services/index.ts';

describe('parking start (process)', function () {
  this.timeout(60_000);
  let part: Part | undefined;
  /** Everything it printed so far. */
  const out = () => part?.output() ?? '';
  const ports: Record<string, number> = {};

  before(async function () {
    for (const name of ['PARKING_MQTT_PORT', 'PARKING_STANDBY_PORT', 'PARKING_WS_PORT', 'PARKING_STANDBY_WS_PORT', 'PARKING_HTTP_PORT']) ports[name] = await freePort();
    part = await startPart({
      name: 'start',
      args: ['start', '--allow-anonymous', '--log-level', 'warn', '--offline-grace-ms', '60000'],
      env: { PARKING_DATA_DIR: mkdtempSync(join(tmpdir(), 'parking-start-')), ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) },
      ready: /simulated lots/,
      readyTimeoutMs: 50_000,
    });
  });

  after(async function () {
    if (part?.running) {
      await part.stop();
      expect(part.exit?.code, 'exit code after SIGTERM').to.equal(0);
    }
  });

  it('prints the MQTT URLs, the WebSocket URLs and the MongoDB URI it uses', function () {
    expect(out()).to.include(`mqtt://127.0.0.1:${ports.PARKING_MQTT_PORT}`);
    expect(out()).to.include(`mqtt://127.0.0.1:${ports.PARKING_STANDBY_PORT}`);
    expect(out()).to.include(`ws://127.0.0.1:${ports.PARKING_WS_PORT}`);
    expect(out()).to.match(/MongoDB\s+mongodb:\/\/\S+replicaSet=rs0/);
  });

  it('runs the simulated lot: its availability is published retained on both brokers', async function () {
    for (const port of [ports.PARKING_MQTT_PORT, ports.PARKING_STANDBY_PORT]) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`);
      const summary = await new Promise<any>((resolve) => {
        client.on('message', (_t, payload) => resolve(JSON.parse(payload.toString())));
        client.subscribe('parking/sim-1/availability');
      });
      expect(summary).to.include({ lot: 'sim-1', totalSpotNumber: 52 });
      await client.endAsync();
    }
  });

  it('serves the dashboard, the editor, signage, /healthz and /metrics on one HTTP port', async function () {
    const base = `http://127.0.0.1:${ports.PARKING_HTTP_PORT}`;
    for (const path of ['/dashboard', '/red', '/signage/sim-1', '/healthz', '/metrics']) expect(out(), path).to.include(`${base}${path}`);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).to.equal(200);
    const report = (await health.json()) as { status: string; brokers: Array<{ reachable: boolean }> };
    expect(report.status).to.equal('ok');
    expect(report.brokers.map((b) => b.reachable)).to.deep.equal([true, true]);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.match(/^# TYPE \S+ /m);
    expect((await fetch(`${base}/signage/sim-1`)).status).to.equal(200);
    expect((await fetch(`${base}/red/`)).status).to.equal(200);
  });

  it('the editor, its admin API and the reports need the login it generated and printed once', async function () {
    const base = `http://127.0.0.1:${ports.PARKING_HTTP_PORT}`;
    const printed = /editor\s+\S+\s+\(login: admin \/ (\S+)\s+\(generated; shown this once/.exec(out());
    expect(printed, out()).to.not.equal(null);
    const password = printed![1];
    for (const path of ['/red/flows', '/red/nodes', '/red/settings/user', '/api/reports/open']) expect((await fetch(`${base}${path}`)).status, path).to.be.oneOf([401, 403]);
    const accessToken = await editorToken(base, { user: 'admin', password });
    expect((await fetch(`${base}/red/flows`, { headers: { authorization: `Bearer ${accessToken}` } })).status).to.equal(200);
    expect((await fetch(`${base}/api/reports/open`, { headers: basicAuthHeader({ user: 'admin', password }) })).status).to.equal(200);
    // Visitors' pages stay public.
    for (const path of ['/dashboard/availability', '/signage/sim-1', '/healthz']) expect((await fetch(`${base}${path}`)).status, path).to.equal(200);
  });

  it('from a non-loopback address too: the operator paths refuse without the login, the visitor pages answer', async function () {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4')?.address;
    if (!address) {
      console.log('      (skipped: this machine has no non-loopback IPv4 address)');
      this.skip();
    }
    const base = `http://${address}:${ports.PARKING_HTTP_PORT}`;
    for (const path of ['/red/flows', '/red/nodes', '/api/reports/open']) expect((await fetch(`${base}${path}`)).status, `${base}${path}`).to.be.oneOf([401, 403]);
    for (const path of ['/dashboard/availability', '/signage/sim-1']) expect((await fetch(`${base}${path}`)).status, `${base}${path}`).to.equal(200);
  });

  it('ingests a slot published on the standby and republishes availability', async function () {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.PARKING_STANDBY_PORT}`);
    const seen = new Promise<any>((resolve) => {
      client.on('message', (_t, payload) => {
        const s = JSON.parse(payload.toString());
        if (s.totalSpotNumber === 1) resolve(s);
      });
    });
    await client.subscribeAsync('parking/test-lot/availability');
    await client.publishAsync('parking/test-lot/slot/L1/1', 'true', { qos: 1, retain: true });
    expect(await seen).to.include({ occupiedSpotNumber: 1, availableSpotNumber: 0, status: 'full' });
    await client.endAsync();
  });
});
