import { expect } from 'chai';
import net, { type Server, type Socket } from 'node:net';
import { LinkShaper, resolveProfile, startLinkProxy, type LinkProxy } from '../../testbed/linkproxy/index.ts';

interface Echo {
  server: Server;
  port: number;
  sockets: Socket[];
  /** Echo-side sockets that saw the client's FIN or a close. */
  ended: Socket[];
  close(): Promise<void>;
}

async function startEcho(): Promise<Echo> {
  const sockets: Socket[] = [];
  const ended: Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.on('end', () => ended.push(socket));
    socket.on('close', () => ended.includes(socket) || ended.push(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    server, port, sockets, ended,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client socket that records what it receives and its lifecycle events. */
interface Client {
  socket: Socket;
  received(): Buffer;
  events: string[];
  /** Resolves when at least `n` bytes in total have arrived. */
  waitBytes(n: number): Promise<Buffer>;
  closed: Promise<void>;
}

function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    let buf = Buffer.alloc(0);
    const waiters: Array<{ n: number; resolve: (b: Buffer) => void }> = [];
    const events: string[] = [];
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (const w of [...waiters]) {
        if (buf.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(buf);
        }
      }
    });
    socket.on('end', () => events.push('end'));
    socket.on('close', () => events.push('close'));
    socket.on('error', (err: NodeJS.ErrnoException) => events.push(`error:${err.code}`));
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve({
        socket,
        received: () => buf,
        events,
        closed,
        waitBytes: (n) => (buf.length >= n ? Promise.resolve(buf) : new Promise((r) => waiters.push({ n, resolve: r }))),
      });
    });
    socket.once('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Bounded negative check: 'timeout' if `p` does not settle within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Send `count` numbered chunks, a few at a time, and return all that was sent. */
async function sendNumbered(socket: Socket, count: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const part = Buffer.from(`<${i}:${'x'.repeat(i % 17)}>`);
    parts.push(part);
    socket.write(part);
    if (i % 10 === 9) await sleep(1);
  }
  return Buffer.concat(parts);
}

async function meanRoundTripMs(port: number, rounds: number): Promise<number> {
  const client = await connect(port);
  let total = 0;
  for (let i = 1; i <= rounds; i++) {
    const start = process.hrtime.bigint();
    client.socket.write('ping....');
    await client.waitBytes(8 * i);
    total += Number(process.hrtime.bigint() - start) / 1e6;
  }
  client.socket.destroy();
  return total / rounds;
}

