// The spare connection of an ack link (LinkOptions.spare): held open to the
// standby while the primary serves, moved onto when the primary dies or leaves.
import { expect } from 'chai';
import type { Client } from 'aedes';
import { FailoverLink, type LinkOptions } from '../../link/index.ts';
import { spareClientId } from '../../link/options.ts';
import { startTestBroker, type TestBroker } from './brokers.ts';
import { next, until } from './wait.ts';

const WILL = { topic: 'parking/t/device/d1/status', payload: 'offline', qos: 1 as const, retain: true };

type Connected = Client & { will?: { topic: string } | null };

/** The clients connected to `broker` now, by id. */
function clients(broker: TestBroker): Record<string, Connected> {
  return (broker.broker as unknown as { clients: Record<string, Connected> }).clients;
}

describe('link: the spare connection (ack liveness)', function () {
  this.timeout(20_000);
  let primary: TestBroker;
  let standby: TestBroker;
  let link: FailoverLink | undefined;
  /** Connections the standby accepted, by client id. */
  let accepted: string[];

  beforeEach(async () => {
    primary = await startTestBroker();
    standby = await startTestBroker();
    accepted = [];
    standby.broker.on('client', (client) => accepted.push(client.id));
  });

  afterEach(async () => {
    await link?.close();
    link = undefined;
    await Promise.all([primary.close(), standby.close()]);
  });

  const start = (options: Partial<LinkOptions> = {}) => {
    link = new FailoverLink({ liveness: 'ack', servers: [primary.url, standby.url], clientId: 'd1', will: WILL, spareDelayMs: 0, failbackWindowMs: 0, probeIntervalMs: 0, ...options });
    link.start();
    return link;
  };

  it('is held open to the standby with its own client id, no Last Will and no traffic', async () => {
    const l = start();
    await until(() => l.stats().spare === 'up', { what: () => `spare ${l.stats().spare}` });
    expect(accepted).to.deep.equal([spareClientId('d1')]);
    const spare = clients(standby)[spareClientId('d1')];
    expect(spare.will ?? null, 'a spare carries no will').to.equal(null);
    await l.publish('parking/t/slot/L1/1', 'x');
    expect(primary.accepted.map((m) => m.topic)).to.include('parking/t/slot/L1/1');
    expect(standby.accepted.filter((m) => m.clientId === spareClientId('d1')), 'nothing published on the spare').to.deep.equal([]);
  });

  it('a primary crash moves the link onto the spare: the publish in flight is acknowledged there, no new connection is made', async () => {
    const l = start();
    await until(() => l.stats().spare === 'up');
    const failover = next<[string, string, string, number]>(l, 'failover');
    await primary.kill();
    const url = await l.publishAcked('parking/t/slot/L1/1', 'after the crash');
    expect(url).to.equal(standby.url);
    const [from, to, reason] = await failover;
    expect([from, to]).to.deep.equal([primary.url, standby.url]);
    expect(reason, 'a reset socket').to.be.oneOf(['closed', 'error']);
    expect(accepted, 'the standby saw the spare connect, and nothing else').to.deep.equal([spareClientId('d1')]);
    expect(l.stats()).to.include({ failovers: 1, spare: 'none' });
  });

  it('a spare opened long before the crash still gets the settling patience once the link moves onto it', async () => {
    const l = start({ settleMs: 300, settleAckMs: 3000 });
    await until(() => l.stats().spare === 'up');
    const upSince = Date.now();
    await until(() => Date.now() - upSince > 400, { what: () => 'the spare older than settleMs' });
    await primary.kill();
    await l.publishAcked('parking/t/slot/L1/1', 'after the crash');
    expect(l.stats().ackDeadlineMs, 'a standby taking in a whole fleet gets settleAckMs').to.equal(3000);
  });

  it('moved onto the spare, asks for the bridge state only when its return is due (after the probe interval and its share of the window), then returns', async () => {
    const bridgeFilter = '$SYS/+/bridge';
    const asked: number[] = [];
    let subscribes = 0;
    standby.broker.on('subscribe', (subs, client) => {
      if (client?.id !== spareClientId('d1')) return;
      subscribes += 1;
      if (subs.some((sub) => sub.topic === bridgeFilter)) asked.push(Date.now());
    });
    // The return is due 1,000 ms (a failback window: the standby's first seconds go to the fleet's publishes)
    // + 300 ms (the probe interval) + 0.5 × 1,000 ms (its place in the failback window) after the move.
    const l = start({ bridgeFilter, probeIntervalMs: 300, failbackWindowMs: 1000, random: () => 0.5 });
    await until(() => l.stats().spare === 'up' && subscribes > 0, { what: () => 'the spare up and subscribed' });
    expect(asked, 'not asked by a spare in reserve').to.deep.equal([]);
    let movedAt = 0;
    l.once('failover', () => (movedAt = Date.now()));
    await primary.kill();
    await until(() => movedAt > 0, { what: () => 'the move onto the spare' });
    await primary.restart();
    const [, to, reason] = await next<[string, string, string, number]>(l, 'failover');
    const backAt = Date.now();
    expect([to, reason]).to.deep.equal([primary.url, 'failback']);
    expect(asked, 'asked once').to.have.length(1);
    expect(asked[0] - movedAt, 'asked when the return was due, not with the move').to.be.within(1780, 2500);
    expect(backAt, 'back only after the answer').to.be.at.least(asked[0]);
  });

  it('moved onto the spare, returns as soon as the standby answers synced, and not while it answers down', async () => {
    const bridgeFilter = '$SYS/+/bridge';
    const say = (state: string) =>
      new Promise<void>((resolve) => standby.broker.publish({ cmd: 'publish', topic: '$SYS/sb/bridge', payload: Buffer.from(state), qos: 0, retain: true, dup: false } as never, () => resolve()));
    let asked = 0;
    standby.broker.on('subscribe', (subs, client) => {
      if (client?.id === spareClientId('d1') && subs.some((sub) => sub.topic === bridgeFilter)) asked = Date.now();
    });
    await say('synced');
    const l = start({ bridgeFilter, probeIntervalMs: 300, failbackWindowMs: 1000, random: () => 0.5 });
    await until(() => l.stats().spare === 'up');
    await primary.kill();
    await until(() => l.role === 'standby', { what: () => `role ${l.role}` });
    await primary.restart();
    await next(l, 'failover', { timeoutMs: 5000, filter: (_f: string, _t: string, reason: string) => reason === 'failback' });
    // The retained answer follows the SUBACK: it must move the link at once, not plan the return again (300 + 500 ms).
    expect(Date.now() - asked, 'back within moments of the answer').to.be.below(600);

    // Now the same with the standby's bridge down: asked when due, and the link stays until it says synced.
    await say('down');
    asked = 0;
    await until(() => l.stats().spare === 'up');
    await primary.kill();
    await until(() => l.role === 'standby', { what: () => `role ${l.role}` });
    await primary.restart();
    await until(() => asked > 0, { what: () => 'the bridge state asked for' });
    const askedAt = asked;
    await until(() => Date.now() - askedAt > 1500, { what: () => 'a fixed time: a second plan and the grace past (an absence has no event)' });
    expect(l.role, 'no return while the standby says down').to.equal('standby');
    const back = next(l, 'failover', { timeoutMs: 5000, filter: (_f: string, _t: string, reason: string) => reason === 'failback' });
    await say('synced');
    await back;
    expect(l.role).to.equal('primary');
  });

  it('losing the spare while the primary serves says nothing of the device, and a new spare is opened', async () => {
    const l = start();
    await until(() => l.stats().spare === 'up');
    clients(standby)[spareClientId('d1')].conn.destroy();
    await until(() => accepted.length === 2 && l.stats().spare === 'up', { what: () => `accepted ${accepted.join(',')}, spare ${l.stats().spare}` });
    expect(primary.accepted.concat(standby.accepted).filter((m) => m.topic === WILL.topic), 'no Last Will published').to.deep.equal([]);
    expect(l.stats()).to.include({ failovers: 0, url: primary.url });
  });

  it('after moving onto its spare, the link replaces it with a connection that carries the Last Will, make before break', async () => {
    const l = start({ willRefreshMs: 50, settleMs: 50 });
    await until(() => l.stats().spare === 'up');
    await primary.kill();
    await until(() => clients(standby).d1 !== undefined && clients(standby)[spareClientId('d1')] === undefined, { what: () => `standby clients ${Object.keys(clients(standby)).join(',')}` });
    expect(clients(standby).d1.will?.topic).to.equal(WILL.topic);
    expect(await l.publishAcked('parking/t/slot/L1/1', 'on the refreshed connection')).to.equal(standby.url);
    expect(l.stats().failovers, 'a refresh is no move').to.equal(1);
    expect(standby.accepted.filter((m) => m.topic === WILL.topic && m.payload.toString() === 'offline'), 'the spare left cleanly').to.deep.equal([]);
  });

  it('a stop notice moves the link onto the spare (planned), publishing on the leaving broker until it is there', async () => {
    const l = start({ handoverSpreadMs: 0 });
    await until(() => l.stats().spare === 'up');
    const failover = next<[string, string, string, number]>(l, 'failover');
    primary.broker.publish({ cmd: 'publish', topic: '$SYS/primary/leaving', payload: Buffer.from('primary'), qos: 0, retain: false, dup: false } as never, () => undefined);
    const [, to, reason] = await failover;
    expect([to, reason]).to.deep.equal([standby.url, 'planned']);
    expect(accepted, 'no new connection').to.deep.equal([spareClientId('d1')]);
    expect(await l.publishAcked('parking/t/slot/L1/1', 'moved')).to.equal(standby.url);
  });

  it('is not kept with one server, for heartbeat links, or when turned off', async () => {
    for (const options of [{ servers: [primary.url] }, { liveness: 'heartbeat' as const }, { spare: false }]) {
      const l = start(options);
      await l.waitConnected();
      expect(l.stats().spare, JSON.stringify(options)).to.equal('none');
      await l.close();
    }
    expect(accepted).to.deep.equal([]);
  });

  it('spare client ids never collide with a device id and stay within 23 characters', () => {
    expect(spareClientId('fd-12')).to.equal('fd-12.s');
    const long = spareClientId('x'.repeat(40));
    expect(long).to.have.length.at.most(23);
    expect(long).to.match(/\.s$/);
    expect(spareClientId('y'.repeat(40))).to.not.equal(long);
  });
});
