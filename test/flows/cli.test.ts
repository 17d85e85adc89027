import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../testbed/services/index.ts';
import { runParking as parking, startPart } from '../../proc/index.ts';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';

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
  });
});
