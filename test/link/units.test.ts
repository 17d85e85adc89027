import { expect } from 'chai';
import { Outbox, OutboxFullError, ServerRotation, Watchdog, clientIdFor, filterProblem, publishTopicProblem, topicMatches } from '../../link/index.ts';
import { blockEventLoop } from '../helpers/block.ts';
import { until } from './wait.ts';

describe('link: pure parts', () => {
  describe('topicMatches', () => {
    it('follows MQTT wildcard rules', () => {
      expect(topicMatches('parking/+/slot/+/+', 'parking/mall-1/slot/B1/07')).to.equal(true);
      expect(topicMatches('parking/+/slot/+/+', 'parking/mall-1/slot/B1')).to.equal(false);
      expect(topicMatches('parking/#', 'parking')).to.equal(true);
      expect(topicMatches('parking/#', 'parking/a/b/c')).to.equal(true);
      expect(topicMatches('parking/a', 'parking/b')).to.equal(false);
      expect(topicMatches('$SYS/+/heartbeat', '$SYS/abc/heartbeat')).to.equal(true);
      expect(topicMatches('#', '$SYS/abc/heartbeat')).to.equal(false);
      expect(topicMatches('+/abc/heartbeat', '$SYS/abc/heartbeat')).to.equal(false);
    });

    it('rejects wildcards in publish topics and misplaced ones in filters', () => {
      expect(publishTopicProblem('a/+/b')).to.match(/wildcards/);
      expect(publishTopicProblem('')).to.match(/empty/);
      expect(publishTopicProblem('a/b')).to.equal(undefined);
      expect(filterProblem('a/#/b')).to.match(/last level/);
      expect(filterProblem('a/b+')).to.match(/whole level/);
      expect(filterProblem('a/+/#')).to.equal(undefined);
    });
  });

  describe('ServerRotation', () => {
    it('tries the next server at once after a link dies, and backs off only after a whole round failed', () => {
      const rotation = new ServerRotation(3, { initialMs: 100, maxMs: 1000, jitter: 0 });
      expect(rotation.first()).to.deep.equal({ index: 0, delayMs: 0 });
      rotation.connected(0);
      expect(rotation.linkDied(0)).to.deep.equal({ index: 1, delayMs: 0 });
      expect(rotation.attemptFailed(1)).to.deep.equal({ index: 2, delayMs: 0 });
      expect(rotation.attemptFailed(2)).to.deep.equal({ index: 0, delayMs: 100 });
      expect(rotation.attemptFailed(0)).to.deep.equal({ index: 1, delayMs: 0 });
      expect(rotation.attemptFailed(1)).to.deep.equal({ index: 2, delayMs: 0 });
      expect(rotation.attemptFailed(2)).to.deep.equal({ index: 0, delayMs: 200 });
      for (let i = 0; i < 10; i++) rotation.attemptFailed(i % 3);
      expect(rotation.attemptFailed(0).delayMs).to.be.at.most(1000);
      rotation.connected(2);
      expect(rotation.linkDied(2)).to.deep.equal({ index: 0, delayMs: 0 });
      expect(rotation.attemptFailed(0)).to.deep.equal({ index: 1, delayMs: 0 });
      expect(rotation.attemptFailed(1)).to.deep.equal({ index: 0, delayMs: 100 });
    });

    it('with one server retries it once at once, then backs off', () => {
      const rotation = new ServerRotation(1, { initialMs: 50, jitter: 0 });
      rotation.connected(0);
      expect(rotation.linkDied(0)).to.deep.equal({ index: 0, delayMs: 0 });
      expect(rotation.attemptFailed(0)).to.deep.equal({ index: 0, delayMs: 50 });
    });

    it('spreads the backoff with jitter', () => {
      const low = new ServerRotation(1, { initialMs: 1000, jitter: 0.5 }, () => 0);
      const high = new ServerRotation(1, { initialMs: 1000, jitter: 0.5, maxMs: 5000 }, () => 1);
      low.first();
      high.first();
      expect(low.attemptFailed(0).delayMs).to.equal(500);
      expect(high.attemptFailed(0).delayMs).to.equal(1500);
    });

    it('waits far longer, over a doubling window with full jitter, after a round in which a broker was busy', () => {
      let draw = 1;
      const rotation = new ServerRotation(2, { initialMs: 100, maxMs: 5000, jitter: 0, busyInitialMs: 1000, busyMaxMs: 8000 }, () => draw);
      rotation.connected(0);
      expect(rotation.linkDied(0)).to.deep.equal({ index: 1, delayMs: 0 });
      // The standby took the connection and sent no CONNACK: the round was busy.
      expect(rotation.attemptFailed(1, true)).to.deep.equal({ index: 0, delayMs: 1000 });
      // The primary busy, the standby refusing: busy still.
      expect(rotation.attemptFailed(0, true)).to.deep.equal({ index: 1, delayMs: 0 });
      expect(rotation.attemptFailed(1, false).delayMs).to.equal(2000);
      rotation.attemptFailed(0, true);
      expect(rotation.attemptFailed(1)).to.deep.equal({ index: 0, delayMs: 4000 });
      for (let i = 0; i < 6; i++) rotation.attemptFailed(i % 2, true);
      expect(rotation.attemptFailed(0, true)).to.deep.equal({ index: 1, delayMs: 0 });
      expect(rotation.attemptFailed(1, true).delayMs).to.equal(8000);
      // The next attempts wait longer for their CONNACK: 5 s doubled per busy round in a row, up to 30 s.
      expect(rotation.connackMs(5000)).to.equal(30_000);
      // Full jitter: anywhere from at once to the whole window.
      draw = 0.25;
      rotation.attemptFailed(0, true);
      expect(rotation.attemptFailed(1, true).delayMs).to.equal(2000);
      // A round of refusals (dead brokers) keeps the short backoff; a connection resets the busy window.
      rotation.attemptFailed(0);
      expect(rotation.attemptFailed(1).delayMs).to.equal(100);
      rotation.connected(1);
      expect(rotation.connackMs(5000)).to.equal(5000);
      expect(rotation.linkDied(1)).to.deep.equal({ index: 0, delayMs: 0 });
      draw = 1;
      expect(rotation.attemptFailed(0, true)).to.deep.equal({ index: 0, delayMs: 1000 });
      expect(rotation.connackMs(5000)).to.equal(10_000);
      expect(rotation.connackMs(60_000)).to.equal(60_000);
    });
  });

  describe('Outbox', () => {
    it('keeps entries in order until acknowledged and makes a dead connection’s entries unsent again', () => {
      const outbox = new Outbox(3);
      const a = outbox.add('t/a', Buffer.from('a'), 1, false, 0);
      const b = outbox.add('t/b', Buffer.from('b'), 1, true, 0);
      outbox.markSent(a, 1);
      outbox.markSent(b, 1);
      expect(outbox.notOn(1)).to.deep.equal([]);
      expect(outbox.connectionLost(1)).to.equal(2);
      expect(outbox.notOn(2).map((e) => e.topic)).to.deep.equal(['t/a', 't/b']);
      expect(outbox.ack(a.id)).to.equal(true);
      expect(outbox.ack(a.id)).to.equal(false);
      expect(outbox.all().map((e) => e.topic)).to.deep.equal(['t/b']);
      outbox.add('t/c', Buffer.from('c'), 1, false, 0);
      outbox.add('t/d', Buffer.from('d'), 1, false, 0);
      expect(() => outbox.add('t/e', Buffer.from('e'), 1, false, 0)).to.throw(OutboxFullError);
    });
  });

  describe('Watchdog', () => {
    it('fires once nothing was heard for the timeout, and not while something arrives', async () => {
      let heard = Date.now();
      let deadAfter: number | undefined;
      const dog = new Watchdog(80, () => heard, (silent) => (deadAfter = silent));
      dog.start();
      const feeding = setInterval(() => (heard = Date.now()), 10);
      const started = Date.now();
      await until(() => Date.now() - started > 300, { timeoutMs: 1000 });
      expect(deadAfter, 'fed link declared dead').to.equal(undefined);
      clearInterval(feeding);
      await until(() => deadAfter !== undefined, { timeoutMs: 1000 });
      expect(deadAfter).to.be.within(80, 400);
      dog.stop();
    });

    it('counts bytes that arrived during an event-loop stall before judging', async () => {
      let heard = Date.now();
      let dead = false;
      const dog = new Watchdog(50, () => heard, () => (dead = true));
      dog.start();
      // Block the loop past the timeout; a packet "arrives" in the I/O phase right after.
      blockEventLoop(120);
      setImmediate(() => (heard = Date.now()));
      await new Promise((resolve) => setTimeout(resolve, 0));
      await new Promise((resolve) => setImmediate(resolve));
      expect(dead).to.equal(false);
      dog.stop();
    });

    it('after a stall of its own process, waits one more timeout for the link to be heard', async () => {
      let heard = Date.now();
      let deadAt: number | undefined;
      const dog = new Watchdog(60, () => heard, () => (deadAt = Date.now()));
      dog.start();
      // The loop blocks past the timeout; the broker (as if in this process) sends its heartbeat 20 ms after.
      blockEventLoop(150);
      const stallEnd = Date.now();
      setTimeout(() => (heard = Date.now()), 20);
      await until(() => Date.now() - stallEnd > 70, { timeoutMs: 1000 });
      expect(deadAt, 'declared dead for its own stall').to.equal(undefined);
      // Heard again, then silent: the ordinary timeout applies, with no second grace needed.
      await until(() => deadAt !== undefined, { timeoutMs: 1000 });
      expect(deadAt! - heard).to.be.within(60, 300);
      dog.stop();
    });

    it('a link still silent after the stall grace is declared dead, once', async () => {
      const heard = Date.now();
      const deaths: number[] = [];
      const dog = new Watchdog(60, () => heard, (silent) => deaths.push(silent));
      dog.start();
      blockEventLoop(150);
      const stallEnd = Date.now();
      await until(() => deaths.length > 0, { timeoutMs: 1000 });
      // Not at the stall's end, but one timeout after it.
      expect(Date.now() - stallEnd).to.be.at.least(55);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(deaths).to.have.length(1);
      dog.stop();
    });
  });

  it('clientIdFor fits the 23-character limit and is stable', () => {
    expect(clientIdFor('mall-1-B1-07')).to.equal('mall-1-B1-07');
    const long = clientIdFor('a-very-long-device-identifier-123');
    expect(long).to.have.length(23);
    expect(long).to.equal(clientIdFor('a-very-long-device-identifier-123'));
    expect(long).to.not.equal(clientIdFor('a-very-long-device-identifier-124'));
  });
});

