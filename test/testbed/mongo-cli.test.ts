// `parking testbed mongo` and `parking testbed fault` as separate processes,
// the way scripts drive the stand-in.
import { expect } from 'chai';
import { runParking, startPart, type Part } from '../../proc/index.ts';

describe('parking testbed mongo and fault (processes)', function () {
  this.timeout(30_000);
  let mongo: Part | undefined;
  let uri: string;

  before(async function () {
    mongo = await startPart({ name: 'mongo', args: ['testbed', 'mongo', '--port', '0', '--election-delay', '300'], env: { PARKING_LOG_LEVEL: 'warn' }, ready: /never for production\): (mongodb:\/\/\S+)/ });
    uri = mongo.ready[1];
  });

  after(async function () {
    if (mongo?.running) {
      await mongo.stop();
      expect(mongo.exit?.code).to.equal(0);
    }
  });

  const fault = async (...args: string[]) => {
    const result = await runParking(['testbed', 'fault', '--uri', uri, ...args], { timeoutMs: 20_000 });
    if (result.code !== 0) throw Object.assign(new Error(`parking testbed fault ${args.join(' ')} exited ${result.code}: ${result.stderr}`), result);
    return result.stdout;
  };

  it('prints a three-member replica-set URI', function () {
    expect(uri).to.match(/^mongodb:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/\?replicaSet=rs0$/);
  });

  it('reports status and moves the primary on kill, then restarts the member', async function () {
    const before = await fault('status');
    expect(before.match(/PRIMARY/g)).to.have.lengthOf(1);
    const primary = Number(/^(\d)\s.*PRIMARY$/m.exec(before)![1]);
    await fault('kill', String(primary));
    let after = await fault('status');
    for (let i = 0; i < 50 && !/PRIMARY/.test(after); i++) after = await fault('status');
    expect(after).to.match(new RegExp(`^${primary}\\s.*DOWN$`, 'm'));
    expect(after).to.match(/PRIMARY/);
    await fault('restart', String(primary));
    expect(await fault('status')).to.match(new RegExp(`^${primary}\\s.*SECONDARY$`, 'm'));
  });

  it('refuses an unknown action with exit code 2', async function () {
    const err = await fault('explode').catch((e) => e);
    expect(err.code).to.equal(2);
    expect(err.stderr).to.match(/unknown fault action 'explode'/);
  });
});
