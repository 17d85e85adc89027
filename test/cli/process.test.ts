import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ROOT, runParking as parking, startPart, type RunResult as Result } from '../../proc/index.ts';

const HELP: ReadonlyArray<[string[], string[]]> = [
  [['start'], ['--no-sim', '--allow-anonymous', '--http-port', '--ws-port', '--mongodb-uri', '--redis-url', '--config', 'PARKING_TOPIC_ROOT']],
  [['broker'], ['--role', '--port', '--primary', '--allow-anonymous', '--ws-port']],
  [['ingest'], ['--servers', '--mongodb-uri', '--mongodb-db', '--failover-ms', '--redis-url']],
  [['flows'], ['--http-port', '--servers', '--mongodb-uri']],
  [['device'], ['--lot', '--level', '--slot', '--sensor', '--servers']],
  [['gate'], ['--lot', '--gate', '--stdin', '--servers']],
  [['simulate'], ['--lots', '--levels', '--slots', '--rate', '--servers']],
  [['signage'], ['--lot', '--servers']],
  [['drill'], ['--runs', '--out']],
  [['bench'], ['--out']],
  [['testbed'], ['mongo']],
  [['testbed', 'mongo'], ['--port', '--election-delay', 'replSetGetStatus']],
];

function oneLine(result: Result): string {
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines, result.stderr).to.have.length(1);
  return lines[0];
}

describe('parking command line (process)', function () {
  // Each test starts node with the TypeScript loader; many run at once in the --help hook.
  this.timeout(60_000);

  describe('--help', () => {
    let results: Result[];
    before(async () => {
      results = await Promise.all([parking(['--help']), ...HELP.map(([command]) => parking([...command, '--help']))]);
    });

    it('the program lists every command of the contract', () => {
      const [top] = results;
      expect(top.code).to.equal(0);
      for (const command of ['start', 'broker', 'ingest', 'flows', 'device', 'gate', 'simulate', 'signage', 'drill', 'bench', 'testbed']) {
        expect(top.stdout).to.match(new RegExp(`^  ${command} `, 'm'));
      }
    });

    HELP.forEach(([command, flags], i) => {
      it(`parking ${command.join(' ')} --help exits 0 with a description, its flags and an example`, () => {
        const result = results[i + 1];
        expect(result.code, result.stderr).to.equal(0);
        expect(result.stderr).to.equal('');
        expect(result.stdout).to.include(`Usage: parking ${command.join(' ')}`);
        expect(result.stdout).to.match(/Examples?:\n {2}\$ .*\bparking /);
        for (const flag of flags) expect(result.stdout).to.include(flag);
      });
    });
  });

  it('--version prints the package version', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const result = await parking(['--version']);
    expect(result.code).to.equal(0);
    expect(result.stdout.trim()).to.equal(version);
  });

  it('a bad PARKING_HTTP_PORT stops with exit 2 and one stderr line naming it', async () => {
    const result = await parking(['start'], { env: { PARKING_HTTP_PORT: 'abc' } });
    expect(result.code).to.equal(2);
    expect(oneLine(result)).to.equal('parking: bad setting PARKING_HTTP_PORT=abc: must be a port number 1-65535');
    expect(result.stdout).to.equal('');
  });

  it('a bad setting the command does not use still stops it (exit 2)', async () => {
    const result = await parking(['testbed', 'mongo'], { env: { PARKING_HTTP_PORT: 'abc' } });
    expect(result.code).to.equal(2);
    expect(oneLine(result)).to.include('PARKING_HTTP_PORT=abc');
  });

  it('a bad flag value exits 2 naming the flag', async () => {
    const result = await parking(['flows', '--http-port', '99999']);
    expect(result.code).to.equal(2);
    expect(oneLine(result)).to.equal('parking: bad setting --http-port=99999: must be a port number 1-65535');
  });

  it('a bad config file exits 2 naming it', async () => {
    const result = await parking(['ingest'], { env: { PARKING_CONFIG: join(ROOT, 'no-such-config.json') } });
    expect(result.code).to.equal(2);
    expect(oneLine(result)).to.match(/^parking: bad setting PARKING_CONFIG=.*no-such-config\.json: no such file$/);
  });

  it('an unknown option exits 2 with one line', async () => {
    const result = await parking(['start', '--frobnicate']);
    expect(result.code).to.equal(2);
    expect(oneLine(result)).to.equal("parking: unknown option '--frobnicate'");
  });

  it('an unknown command exits 2 with one line', async () => {
    const result = await parking(['teleport']);
    expect(result.code).to.equal(2);
    expect(oneLine(result)).to.match(/^parking: unknown command 'teleport'/);
  });

  it('a missing required option exits 2 with one line', async () => {
    const [device, broker] = await Promise.all([parking(['device', '--level', 'B1', '--slot', '07']), parking(['broker', '--port', '1883'])]);
    expect(device.code).to.equal(2);
    expect(oneLine(device)).to.equal("parking: required option '--lot <id>' not specified");
    expect(broker.code).to.equal(2);
    expect(oneLine(broker)).to.equal("parking: required option '--role <role>' not specified");
  });

  it('a bad id exits 2 naming the flag', async () => {
    const result = await parking(['signage', '--lot', 'mall/1']);
    expect(result.code).to.equal(2);
    expect(oneLine(result)).to.equal('parking: bad setting --lot=mall/1: must be 1-32 characters of A-Z a-z 0-9 _ -');
  });

  it('ingest without MONGODB_URI is a usage error naming the setting', async () => {
    const result = await parking(['ingest']);
    expect(result.code).to.equal(2);
    expect(oneLine(result)).to.match(/MONGODB_URI/);
  });

  it('testbed mongo prints its URI, runs until SIGTERM, then exits 0', async () => {
    const mongo = await startPart({ name: 'mongo', args: ['testbed', 'mongo', '--port', '0', '--election-delay', '50', '--log-level', 'silent'], ready: /^MongoDB replica-set stand-in.*$/m });
    expect(mongo.ready[0]).to.match(/^MongoDB replica-set stand-in \(development and test only, never for production\): mongodb:\/\/\S+$/);
    await mongo.stop();
    expect(mongo.exit?.code, mongo.output()).to.equal(0);
  });
});
