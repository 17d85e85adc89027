// `parking broker --role standby` listens for MQTT over WebSocket on 9002 by
// default, the primary on 9001 (the contract's default ports), so a primary
// and a standby started on one host with the contract's flags do not collide.
// An explicit --ws-port or PARKING_WS_PORT wins.
import { createServer } from 'node:net';
import { expect } from 'chai';
import { brokerPorts } from '../../cli/commands/broker.ts';
import { defaultText } from '../../config/index.ts';
import { startPart, type Part } from '../../proc/index.ts';
import { freePort } from '../../testbed/services/index.ts';

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '0.0.0.0', port }, () => server.close(() => resolve(true)));
  });
}

describe('parking broker: default WebSocket port per role', function () {
  this.timeout(30_000);
  const parts: Part[] = [];
  afterEach(async () => {
    await Promise.all(parts.splice(0).map((part) => part.stop()));
  });

  /** Starts `parking ARGS`; resolves with its ready line (rejects with its output when it exits first). */
  const startParking = async (args: string[], env: Record<string, string> = {}): Promise<string> => {
    const part = await startPart({ name: `broker ${args[2]}`, args, env, ready: /^broker \S+ listening .*$/m, readyTimeoutMs: 20_000 });
    parts.push(part);
    return part.ready[0];
  };

  it('resolves 9001 for a primary and 9002 for a standby; a setting wins; --help says so', () => {
    expect(brokerPorts('primary', {})).to.deep.equal({ port: 1883, wsPort: 9001 });
    expect(brokerPorts('standby', {})).to.deep.equal({ port: 1884, wsPort: 9002 });
    expect(brokerPorts('standby', { mqttPort: 2884, wsPort: 9102 })).to.deep.equal({ port: 2884, wsPort: 9102 });
    expect(defaultText('wsPort')).to.equal('9001 primary, 9002 standby');
  });

  it('a primary and a standby with the contract flags on one host both start (no EADDRINUSE on 9001)', async function () {
    if (!(await free(9001)) || !(await free(9002))) this.skip(); // someone else holds the default ports on this machine
    const [p1, p2] = [await freePort(), await freePort()];
    const primary = await startParking(['broker', '--role', 'primary', '--port', String(p1), '--allow-anonymous']);
    expect(primary).to.equal(`broker primary listening mqtt://127.0.0.1:${p1} ws://127.0.0.1:9001`);
    const standby = await startParking(['broker', '--role', 'standby', '--port', String(p2), '--primary', `mqtt://127.0.0.1:${p1}`, '--allow-anonymous']);
    expect(standby).to.equal(`broker standby listening mqtt://127.0.0.1:${p2} ws://127.0.0.1:9002`);
  });

  it('--ws-port and PARKING_WS_PORT still win for a standby', async () => {
    const [p1, w1, p2, w2] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const flag = await startParking(['broker', '--role', 'standby', '--port', String(p1), '--ws-port', String(w1), '--allow-anonymous']);
    expect(flag).to.equal(`broker standby listening mqtt://127.0.0.1:${p1} ws://127.0.0.1:${w1}`);
    const env = await startParking(['broker', '--role', 'standby', '--port', String(p2), '--allow-anonymous'], { PARKING_WS_PORT: String(w2) });
    expect(env).to.equal(`broker standby listening mqtt://127.0.0.1:${p2} ws://127.0.0.1:${w2}`);
  });
});
