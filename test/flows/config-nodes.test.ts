import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { DEFAULT_TARIFF } from '../../billing/index.ts';
import { deployedTariff, MAX_HELD, tariffFromDef, type TariffDef } from '../../flows/nodes/index.ts';
import { startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { TEST_PLATE_KEY } from '../helpers/plates.ts';
import { helper, nextError, nodeFile } from './helpers.ts';

const SHIPPED = JSON.parse(readFileSync(new URL('../../flows/parking.json', import.meta.url), 'utf8')) as Array<Record<string, unknown>>;
const shippedTariff = SHIPPED.find((n) => n.type === 'parking-tariff')!;

/** Runs an editor file's scripts against a stand-in `RED` and returns what it registered. */
function editorDefinitions(file: string): Record<string, { defaults: Record<string, { value: unknown; validate?: (v: unknown) => boolean }>; category: string; inputs?: number; outputs?: number }> {
  const html = readFileSync(new URL(`../../flows/nodes/${file}`, import.meta.url), 'utf8');
  const registered: Record<string, any> = {};
  const RED = {
    nodes: { registerType: (type: string, def: unknown) => (registered[type] = def) },
    validators: { regex: (re: RegExp) => (v: unknown) => re.test(String(v)), number: () => (v: unknown) => !Number.isNaN(Number(v)) },
  };
  const $ = () => ({ is: () => false, on: () => undefined, toggle: () => undefined });
  for (const [, script] of html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)) vm.runInNewContext(script, { RED, $ });
  expect(html, `${file} has a template and help for each type`).to.match(/data-template-name=/);
  for (const type of Object.keys(registered)) {
    expect(html).to.include(`data-template-name="${type}"`);
    expect(html).to.include(`data-help-name="${type}"`);
  }
  return registered;
}

const valuesOf = (defaults: Record<string, { value: unknown }>) => Object.fromEntries(Object.entries(defaults).map(([k, d]) => [k, d.value]));

