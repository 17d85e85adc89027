// The signage page's failover client (web/assets/failover.js), run in Node with
// MQTT.js over WebSocket against in-process brokers and the link fault proxy.
import { expect } from 'chai';
import mqtt from 'mqtt';
import { startBroker, type RunningBroker } from '../../broker/index.ts';
import { platformAccounts } from '../../platform/accounts.ts';
import { startLinkProxy, type LinkProxy } from '../../testbed/linkproxy/index.ts';
import { freePort } from '../../testbed/services/index.ts';
import { createFailoverClient, createRotation, type FailoverClient, type FailoverClientOptions, type FailoverStatus } from '../../web/assets/failover.js';
import { until } from '../link/wait.ts';

const FAST = { failoverMs: 300, probeIntervalMs: 150, probeHealthy: 2, connectTimeoutMs: 1000, backoff: { initialMs: 50, maxMs: 200 } };
const TOPIC = 'parking/mall-1/availability/B1';

describe('web: signage failover client (rotation)', () => {
  it('tries the next server at once, and waits with backoff only after a whole round failed', () => {
    const r = createRotation(3, { initialMs: 100, maxMs: 1000, jitter: 0.2 }, () => 0.5);
    expect(r.first()).to.deep.equal({ index: 0, delayMs: 0 });
    expect(r.attemptFailed(0)).to.deep.equal({ index: 1, delayMs: 0 });
    expect(r.attemptFailed(1)).to.deep.equal({ index: 2, delayMs: 0 });
    expect(r.attemptFailed(2)).to.deep.equal({ index: 0, delayMs: 100 });
    r.attemptFailed(0);
    r.attemptFailed(1);
    expect(r.attemptFailed(2)).to.deep.equal({ index: 0, delayMs: 200 });
    r.connected();
    expect(r.linkDied(1)).to.deep.equal({ index: 2, delayMs: 0 });
    expect(r.attemptFailed(2)).to.deep.equal({ index: 0, delayMs: 0 });
    expect(r.attemptFailed(0)).to.deep.equal({ index: 0, delayMs: 100 });
  });

  it('keeps the jittered backoff within ±20 % and under the maximum', () => {
    for (const random of [0, 0.999]) {
      const r = createRotation(1, { initialMs: 1000, maxMs: 5000 }, () => random);
      const waits = Array.from({ length: 6 }, () => r.attemptFailed(0).delayMs);
      expect(waits[0]).to.be.within(800, 1200);
      expect(waits[1]).to.be.within(1600, 2400);
      expect(Math.max(...waits)).to.be.at.most(5000);
    }
  });
});