describe('link: the sender', () => {
  it('an answer clears the in-flight record of the connection it came on, even when another connection acknowledged first', async () => {
    const { Sender } = await import('../../link/sender.ts');
    const { AckWatch, RoundTrip } = await import('../../link/liveness.ts');
    type Fake = import('../../link/connection.ts').Connection;
    const callbacks = new Map<number, Array<(error?: Error) => void>>();
    const dead: number[] = [];
    const fake = (id: number): Fake => {
      const conn = {
        id,
        url: `mqtt://broker-${id}`,
        up: true,
        rtt: new RoundTrip(),
        early: new Map(),
        client: { publish: (_t: string, _p: Buffer, _o: unknown, cb: (error?: Error) => void) => callbacks.set(id, [...(callbacks.get(id) ?? []), cb]) },
      } as unknown as Fake;
      conn.acks = new AckWatch(() => 60_000, () => Date.now(), () => dead.push(id));
      return conn;
    };
    const outbox = new Outbox(10);
    const older = fake(1);
    const newer = fake(2);
    let current: Fake = older;
    const acked: number[] = [];
    const sender = new Sender(outbox, 1000, () => current, (_entry, url) => acked.push(Number(url.slice(-1))));
    const entry = outbox.add('parking/t/slot/L1/1', Buffer.from('x'), 1, false, Date.now());
    sender.sendNew(older, entry);
    // The link moves on while `older` still carries it (draining): it goes out on `newer` too.
    current = newer;
    sender.adopt(newer, undefined);
    expect(newer.acks!.size).to.equal(1);
    callbacks.get(1)![0]();
    callbacks.get(2)![0]();
    expect(acked, 'settled once, by the first answer').to.deep.equal([1]);
    expect(newer.acks!.size, 'nothing left waiting on the connection that answered second').to.equal(0);
    expect(older.acks!.size).to.equal(0);
    older.acks!.stop();
    newer.acks!.stop();
    expect(dead).to.deep.equal([]);
  });
});

