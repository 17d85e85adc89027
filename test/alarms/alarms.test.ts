import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { AlarmBook, decodeAlarm, DEFAULT_DELAYS, lotAlarms, platformFacts, startAlarms, webhook, type AlarmChange, type PlatformFacts } from '../../alarms/index.ts';
import { Topics } from '../../contract/index.ts';
import { LotLayout, parseLayout } from '../../layout/index.ts';
import { FailoverLink } from '../../link/index.ts';
import { startTestBroker, type TestBroker } from '../link/brokers.ts';
import { until } from '../link/wait.ts';

const none: PlatformFacts = { brokersDown: new Map() };
const T0 = Date.parse('2026-12-06T10:00:00.000Z');

describe('alarms: the rules', () => {
  it('a full or almost full lot, with its figures', () => {
    expect(lotAlarms('mall-1', { status: 'full', free: 0, total: 52, offline: new Map() }, none, T0)).to.deep.equal([{ kind: 'lot-full', severity: 'warning', text: 'mall-1 is full (0 of 52 free)' }]);
    expect(lotAlarms('mall-1', { status: 'almostFull', free: 3, total: 52, offline: new Map() }, none, T0)).to.deep.equal([{ kind: 'lot-almost-full', severity: 'info', text: 'mall-1 is almost full (3 of 52 free)' }]);
    expect(lotAlarms('mall-1', { status: 'spacesAvailable', offline: new Map() }, none, T0)).to.deep.equal([]);
  });

  it('devices offline only past the delay (a failover is not an alarm), listed by name', () => {
    const offline = new Map([
      ['pi-2', T0 - 121_000],
      ['pi-1', T0 - 200_000],
      ['pi-3', T0 - 5_000],
    ]);
    expect(lotAlarms('mall-1', { offline }, none, T0)).to.deep.equal([{ kind: 'sensors-offline', severity: 'warning', text: '2 devices offline for over 2 min: pi-1, pi-2' }]);
    const many = new Map(Array.from({ length: 7 }, (_, i) => [`pi-${i}`, T0 - 300_000] as [string, number]));
    expect(lotAlarms('mall-1', { offline: many }, none, T0)[0].text).to.equal('7 devices offline for over 2 min: pi-0, pi-1, pi-2, pi-3, pi-4, … (7 in all)');
  });

  it('slots unchanged past the stale limit: how many and which (naturally sorted, five at most); 0 hours turns it off', () => {
    const stale = { count: 7, some: ['B1/10', 'B1/2', 'B2/1', 'B1/3', 'B1/4'] };
    expect(lotAlarms('mall-1', { offline: new Map(), stale }, none, T0)).to.deep.equal([
      { kind: 'sensors-stale', severity: 'info', text: '7 slots of mall-1 unchanged for over 48 h (a stuck sensor?): B1/2, B1/3, B1/4, B1/10, B2/1, … (7 in all)' },
    ]);
    expect(lotAlarms('mall-1', { offline: new Map(), stale: { count: 1, some: ['B1/7'] } }, none, T0)[0].text).to.equal('1 slot of mall-1 unchanged for over 48 h (a stuck sensor?): B1/7');
    expect(lotAlarms('mall-1', { offline: new Map(), stale }, none, T0, { ...DEFAULT_DELAYS, staleSensorHours: 0 })).to.deep.equal([]);
  });

  it('cars parked past the overstay limit: a count, never a plate; 0 hours turns it off', () => {
    expect(lotAlarms('mall-1', { offline: new Map(), overstays: 3 }, none, T0)).to.deep.equal([{ kind: 'overstay', severity: 'info', text: '3 cars parked at mall-1 for over 24 h' }]);
    expect(lotAlarms('mall-1', { offline: new Map(), overstays: 1 }, none, T0, { ...DEFAULT_DELAYS, overstayHours: 48 })[0].text).to.equal('1 car parked at mall-1 for over 48 h');
    expect(lotAlarms('mall-1', { offline: new Map(), overstays: 3 }, none, T0, { ...DEFAULT_DELAYS, overstayHours: 0 })).to.deep.equal([]);
    expect(lotAlarms('mall-1', { offline: new Map(), overstays: 0 }, none, T0)).to.deep.equal([]);
  });

  it('platform conditions from the health report, each raised only after it held 30 s', () => {
    const report = (primary: boolean, standby: boolean, bridge: boolean, mongo: boolean) => ({
      brokers: [
        { role: 'primary' as const, reachable: primary, bridge: null },
        { role: 'standby' as const, reachable: standby, bridge: { connected: bridge, since: null, queued: 0, dropped: 0 } },
      ].map((b) => ({ id: null, url: 'mqtt://x', clients: null, retained: null, refused: null, ...b })),
      mongo: { primary: mongo ? 'db1:27017' : null },
    });
    let facts = platformFacts(report(false, true, true, false), none, T0);
    expect(lotAlarms('mall-1', { offline: new Map() }, facts, T0 + 29_000)).to.deep.equal([]);
    facts = platformFacts(report(false, true, true, false), facts, T0 + 30_000);
    expect(lotAlarms('mall-1', { offline: new Map() }, facts, T0 + 30_000).map((a) => [a.kind, a.severity, a.text])).to.deep.equal([
      ['broker-down', 'warning', 'the primary broker is unreachable: clients use the other one'],
      ['database-down', 'critical', 'MongoDB has no primary: slot history and charging wait (availability stays live)'],
    ]);
    // The primary back but the bridge down: a bridge alarm from then on; a broken bridge with the primary down is not one.
    facts = platformFacts(report(true, true, false, true), facts, T0 + 40_000);
    expect(facts.brokersDown.size).to.equal(0);
    expect(lotAlarms('mall-1', { offline: new Map() }, facts, T0 + 69_000)).to.deep.equal([]);
    expect(lotAlarms('mall-1', { offline: new Map() }, facts, T0 + 70_000).map((a) => a.kind)).to.deep.equal(['bridge-down']);
    expect(platformFacts(report(false, true, false, true), none, T0).bridgeDownSince).to.equal(undefined);
    const both = platformFacts(report(false, false, false, true), none, T0);
    expect(lotAlarms('mall-1', { offline: new Map() }, both, T0 + 30_000)[0]).to.deep.include({ kind: 'broker-down', severity: 'critical', text: 'both brokers are unreachable' });
  });
});