describe('web: signage failover client (brokers)', function () {
  this.timeout(20_000);
  let primary: RunningBroker;
  let standby: RunningBroker;
  let proxy: LinkProxy;
  const clients: FailoverClient[] = [];

  before(async () => {
    primary = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: 0 });
    standby = await startBroker({ role: 'standby', allowAnonymous: true, wsPort: 0, bridge: { url: primary.url } });
    await standby.bridged();
  });
  after(async () => {
    await standby?.close();
    await primary?.close();
  });
  beforeEach(async () => {
    proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: primary.wsPort! } });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.stop();
    await proxy.close();
  });

  /** A client on [the primary through the proxy, the standby], recording statuses and messages. */
  function start(extra: Partial<FailoverClientOptions> = {}) {
    const statuses: FailoverStatus[] = [];
    const messages: Array<{ topic: string; payload: string; retained: boolean; url: string }> = [];
    const client = createFailoverClient({
      urls: [proxy.url('ws'), standby.wsUrl!],
      connect: (url, options) => mqtt.connect(url, options),
      subscriptions: ['parking/mall-1/availability/+'],
      onMessage: (topic, payload, meta) => messages.push({ topic, payload, ...meta }),
      onStatus: (s) => statuses.push(s),
      ...FAST,
      ...extra,
    });
    clients.push(client);
    client.start();
    const connectedTo = (role: 'primary' | 'standby') => until(() => client.status().phase === 'connected' && client.status().role === role, { timeoutMs: 5000, what: () => `connected to the ${role}: ${JSON.stringify(client.status())}` });
    const heard = (payload: string) => until(() => messages.some((m) => m.topic === TOPIC && m.payload === payload), { timeoutMs: 5000, what: () => `${payload} on ${TOPIC}: ${JSON.stringify(messages)}` });
    return { client, statuses, messages, connectedTo, heard };
  }

  async function publish(url: string, payload: string): Promise<void> {
    const pub = await mqtt.connectAsync(url);
    await pub.publishAsync(TOPIC, payload, { qos: 1, retain: true });
    await pub.endAsync();
  }

  it('connects to the primary and receives the retained and the live availability', async () => {
    await publish(primary.url, '11');
    const c = start();
    await c.connectedTo('primary');
    await c.heard('11');
    expect(c.messages.find((m) => m.payload === '11')).to.include({ retained: true, url: proxy.url('ws') });
    await publish(primary.url, '12');
    await c.heard('12');
    expect(c.messages.find((m) => m.payload === '12')?.retained, 'a live message').to.equal(false);
    expect(c.messages.every((m) => !m.topic.startsWith('$SYS/')), 'heartbeats are not messages').to.equal(true);
    expect(c.client.status()).to.include({ failovers: 0, failbacks: 0 });
  });

  it('on a silent partition moves to the standby after the heartbeat silence, keeps receiving, and moves back after the partition heals', async () => {
    const c = start();
    await c.connectedTo('primary');
    const cut = Date.now();
    proxy.partition();
    await c.connectedTo('standby');
    const took = Date.now() - cut;
    expect(took, 'the watchdog, not a TCP error').to.be.within(250, 1500);
    expect(c.client.status().lastFailover).to.include({ from: proxy.url('ws'), to: standby.wsUrl, reason: 'heartbeat' });
    await publish(standby.url, '21');
    await c.heard('21');

    proxy.heal();
    await c.connectedTo('primary');
    const status = c.client.status();
    expect(status).to.include({ failbacks: 1 });
    expect(status.lastFailover).to.include({ reason: 'failback', to: proxy.url('ws') });
    // Make before break: no status between the standby and the primary says anything but connected.
    const fromStandby = c.statuses.findLastIndex((s) => s.role === 'standby' && s.phase === 'connected');
    expect(c.statuses.slice(fromStandby).map((s) => s.phase)).to.deep.equal(['connected', 'connected']);
    await publish(primary.url, '22');
    await c.heard('22');
  });

  it('moves at once when the connection is reset', async () => {
    const c = start({ probeIntervalMs: 0 });
    await c.connectedTo('primary');
    const cut = Date.now();
    proxy.reset();
    await c.connectedTo('standby');
    expect(Date.now() - cut, 'no waiting for the watchdog').to.be.below(250);
    expect(c.client.status().lastFailover?.reason).to.equal('closed');
  });

  it('goes straight to the standby when the primary refuses, and on to the primary once it is back', async () => {
    const port = await freePort();
    const c = start({ urls: [`ws://127.0.0.1:${port}`, standby.wsUrl!], backoff: { initialMs: 5000, maxMs: 5000 } });
    const started = Date.now();
    await c.connectedTo('standby');
    expect(Date.now() - started, 'no backoff before the first standby attempt').to.be.below(500);
    expect(c.statuses[0]).to.include({ phase: 'connecting', role: 'primary' });
    const late = await startLinkProxy({ target: { host: '127.0.0.1', port: primary.wsPort! }, listenPort: port });
    try {
      await c.connectedTo('primary');
    } finally {
      c.client.stop();
      await late.close();
    }
  });

  it('waits and starts again from the primary when no broker answers', async () => {
    const dead = [`ws://127.0.0.1:${await freePort()}`, `ws://127.0.0.1:${await freePort()}`];
    const c = start({ urls: dead, backoff: { initialMs: 100, maxMs: 100 } });
    await until(() => c.statuses.some((s) => s.phase === 'waiting'), { timeoutMs: 3000, what: () => JSON.stringify(c.statuses) });
    const waiting = c.statuses.findIndex((s) => s.phase === 'waiting');
    expect(c.statuses.slice(0, waiting).map((s) => s.index)).to.deep.equal([0, 1]);
    await until(() => c.statuses.length > waiting + 1, { timeoutMs: 3000 });
    expect(c.statuses[waiting + 1]).to.include({ phase: 'connecting', index: 0 });
  });

  it('stops cleanly: no reconnection afterwards', async () => {
    const c = start();
    await c.connectedTo('primary');
    c.client.stop();
    const count = c.statuses.length;
    expect(c.client.status().phase).to.equal('stopped');
    proxy.reset();
    await publish(primary.url, '31');
    await until(() => proxy.stats().active === 0, { timeoutMs: 2000 });
    expect(c.statuses.length).to.equal(count);
    expect(c.messages.some((m) => m.payload === '31')).to.equal(false);
  });

  it('signs in with the credentials in the URL (a reader account, as `parking start` gives signage)', async () => {
    const { accounts, service } = await platformAccounts();
    const secured = await startBroker({ role: 'primary', accounts, wsPort: 0 });
    try {
      const pub = await mqtt.connectAsync(secured.url, { username: service.username, password: service.password });
      await pub.publishAsync(TOPIC, '41', { qos: 1, retain: true });
      await pub.endAsync();
      const port = new URL(secured.wsUrl!).port;
      const c = start({ urls: [`ws://signage:signage@127.0.0.1:${port}`] });
      await c.connectedTo('primary');
      await c.heard('41');
      c.client.stop();
      const refused = start({ urls: [`ws://signage:wrong@127.0.0.1:${port}`], backoff: { initialMs: 50, maxMs: 50 } });
      await until(() => refused.statuses.filter((s) => s.phase === 'waiting').length >= 2, { timeoutMs: 5000, what: () => JSON.stringify(refused.statuses) });
      expect(refused.statuses.some((s) => s.phase === 'connected'), 'a wrong password never connects').to.equal(false);
      refused.client.stop();
    } finally {
      await secured.close();
    }
  });
});