describe('link: pacing the moves of many links in one process', () => {
  it('runs at most 16 moves a turn, in order, the rest in later turns', async () => {
    const { paced } = await import('../../link/pacer.ts');
    const ran: number[] = [];
    for (let i = 0; i < 40; i++) paced(() => ran.push(i));
    expect(ran, 'nothing runs in the turn that asked').to.deep.equal([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).to.have.length(16);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).to.deep.equal([...Array(40).keys()]);
  });

  it('runs cleanups only once no move waits, even cleanups asked for first', async () => {
    const { paced, afterMoves } = await import('../../link/pacer.ts');
    const ran: string[] = [];
    for (let i = 0; i < 20; i++) {
      afterMoves(() => ran.push(`cleanup ${i}`));
      paced(() => ran.push(`move ${i}`));
    }
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    await turn();
    expect(ran).to.deep.equal([...Array(16).keys()].map((i) => `move ${i}`));
    await turn();
    expect(ran.slice(16), 'the last 4 moves: a turn runs moves or cleanups, not both').to.deep.equal([...Array(4).keys()].map((i) => `move ${16 + i}`));
    await turn();
    await turn();
    await turn();
    expect(ran.slice(20)).to.deep.equal([...Array(20).keys()].map((i) => `cleanup ${i}`));
  });
});