describe('alarms: the book', () => {
  const full = { kind: 'lot-full' as const, severity: 'warning' as const, text: 'mall-1 is full' };

  it('raises once, keeps since, acknowledges, re-raises an acknowledged alarm that grew worse, clears', () => {
    const book = new AlarmBook();
    const raised = book.update('mall-1', [full], T0);
    expect(raised).to.deep.equal([{ event: 'raised', lot: 'mall-1', alarm: 'lot-full', payload: { kind: 'lot-full', severity: 'warning', since: '2026-12-06T10:00:00.000Z', text: 'mall-1 is full', acknowledged: false } }]);
    expect(book.update('mall-1', [full], T0 + 1000), 'nothing new: nothing to publish').to.deep.equal([]);
    expect(book.acknowledge('mall-1', 'lot-full')?.payload).to.deep.include({ acknowledged: true, since: '2026-12-06T10:00:00.000Z' });
    expect(book.acknowledge('mall-1', 'lot-full'), 'twice').to.equal(undefined);
    expect(book.acknowledge('mall-1', 'nothing')).to.equal(undefined);
    const text = book.update('mall-1', [{ ...full, text: 'mall-1 is full (0 of 52 free)' }], T0 + 2000);
    expect(text[0]).to.deep.include({ event: 'changed' });
    expect(text[0].payload).to.deep.include({ acknowledged: true, since: '2026-12-06T10:00:00.000Z' });
    const worse = book.update('mall-1', [{ ...full, severity: 'critical' }], T0 + 3000);
    expect(worse[0].payload, 'worse than what was acknowledged').to.deep.include({ acknowledged: false, severity: 'critical' });
    expect(book.update('mall-2', [], T0 + 4000), 'another lot').to.deep.equal([]);
    expect(book.update('mall-1', [], T0 + 5000)).to.deep.equal([{ event: 'cleared', lot: 'mall-1', alarm: 'lot-full', payload: null }]);
    expect(book.list()).to.deep.equal([]);
  });

  it('restores a retained alarm (its since, its acknowledgement) and lists the worst first', () => {
    const book = new AlarmBook();
    const back = decodeAlarm(JSON.stringify({ kind: 'lot-full', severity: 'warning', since: '2026-12-06T09:00:00.000Z', text: 'x', acknowledged: true }));
    expect(back).to.not.equal(undefined);
    book.restore('mall-1', 'lot-full', back!);
    expect(book.update('mall-1', [full], T0)[0].payload).to.deep.include({ since: '2026-12-06T09:00:00.000Z', acknowledged: true });
    book.update('mall-2', [{ kind: 'database-down', severity: 'critical', text: 'db' }], T0);
    expect(book.list().map((a) => `${a.lot}/${a.alarm}`)).to.deep.equal(['mall-2/database-down', 'mall-1/lot-full']);
    // Raised here before the retained copy came back: the older since (and its acknowledgement) wins.
    const late = new AlarmBook();
    late.update('mall-1', [full], T0);
    expect(late.restore('mall-1', 'lot-full', back!)).to.deep.include({ event: 'changed', payload: { kind: 'lot-full', severity: 'warning', since: '2026-12-06T09:00:00.000Z', text: 'mall-1 is full', acknowledged: true } });
    expect(late.restore('mall-1', 'lot-full', { ...back!, since: '2026-12-06T11:00:00.000Z' }), 'our own publish coming back').to.equal(undefined);
    for (const bad of ['{', '{"kind":"nope","severity":"info","since":"2026-01-01T00:00:00Z","text":"","acknowledged":false}', '{"kind":"lot-full","severity":"info","since":"yesterday","text":"","acknowledged":false}', '"x"']) expect(decodeAlarm(bad), bad).to.equal(undefined);
  });
});

