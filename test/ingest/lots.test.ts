// Ingest split across instances by lot: `--lots` (a list) and `--partition i/n` (a hash).
// Instances over disjoint selections share one broker and one MongoDB and never write
// the same documents; each reads, writes and publishes availability for its own lots alone.
import { expect } from 'chai';
import type { CommandStartedEvent, Db } from 'mongodb';
import type { MqttClient } from 'mqtt';
import { LotFilter, lotHash, partitionOf, startIngest, type Ingest, type LotSelection } from '../../ingest/index.ts';
import { mqttPort } from '../../ingest/mqtt.ts';
import { parsers } from '../../config/index.ts';
import type { RunningBroker } from '../helpers/brokers.ts';
import { startTestMongo, waitFor, type TestMongo } from '../helpers/mongo.ts';
import { runParking, startPart, type Part } from '../../proc/index.ts';
import { broker, connect, nextMessage, quiet, slotJson, topics } from './helpers.ts';

const T0 = 1_795_307_500_000;

describe('ingest: lot selection (units)', () => {
  it('hashes a lot id with FNV-1a 32 bits, the same everywhere', () => {
    expect(lotHash('')).to.equal(0x811c9dc5);
    expect(lotHash('a')).to.equal(0xe40c292c);
    expect(lotHash('foobar')).to.equal(0xbf9cf968);
    expect(partitionOf('foobar', 4)).to.equal(0xbf9cf968 % 4);
  });

  it('tells its lots from the topic text, subscribes per listed lot, and names its spill directory', () => {
    const listed = new LotFilter({ kind: 'lots', lots: ['mall-1', 'mall-2'] });
    expect(listed.hasTopic('parking/mall-1/slot/B1/s1', 'parking')).to.equal(true);
    expect(listed.hasTopic('parking/mall-3/slot/B1/s1', 'parking')).to.equal(false);
    expect(listed.hasTopic('parkingx/mall-1/slot/B1/s1', 'parking')).to.equal(false);
    expect(listed.filters(topics)).to.deep.equal(['parking/mall-1/slot/+/+', 'parking/mall-1/device/+/status', 'parking/mall-2/slot/+/+', 'parking/mall-2/device/+/status']);
    expect(listed.spillName()).to.equal('lots-mall-1,mall-2');
    expect(new LotFilter({ kind: 'lots', lots: ['mall-2', 'mall-1'] }).spillName(), 'the same lots in any order').to.equal('lots-mall-1,mall-2');
    const part = new LotFilter({ kind: 'partition', index: 1, count: 3 });
    expect(part.filters(topics)).to.deep.equal([topics.filters.slots, topics.filters.deviceStatus]);
    expect(part.spillName()).to.equal('partition-1-of-3');
    for (const lot of ['a', 'b', 'mall-7', 'x_y']) expect(part.hasTopic(topics.slot(lot, 'L', 's'), 'parking')).to.equal(partitionOf(lot, 3) === 1);
    const all = new LotFilter();
    expect(all.spillName()).to.equal(undefined);
    expect(all.hasTopic('parking/any/slot/L/s', 'parking')).to.equal(true);
  });

  it('parses the settings: a list of contract ids, and i/n', () => {
    expect(parsers.idList('mall-1, mall_2')).to.deep.equal(['mall-1', 'mall_2']);
    for (const bad of ['', 'a,,b', 'a,a', 'a b', 'x'.repeat(33), 'a/b']) expect(() => parsers.idList(bad), bad).to.throw();
    expect(parsers.part('0/4')).to.deep.equal({ index: 0, count: 4 });
    for (const bad of ['4/4', '1/0', '-1/2', 'x', '1', '0/2000']) expect(() => parsers.part(bad), bad).to.throw();
  });
});

interface Instance {
  ingest: Ingest;
  /** Lots of the documents it wrote (slots updates, slotEvents inserts). */
  wrote: Set<string>;
  /** Commands it sent to MongoDB, by name, with their filter. */
  reads: Array<{ name: string; collection: string; filter: unknown }>;
  published: string[];
  close(): Promise<void>;
}

const lotOf = (id: string) => id.split('/')[0];
const sendTo = (pub: MqttClient, lot: string, slot: string, seq: number, retain = false) =>
  pub.publishAsync(topics.slot(lot, 'L1', slot), slotJson('occupied', T0 + seq, seq, `pi-${lot}`), { qos: 1, retain });