describe('link: its logger', () => {
  it('keeps only the methods of the levels a pino logger writes, so a disabled level costs no fields', async () => {
    const { linkLog } = await import('../../link/options.ts');
    const { createLogger } = await import('../../log/index.ts');
    const lines: string[] = [];
    const logger = createLogger('link-test', 'warn', { format: 'json', destination: { write: (line: string) => void lines.push(line) } });
    const log = linkLog(logger);
    expect(log.debug).to.equal(undefined);
    expect(log.info).to.equal(undefined);
    log.warn!({ url: 'mqtt://b' }, 'link lost');
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0])).to.include({ level: 'warn', msg: 'link lost', url: 'mqtt://b' });
    const debugging = linkLog(createLogger('link-test', 'debug', { format: 'json', destination: { write: (line: string) => void lines.push(line) } }));
    debugging.debug!({}, 'connecting');
    expect(JSON.parse(lines[1])).to.include({ level: 'debug', msg: 'connecting' });
    // A logger of another kind is used as it is.
    const plain = { info: () => undefined };
    expect(linkLog(plain)).to.equal(plain);
    expect(linkLog(undefined)).to.deep.equal({});
  });

  it('sums cheaply: totals holds the running counts and the queue, as stats() does', async () => {
    const { FailoverLink } = await import('../../link/index.ts');
    const link = new FailoverLink({ servers: ['mqtt://127.0.0.1:1'], clientId: 'totals-test' });
    void link.publish('parking/t/slot/L1/1', 'x', { qos: 1 }).catch(() => undefined);
    const { counts, queued, spareUp, lastReturnError } = link.totals;
    const stats = link.stats();
    expect(queued).to.equal(1).and.equal(stats.queued);
    expect(counts.published).to.equal(stats.published);
    expect({ failovers: counts.failovers, failbacks: counts.failbacks, failedReturns: counts.failedReturns, acked: counts.acked }).to.deep.equal({ failovers: stats.failovers, failbacks: stats.failbacks, failedReturns: stats.failedReturns, acked: stats.acked });
    expect(spareUp).to.equal(false);
    expect(lastReturnError).to.equal(undefined);
    await link.close({ drainMs: 0 });
  });
});