describe('alarms: the webhook', () => {
  const change: AlarmChange = { event: 'raised', lot: 'mall-1', alarm: 'lot-full', payload: { kind: 'lot-full', severity: 'warning', since: '2026-12-06T10:00:00.000Z', text: 'full', acknowledged: false } };

  it('POSTs each change as JSON, in order, retrying a failing receiver with backoff', async () => {
    const bodies: unknown[] = [];
    let failures = 1;
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        if (failures-- > 0) {
          res.writeHead(503).end();
          return;
        }
        bodies.push({ type: req.headers['content-type'], body: JSON.parse(body) as unknown });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const waits: number[] = [];
    const hook = webhook({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, sleep: async (ms) => void waits.push(ms) });
    try {
      hook.send(change);
      hook.send({ event: 'cleared', lot: 'mall-1', alarm: 'lot-full', payload: null });
      // The receiver has a body before the hook has its answer: wait for both.
      await until(() => bodies.length === 2 && hook.stats().sent === 2, { what: () => JSON.stringify(hook.stats()) });
      expect(bodies).to.deep.equal([
        { type: 'application/json', body: { event: 'raised', lot: 'mall-1', alarm: 'lot-full', kind: 'lot-full', severity: 'warning', since: '2026-12-06T10:00:00.000Z', text: 'full', acknowledged: false } },
        { type: 'application/json', body: { event: 'cleared', lot: 'mall-1', alarm: 'lot-full' } },
      ]);
      expect(waits, 'one retry after 1 s').to.deep.equal([1000]);
      expect(hook.stats()).to.deep.equal({ sent: 2, failed: 0, dropped: 0, waiting: 0 });
    } finally {
      await hook.close();
      server.close();
    }
  });

  it('a receiver that never answers costs one timeout a try, then the change is dropped and logged; the queue is bounded', async () => {
    const warnings: string[] = [];
    const hook = webhook({
      url: 'http://receiver.invalid/hook',
      timeoutMs: 50,
      tries: 2,
      queueLimit: 2,
      sleep: async () => undefined,
      fetch: (async (_url: string, init: { signal: AbortSignal }) => new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)))) as never,
      logger: { warn: (_obj, msg) => void warnings.push(msg) },
    });
    for (let i = 0; i < 4; i++) hook.send({ ...change, alarm: `a${i}` });
    expect(hook.stats().dropped, 'beyond the limit').to.equal(1);
    await until(() => hook.stats().failed === 3, { timeoutMs: 5000, what: () => JSON.stringify(hook.stats()) });
    expect(warnings).to.include('alarm webhook: gave up on a change');
    expect(warnings).to.include('alarm webhook: too many changes waiting; the oldest was dropped');
    await hook.close();
  });
});

