import { expect } from 'chai';
import { spawn } from 'node:child_process';
import net from 'node:net';
import {
  canConnect,
  freePort,
  MissingBinaryError,
  renderMosquittoConfig,
  ServiceStartError,
  startMosquitto,
  startRedis,
  type ServiceHandle,
} from '../../testbed/services/index.ts';
import { requireBinary } from '../helpers/services.ts';

/** Write `request` on a fresh connection and collect `bytes` bytes (or until a CRLF when bytes is 0). */
function rawRequest(port: number, request: Buffer, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(request));
    let reply = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (bytes ? reply.length >= bytes : reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${reply.length} bytes`)));
  });
}

/** MQTT 3.1.1 CONNECT, clean session, keep-alive 30 s, client id "svc-test", built byte by byte. */
const CONNECT = Buffer.from([
  0x10, 20, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 30,
  0x00, 0x08, ...Buffer.from('svc-test'),
]);

async function connackCode(port: number): Promise<number> {
  const reply = await rawRequest(port, CONNECT, 4);
  expect(reply[0]).to.equal(0x20, 'CONNACK packet type');
  expect(reply[1]).to.equal(0x02);
  return reply[3];
}

async function ping(port: number): Promise<string> {
  return (await rawRequest(port, Buffer.from('PING\r\n'), 0)).toString().trim();
}

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });
}

describe('testbed/services', function () {
  this.timeout(30_000);
  const started: ServiceHandle[] = [];
  after(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it('freePort returns a port that can be listened on', async () => {
    const port = await freePort();
    expect(port).to.be.within(1024, 65535);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });

  it('freePort never hands out one port twice to servers that have yet to bind (the kernel may offer a just-closed port again)', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 300; i += 1) ports.push(await freePort());
    expect(new Set(ports).size).to.equal(ports.length);
  });

  describe('mosquitto', () => {
    before(requireBinary('mosquitto', 'mosquitto'));

    it('starts, answers CONNACK, refuses after kill -9, restarts on the same port, stops gracefully', async () => {
      const broker = await startMosquitto();
      started.push(broker);
      expect(broker.url).to.equal(`mqtt://127.0.0.1:${broker.port}`);
      expect(broker.pid).to.be.greaterThan(0);
      expect(await connackCode(broker.port)).to.equal(0);

      const firstPid = broker.pid;
      const killed = await broker.kill();
      expect(killed.signal).to.equal('SIGKILL');
      expect(await broker.exited).to.deep.equal(killed);
      expect(broker.running).to.equal(false);
      expect(await refused(broker.port)).to.equal('ECONNREFUSED');

      const port = broker.port;
      await broker.restart();
      expect(broker.port).to.equal(port);
      expect(broker.pid).to.not.equal(firstPid);
      expect(await connackCode(broker.port)).to.equal(0);

      const stopped = await broker.stop();
      expect(stopped).to.deep.equal({ code: 0, signal: null });
      expect(await canConnect(port)).to.equal(false);
    });

    it('starts on a given port; allowAnonymous false refuses CONNECT with CONNACK 5', async () => {
      const port = await freePort();
      const broker = await startMosquitto({ port, allowAnonymous: false });
      started.push(broker);
      expect(broker.port).to.equal(port);
      expect(await connackCode(port)).to.equal(5);
      await broker.stop();
    });

    it('renders the template: port, bind address, allow_anonymous, extra lines', () => {
      const template = '# base\nlistener 1883\nallow_anonymous true\npersistence false\n';
      const text = renderMosquittoConfig(template, {
        port: 4321, host: '127.0.0.1', allowAnonymous: false, extra: ['max_keepalive 60', 'max_inflight_messages 5'],
      });
      expect(text).to.match(/^listener 4321 127\.0\.0\.1$/m);
      expect(text).to.match(/^allow_anonymous false$/m);
      expect(text).to.match(/^persistence false$/m);
      expect(text).to.match(/max_keepalive 60\nmax_inflight_messages 5\n$/);
      expect(() => renderMosquittoConfig('persistence false\n', { port: 1 })).to.throw(/listener/);
    });

    it('fails with the broker output when it exits during startup', async () => {
      const err = await startMosquitto({ config: 'no_such_option 1' }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ServiceStartError);
      expect((err as Error).message).to.match(/exited during startup/).and.to.match(/no_such_option/);
    });

    it('a missing binary names the Debian package', async () => {
      const err = await startMosquitto({ binary: '/nonexistent/bin/mosquitto' }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(MissingBinaryError);
      expect((err as Error).name).to.equal('MissingBinaryError');
      expect((err as Error).message).to.equal(
        "mosquitto not found: install the Debian package 'mosquitto' (apt-get install mosquitto)",
      );
    });
  });

  describe('redis', () => {
    before(requireBinary('redis-server', 'redis-server'));

    it('starts, answers PING, refuses after kill -9, restarts on the same port, stops gracefully', async () => {
      const redis = await startRedis({ args: ['--maxmemory', '4mb'] });
      started.push(redis);
      expect(redis.url).to.equal(`redis://127.0.0.1:${redis.port}`);
      expect(await ping(redis.port)).to.equal('+PONG');
      const maxmemory = await rawRequest(redis.port, Buffer.from('CONFIG GET maxmemory\r\n'), 30);
      expect(maxmemory.toString()).to.include(String(4 * 1024 * 1024));

      await redis.kill();
      expect(await refused(redis.port)).to.equal('ECONNREFUSED');
      const port = redis.port;
      await redis.restart();
      expect(redis.port).to.equal(port);
      expect(await ping(port)).to.equal('+PONG');

      expect(await redis.stop()).to.deep.equal({ code: 0, signal: null });
      expect(await canConnect(port)).to.equal(false);
      expect(redis.stderrTail).to.match(/ready to exit|shutdown/i);
    });

    it('a missing binary names the Debian package', async () => {
      const err = await startRedis({ binary: '/nonexistent/bin/redis-server' }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(MissingBinaryError);
      expect((err as Error).message).to.equal(
        "redis-server not found: install the Debian package 'redis-server' (apt-get install redis-server)",
      );
    });

    it('kills started services when the starting process exits', async () => {
      const index = new URL('../../testbed/services/index.ts', import.meta.url).href;
      const script = `import { startRedis } from ${JSON.stringify(index)};
        const r = await startRedis(); console.log(r.port); process.exit(0);`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code).to.equal(0);
      const port = Number(out.trim());
      expect(port).to.be.greaterThan(0);
      expect(await canConnect(port)).to.equal(false);
    });
  });

  describe('requireBinary', () => {
    const saved = process.env.PARKING_TEST_ALLOW_MISSING;
    afterEach(() => {
      if (saved === undefined) delete process.env.PARKING_TEST_ALLOW_MISSING;
      else process.env.PARKING_TEST_ALLOW_MISSING = saved;
    });
    const hook = requireBinary('no-such-binary-xyz', 'no-such-package');
    const fakeContext = (): { skipped: boolean; ctx: Mocha.Context } => {
      const state = { skipped: false, ctx: undefined as unknown as Mocha.Context };
      state.ctx = {
        skip() {
          state.skipped = true;
          throw new Error('skipped');
        },
      } as unknown as Mocha.Context;
      return state;
    };

    it('fails with the install hint when the binary is missing', () => {
      delete process.env.PARKING_TEST_ALLOW_MISSING;
      const state = fakeContext();
      expect(() => hook.call(state.ctx)).to.throw(MissingBinaryError, "install the Debian package 'no-such-package'");
      expect(state.skipped).to.equal(false);
    });

    it('skips instead with PARKING_TEST_ALLOW_MISSING=1', () => {
      process.env.PARKING_TEST_ALLOW_MISSING = '1';
      const state = fakeContext();
      const write = process.stderr.write;
      let printed = '';
      process.stderr.write = ((text: string) => {
        printed += text;
        return true;
      }) as typeof process.stderr.write;
      try {
        expect(() => hook.call(state.ctx)).to.throw('skipped');
      } finally {
        process.stderr.write = write;
      }
      expect(state.skipped).to.equal(true);
      expect(printed).to.include('no-such-binary-xyz not found');
    });
  });
});
