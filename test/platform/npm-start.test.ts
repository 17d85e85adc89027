// `npm start` as a service manager or a terminal runs it: a SIGTERM or SIGINT sent to npm's own
// pid stops the platform (npm passes the signal on; the script execs node, so no shell in
// between keeps node running on its own), and every port is free afterwards.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../testbed/services/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm start and signals (process)', function () {
  this.timeout(90_000);

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to npm's pid stops the platform and frees its ports`, async function () {
      const dataDir = mkdtempSync(join(tmpdir(), 'parking-npm-start-'));
      const ports: Record<string, string> = {};
      for (const name of ['PARKING_MQTT_PORT', 'PARKING_STANDBY_PORT', 'PARKING_WS_PORT', 'PARKING_STANDBY_WS_PORT', 'PARKING_HTTP_PORT']) ports[name] = String(await freePort());
      const npm = spawn('npm', ['start', '--', '--no-sim', '--log-level', 'warn'], { cwd: ROOT, env: { ...process.env, PARKING_DATA_DIR: dataDir, ...ports }, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
      let out = '';
      await new Promise<void>((resolve, reject) => {
        npm.stdout.on('data', (d: Buffer) => {
          out += d;
          if (out.includes('parking platform running')) resolve();
        });
        void exited.then((code) => reject(new Error(`npm start exited (${code}) before it was running: ${out}`)));
      });
      const health = `http://127.0.0.1:${ports.PARKING_HTTP_PORT}/healthz`;
      expect((await fetch(health)).status).to.equal(200);
      npm.kill(signal);
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      // npm waits for its script; had a shell kept node apart from the signal, node would still answer here.
      const after = await fetch(health).then(
        (r) => `answered ${r.status}`,
        () => 'refused',
      );
      expect(after, 'the HTTP port after npm exited').to.equal('refused');
      expect(code, `npm's exit code; output: ${out}`).to.equal(0);
    });
  }
});