describe('alarms: the service over MQTT', function () {
  this.timeout(20_000);
  let broker: TestBroker;
  const links: FailoverLink[] = [];
  const newLink = async () => {
    const link = new FailoverLink({ servers: [broker.url], clientId: `alarms-test-${links.length}` });
    links.push(link);
    link.start();
    await link.waitConnected();
    return link;
  };
  beforeEach(async () => (broker = await startTestBroker()));
  afterEach(async () => {
    for (const link of links.splice(0)) await link.close();
    await broker.close();
  });
  const topics = new Topics('parking');
  const publish = (topic: string, payload: string) => new Promise<void>((resolve) => broker.broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false } as never, () => resolve()));
  const retained = async (lot: string, alarm: string) => {
    const payload = await broker.retained(topics.alarm(lot, alarm));
    return payload?.length ? (JSON.parse(payload.toString()) as Record<string, unknown>) : undefined;
  };
  /** Judges again until `check` holds (the service learns over MQTT, so a message takes a moment). */
  async function settle(service: { evaluate(): Promise<void> }, check: () => Promise<boolean> | boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      await service.evaluate();
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`not reached: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('raises a retained alarm when a lot is full, acknowledges it, clears it with an empty retained message', async () => {
    const alarms = await startAlarms({ link: await newLink(), topics, now: () => T0, intervalMs: 60_000 });
    try {
      await publish('parking/mall-1/availability', JSON.stringify({ lot: 'mall-1', availableSpotNumber: 0, totalSpotNumber: 52, status: 'full' }));
      await settle(alarms, async () => (await retained('mall-1', 'lot-full')) !== undefined, 'the lot-full alarm retained');
      expect(await retained('mall-1', 'lot-full')).to.deep.equal({ kind: 'lot-full', severity: 'warning', since: '2026-12-06T10:00:00.000Z', text: 'mall-1 is full (0 of 52 free)', acknowledged: false });
      expect(alarms.list()).to.have.length(1);
      expect(alarms.acknowledge('mall-1', 'lot-full')).to.equal(true);
      expect(alarms.acknowledge('mall-1', 'lot-almost-full')).to.equal(false);
      await settle(alarms, async () => (await retained('mall-1', 'lot-full'))?.acknowledged === true, 'acknowledged on the topic');
      await publish('parking/mall-1/availability', JSON.stringify({ lot: 'mall-1', availableSpotNumber: 9, totalSpotNumber: 52, status: 'spacesAvailable' }));
      await settle(alarms, async () => (await retained('mall-1', 'lot-full')) === undefined, 'the alarm cleared');
      expect(alarms.list()).to.deep.equal([]);
    } finally {
      await alarms.close();
    }
  });

  it('with a lot configuration, slots of a configured lot that it does not list raise unknown-sensors until their topics clear', async () => {
    const layout = new LotLayout(parseLayout({ lots: { 'mall-1': { levels: { B1: { slots: 2, retired: ['2'] } } } } }));
    const alarms = await startAlarms({ link: await newLink(), topics, now: () => T0, intervalMs: 60_000, layout });
    try {
      await publish('parking/mall-1/slot/B1/1', 'true');
      await publish('parking/mall-1/slot/B1/2', 'true');
      await publish('parking/mall-1/slot/b1/1', 'true');
      await publish('parking/mall-1/slot/B1/99', '{"status":"free"}');
      await publish('parking/other/slot/X/1', 'true');
      await settle(alarms, async () => (await retained('mall-1', 'unknown-sensors'))?.text === '2 sensors of mall-1 not in the lot configuration, refused: B1/99, b1/1', 'the unknown-sensors alarm');
      expect(await retained('other', 'unknown-sensors'), 'a lot the configuration does not name is discovered').to.equal(undefined);
      await publish('parking/mall-1/slot/b1/1', '');
      await publish('parking/mall-1/slot/B1/99', '');
      await settle(alarms, async () => (await retained('mall-1', 'unknown-sensors')) === undefined, 'cleared with the topics');
    } finally {
      await alarms.close();
    }
  });

  it('counts overstays through the injected query (cars in since before the limit), at most every overstayCheckMs', async () => {
    let now = T0;
    const asked: number[] = [];
    let count = 2;
    const alarms = await startAlarms({ link: await newLink(), topics, now: () => now, intervalMs: 60_000, overstayCheckMs: 60_000, overstays: async (olderThan) => (asked.push(olderThan), new Map(count ? [['mall-9', count]] : [])) });
    try {
      await settle(alarms, async () => (await retained('mall-9', 'overstay')) !== undefined, 'the overstay alarm');
      expect(await retained('mall-9', 'overstay')).to.deep.include({ kind: 'overstay', severity: 'info', text: '2 cars parked at mall-9 for over 24 h' });
      expect(asked[0]).to.equal(T0 - 24 * 3_600_000);
      expect(asked, 'once within the minute, however often the alarms are judged').to.have.length(1);
      count = 0;
      now += 60_000;
      await settle(alarms, async () => (await retained('mall-9', 'overstay')) === undefined, 'cleared once no car overstays');
      expect(asked).to.have.length(2);
    } finally {
      await alarms.close();
    }
  });

  it('asks for stale slots with the overstays (slots unchanged since before the limit), and clears the alarm once none is', async () => {
    let now = T0;
    const asked: number[] = [];
    let stale: Map<string, { count: number; some: string[] }> = new Map([['mall-8', { count: 2, some: ['L1/2', 'L1/1'] }]]);
    const alarms = await startAlarms({ link: await newLink(), topics, now: () => now, intervalMs: 60_000, overstayCheckMs: 60_000, staleSlots: async (olderThan) => (asked.push(olderThan), stale) });
    try {
      await settle(alarms, async () => (await retained('mall-8', 'sensors-stale')) !== undefined, 'the sensors-stale alarm');
      expect(await retained('mall-8', 'sensors-stale')).to.deep.include({ kind: 'sensors-stale', severity: 'info', text: '2 slots of mall-8 unchanged for over 48 h (a stuck sensor?): L1/1, L1/2' });
      expect(asked).to.deep.equal([T0 - 48 * 3_600_000]);
      stale = new Map();
      now += 60_000;
      await settle(alarms, async () => (await retained('mall-8', 'sensors-stale')) === undefined, 'cleared once no slot is stale');
    } finally {
      await alarms.close();
    }
  });

  it('a restarted service reads its alarms back (since and acknowledgement kept); devices offline past the delay raise one', async () => {
    let now = T0;
    const first = await startAlarms({ link: await newLink(), topics, now: () => now, intervalMs: 60_000, delays: { deviceOfflineMs: 60_000 } });
    await publish('parking/mall-1/availability', JSON.stringify({ lot: 'mall-1', availableSpotNumber: 0, totalSpotNumber: 52, status: 'full' }));
    await settle(first, async () => (await retained('mall-1', 'lot-full')) !== undefined, 'raised');
    first.acknowledge('mall-1', 'lot-full');
    await settle(first, async () => (await retained('mall-1', 'lot-full'))?.acknowledged === true, 'acknowledged');
    await first.close();
    now = T0 + 3_600_000;
    const second = await startAlarms({ link: await newLink(), topics, now: () => now, intervalMs: 60_000, delays: { deviceOfflineMs: 60_000 } });
    try {
      await publish('parking/mall-1/device/pi-7/status', 'offline');
      await settle(second, () => second.list().length === 1, 'the restored alarm');
      expect(second.list()[0]).to.deep.include({ lot: 'mall-1', alarm: 'lot-full', since: '2026-12-06T10:00:00.000Z', acknowledged: true });
      expect(await retained('mall-1', 'sensors-offline'), 'not before the delay').to.equal(undefined);
      now += 60_000;
      await settle(second, async () => (await retained('mall-1', 'sensors-offline')) !== undefined, 'sensors-offline');
      expect(await retained('mall-1', 'sensors-offline')).to.deep.include({ kind: 'sensors-offline', severity: 'warning', text: '1 device offline for over 1 min: pi-7' });
      await publish('parking/mall-1/device/pi-7/status', 'online');
      await settle(second, async () => (await retained('mall-1', 'sensors-offline')) === undefined, 'cleared once online');
    } finally {
      await second.close();
    }
  });
});
