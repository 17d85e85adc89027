// `parking broker --role standby` listens for MQTT over WebSocket on 9002 by
// default, the primary on 9001 (the contract's default ports), so a primary
// and a standby started on one host with the contract's flags do not collide.
// An explicit --ws-port or PARKING_WS_PORT wins.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { brokerPorts } from '../../cli/commands/broker.ts';
import { defaultText } from '../../config/index.ts';
import { freePort } from '../../testbed/services/index.ts';

const BIN = fileURLToPath(new URL('../../bin/parking.js', import.meta.url));

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '0.0.0.0', port }, () => server.close(() => resolve(true)));
  });
}

/** Starts `parking ARGS`; resolves with its ready line (or rejects with its output when it exits first). */
function startParking(args: string[], env: Record<string, string> = {}): { child: ChildProcess; ready: Promise<string> } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(PARKING_|MONGODB_URI$|REDIS_URL$|LOG_LEVEL$)/.test(name)));
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...clean, PARKING_LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = /^broker \S+ listening .*$/m.exec(output)?.[0];
      if (line) resolve(line);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`parking ${args.join(' ')} exited (${code}):\n${output}`)));
  });
  return { child, ready };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('parking broker: default WebSocket port per role', function () {
  this.timeout(30_000);
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map(stop));
  });

  it('resolves 9001 for a primary and 9002 for a standby; a setting wins; --help says so', () => {
    expect(brokerPorts('primary', {})).to.deep.equal({ port: 1883, wsPort: 9001 });
    expect(brokerPorts('standby', {})).to.deep.equal({ port: 1884, wsPort: 9002 });
    expect(brokerPorts('standby', { mqttPort: 2884, wsPort: 9102 })).to.deep.equal({ port: 2884, wsPort: 9102 });
    expect(defaultText('wsPort')).to.equal('9001 primary, 9002 standby');
  });

  it('a primary and a standby with the contract flags on one host both start (no EADDRINUSE on 9001)', async function () {
    if (!(await free(9001)) || !(await free(9002))) this.skip(); // someone else holds the default ports on this machine
    const [p1, p2] = [await freePort(), await freePort()];
    const primary = startParking(['broker', '--role', 'primary', '--port', String(p1), '--allow-anonymous']);
    children.push(primary.child);
    expect(await primary.ready).to.equal(`broker primary listening mqtt://127.0.0.1:${p1} ws://127.0.0.1:9001`);
    const standby = startParking(['broker', '--role', 'standby', '--port', String(p2), '--primary', `mqtt://127.0.0.1:${p1}`, '--allow-anonymous']);
    children.push(standby.child);
    expect(await standby.ready).to.equal(`broker standby listening mqtt://127.0.0.1:${p2} ws://127.0.0.1:9002`);
  });

  it('--ws-port and PARKING_WS_PORT still win for a standby', async () => {
    const [p1, w1, p2, w2] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const flag = startParking(['broker', '--role', 'standby', '--port', String(p1), '--ws-port', String(w1), '--allow-anonymous']);
    children.push(flag.child);
    expect(await flag.ready).to.equal(`broker standby listening mqtt://127.0.0.1:${p1} ws://127.0.0.1:${w1}`);
    const env = startParking(['broker', '--role', 'standby', '--port', String(p2), '--allow-anonymous'], { PARKING_WS_PORT: String(w2) });
    children.push(env.child);
    expect(await env.ready).to.equal(`broker standby listening mqtt://127.0.0.1:${p2} ws://127.0.0.1:${w2}`);
  });
});
