import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../testbed/services/index.ts';
import { runParking as parking, startPart } from '../../proc/index.ts';
import { startTestMongo, waitFor, type TestMongo } from '../helpers/mongo.ts';
import { startBroker } from '../helpers/brokers.ts';

// bcrypt of 's3cret', cost 4.
const HASH = '$2b$04$raod9mzfpzMVco07BPI7MeaiOVJrttQB7k48Sj90Abd3ZpNEWNOae';

describe('flows: parking flows', function () {
  this.timeout(60_000);

  it('an editor login needs both the user and the password hash (exit 2, one line naming the setting)', async function () {
    const onlyUser = await parking(['flows'], { env: { PARKING_RED_USER: 'operator' } });
    expect(onlyUser.code).to.equal(2);
    expect(onlyUser.stderr.trim()).to.equal('parking: bad setting PARKING_RED_USER=operator: the editor login needs PARKING_RED_PASSWORD_HASH too');
    const badHash = await parking(['flows'], { env: { PARKING_RED_USER: 'operator', PARKING_RED_PASSWORD_HASH: 'secret' } });
    expect(badHash.code).to.equal(2);
    expect(badHash.stderr.trim()).to.match(/^parking: bad setting PARKING_RED_PASSWORD_HASH=secret: must be a bcrypt hash/);
  });

  describe('running', function () {
    let m: TestMongo;
    let dataDir: string;
    before(async function () {
      m = await startTestMongo();
      dataDir = await mkdtemp(join(tmpdir(), 'parking-flows-cli-'));
    });
    after(async function () {
      await m?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('prints its URLs, serves the editor and the reports, and stops cleanly on SIGTERM', async function () {
      const port = await freePort();
      const flows = await startPart({
        name: 'flows',
        args: ['flows', '--http-port', String(port), '--servers', 'mqtt://127.0.0.1:1'],
        env: {
          MONGODB_URI: m.uri,
          PARKING_MONGODB_DB: m.dbName,
          PARKING_DATA_DIR: dataDir,
          PARKING_RED_USER: 'operator',
          PARKING_RED_PASSWORD_HASH: HASH,
          PARKING_LOG_LEVEL: 'warn',
        },
        ready: /^Node-RED editor.*$/m,
      });
      expect(flows.ready[0]).to.equal(`Node-RED editor   http://127.0.0.1:${port}/red (login: operator)`);
      const login = (await (await fetch(`http://127.0.0.1:${port}/red/auth/login`)).json()) as { type?: string };
      expect(login.type).to.equal('credentials');
      expect((await fetch(`http://127.0.0.1:${port}/api/reports/open`)).status).to.equal(401);
      await flows.stop();
      const stdout = flows.output();
      expect(flows.exit?.code, stdout).to.equal(0);
      expect(stdout).to.include(`reports           http://127.0.0.1:${port}/api/reports`);
      expect(stdout).to.match(/MongoDB {11}mongodb:\/\/.* \(external\), database /);
    });

    it('runs the site services beside Node-RED, for a site whose brokers and ingest run on their own: signage, /healthz, open data, forecasts, alarms', async function () {
      const broker = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: 0 });
      try {
        const port = await freePort();
        const flows = await startPart({
          name: 'flows',
          args: ['flows', '--http-port', String(port), '--servers', broker.url, '--ws-urls', broker.wsUrl!],
          env: { MONGODB_URI: m.uri, PARKING_MONGODB_DB: m.dbName, PARKING_DATA_DIR: dataDir, PARKING_RED_USER: 'operator', PARKING_RED_PASSWORD_HASH: HASH, PARKING_LOG_LEVEL: 'warn' },
          ready: /^metrics {11}(\S+)$/m,
        });
        const base = `http://127.0.0.1:${port}`;
        try {
          expect(flows.ready[1]).to.equal(`${base}/metrics`);
          const health = (await (await fetch(`${base}/healthz`)).json()) as { brokers: Array<{ role: string; reachable: boolean }>; mongo: { primary: string | null } };
          expect(health.brokers).to.deep.equal([{ ...health.brokers[0], role: 'primary', reachable: true }]);
          expect(health.mongo.primary).to.be.a('string');
          const page = await (await fetch(`${base}/signage/split-1`)).text();
          expect(page, 'the signage page reaches the brokers at --ws-urls').to.include(broker.wsUrl!);
          expect((await fetch(`${base}/api/alarms`)).status, 'alarms: operators only').to.equal(401);
          // What ingest would publish: the lot's summary, retained.
          const events = broker.aedes as unknown as NodeJS.EventEmitter;
          const forecast = new Promise<Record<string, unknown>>((resolve) => {
            const seen = (packet: { topic: string; payload: Buffer }) => {
              if (packet.topic !== 'parking/split-1/forecast' || !packet.payload.length) return;
              events.off('publish', seen);
              resolve(JSON.parse(packet.payload.toString()) as Record<string, unknown>);
            };
            events.on('publish', seen);
          });
          const summary = { lot: 'split-1', availableSpotNumber: 7, occupiedSpotNumber: 3, closedSpotNumber: 0, unknownSpotNumber: 0, totalSpotNumber: 10, status: 'spacesAvailable', levels: { L1: { availableSpotNumber: 7, totalSpotNumber: 10 } }, observedAt: new Date().toISOString() };
          await new Promise<void>((resolve) => broker.aedes.publish({ cmd: 'publish', topic: 'parking/split-1/availability', payload: Buffer.from(JSON.stringify(summary)), qos: 1, retain: true, dup: false } as never, () => resolve()));
          expect(await forecast).to.deep.include({ lot: 'split-1', availableSpotNumber: 7, method: 'same-as-now' });
          const lots = await waitFor(async () => {
            const list = (await (await fetch(`${base}/ngsi-ld/v1/entities?type=OffStreetParking&format=keyValues`)).json()) as Array<{ id: string; availableSpotNumber: number }>;
            return list.find((l) => l.id === 'urn:ngsi-ld:OffStreetParking:split-1');
          }, 'the lot in the NGSI-LD feed');
          expect(lots.availableSpotNumber).to.equal(7);
        } finally {
          await flows.stop();
        }
        expect(flows.exit?.code, flows.output()).to.equal(0);
        expect(flows.output()).to.include(`signage           ${base}/signage`);
      } finally {
        await broker.close();
      }
    });

    it('with --no-site-services runs Node-RED alone', async function () {
      const port = await freePort();
      const flows = await startPart({
        name: 'flows',
        args: ['flows', '--http-port', String(port), '--servers', 'mqtt://127.0.0.1:1', '--no-site-services'],
        env: { MONGODB_URI: m.uri, PARKING_MONGODB_DB: m.dbName, PARKING_DATA_DIR: dataDir, PARKING_RED_USER: 'operator', PARKING_RED_PASSWORD_HASH: HASH, PARKING_LOG_LEVEL: 'warn' },
        ready: /^MongoDB .*$/m,
      });
      try {
        expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(404);
        expect(flows.output()).to.not.include('signage ');
      } finally {
        await flows.stop();
      }
    });
  });
});
