// The failover link against in-process Aedes brokers and the testbed link proxy.
import { expect } from 'chai';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import { FailoverLink, LinkClosedError, type LinkOptions } from '../../link/index.ts';
import { freePort } from '../../testbed/services/index.ts';
import { startLinkProxy, type LinkProxy } from '../../testbed/linkproxy/index.ts';
import { startTestBroker, type TestBroker } from './brokers.ts';
import { missing, next, until } from './wait.ts';

const FAST: Partial<LinkOptions> = { failoverMs: 300, probeIntervalMs: 150, probeHealthy: 2, connectTimeoutMs: 1000, backoff: { initialMs: 50, maxMs: 200 } };

/** Sequence numbers of `topic` publishes a broker accepted. */
function seqs(broker: TestBroker, topic: string): number[] {
  return broker.accepted.filter((m) => m.topic === topic).map((m) => Number(m.payload.toString()));
}

describe('link: failover between brokers', function () {
  this.timeout(20_000);
  let primary: TestBroker;
  let standby: TestBroker;
  let proxy: LinkProxy;
  const links: FailoverLink[] = [];
  const clients: MqttClient[] = [];

  function link(options: Partial<LinkOptions> & Pick<LinkOptions, 'servers'>): FailoverLink {
    const l = new FailoverLink({ ...FAST, ...options });
    links.push(l);
    return l;
  }

  beforeEach(async () => {
    primary = await startTestBroker();
    standby = await startTestBroker();
    proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: primary.port } });
  });

  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.close()));
    for (const c of clients.splice(0)) c.end(true);
    await proxy.close();
    await Promise.all([primary.close(), standby.close()]);
  });

  /** Publishes 1..n on `topic`, one every `everyMs`, calling `at(i)` before each; resolves when all are acknowledged. */
  async function publishSeries(l: FailoverLink, topic: string, n: number, everyMs: number, at: (i: number) => unknown = () => {}): Promise<void> {
    const acks: Array<Promise<void>> = [];
    for (let i = 1; i <= n; i++) {
      await at(i);
      acks.push(l.publish(topic, String(i), { qos: 1 }));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    await l.flush(5000);
    await Promise.all(acks);
  }

  it('connects to the primary first and reports it', async () => {
    const l = link({ servers: [primary.url, standby.url] });
    const connected = next<[string, string]>(l, 'connected');
    l.start();
    expect(await connected).to.deep.equal([primary.url, 'primary']);
    expect(l.stats()).to.include({ state: 'connected', url: primary.url, role: 'primary', connects: 1 });
    await until(() => l.stats().heartbeats > 0, { what: () => 'a heartbeat' });
  });

  it('goes straight to the standby when the primary refuses', async () => {
    const down = `mqtt://127.0.0.1:${await freePort()}`;
    // A backoff of 5 s would show: the first attempt on another server must not wait.
    const l = link({ servers: [down, standby.url], probeIntervalMs: 0, backoff: { initialMs: 5000, maxMs: 5000 } });
    const started = Date.now();
    l.start();
    const [url, role] = await next<[string, string]>(l, 'connected');
    expect([url, role]).to.deep.equal([standby.url, 'standby']);
    expect(Date.now() - started, 'no backoff before the first standby attempt').to.be.below(500);
  });

  it('fails over in well under a second on a silent partition, and loses nothing', async () => {
    const topic = 'test/partition';
    const l = link({ servers: [proxy.url('mqtt'), standby.url], probeIntervalMs: 0 });
    l.start();
    await l.waitConnected();
    let partitionedAt = 0;
    const failover = next<[string, string, string, number]>(l, 'failover', { timeoutMs: 3000 });
    await publishSeries(l, topic, 150, 5, (i) => {
      if (i === 40) {
        partitionedAt = Date.now();
        proxy.partition();
      }
    });
    const [from, to, reason, ms] = await failover;
    const measured = l.stats().lastFailover!.at - partitionedAt;
    console.log(`      silent partition: failover in ${measured} ms after partition() (link reports ${ms} ms since the last packet)`);
    expect([from, to, reason]).to.deep.equal([proxy.url('mqtt'), standby.url, 'heartbeat']);
    expect(measured).to.be.below(1000);
    expect(l.stats()).to.include({ url: standby.url, role: 'standby', queued: 0 });
    expect(missing(150, [...seqs(primary, topic), ...seqs(standby, topic)])).to.deep.equal([]);
  });

  it('fails over at once when the primary crashes, and loses nothing', async () => {
    const topic = 'test/crash';
    const l = link({ servers: [primary.url, standby.url], probeIntervalMs: 0 });
    l.start();
    await l.waitConnected();
    let killedAt = 0;
    const failover = next<[string, string, string, number]>(l, 'failover', { timeoutMs: 3000 });
    await publishSeries(l, topic, 100, 3, async (i) => {
      if (i === 50) {
        killedAt = Date.now();
        await primary.kill();
      }
    });
    const [, to, reason] = await failover;
    const measured = l.stats().lastFailover!.at - killedAt;
    console.log(`      broker crash: failover in ${measured} ms`);
    expect(to).to.equal(standby.url);
    expect(reason).to.be.oneOf(['closed', 'error']);
    expect(measured).to.be.below(1000);
    expect(missing(100, [...seqs(primary, topic), ...seqs(standby, topic)])).to.deep.equal([]);
  });

  it('delivers publishes made while no broker is reachable once one comes up', async () => {
    const port = await freePort();
    const l = link({ servers: [`mqtt://127.0.0.1:${port}`], backoff: { initialMs: 20, maxMs: 50 } });
    l.start();
    const acks = Array.from({ length: 20 }, (_, i) => l.publish('test/offline', String(i + 1)));
    expect(l.stats().queued).to.equal(20);
    const late = await startTestBroker({ port });
    try {
      await Promise.all(acks);
      // Aedes may send a PUBACK a moment before it reports the publish.
      await until(() => missing(20, seqs(late, 'test/offline')).length === 0, { what: () => `missing ${missing(20, seqs(late, 'test/offline')).join(',')}` });
      expect(l.stats().queued).to.equal(0);
    } finally {
      await l.close();
      await late.close();
    }
  });

  it('moves back to the primary once it is healthy again', async () => {
    const l = link({ servers: [proxy.url('mqtt'), standby.url] });
    l.start();
    await l.waitConnected();
    proxy.partition();
    await next(l, 'failover', { filter: (_f: string, to: string) => to === standby.url });
    const back = next<[string, string, string, number]>(l, 'failover', { timeoutMs: 5000 });
    const healedAt = Date.now();
    proxy.heal();
    const [from, to, reason] = await back;
    console.log(`      back on the primary ${Date.now() - healedAt} ms after the partition healed`);
    expect([from, to, reason]).to.deep.equal([standby.url, proxy.url('mqtt'), 'failback']);
    expect(l.role).to.equal('primary');
    await l.publish('test/back', 'after');
    expect(primary.accepted.some((m) => m.topic === 'test/back' && m.payload.toString() === 'after')).to.equal(true);
    expect(l.stats()).to.include({ failovers: 1, failbacks: 1 });
  });

  it('does not move back while the primary stays unreachable', async () => {
    const l = link({ servers: [primary.url, standby.url] });
    l.start();
    await l.waitConnected();
    await primary.kill();
    await next(l, 'failover');
    await until(() => l.stats().probes.failed >= 3, { what: () => `3 failed probes, got ${JSON.stringify(l.stats().probes)}` });
    expect(l.stats()).to.include({ role: 'standby', failbacks: 0 });
    await primary.restart();
    await next(l, 'failover', { filter: (_f: string, _t: string, reason: string) => reason === 'failback' });
    expect(l.role).to.equal('primary');
  });

  it('makes its subscriptions again on every broker it moves to', async () => {
    const l = link({ servers: [primary.url, standby.url], probeIntervalMs: 0 });
    const got: string[] = [];
    l.on('message', (topic, payload) => got.push(`${topic}=${payload.toString()}`));
    await l.subscribe('test/sub/+');
    l.start();
    await l.waitConnected();
    const pub = connect(primary.url);
    clients.push(pub);
    await pub.publishAsync('test/sub/a', 'on-primary', { qos: 1 });
    await until(() => got.includes('test/sub/a=on-primary'), { what: () => got.join(',') });
    await primary.kill();
    await next(l, 'connected');
    const pub2 = connect(standby.url);
    clients.push(pub2);
    await pub2.publishAsync('test/sub/b', 'on-standby', { qos: 1 });
    await pub2.publishAsync('test/other', 'not-subscribed', { qos: 1 });
    await until(() => got.includes('test/sub/b=on-standby'), { what: () => got.join(',') });
    expect(got).to.not.include('test/other=not-subscribed');
    expect(got.some((m) => m.startsWith('$SYS'))).to.equal(false);
  });

  it('sets the Last Will on every connection', async () => {
    const standbyProxy = await startLinkProxy({ target: { host: '127.0.0.1', port: standby.port } });
    try {
      const l = link({ servers: [proxy.url('mqtt'), standbyProxy.url('mqtt')], probeIntervalMs: 0, will: { topic: 'test/will', payload: 'offline', qos: 1, retain: true } });
      l.start();
      await l.waitConnected();
      const willOn = (b: TestBroker) => b.accepted.some((m) => m.topic === 'test/will' && m.payload.toString() === 'offline');
      proxy.reset();
      await next(l, 'connected', { filter: (url: string) => url === standbyProxy.url('mqtt') });
      await until(() => willOn(primary), { what: () => 'the Will on the primary' });
      standbyProxy.reset();
      await next(l, 'connected', { filter: (url: string) => url === proxy.url('mqtt') });
      await until(() => willOn(standby), { what: () => 'the Will on the standby' });
      expect((await primary.retained('test/will'))?.toString()).to.equal('offline');
    } finally {
      await standbyProxy.close();
    }
  });

  it('closes cleanly: no Last Will, and unacknowledged publishes reject', async () => {
    const l = link({ servers: [primary.url], will: { topic: 'test/will', payload: 'offline', retain: true } });
    l.start();
    await l.waitConnected();
    await l.publish('test/close', 'x');
    const closed = new Promise<void>((resolve) => primary.broker.on('clientDisconnect', () => resolve()));
    await l.close();
    await closed;
    expect(primary.accepted.some((m) => m.topic === 'test/will')).to.equal(false);

    const nowhere = link({ servers: [`mqtt://127.0.0.1:${await freePort()}`] });
    nowhere.start();
    const pending = nowhere.publish('test/never', 'x');
    await nowhere.close();
    let error: unknown;
    await pending.catch((e) => (error = e));
    expect(error).to.be.instanceOf(LinkClosedError);
    await nowhere.publish('test/never', 'y').catch((e) => (error = e));
    expect(error).to.be.instanceOf(LinkClosedError);
  });

  it('a broker without heartbeats: the watchdog drops it, failoverMs 0 keeps it', async () => {
    const quiet = await startTestBroker({ heartbeatMs: 60_000 });
    try {
      const watched = link({ servers: [quiet.url], failoverMs: 300 });
      const unwatched = link({ servers: [quiet.url], failoverMs: 0 });
      watched.start();
      unwatched.start();
      await Promise.all([watched.waitConnected(), unwatched.waitConnected()]);
      const [, reason] = await next<[string, string]>(watched, 'disconnected', { timeoutMs: 2000 });
      expect(reason).to.match(/no heartbeat for \d+ ms/);
      expect(unwatched.stats()).to.include({ state: 'connected', connects: 1 });
      await unwatched.publish('test/quiet', 'still here');
      expect(quiet.accepted.some((m) => m.topic === 'test/quiet')).to.equal(true);
    } finally {
      await Promise.all(links.splice(0).map((l) => l.close()));
      await quiet.close();
    }
  });

  it('leaves a broker that still acknowledges but sends no heartbeat (a stalled message bus), and sends what it acknowledged in that time again', async () => {
    const topic = 'test/stall';
    const l = link({ servers: [primary.url, standby.url], failoverMs: 300, stallMs: 600, probeIntervalMs: 0 });
    l.start();
    await l.waitConnected();
    let stoppedAt = 0;
    let ackedWhileStalled = 0;
    const acks: Array<Promise<void>> = [];
    const moved = next<[string, string, string, number]>(l, 'failover', { timeoutMs: 3000 });
    const lost = next<[string, string]>(l, 'disconnected', { timeoutMs: 3000 });
    for (let i = 1; i <= 60; i++) {
      if (i === 10) {
        primary.stopHeartbeats();
        stoppedAt = Date.now();
      }
      acks.push(l.publish(topic, String(i), { qos: 1 }).then(() => {
        if (stoppedAt && l.url === primary.url) ackedWhileStalled += 1;
      }));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [from, to, reason] = await moved;
    expect([from, to, reason]).to.deep.equal([primary.url, standby.url, 'heartbeat']);
    const [, detail] = await lost;
    expect(detail, 'packets kept arriving, so it is the heartbeat bound that tripped').to.match(/^no heartbeat for \d+ ms, only other packets$/);
    await Promise.all(acks);
    expect(ackedWhileStalled, 'the stalled primary kept acknowledging').to.be.greaterThan(5);
    expect(l.stats().replayed, 'publishes acknowledged by the stalled primary, sent again').to.be.at.least(ackedWhileStalled);
    // Everything the stalled primary acknowledged is on the standby too.
    const stalledSeqs = seqs(primary, topic).filter((n) => n >= 10);
    await until(() => missing(60, [...seqs(standby, topic), ...seqs(primary, topic).filter((n) => n < 10)]).length === 0, { what: () => `standby missing ${missing(60, [...seqs(standby, topic), ...seqs(primary, topic).filter((n) => n < 10)]).join(',')} (stalled primary took ${stalledSeqs.length})` });
  });

  it('gives up on a silent server after the connect timeout and uses the next', async () => {
    proxy.partition();
    const l = link({ servers: [proxy.url('mqtt'), standby.url], connectTimeoutMs: 300, probeIntervalMs: 0 });
    const started = Date.now();
    l.start();
    const [url] = await next<[string]>(l, 'connected', { timeoutMs: 3000 });
    expect(url).to.equal(standby.url);
    expect(Date.now() - started).to.be.within(250, 1500);
  });
});

describe('link: brokers too busy to answer', function () {
  this.timeout(10_000);
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  /** A server that takes connections and never answers (a broker working through a fleet's connects); calls `accepted` at each. */
  async function silentBroker(accepted: () => void): Promise<string> {
    const server = createServer((socket) => {
      sockets.push(socket);
      accepted();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('waits the busy backoff, not the short one, after a round of connections without a CONNACK', async () => {
    const accepts: number[] = [];
    const onAccept = () => accepts.push(Date.now());
    const urls = [await silentBroker(onAccept), await silentBroker(onAccept)];
    const l = new FailoverLink({ servers: urls, liveness: 'ack', connectTimeoutMs: 200, connackTimeoutMs: 200, probeIntervalMs: 0, spare: false, backoff: { initialMs: 50, maxMs: 200, busyInitialMs: 1500 }, random: () => 1 });
    try {
      l.start();
      await until(() => accepts.length >= 3, { timeoutMs: 5000 });
      // The primary, then the standby at once, then a wait of the whole busy window (1.5 s, drawn at its top).
      expect(accepts[1] - accepts[0]).to.be.within(150, 700);
      expect(accepts[2] - accepts[1]).to.be.at.least(1500 + 150);
    } finally {
      await l.close();
    }
  });
});
