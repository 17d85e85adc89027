// MQTT over TLS (PARKING_TLS_CERT/KEY) and the bridge over mqtts:// and ws://.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { freePort } from '../../testbed/services/index.ts';
import { startBrokerProcess, type BrokerProcess } from '../helpers/brokers.ts';
import { requireBinary } from '../helpers/services.ts';
import { selfSignedCert } from '../helpers/tls.ts';
import { closeAll, connect, recorder, unique } from './clients.ts';

const RESYNCED = /bridge: resynchronised with the primary/;

describe('broker transports: MQTT over TLS, bridge over mqtts:// and ws:// (processes)', function () {
  this.timeout(90_000);
  let dir: string;
  let cert: string;
  let primary: BrokerProcess;

  before(requireBinary('openssl', 'openssl'));
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parking-tls-'));
    const files = selfSignedCert(dir);
    cert = files.cert;
    const key = files.key;
    primary = await startBrokerProcess({ role: 'primary', env: { PARKING_TLS_CERT: cert, PARKING_TLS_KEY: key }, args: ['--mqtts-port', String(await freePort())] });
  });
  afterEach(closeAll);
  after(async () => {
    await closeAll();
    await primary?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves MQTT over TLS next to plain MQTT and WebSocket; the ready line names all three', async () => {
    expect(primary.mqttsUrl).to.match(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const lot = unique('lot');
    const plain = await recorder(primary.url, `parking/${lot}/#`);
    const secure = await connect(primary.mqttsUrl!, { ca: readFileSync(cert) });
    await secure.publishAsync(`parking/${lot}/availability`, '{"tls":true}', { qos: 1, retain: true });
    expect((await plain.on(`parking/${lot}/availability`)).payload).to.equal('{"tls":true}');
    // An untrusted certificate is refused by the client, as it should be.
    const refused = await connect(primary.mqttsUrl!).then(
      () => 'connected',
      (e: Error) => e.message,
    );
    expect(refused).to.match(/self[- ]signed|unable to verify/i);
  });

  it('a standby bridges over mqtts:// (private CA through NODE_EXTRA_CA_CERTS) and over ws://', async () => {
    for (const [url, env] of [
      [primary.mqttsUrl!, { NODE_EXTRA_CA_CERTS: cert }],
      [primary.wsUrl, {}],
    ] as const) {
      const standby = await startBrokerProcess({ role: 'standby', primaryUrl: url, env });
      try {
        await standby.waitForOutput(RESYNCED);
        const lot = unique('lot');
        const onStandby = await recorder(standby.url, `parking/${lot}/#`);
        const onPrimary = await recorder(primary.url, `parking/${lot}/#`);
        const p = await connect(primary.url);
        const s = await connect(standby.url);
        await p.publishAsync(`parking/${lot}/slot/A/1`, '{"status":"free","ts":1}', { qos: 1, retain: true });
        await s.publishAsync(`parking/${lot}/slot/A/2`, '{"status":"free","ts":2}', { qos: 1, retain: true });
        await onStandby.on(`parking/${lot}/slot/A/1`);
        await onPrimary.on(`parking/${lot}/slot/A/2`);
      } finally {
        await standby.stop();
      }
    }
  });
});