describe('testbed/linkproxy', function () {
  this.timeout(20_000);
  let echo: Echo;
  let proxy: LinkProxy | undefined;
  const clients: Client[] = [];

  beforeEach(async () => {
    echo = await startEcho();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy?.close();
    proxy = undefined;
    await echo.close();
  });

  async function client(port = (proxy as LinkProxy).port): Promise<Client> {
    const c = await connect(port);
    clients.push(c);
    return c;
  }

  it('wired: bytes pass through in order and stats count them', async () => {
    proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: echo.port } });
    expect(proxy.url('mqtt')).to.equal(`mqtt://127.0.0.1:${proxy.port}`);
    const c = await client();
    const sent = await sendNumbered(c.socket, 1000);
    const got = await c.waitBytes(sent.length);
    expect(got.equals(sent)).to.equal(true);
    const stats = proxy.stats();
    expect(stats).to.include({ connections: 1, active: 1, bytesUp: sent.length, bytesDown: sent.length, partitioned: false });
  });

  it('wireless: order is kept per direction despite jitter', async () => {
    proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: echo.port }, profile: 'wireless', seed: 42 });
    expect(proxy.seed).to.equal(42);
    const c = await client();
    const sent = await sendNumbered(c.socket, 400);
    const got = await c.waitBytes(sent.length);
    expect(got.equals(sent)).to.equal(true);
  });

  it('wireless adds measurable delay on average', async () => {
    const direct = await meanRoundTripMs(echo.port, 20);
    proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: echo.port }, profile: 'wireless', seed: 7 });
    const shaped = await meanRoundTripMs(proxy.port, 20);
    // Two one-way hops of 20 ± 15 ms: about 40 ms more per round trip.
    expect(shaped - direct).to.be.greaterThan(10);
    proxy.setProfile('wired');
    const wired = await meanRoundTripMs(proxy.port, 20);
    expect(wired).to.be.lessThan(shaped);
  });

  it('partition: sockets stay open, data is dropped, heal lets new connections work', async () => {
    proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: echo.port } });
    const old = await client();
    old.socket.write('hello');
    await old.waitBytes(5);
    expect(echo.sockets).to.have.length(1);

    proxy.partition();
    expect(proxy.stats().partitioned).to.equal(true);
    old.socket.write('lost!');
    expect(await within(old.waitBytes(10), 400)).to.equal('timeout');
    expect(old.events).to.deep.equal([]);
    expect(old.socket.destroyed).to.equal(false);
    expect(echo.ended).to.have.length(0);
    expect(proxy.stats().droppedUp).to.equal(5);

    // A connection made during the partition is accepted, but the target is not dialled.
    const during = await client();
    during.socket.write('early');
    await sleep(100);
    expect(echo.sockets).to.have.length(1);
    expect(during.events).to.deep.equal([]);

    proxy.heal();
    const fresh = await client();
    fresh.socket.write('after heal');
    expect((await fresh.waitBytes(10)).toString()).to.equal('after heal');
    // Dropped bytes stay lost: nothing is delivered late.
    await sleep(100);
    expect(old.received().toString()).to.equal('hello');
    // The connection accepted during the partition is dialled on heal; what it sent before is gone.
    during.socket.write('late');
    expect((await during.waitBytes(4)).toString()).to.equal('late');
    expect(proxy.stats()).to.include({ connections: 3, partitioned: false });
  });

  it('partition hides a close on the far side until heal, which resets the connection', async () => {
    proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: echo.port } });
    const c = await client();
    c.socket.write('x');
    await c.waitBytes(1);
    proxy.partition();
    echo.sockets[0].destroy();
    expect(await within(c.closed, 300)).to.equal('timeout');
    proxy.heal();
    expect(await within(c.closed, 2000)).to.not.equal('timeout');
  });

  it('reset: the client sees the connection close', async () => {
    proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: echo.port } });
    const a = await client();
    const b = await client();
    a.socket.write('a');
    b.socket.write('b');
    await Promise.all([a.waitBytes(1), b.waitBytes(1)]);
    proxy.reset();
    await Promise.all([a.closed, b.closed]);
    expect(a.events).to.include('close');
    expect(b.events).to.include('close');
    expect(proxy.stats().active).to.equal(0);
    // The proxy still accepts and forwards afterwards.
    const c = await client();
    c.socket.write('again');
    expect((await c.waitBytes(5)).toString()).to.equal('again');
  });

  it('propagates a graceful close both ways', async () => {
    proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: echo.port }, profile: { latencyMs: 5, jitterMs: 3 } });
    const c = await client();
    c.socket.end('bye');
    await c.closed;
    expect(c.received().toString()).to.equal('bye');
    expect(c.events).to.include('end');
    expect(c.events.some((e) => e.startsWith('error'))).to.equal(false);
  });

  it('closes the client when the target refuses', async () => {
    const port = echo.port;
    await echo.close();
    echo = await startEcho();
    proxy = await startLinkProxy({ target: { host: '127.0.0.1', port } });
    const c = await client();
    expect(await within(c.closed, 2000)).to.not.equal('timeout');
  });

  describe('LinkShaper', () => {
    it('release times never decrease and stay within latency ± jitter when there are no stalls', () => {
      const shaper = new LinkShaper({ latencyMs: 20, jitterMs: 15 }, 1, 0);
      let previous = 0;
      for (let now = 0; now < 10_000; now += 7) {
        const at = shaper.releaseAt(previous, now);
        expect(at).to.be.at.least(previous);
        expect(at).to.be.at.most(now + 35);
        expect(at).to.be.at.least(now + 5);
        previous = at;
      }
    });

    it('is reproducible for a seed', () => {
      const a = new LinkShaper(resolveProfile('wireless'), 99, 0);
      const b = new LinkShaper(resolveProfile('wireless'), 99, 0);
      const c = new LinkShaper(resolveProfile('wireless'), 100, 0);
      const run = (s: LinkShaper): number[] => Array.from({ length: 50 }, (_, i) => s.releaseAt(0, i * 300));
      expect(run(a)).to.deep.equal(run(b));
      expect(run(a)).to.not.deep.equal(run(c));
    });

    it('wireless stalls: 100-300 ms pauses, 2.5-7.5 s apart; chunks due in one wait for its end', () => {
      const shaper = new LinkShaper(resolveProfile('wireless'), 5, 0);
      shaper.afterStalls(60_000, 0);
      const stalls = shaper.stallsAfter(0);
      expect(stalls.length).to.be.within(8, 24);
      let previousEnd = 0;
      for (const s of stalls) {
        expect(s.end - s.start).to.be.within(100, 300);
        expect(s.start - previousEnd).to.be.within(2500, 7500);
        previousEnd = s.end;
      }
      const s = stalls[0];
      expect(shaper.afterStalls((s.start + s.end) / 2, 0)).to.equal(s.end);
      expect(shaper.afterStalls(s.start - 1, 0)).to.equal(s.start - 1);
    });

    it('a stall that ended stays known for a minute: a window already measured can be checked against it', () => {
      const shaper = new LinkShaper(resolveProfile('wireless'), 5, 0);
      const first = shaper.stallsBetween(0, 10_000)[0];
      // Traffic goes on past it.
      shaper.releaseAt(0, first.end + 30_000);
      expect(shaper.stallsBetween(first.start - 1, first.end)).to.deep.equal([first]);
      shaper.releaseAt(0, first.end + 61_000);
      expect(shaper.stallsBetween(first.start - 1, first.end), 'forgotten after a minute').to.deep.equal([]);
    });

    it('a profile set again gets a new stall schedule, not the same one from the new start', async () => {
      proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: echo.port }, profile: 'wireless', seed: 11 });
      const offsets = (): number[] => {
        const now = Date.now();
        return proxy!.stalls(now, now + 60_000).map((w) => Math.round(w.start - now));
      };
      proxy.setProfile('wireless');
      const first = offsets();
      proxy.setProfile('wireless');
      const second = offsets();
      expect(first.length).to.be.within(8, 24);
      expect(second.length).to.be.within(8, 24);
      // Reset to the same seed, the windows would start at the same offsets (±1 ms of clock).
      expect(first.slice(0, 3).every((t, i) => Math.abs(t - second[i]) <= 2)).to.equal(false);
      const again = await startLinkProxy({ target: { host: '127.0.0.1', port: echo.port }, profile: 'wireless', seed: 11 });
      try {
        again.setProfile('wireless');
        const now = Date.now();
        const same = again.stalls(now, now + 60_000).map((w) => Math.round(w.start - now));
        expect(same.slice(0, 3).every((t, i) => Math.abs(t - first[i]) <= 5)).to.equal(true, 'the same seed gives the same schedules');
        again.setProfile('wired');
        expect(again.stalls(now, now + 60_000)).to.deep.equal([]);
      } finally {
        await again.close();
      }
    });

    it('rejects bad profiles', () => {
      expect(() => resolveProfile('dialup' as never)).to.throw(/unknown link profile/);
      expect(() => resolveProfile({ latencyMs: -1, jitterMs: 0 })).to.throw(/latencyMs/);
    });
  });
});

describe('testbed/linkproxy: the client id of a connection', () => {
  it('reads the client id of an MQTT 3.1.1 and an MQTT 5 CONNECT, and nothing from other bytes', async () => {
    const { connectClientId } = await import('../../testbed/linkproxy/connection.ts');
    const { default: mqttPacket } = await import('mqtt-packet');
    const v4 = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: 'fd-12.s', will: { topic: 't', payload: Buffer.from('x'), qos: 1, retain: true } } as never);
    expect(connectClientId(v4)).to.equal('fd-12.s');
    const v5 = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 30, clientId: 'ingest-1', properties: { sessionExpiryInterval: 60 } } as never, { protocolVersion: 5 });
    expect(connectClientId(v5)).to.equal('ingest-1');
    expect(connectClientId(Buffer.from('GET / HTTP/1.1\r\n'))).to.equal(undefined);
    expect(connectClientId(v4.subarray(0, 8)), 'a CONNECT cut short').to.equal(undefined);
  });
});
