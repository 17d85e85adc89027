// The lot configuration: the file checked with errors that name the problem, what it says of a
// slot, and ingest counting by it (one count everywhere, unknown sensors refused).
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { LotLayout, loadLayout, parseLayout } from '../../layout/index.ts';
import { startIngest, type Inbound } from '../../ingest/index.ts';
import { loadSettings } from '../../config/index.ts';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { quiet, topics } from '../ingest/helpers.ts';

const MALL = { lots: { 'mall-1': { name: 'Mall One', levels: { B1: { name: 'Basement 1', slots: 3 }, B2: { slots: ['A1', 'A2', 'A3'], retired: ['A3'] } } } } };

describe('layout: the lot configuration file', () => {
  const problem = (json: unknown) => {
    try {
      parseLayout(json);
    } catch (error) {
      return (error as Error).message;
    }
    return 'accepted';
  };

  it('names the first problem by its path in the file', () => {
    expect(problem([])).to.equal('the lot configuration: must be a JSON object');
    expect(problem({})).to.match(/^lots: missing/);
    expect(problem({ lots: { 'mall 1': { levels: { B1: { slots: 2 } } } } })).to.match(/^lots: "mall 1" is not an id/);
    expect(problem({ lots: { m: {} } })).to.match(/^lots\.m\.levels: missing/);
    expect(problem({ lots: { m: { levels: {} } } })).to.match(/^lots\.m\.levels: must name at least one level/);
    expect(problem({ lots: { m: { levels: { B1: {} } } } })).to.match(/^lots\.m\.levels\.B1\.slots: missing/);
    expect(problem({ lots: { m: { levels: { B1: { slots: 0 } } } } })).to.match(/^lots\.m\.levels\.B1\.slots: must be a whole number of slots 1-10000/);
    expect(problem({ lots: { m: { levels: { B1: { slots: 2.5 } } } } })).to.match(/^lots\.m\.levels\.B1\.slots: must be a whole number/);
    expect(problem({ lots: { m: { levels: { B1: { slots: ['1', '1'] } } } } })).to.equal('lots.m.levels.B1.slots[1]: "1" is listed twice');
    expect(problem({ lots: { m: { levels: { B1: { slots: ['1', 2] } } } } })).to.equal('lots.m.levels.B1.slots[1]: must be a slot id (a string)');
    expect(problem({ lots: { m: { levels: { B1: { slots: 2, retired: ['7'] } } } } })).to.equal('lots.m.levels.B1.retired[0]: "7" is not one of the level\'s slots');
    expect(problem({ lots: { m: { levels: { B1: { slots: 2, size: 'big' } } } } })).to.equal('lots.m.levels.B1.size: unknown key (known: name, slots, retired)');
    expect(problem({ lots: { m: { name: '', levels: { B1: { slots: 2 } } } } })).to.match(/^lots\.m\.name: must be a name of 1-80 characters/);
    expect(problem(MALL)).to.equal('accepted');
  });

  it('reads a file, and says what is wrong with one it cannot use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layout-'));
    try {
      const file = join(dir, 'lots.json');
      writeFileSync(file, JSON.stringify(MALL));
      expect(loadLayout(file).lots).to.deep.equal(['mall-1']);
      expect(() => loadLayout(join(dir, 'none.json'))).to.throw('no such file');
      writeFileSync(file, '{"lots": {');
      expect(() => loadLayout(file)).to.throw(/^not JSON: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is the --lot-config setting: a bad file stops the program at start with one line naming the setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layout-'));
    try {
      const file = join(dir, 'lots.json');
      writeFileSync(file, JSON.stringify({ lots: { m: { levels: { B1: { slots: -1 } } } } }));
      expect(() => loadSettings({ keys: ['lotConfig'], flags: { lotConfig: file }, env: {} })).to.throw(/bad setting --lot-config=.*lots\.json: lots\.m\.levels\.B1\.slots: must be a whole number/);
      expect(() => loadSettings({ keys: ['lotConfig'], flags: {}, env: { PARKING_LOT_CONFIG: join(dir, 'gone.json') } })).to.throw(/bad setting PARKING_LOT_CONFIG=.*gone\.json: no such file/);
      writeFileSync(file, JSON.stringify(MALL));
      expect(loadSettings({ keys: ['lotConfig'], flags: { lotConfig: file }, env: {} }).lotConfig?.totalsOf('mall-1')).to.deep.equal({ B1: 3, B2: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts a configured lot\'s listed, active slots alone; other lots are discovered', () => {
    const layout = new LotLayout(parseLayout(MALL));
    expect(layout.verdict('mall-1', 'B1', '3')).to.equal('counted');
    expect(layout.verdict('mall-1', 'B1', '4')).to.equal('unknown');
    expect(layout.verdict('mall-1', 'b1', '1')).to.equal('unknown');
    expect(layout.verdict('mall-1', 'B2', 'A3')).to.equal('retired');
    expect(layout.verdict('elsewhere', 'X', '1')).to.equal('counted');
    expect(layout.totalsOf('mall-1')).to.deep.equal({ B1: 3, B2: 2 });
    expect(layout.totalsOf('elsewhere')).to.equal(undefined);
    expect(layout.summaries()).to.deep.equal([
      { lot: 'mall-1', name: 'Mall One', levels: [{ level: 'B1', name: 'Basement 1', slots: 3, retired: 0 }, { level: 'B2', slots: 2, retired: 1 }] },
    ]);
  });
});

describe('layout: ingest counts by the lot configuration', function () {
  this.timeout(30_000);
  let m: TestMongo;

  before(async () => {
    m = await startTestMongo();
  });
  after(async () => {
    await m?.close();
  });

  it('publishes a configured lot at start (silent slots unknown), refuses unknown and retired slots, and one count follows', async () => {
    const db = m.client().db(m.dbName);
    // A slot stored before the configuration existed (a typo'd level): no longer counted.
    await db.collection<any>('slots').insertOne({ _id: 'mall-1/b1/1', lot: 'mall-1', level: 'b1', slot: '1', status: 'occupied', ts: 1, since: new Date(1), updatedAt: new Date(1) });
    const inbound = new Subject<Inbound>();
    const published = new Map<string, string>();
    const ingest = await startIngest({
      db,
      mqtt: { messages: inbound, publish: async (topic, payload) => void published.set(topic, payload) },
      topics,
      logger: quiet,
      layout: new LotLayout(parseLayout(MALL)),
    });
    try {
      await ingest.flush();
      const summary = () => JSON.parse(published.get(topics.availability('mall-1')) ?? 'null');
      expect(summary()).to.include({ availableSpotNumber: 0, occupiedSpotNumber: 0, unknownSpotNumber: 5, totalSpotNumber: 5 });
      expect(Object.keys(summary().levels)).to.deep.equal(['B1', 'B2']);

      const send = (level: string, slot: string, payload: string) => inbound.next({ topic: topics.slot('mall-1', level, slot), payload: Buffer.from(payload), receivedAt: Date.now() });
      send('B1', '1', 'true');
      send('B2', 'A1', 'false');
      send('b1', '1', 'false');
      send('B2', 'A3', 'true');
      send('B1', '99', 'true');
      inbound.next({ topic: topics.slot('other', 'L', '1'), payload: Buffer.from('true'), receivedAt: Date.now() });
      await ingest.flush();
      expect(ingest.metrics.rejected).to.deep.equal({ 'unknown-slot': 2, 'retired-slot': 1 });
      expect(summary()).to.include({ availableSpotNumber: 1, occupiedSpotNumber: 1, unknownSpotNumber: 3, totalSpotNumber: 5, status: 'spacesAvailable' });
      expect(published.get(topics.levelAvailability('mall-1', 'B2'))).to.equal('1');
      expect(published.has(topics.levelAvailability('mall-1', 'b1'))).to.equal(false);
      // A lot the configuration does not name is discovered as before.
      expect(JSON.parse(published.get(topics.availability('other'))!)).to.include({ occupiedSpotNumber: 1, totalSpotNumber: 1 });
      const stored = await db.collection<any>('slots').find({ lot: 'mall-1' }).map((d: any) => d._id).toArray();
      expect(stored.sort()).to.deep.equal(['mall-1/B1/1', 'mall-1/B2/A1', 'mall-1/b1/1']);
      expect((await db.collection<any>('slots').findOne({ _id: 'mall-1/b1/1' })).status, 'refused updates are never written').to.equal('occupied');
    } finally {
      await ingest.close();
    }
  });
});
