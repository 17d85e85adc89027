// `parking start` in a network namespace the test makes, reached at an address that is not
// loopback (10.200.0.1): every admin and operator path refuses a request without a login,
// the visitors' pages answer. The namespace holds only this platform, so its default ports
// are free, and the result does not depend on the machine's own network.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ADDRESS = '10.200.0.1';
const GUARDED = [
  '/red/flows',
  '/red/nodes',
  '/red/settings/user',
  '/api/reports/open',
  '/api/reports/sessions.csv',
  '/dashboard/charging',
  '/dashboard/system',
  '/dashboard/_debug/datastore/dash-charging-board',
  '/login/whoami',
];
const PUBLIC = ['/', '/signage', '/dashboard/availability', '/signage/sim-1', '/healthz', '/metrics', '/login'];

describe('parking start in a network namespace, from a non-loopback address', function () {
  this.timeout(120_000);

  before(function () {
    const probe = spawnSync('unshare', ['-rn', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      console.log(`      (skipped: cannot make a network namespace here: unshare -rn ip … ${probe.error?.message ?? probe.stderr.trim()})`);
      this.skip();
    }
  });

  it('refuses every admin and operator path without a login (401, 403, or 303 to the login page); the visitor pages answer 200', async function () {
    const dataDir = mkdtempSync(join(tmpdir(), 'parking-netns-'));
    const script = [
      'set -e',
      'ip link set lo up',
      `ip addr add ${ADDRESS}/32 dev lo`,
      `node bin/parking.js start --no-sim --log-level warn --data-dir "$DATA" & pid=$!`,
      `node test/platform/netns-probe.mjs http://${ADDRESS}:1880 ${[...GUARDED, ...PUBLIC].join(' ')} || rc=$?`,
      'kill -TERM $pid; wait $pid || true',
      'exit ${rc:-0}',
    ].join('\n');
    const child = spawn('unshare', ['-rn', 'sh', '-c', script], { cwd: ROOT, env: { ...process.env, DATA: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    rmSync(dataDir, { recursive: true, force: true });
    const line = out.split('\n').find((l) => l.startsWith('{'));
    expect(line, `no probe result; exit ${code}; stderr: ${err.slice(-2000)}`).to.not.equal(undefined);
    const result = JSON.parse(line!) as { statuses?: Record<string, number>; error?: string };
    expect(result.error, err.slice(-2000)).to.equal(undefined);
    for (const path of GUARDED) expect(result.statuses![path], path).to.be.oneOf([401, 403, 303]);
    for (const path of PUBLIC) expect(result.statuses![path], path).to.equal(200);
    expect(code, `the platform's exit; stderr: ${err.slice(-2000)}`).to.equal(0);
  });
});