describe('ingest: instances split by lot over one broker and one MongoDB', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let b: RunningBroker;
  let pub: MqttClient;
  const running: Instance[] = [];

  before(async () => {
    m = await startTestMongo();
    b = await broker();
    pub = await connect(b.url);
  });

  after(async () => {
    for (const i of running) await i.close().catch(() => undefined);
    await pub?.endAsync();
    await b?.close();
    await m?.close();
  });

  async function instance(dbName: string, lots: LotSelection): Promise<Instance> {
    const client = await connect(b.url);
    const mongo = m.client({ monitorCommands: true });
    const wrote = new Set<string>();
    const reads: Instance['reads'] = [];
    mongo.on('commandStarted', (e: CommandStartedEvent) => {
      const c = e.command;
      if (e.commandName === 'update' && c.update === 'slots') for (const u of c.updates) wrote.add(lotOf(u.q._id));
      if (e.commandName === 'insert' && c.insert === 'slotEvents') for (const d of c.documents) wrote.add(d.slot.lot);
      if (e.commandName === 'find' || e.commandName === 'distinct') reads.push({ name: e.commandName, collection: c.find ?? c.distinct, filter: c.filter ?? c.query });
    });
    const filters = new LotFilter(lots).filters(topics);
    // Subscribed before the test publishes (the port's own subscribe is not awaited).
    await client.subscribeAsync(filters, { qos: 1 });
    const port = mqttPort(client, topics, filters);
    const published: string[] = [];
    const mqtt = { messages: port.messages, publish: (topic: string, payload: string, o: { retain: boolean; qos: 0 | 1 }) => (published.push(topic), port.publish(topic, payload, o)) };
    const ingest = await startIngest({ db: mongo.db(dbName), mqtt, topics, logger: quiet, lots });
    const it: Instance = {
      ingest, wrote, reads, published,
      async close() {
        await ingest.close();
        await client.endAsync();
      },
    };
    running.push(it);
    return it;
  }

  const send = (lot: string, slot: string, seq: number) => sendTo(pub, lot, slot, seq);
  const slotLots = async (db: Db) => (await db.collection('slots').find({}).toArray()).map((d) => d.lot as string);
  const publishedLots = (i: Instance) => new Set(i.published.map((t) => t.split('/')[1]));

  it('--lots: each instance subscribes to its own lots alone, writes them and publishes their availability; a lot of neither is not written', async () => {
    const dbName = `${m.dbName}_lots`;
    const db = m.client().db(dbName);
    const north = await instance(dbName, { kind: 'lots', lots: ['north', 'west'] });
    const south = await instance(dbName, { kind: 'lots', lots: ['south'] });
    let seq = 0;
    for (const lot of ['north', 'south', 'east', 'west', 'north', 'south']) await send(lot, `s${seq}`, ++seq);
    await waitFor(async () => (await slotLots(db)).length === 5, 'the slots of north, west and south written');
    await Promise.all([north.ingest.flush(), south.ingest.flush()]);
    expect((await slotLots(db)).sort()).to.deep.equal(['north', 'north', 'south', 'south', 'west']);
    expect(await db.collection('slotEvents').countDocuments({ 'slot.lot': 'east' }), 'east belongs to no instance').to.equal(0);
    expect([...north.wrote].sort()).to.deep.equal(['north', 'west']);
    expect([...south.wrote]).to.deep.equal(['south']);
    await waitFor(async () => publishedLots(north).size === 2 && publishedLots(south).size === 1, 'availability of every lot published');
    expect([...publishedLots(north)].sort()).to.deep.equal(['north', 'west']);
    expect([...publishedLots(south)]).to.deep.equal(['south']);
    // Subscribed per lot: the broker never sent them another lot's message.
    expect(north.ingest.metrics).to.include({ messagesIn: 3, otherLots: 0, accepted: 3 });
    expect(south.ingest.metrics).to.include({ messagesIn: 2, otherLots: 0, accepted: 2 });
  });

  it('--partition: two instances split every lot between them by hash, each dropping the other\'s messages unread', async () => {
    const dbName = `${m.dbName}_part`;
    const db = m.client().db(dbName);
    const lots = ['p-a', 'p-b', 'p-c', 'p-d', 'p-e', 'p-f', 'p-g', 'p-h'];
    const owner = (lot: string) => partitionOf(lot, 2);
    expect(new Set(lots.map(owner)).size, 'both parts own some of these lots').to.equal(2);
    const parts = [await instance(dbName, { kind: 'partition', index: 0, count: 2 }), await instance(dbName, { kind: 'partition', index: 1, count: 2 })];
    let seq = 0;
    for (const lot of lots) await send(lot, 's', ++seq);
    await waitFor(async () => (await slotLots(db)).length === lots.length, 'every lot written');
    await Promise.all(parts.map((p) => p.ingest.flush()));
    for (const [i, p] of parts.entries()) {
      const mine = lots.filter((lot) => owner(lot) === i);
      expect([...p.wrote].sort(), `part ${i} wrote`).to.deep.equal(mine);
      await waitFor(async () => publishedLots(p).size === mine.length, `part ${i} published its lots' availability`);
      expect([...publishedLots(p)].sort(), `part ${i} published`).to.deep.equal(mine);
      expect(p.ingest.metrics, `part ${i}`).to.include({ messagesIn: mine.length, otherLots: lots.length - mine.length, accepted: mine.length });
    }
    expect(await db.collection('slotEvents').countDocuments(), 'each state once in the history').to.equal(lots.length);
  });

  it('reads at start the stored states of its own lots alone, and publishes availability for those alone', async () => {
    const dbName = `${m.dbName}_start`;
    const db = m.client().db(dbName);
    const stored = ['mine', 'theirs', 'p-a', 'p-b', 'p-c', 'p-d'].map((lot, i) => ({
      _id: `${lot}/L1/s1`, lot, level: 'L1', slot: 's1', status: 'occupied', ts: T0 + i, seq: i, device: 'pi', since: new Date(T0), updatedAt: new Date(T0),
    }));
    await db.collection<any>('slots').insertMany(stored);
    const listed = await instance(dbName, { kind: 'lots', lots: ['mine'] });
    const slotReads = listed.reads.filter((r) => r.collection === 'slots');
    expect(slotReads).to.deep.equal([{ name: 'find', collection: 'slots', filter: { lot: { $in: ['mine'] } } }]);
    await waitFor(async () => listed.published.length > 0, 'the stored lot\'s availability published');
    expect([...publishedLots(listed)]).to.deep.equal(['mine']);

    const part = await instance(dbName, { kind: 'partition', index: 1, count: 2 });
    const mine = stored.map((d) => d.lot).filter((lot) => partitionOf(lot, 2) === 1);
    expect(mine.length).to.be.above(0);
    const partReads = part.reads.filter((r) => r.collection === 'slots');
    expect(partReads.map((r) => r.name)).to.deep.equal(['distinct', 'find']);
    expect(partReads[1].filter).to.deep.equal({ lot: { $in: mine } });
    await waitFor(async () => publishedLots(part).size === mine.length, 'the partition\'s stored lots published');
    expect([...publishedLots(part)].sort()).to.deep.equal([...mine].sort());
    expect(part.wrote.size, 'nothing written at start').to.equal(0);
  });
});

