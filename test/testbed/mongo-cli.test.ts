// `parking testbed mongo` and `parking testbed fault` as separate processes,
// the way scripts drive the stand-in.
import { expect } from 'chai';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';

const run = promisify(execFile);
const BIN = new URL('../../bin/parking.js', import.meta.url).pathname;

describe('parking testbed mongo and fault (processes)', function () {
  this.timeout(30_000);
  let child: ChildProcess;
  let uri: string;

  before(async function () {
    child = spawn(process.execPath, [BIN, 'testbed', 'mongo', '--port', '0', '--election-delay', '300'], {
      env: { ...process.env, PARKING_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    uri = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /never for production\): (mongodb:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
    });
  });

  after(async function () {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).to.equal(0);
    }
  });

  const fault = async (...args: string[]) => (await run(process.execPath, [BIN, 'testbed', 'fault', '--uri', uri, ...args])).stdout;

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
