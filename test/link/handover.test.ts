// A planned switchover: the primary announces a graceful stop, failover links
// move to the standby while the primary still serves them (make before
// break), and nothing is lost or has to be sent twice.
import { expect } from 'chai';
import { connect, type MqttClient } from 'mqtt';
import { startBroker, type RunningBroker } from '../../broker/index.ts';
import { FailoverLink, type LinkOptions } from '../../link/index.ts';
import { startLinkProxy } from '../../testbed/linkproxy/index.ts';
import { missing, next, until } from './wait.ts';

const FAST: Partial<LinkOptions> = { failoverMs: 300, probeIntervalMs: 0, connectTimeoutMs: 1000, backoff: { initialMs: 50, maxMs: 200 } };
const TOPIC = 'parking/lot1/slot/L1/s1';

describe('link: planned switchover (the broker announces its stop)', function () {
  this.timeout(20_000);
  let primary: RunningBroker;
  let standby: RunningBroker;
  const links: FailoverLink[] = [];
  let observer: MqttClient | undefined;
  const deliveries = { count: 0 };

  beforeEach(async () => {
    primary = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
    standby = await startBroker({ role: 'standby', allowAnonymous: true, wsPort: false, bridge: { url: primary.url } });
    await standby.bridged();
  });

  afterEach(async () => {
    await Promise.all(links.splice(0).map((l) => l.close()));
    await observer?.endAsync(true);
    observer = undefined;
    await Promise.all([primary.close(), standby.close()]);
  });

  function link(options: Partial<LinkOptions> = {}): FailoverLink {
    const l = new FailoverLink({ ...FAST, servers: [primary.url, standby.url], ...options });
    links.push(l);
    return l;
  }

  /** Every seq published on TOPIC that a subscriber on the standby saw. */
  async function watchStandby(): Promise<Set<number>> {
    const seen = new Set<number>();
    deliveries.count = 0;
    observer = connect(standby.url, { clientId: 'handover-observer', reconnectPeriod: 0 });
    await new Promise<void>((resolve) => observer!.once('connect', () => resolve()));
    observer.on('message', (_topic, payload) => {
      deliveries.count += 1;
      seen.add((JSON.parse(payload.toString()) as { seq: number }).seq);
    });
    await observer.subscribeAsync(TOPIC, { qos: 1 });
    return seen;
  }

  it('moves before the primary stops serving: every publish acknowledged by the broker it was sent to, what the primary acknowledged after its notice sent again, none delivered twice, none lost', async () => {
    const seen = await watchStandby();
    // The move waits 300 ms after the notice (the spread, drawn at its top), so the primary surely acknowledges publishes after its notice.
    const l = link({ handoverSpreadMs: 300, random: () => 1 });
    l.start();
    await l.waitConnected();
    const ackedBy = new Map<number, string | undefined>();
    const sentTo = new Map<number, string | undefined>();
    let seq = 0;
    const publishOne = () => {
      seq += 1;
      const n = seq;
      sentTo.set(n, l.url);
      void l.publishAcked(TOPIC, JSON.stringify({ status: n % 2 ? 'occupied' : 'free', ts: Date.now(), seq: n }), { qos: 1, retain: true }).then((url) => ackedBy.set(n, url));
    };
    const timer = setInterval(publishOne, 5);
    try {
      await until(() => seq >= 40, { what: () => 'some traffic on the primary' });
      const moved = next<[string, string, string, number]>(l, 'failover');
      const stopped = primary.close();
      const [from, to, reason] = await moved;
      expect([from, to, reason]).to.deep.equal([primary.url, standby.url, 'planned']);
      // The primary waited for the link to leave before it stopped.
      await stopped;
      await until(() => seq >= 80, { what: () => 'traffic on the standby' });
    } finally {
      clearInterval(timer);
    }
    await l.flush(5000);
    await until(() => ackedBy.size === seq, { what: () => `${seq - ackedBy.size} publishes unacknowledged` });
    const elsewhere = [...ackedBy].filter(([n, url]) => url !== sentTo.get(n));
    expect(elsewhere, 'publishes acknowledged by another broker than the one they were sent to (they waited for the switch)').to.deep.equal([]);
    // What the primary acknowledged after its notice goes to the standby again (the primary may close before its bridge passed it on).
    const stats = l.stats();
    expect(stats).to.include({ resent: 0, failovers: 1, role: 'standby' });
    expect(stats.replayed, 'publishes sent again').to.be.at.least(1).and.at.most([...ackedBy.values()].filter((url) => url === primary.url).length);
    await until(() => missing(seq, seen).length === 0, { what: () => `standby subscriber missing ${missing(seq, seen).join(',')}` });
    // The standby refuses a state it already has: its subscriber got each one once.
    expect(deliveries.count, 'deliveries to the standby subscriber').to.equal(seen.size);
  });

  it('keeps a device\'s publishes in order across the move: nothing goes to the standby before the slow old link acknowledged what it carries', async () => {
    const seen = await watchStandby();
    const proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: primary.port } });
    try {
      const l = link({ servers: [proxy.url('mqtt'), standby.url] });
      l.start();
      await l.waitConnected();
      let seq = 0;
      const acks: Array<Promise<void>> = [];
      const timer = setInterval(() => {
        seq += 1;
        acks.push(l.publish(TOPIC, JSON.stringify({ status: seq % 2 ? 'occupied' : 'free', ts: Date.now(), seq }), { qos: 1, retain: true }));
      }, 5);
      try {
        await until(() => seq >= 20, { what: () => 'traffic on the primary' });
        // The old link turns slow: what it carries arrives at the primary (and through the bridge at the standby) late.
        proxy.setProfile({ latencyMs: 150, jitterMs: 0 });
        const moved = next(l, 'failover', { timeoutMs: 5000 });
        const stopped = primary.close();
        await moved;
        await stopped;
        await until(() => seq >= 200, { what: () => 'traffic on the standby' });
      } finally {
        clearInterval(timer);
      }
      await Promise.all(acks);
      // The standby keeps the newest state of a slot and refuses an older one: a publish that overtook an older one would have hidden it.
      await until(() => missing(seq, seen).length === 0, { what: () => `standby subscriber missing ${missing(seq, seen).join(',')}` });
    } finally {
      await proxy.close();
    }
  });

  it('a client that does not listen: whatever the stopping primary acknowledged reaches the standby', async () => {
    const seen = await watchStandby();
    const plain = connect(primary.url, { clientId: 'plain-publisher', reconnectPeriod: 0 });
    plain.on('error', () => undefined);
    await new Promise<void>((resolve) => plain.once('connect', () => resolve()));
    const acked = new Set<number>();
    let seq = 0;
    let open = true;
    plain.once('close', () => (open = false));
    // Publishes as fast as the broker takes them, up to and through the stop.
    const pump = async () => {
      while (open) {
        seq += 1;
        const n = seq;
        plain.publish(TOPIC, JSON.stringify({ status: n % 2 ? 'occupied' : 'free', ts: Date.now(), seq: n }), { qos: 1, retain: false }, (error) => {
          if (!error) acked.add(n);
        });
        if (n % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const pumping = pump();
    await until(() => acked.size >= 200, { what: () => 'traffic before the stop' });
    await primary.close();
    await pumping;
    expect(acked.size).to.be.at.least(200);
    await until(() => [...acked].every((n) => seen.has(n)), { what: () => `acknowledged by the primary but not on the standby: ${[...acked].filter((n) => !seen.has(n)).length} of ${acked.size} (max seq ${seq}, seen ${seen.size}): ${[...acked].filter((n) => !seen.has(n)).slice(0, 10).join(",")}` });
    plain.end(true);
  });

  it('keeps new connections away from a stopping primary, and a link that does not listen fails over when it closes', async () => {
    const deaf = link({ leavingFilter: '' });
    const listening = link();
    deaf.start();
    listening.start();
    await Promise.all([deaf.waitConnected(), listening.waitConnected()]);
    const deafMoved = next<[string, string, string, number]>(deaf, 'failover');
    const stopped = primary.close();
    await next(listening, 'failover');
    // The primary still serves the deaf link, but turns new connections away.
    const refused = await new Promise<boolean>((resolve) => {
      const probe = connect(primary.url, { clientId: 'late-comer', reconnectPeriod: 0, connectTimeout: 1000 });
      probe.once('connect', () => resolve(false));
      probe.once('close', () => resolve(true));
      probe.on('error', () => undefined);
    });
    expect(refused, 'a new connection to a stopping broker').to.equal(true);
    await stopped;
    const [, to, reason] = await deafMoved;
    expect(to).to.equal(standby.url);
    expect(reason).to.not.equal('planned');
  });
});