describe('parking ingest --lots (processes): two instances over one broker and one MongoDB', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let b: RunningBroker;
  let pub: MqttClient;
  const parts: Part[] = [];

  before(async () => {
    m = await startTestMongo();
    b = await broker();
    pub = await connect(b.url);
  });

  after(async () => {
    await Promise.all(parts.map((p) => p.stop()));
    await pub?.endAsync();
    await b?.close();
    await m?.close();
  });

  it('each writes and publishes its own lots; a lot of neither is left alone', async () => {
    const dbName = `${m.dbName}_procs`;
    const start = (env: Record<string, string>, args: string[]) =>
      startPart({ name: `ingest ${args.join(' ')}`, args: ['ingest', '--servers', b.url, '--mongodb-uri', m.uri, '--mongodb-db', dbName, '--log-format', 'json', ...args], env, ready: /^ingest running \(([^)]*)\)/m });
    // One from its flag, one from its environment variable.
    const [north, south] = await Promise.all([start({}, ['--lots', 'north,west']), start({ PARKING_INGEST_LOTS: 'south' }, [])]);
    parts.push(north, south);
    expect(north.ready[1]).to.equal('lots north,west');
    expect(south.ready[1]).to.equal('lots south');
    const shown = ['north', 'south'].map((lot) => nextMessage(pub, topics.availability(lot), (p) => JSON.parse(p).occupiedSpotNumber === 1));
    let seq = 0;
    // Retained, as sensors publish: an instance still subscribing gets them all the same.
    for (const lot of ['north', 'south', 'east']) await sendTo(pub, lot, 's1', ++seq, true);
    await Promise.all(shown);
    const db = m.client().db(dbName);
    await waitFor(async () => (await db.collection('slotEvents').countDocuments()) === 2, 'the states of north and south durable');
    expect((await db.collection('slots').find({}).toArray()).map((d) => d.lot).sort()).to.deep.equal(['north', 'south']);
  });
});

describe('parking ingest: a bad lot selection is refused', function () {
  this.timeout(60_000);
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['a lot id with a space', ['--lots', 'mall 1'], {}, /^parking: bad setting --lots=.*mall 1.*must be 1-32 characters/],
    ['an empty item', [], { PARKING_INGEST_LOTS: 'a,,b' }, /^parking: bad setting PARKING_INGEST_LOTS=a,,b: must be a comma-separated list of ids/],
    ['a part past the last', ['--partition', '2/2'], {}, /^parking: bad setting --partition=2\/2: i must be 0-1/],
    ['not i/n', [], { PARKING_INGEST_PARTITION: 'half' }, /^parking: bad setting PARKING_INGEST_PARTITION=half: must be i\/n/],
    ['both a list and a partition', ['--lots', 'a', '--partition', '0/2'], {}, /^parking: ingestLots \(--lots, PARKING_INGEST_LOTS\) and ingestPartition .* exclude each other/],
  ];
  for (const [what, args, env, message] of cases) {
    it(`${what}: exit 2, one line naming the setting`, async () => {
      const r = await runParking(['ingest', ...args, '--mongodb-uri', 'mongodb://127.0.0.1:1/'], { env });
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr.trimEnd().split('\n'), r.stderr).to.have.lengthOf(1);
      expect(r.stderr).to.match(message);
      expect(r.stdout).to.equal('');
    });
  }
});