describe('flows: config nodes', function () {
  this.timeout(30_000);

  afterEach(async function () {
    await helper.unload();
  });

  describe('parking-tariff', function () {
    it('the editor defaults and the shipped flow are the default tariff', function () {
      const editor = editorDefinitions('parking-tariff.html')['parking-tariff'];
      expect(editor.category).to.equal('config');
      expect(tariffFromDef({ id: 'n1', type: 'parking-tariff', ...valuesOf(editor.defaults) } as TariffDef)).to.deep.equal(DEFAULT_TARIFF);
      expect(tariffFromDef(shippedTariff as unknown as TariffDef)).to.deep.equal(DEFAULT_TARIFF);
      // The editor refuses what the runtime refuses.
      expect(editor.defaults.firstMinutes.validate!('0')).to.equal(false);
      expect(editor.defaults.firstPrice.validate!('1.5')).to.equal(false);
      expect(editor.defaults.dailyMax.validate!('')).to.equal(true);
    });

    it('takes numbers typed as text, an empty daily maximum as no cap, and an overnight window when ticked', function () {
      const t = tariffFromDef({ ...(shippedTariff as unknown as TariffDef), graceMinutes: '5', dailyMax: '', overnight: 'true', overnightPrice: '15000' });
      expect(t).to.deep.include({ graceMinutes: 5, dailyMax: null });
      expect(t.overnight).to.deep.equal({ from: '22:00', to: '06:00', utcOffset: '+07:00', price: 15000 });
    });

    it('deployed, offers its tariff to charging nodes and reports; a bad one names its fields', async function () {
      await helper.load(nodeFile('tariff'), [
        { ...shippedTariff, id: 'good' },
        { ...shippedTariff, id: 'bad', tariffId: 'other', firstMinutes: '0', lostTicketFee: '1.5' },
      ]);
      expect(helper.getNode('good').tariff).to.deep.equal(DEFAULT_TARIFF);
      expect(deployedTariff('default')).to.deep.equal(DEFAULT_TARIFF);
      const bad = helper.getNode('bad');
      expect(bad.tariff).to.equal(undefined);
      expect(bad.problem).to.match(/firstPeriod\.minutes must be an integer 1-1440 minutes, got 0.*lostTicketFee must be an integer/);
      await helper.unload();
      expect(deployedTariff('default'), 'forgotten once undeployed').to.equal(undefined);
    });
  });

  describe('parking-mongodb', function () {
    let m: TestMongo;
    before(async function () {
      m = await startTestMongo();
    });
    after(async function () {
      await m?.close();
    });

    it('connects, creates the billing indexes at start, and hands out the collections', async function () {
      const editor = editorDefinitions('parking-mongodb.html')['parking-mongodb'];
      expect(valuesOf(editor.defaults)).to.deep.include({ uri: '${PARKING_FLOWS_MONGODB_URI}', database: '${PARKING_FLOWS_MONGODB_DB}' });
      await helper.load(nodeFile('mongodb'), [{ id: 'db', type: 'parking-mongodb', uri: m.uri, database: m.dbName, plateKey: TEST_PLATE_KEY.toString('hex') }]);
      const c = await helper.getNode('db').collections();
      const indexes = (await c.gateEvents.listIndexes().toArray()).map((i: { name: string }) => i.name);
      expect(indexes).to.include('eventId_unique');
      expect(helper.getNode('db').hosts).to.equal(m.uri.replace(/^mongodb:\/\/([^/]+)\/.*$/, '$1'));
    });

    it('says which setting is wrong: a bad URI, a bad database name, an unset environment variable', async function () {
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ uri: 'http://db:27017', database: 'parking' }, /URI must start with mongodb:\/\/ or mongodb\+srv:\/\//],
        [{ uri: m.uri, database: 'a.b' }, /database must be 1-63 characters/],
        [{ uri: '${PARKING_TEST_UNSET_URI}', database: 'parking' }, /URI is \$\{PARKING_TEST_UNSET_URI\}, but that environment variable is not set/],
        [{ uri: m.uri, database: 'parking', plateKey: 'secret' }, /a plate key is 32 random bytes as 64 hex digits/],
        [{ uri: m.uri, database: 'parking', plateKey: TEST_PLATE_KEY.toString('hex'), plateDays: '-1' }, /plate retention must be a number of days from 0/],
        [{ uri: m.uri, database: 'parking', plateKey: TEST_PLATE_KEY.toString('hex'), gateEventDays: 'ninety' }, /gate event retention must be a number of days/],
      ];
      for (const [props, expected] of cases) {
        await helper.load(nodeFile('mongodb'), [{ id: 'db', type: 'parking-mongodb', ...props }]);
        const node = helper.getNode('db');
        const err = await node.collections().catch((e: Error) => e);
        expect(err).to.be.instanceOf(Error);
        expect(err.message).to.match(expected);
        await helper.unload();
      }
    });

    it('takes the plate key given, or keeps one in the user directory; with neither it says how to give one', async function () {
      const { plateKeyOf } = await import('../../flows/nodes/index.ts');
      expect(plateKeyOf({ plateKey: TEST_PLATE_KEY.toString('hex') }, undefined)).to.deep.equal(TEST_PLATE_KEY);
      expect(() => plateKeyOf({ plateKey: '${PARKING_TEST_UNSET_KEY}' }, undefined)).to.throw(/no plate key: set the node's plate key \(PARKING_FLOWS_PLATE_KEY\)/);
      const userDir = mkdtempSync(join(tmpdir(), 'parking-userdir-'));
      const made = plateKeyOf({ plateKey: '' }, userDir);
      expect(made).to.have.length(32);
      expect(statSync(join(userDir, 'parking-plate-key')).mode & 0o777).to.equal(0o600);
      expect(plateKeyOf({}, userDir), 'the same key at the next start').to.deep.equal(made);
      rmSync(userDir, { recursive: true, force: true });
    });

    it('puts the user and password of its credentials into the URI', async function () {
      const { connectionString } = await import('../../flows/nodes/index.ts');
      expect(connectionString('mongodb://h1,h2/?replicaSet=rs0', 'ops', 'p@ss:w')).to.equal('mongodb://ops:p%40ss%3Aw@h1,h2/?replicaSet=rs0');
      expect(connectionString('mongodb://old:x@h1/db', 'new', 'y')).to.equal('mongodb://new:y@h1/db');
      expect(connectionString('mongodb://h1/db')).to.equal('mongodb://h1/db');
    });
  });

  describe('parking-mqtt-failover', function () {
    const flow = (after: number) => [
      { id: 'fo', type: 'parking-mqtt-failover', urls: 'mqtt://primary:1883, mqtt://u:secret@standby:1884', after, wires: [['out']] },
      { id: 'out', type: 'helper' },
    ];

    it('moves to the next broker after the connection was down for a while, and rotates while none answers', async function () {
      // Down from the start until an mqtt node reports connected.
      const down = Date.now();
      await helper.load(nodeFile('mqtt-failover'), flow(100));
      const fo = helper.getNode('fo');
      const out = helper.getNode('out');
      const switched = new Promise<{ msg: any; at: number }>((resolve) => out.on('input', (msg) => resolve({ msg, at: Date.now() })));
      fo.receive({ status: { fill: 'yellow', shape: 'ring', text: 'node-red:common.status.connecting' } });
      const first = await switched;
      expect(first.msg).to.deep.include({ action: 'connect', broker: { broker: 'mqtt://u:secret@standby:1884', force: true }, payload: 'mqtt://u:***@standby:1884' });
      expect(first.at - down).to.be.at.least(90);
      const back = await new Promise<any>((resolve) => out.on('input', resolve));
      expect(back.broker.broker).to.equal('mqtt://primary:1883');
    });

    it('stays while the connection is up; a later outage waits the full delay again', async function () {
      await helper.load(nodeFile('mqtt-failover'), flow(150));
      const fo = helper.getNode('fo');
      const out = helper.getNode('out');
      fo.receive({ status: { fill: 'green', shape: 'dot', text: 'node-red:common.status.connected' } });
      const outage = Date.now();
      fo.receive({ status: { fill: 'red', shape: 'ring', text: 'node-red:common.status.disconnected' } });
      const msg = await new Promise<any>((resolve) => out.on('input', resolve));
      expect(Date.now() - outage).to.be.at.least(140);
      expect(msg.broker.broker).to.equal('mqtt://u:secret@standby:1884');
    });

    it('reports missing broker URLs', async function () {
      await helper.load(nodeFile('mqtt-failover'), [{ id: 'fo', type: 'parking-mqtt-failover', urls: '${PARKING_TEST_UNSET_URLS}', after: 100, wires: [] }]);
      const node = helper.getNode('fo');
      const status = node.status.lastCall?.args[0];
      expect(status).to.deep.include({ fill: 'red', text: 'no broker URLs' });
      expect(node.error.lastCall.args[0]).to.match(/PARKING_TEST_UNSET_URLS is not set/);
    });
  });

  describe('parking-mqtt-out', function () {
    /** A stand-in for Node-RED's mqtt-broker configuration: what parking-mqtt-out uses of it. */
    function fakeBroker(RED: any) {
      RED.nodes.registerType('fake-broker', function (this: any, def: any) {
        RED.nodes.createNode(this, def);
        this.connected = def.connected === true;
        this.published = [] as Array<{ topic: string; payload: unknown }>;
        this.users = 0;
        this.register = () => (this.users += 1);
        this.deregister = (_node: unknown, done: () => void) => {
          this.users -= 1;
          done();
        };
        this.publish = (msg: { topic: string; payload: unknown }, done: (err?: Error) => void) => {
          this.published.push({ topic: msg.topic, payload: msg.payload });
          done();
        };
      });
    }
    const flow = (primaryUp: boolean, standbyUp: boolean) => [
      { id: 'p', type: 'fake-broker', connected: primaryUp },
      { id: 's', type: 'fake-broker', connected: standbyUp },
      { id: 'out', type: 'parking-mqtt-out', broker: 'p', standby: 's' },
    ];
    const msg = (n: number) => ({ topic: `parking/l/gate/g/display`, payload: { n } });

    it('publishes through the primary while it is connected, otherwise through the standby', async function () {
      await helper.load([fakeBroker, nodeFile('mqtt-out')], flow(true, true));
      const [p, s, out] = ['p', 's', 'out'].map((id) => helper.getNode(id) as any);
      expect([p.users, s.users], 'both connections kept up').to.deep.equal([1, 1]);
      out.receive(msg(1));
      p.connected = false;
      out.receive(msg(2));
      expect(p.published.map((m: any) => m.payload.n)).to.deep.equal([1]);
      expect(s.published.map((m: any) => m.payload.n)).to.deep.equal([2]);
    });

    it('holds messages while neither broker is connected and sends them in order once one is', async function () {
      await helper.load([fakeBroker, nodeFile('mqtt-out')], flow(false, false));
      const [p, s, out] = ['p', 's', 'out'].map((id) => helper.getNode(id) as any);
      for (const n of [1, 2, 3]) out.receive(msg(n));
      expect(out.status.lastCall.args[0]).to.deep.include({ text: 'no broker connected: 3 held' });
      const sent = new Promise<void>((resolve) => {
        const publish = s.publish;
        s.publish = (m: any, done: any) => {
          publish(m, done);
          if (s.published.length === 3) resolve();
        };
      });
      s.connected = true;
      await sent;
      expect(s.published.map((m: any) => m.payload.n)).to.deep.equal([1, 2, 3]);
      expect(p.published).to.deep.equal([]);
    });

    it(`holds at most ${MAX_HELD}: past that the oldest is dropped with an error`, async function () {
      await helper.load([fakeBroker, nodeFile('mqtt-out')], flow(false, false));
      const out = helper.getNode('out') as any;
      const error = nextError(out, 'the drop');
      for (let n = 0; n <= MAX_HELD; n++) out.receive(msg(n));
      expect(await error).to.match(/more than 1000 messages held while no MQTT broker is connected/);
    });
  });

  it('load into a Node-RED started on its own, without a TypeScript loader (tsx compiles them on the fly)', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'parking-standalone-'));
    try {
      await writeFile(join(dir, 'flows.json'), JSON.stringify([{ ...shippedTariff, id: 't' }]));
      const script = `
        const RED = require(${JSON.stringify(createRequire(import.meta.url).resolve('node-red'))});
        RED.init(require('node:http').createServer(), { userDir: ${JSON.stringify(join(dir, 'ud'))}, flowFile: ${JSON.stringify(join(dir, 'flows.json'))},
          nodesDir: [${JSON.stringify(fileURLToPath(new URL('../../flows/nodes/', import.meta.url)))}], httpAdminRoot: false, logging: { console: { level: 'off' } } });
        RED.events.once('flows:started', async () => {
          console.log(JSON.stringify(RED.nodes.getNode('t').tariff));
          await RED.stop();
          process.exit(0);
        });
        RED.start();`;
      await writeFile(join(dir, 'run.cjs'), script);
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS'));
      const child = spawn(process.execPath, [join(dir, 'run.cjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code, out).to.equal(0);
      expect(JSON.parse(out.trim().split('\n').at(-1)!)).to.deep.equal(DEFAULT_TARIFF);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every shipped node has an editor definition, a template and help', function () {
    const types = ['parking-mongodb', 'parking-tariff', 'parking-charging', 'parking-report', 'parking-mqtt-failover', 'parking-mqtt-out'];
    for (const type of types) expect(editorDefinitions(`${type}.html`)).to.have.property(type);
    const pkg = JSON.parse(readFileSync(new URL('../../flows/nodes/package.json', import.meta.url), 'utf8'));
    expect(Object.keys(pkg['node-red'].nodes)).to.have.members(types);
  });
});
