// `parking broker` as a process: ready line, MQTT and WebSocket, the heartbeat,
// restart on the same ports, clean stop, bad settings.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseHash, verifyPassword } from '../../broker/index.ts';
import { runParking } from '../../proc/index.ts';
import { startLinkProxy } from '../../testbed/linkproxy/index.ts';
import { startBrokerProcess, type BrokerProcess } from '../helpers/brokers.ts';
import { Recorder, closeAll, connect, recorder, unique } from './clients.ts';

/** `parking ARGS` to its end, with `env` over an environment free of parking settings. */
const run = (args: string[], env: Record<string, string> = {}, input?: string) => runParking(args, { env, input });

describe('parking broker (process)', function () {
  this.timeout(60_000);
  let broker: BrokerProcess;

  before(async () => {
    broker = await startBrokerProcess({ role: 'primary' });
  });
  after(async () => {
    await closeAll();
    await broker?.stop();
  });

  it('prints its ready line with the MQTT and WebSocket URLs and serves both', async () => {
    expect(broker.output()).to.match(new RegExp(`^broker primary listening mqtt://127\\.0\\.0\\.1:${broker.port} ws://127\\.0\\.0\\.1:${broker.wsPort}$`, 'm'));
    const topic = `parking/${unique('lot')}/slot/B1/01`;
    const viaWs = await recorder(broker.wsUrl, 'parking/#');
    const publisher = await connect(broker.url);
    await publisher.publishAsync(topic, '{"status":"free","ts":1}', { qos: 1, retain: true });
    const got = await viaWs.on(topic);
    expect(got.payload).to.equal('{"status":"free","ts":1}');
  });

  it('publishes $SYS/<id>/heartbeat every 100 ms, readable without credentials', async () => {
    const rec = await recorder(broker.url, '$SYS/+/heartbeat');
    const first = await rec.next(() => true);
    const sixth = await rec.next((m) => rec.messages.indexOf(m) === 5);
    expect(first.topic).to.match(/^\$SYS\/primary-[^/]+\/heartbeat$/);
    const mean = (sixth.at - first.at) / 5;
    expect(mean).to.be.within(60, 160);
  });

  it('a client watching the heartbeat notices a silently unreachable broker within three intervals, long before MQTT keep-alive', async () => {
    const link = await startLinkProxy({ target: { host: '127.0.0.1', port: broker.port } });
    try {
      const client = await connect(link.url('mqtt'), { keepalive: 30 });
      const rec = new Recorder(client);
      await client.subscribeAsync('$SYS/+/heartbeat', { qos: 0 });
      await rec.next(() => true);
      const silence = new Promise<number>((resolve) => {
        let watchdog: NodeJS.Timeout | undefined;
        const arm = () => {
          clearTimeout(watchdog);
          watchdog = setTimeout(() => resolve(performance.now()), 300);
        };
        client.on('message', arm);
        arm();
      });
      const cut = performance.now();
      link.partition();
      const noticedAfter = (await silence) - cut;
      process.stdout.write(`      silent broker noticed after ${noticedAfter.toFixed(0)} ms (heartbeat 100 ms, watchdog 300 ms)\n`);
      expect(noticedAfter).to.be.within(150, 450);
      expect(client.connected, 'MQTT itself has not noticed').to.equal(true);
    } finally {
      await link.close();
    }
  });

  it('comes back on the same ports after SIGKILL, with a new process', async () => {
    const pid = broker.pid;
    await broker.kill();
    expect(broker.running).to.equal(false);
    await broker.restart();
    expect(broker.pid).to.not.equal(pid);
    const rec = await recorder(broker.url, '$SYS/+/heartbeat');
    await rec.next(() => true);
    const ws = await recorder(broker.wsUrl, '$SYS/+/heartbeat');
    await ws.next(() => true);
  });

  it('stops cleanly on SIGTERM (exit 0), disconnecting its clients', async () => {
    const other = await startBrokerProcess({ role: 'primary' });
    const client = await connect(other.url);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await other.stop();
    await closed;
    expect(other.exit).to.deep.equal({ code: 0, signal: null });
    expect(other.output()).to.include('"msg":"stopping"');
  });

  it('honours --heartbeat-ms', async () => {
    const slow = await startBrokerProcess({ role: 'primary', args: ['--heartbeat-ms', '400'] });
    try {
      const rec = await recorder(slow.url, '$SYS/+/heartbeat');
      const first = await rec.next(() => true);
      const third = await rec.next((m) => rec.messages.indexOf(m) === 2);
      expect((third.at - first.at) / 2).to.be.within(300, 520);
    } finally {
      await slow.stop();
    }
  });

  describe('bad settings stop it at start with exit 2 and one line', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'parking-broker-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a certificate without a key', async () => {
      const result = await run(['broker', '--role', 'primary', '--port', '1'], { PARKING_TLS_CERT: join(dir, 'cert.pem') });
      expect(result.code).to.equal(2);
      expect(result.stderr.trim()).to.equal('parking: bad setting PARKING_TLS_KEY="": must be set too: MQTT over TLS needs both PARKING_TLS_CERT and PARKING_TLS_KEY');
    });

    it('a missing or invalid auth file', async () => {
      const missing = await run(['broker', '--role', 'primary', '--auth-file', join(dir, 'none.json')]);
      expect(missing.code).to.equal(2);
      expect(missing.stderr.trim()).to.equal(`parking: bad setting --auth-file=${join(dir, 'none.json')}: no such file`);
      const file = join(dir, 'accounts.json');
      writeFileSync(file, JSON.stringify({ accounts: { 'pi-1': { password: 'plain', role: 'device' } } }));
      const invalid = await run(['broker', '--role', 'primary'], { PARKING_MQTT_AUTH_FILE: file });
      expect(invalid.code).to.equal(2);
      expect(invalid.stderr.trim()).to.match(/^parking: bad setting PARKING_MQTT_AUTH_FILE=\S+: account "pi-1": password must be a hash made by `parking broker --hash-password`/);
    });

    it('the role is required', async () => {
      const result = await run(['broker', '--port', '1883']);
      expect(result.code).to.equal(2);
      expect(result.stderr.trim()).to.equal("parking: required option '--role <role>' not specified");
    });
  });

  it('--hash-password prints a scrypt hash of the password on stdin', async () => {
    const result = await run(['broker', '--hash-password'], {}, 'correct horse\n');
    expect(result.code).to.equal(0);
    const hash = parseHash(result.stdout.trim());
    expect(hash).to.be.an('object');
    if (typeof hash === 'string') return;
    expect(await verifyPassword('correct horse', hash)).to.equal(true);
    expect(await verifyPassword('correct horse\n', hash)).to.equal(false);
  });
});
