// The Node-RED package (npm run build:node-red), as a Node-RED user gets it: built, packed
// with npm, installed from the tarball into a Node-RED user directory, then
// - loaded by node-red-node-test-helper from the installed files, and
// - run by a real Node-RED (node_modules/node-red/red.js, plain node, no tsx) with the
//   package's example flow: a gate event over MQTT is answered on the gate's display and
//   the session lands in MongoDB.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { buildNodeRedPackage, NODE_RED_PACKAGE, type FlowNode } from '../../flows/package/index.ts';
import { ROOT, startPart, type Part } from '../../proc/index.ts';
import { freePort } from '../../testbed/services/index.ts';
import { startBroker, type RunningBroker } from '../helpers/brokers.ts';
import { startTestMongo, uniqueName, waitFor, type TestMongo } from '../helpers/mongo.ts';
import { TEST_PLATE_KEY } from '../helpers/plates.ts';
import { helper, nextInput } from './helpers.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** Node-RED's own nodes: what an example may use besides ours. */
const CORE = new Set(['tab', 'mqtt in', 'mqtt out', 'mqtt-broker', 'status', 'catch', 'debug', 'inject', 'link out', 'link in', 'function', 'change', 'switch']);

describe('flows: the Node-RED package, installed from its tarball', function () {
  this.timeout(120_000);
  let work: string;
  let installed: string;
  let manifest: { name: string; dependencies?: object; 'node-red': { version: string; nodes: Record<string, string>; plugins?: Record<string, string> } };

  before(async function () {
    work = await mkdtemp(join(tmpdir(), 'parking-nr-package-'));
    const built = await buildNodeRedPackage(join(work, 'build/'));
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', work, built.dir], { timeout: 60_000 });
    const tarball = join(work, stdout.trim().split('\n').pop()!);
    const userDir = join(work, 'user');
    await run('mkdir', ['-p', userDir]);
    writeFileSync(join(userDir, 'package.json'), '{"name":"node-red-project","private":true}\n');
    // --offline: the package has no dependencies to fetch.
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: userDir, timeout: 60_000 });
    installed = join(userDir, 'node_modules', NODE_RED_PACKAGE);
    manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as typeof manifest;
  });
  after(async function () {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('follows Node-RED\'s packaging: a node-red section whose files exist, an editor template and help for each node, examples, no dependencies', function () {
    expect(manifest.name).to.equal(NODE_RED_PACKAGE);
    expect(manifest.dependencies ?? {}).to.deep.equal({});
    expect(manifest['node-red'].version).to.equal('>=4.0.0');
    expect(Object.keys(manifest['node-red'].nodes)).to.have.members(['parking-mongodb', 'parking-tariff', 'parking-charging', 'parking-report', 'parking-mqtt-failover', 'parking-mqtt-out']);
    for (const [type, file] of Object.entries(manifest['node-red'].nodes)) {
      const editor = readFileSync(join(installed, file.replace(/\.cjs$/, '.html')), 'utf8');
      expect(editor, type).to.include(`RED.nodes.registerType('${type}'`);
      expect(editor, type).to.include(`data-template-name="${type}"`);
      expect(editor, type).to.match(new RegExp(`data-help-name="${type}">\\s*<p>\\S`));
    }
    for (const file of ['README.md', 'LICENSE', 'THIRD-PARTY-NOTICES.md', 'runtime.cjs']) expect(existsSync(join(installed, file)), file).to.equal(true);
    expect(readdirSync(join(installed, 'examples')).sort()).to.deep.equal(['charging-at-the-gates.json', 'revenue-report.json']);
  });

  it('has examples that use only Node-RED\'s nodes and ours, with every configuration node they name on board and no platform setting left unset', function () {
    const ours = new Set(Object.keys(manifest['node-red'].nodes));
    for (const file of readdirSync(join(installed, 'examples'))) {
      const flow = JSON.parse(readFileSync(join(installed, 'examples', file), 'utf8')) as FlowNode[];
      const ids = new Set(flow.map((n) => n.id));
      const tab = flow.find((n) => n.type === 'tab')!;
      const env = new Set((tab.env as Array<{ name: string }>).map((e) => e.name));
      for (const node of flow) {
        expect(CORE.has(node.type) || ours.has(node.type), `${file}: ${node.type}`).to.equal(true);
        if (node.type !== 'tab') expect(node.z, `${file}: ${node.id} on the tab`).to.equal(tab.id);
        for (const [key, value] of Object.entries(node)) {
          if (node.type !== 'mqtt-broker' && ['mongodb', 'tariff', 'broker', 'standby'].includes(key) && value) expect(ids.has(value as string), `${file}: ${node.id}.${key}`).to.equal(true);
          const named = typeof value === 'string' ? /^\$\{(\w+)\}$/.exec(value)?.[1] : undefined;
          // The plate key alone is left unset on purpose: the node then makes one in the user directory.
          if (named && named !== 'PARKING_FLOWS_PLATE_KEY') expect(env.has(named), `${file}: ${node.id}.${key} reads ${named}`).to.equal(true);
        }
      }
    }
  });

  describe('in node-red-node-test-helper, from the installed files', function () {
    let m: TestMongo;
    before(async function () {
      m = await startTestMongo();
    });
    after(async function () {
      await helper.unload();
      await m?.close();
    });

    it('charges an entry and an exit', async function () {
      const nodes = ['parking-mongodb', 'parking-tariff', 'parking-charging'].map((type) => require(join(installed, manifest['node-red'].nodes[type])) as unknown);
      const example = JSON.parse(readFileSync(join(installed, 'examples/charging-at-the-gates.json'), 'utf8')) as FlowNode[];
      const tariff = { ...example.find((n) => n.type === 'parking-tariff')!, z: undefined };
      const database = uniqueName('package');
      await helper.load(nodes, [
        { id: 'db', type: 'parking-mongodb', uri: m.uri, database, plateKey: TEST_PLATE_KEY.toString('hex') },
        tariff,
        { id: 'charging', type: 'parking-charging', mongodb: 'db', tariff: tariff.id, topicRoot: 'parking', wires: [['display'], []] },
        { id: 'display', type: 'helper' },
      ]);
      const display = helper.getNode('display');
      const event = (eventId: string, direction: string, ts: number) => ({ topic: `parking/mall-1/gate/g1/event`, payload: Buffer.from(JSON.stringify({ eventId, direction, carId: 'B1234XYZ', ts })) });
      const welcomed = nextInput(display, 'the entry display');
      helper.getNode('charging').receive(event('pkg-1', 'entry', Date.parse('2026-11-22T03:00:00Z')));
      expect((await welcomed).payload).to.deep.include({ direction: 'entry', text: 'Welcome B1234XYZ' });
      const charged = nextInput(display, 'the exit display');
      helper.getNode('charging').receive(event('pkg-2', 'exit', Date.parse('2026-11-22T05:05:00Z')));
      expect((await charged).payload).to.deep.include({ direction: 'exit', durationMinutes: 125, fee: 13000, currency: 'IDR' });
    });
  });

  describe('in a real Node-RED started from the package, with its example flow', function () {
    let broker: RunningBroker;
    let m: TestMongo;
    let red: Part | undefined;
    let database: string;
    let url: string;

    before(async function () {
      broker = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
      m = await startTestMongo();
      database = uniqueName('package');
      const userDir = join(work, 'user');
      const flow = JSON.parse(readFileSync(join(installed, 'examples/charging-at-the-gates.json'), 'utf8')) as FlowNode[];
      const settings: Record<string, string> = {
        PARKING_FLOWS_MQTT_URL: broker.url,
        PARKING_FLOWS_MQTT_STANDBY_URL: broker.url,
        PARKING_FLOWS_MQTT_URLS: broker.url,
        PARKING_FLOWS_MONGODB_URI: m.uri,
        PARKING_FLOWS_MONGODB_DB: database,
      };
      // What a user does in the tab's Environment variables.
      for (const e of flow.find((n) => n.type === 'tab')!.env as Array<{ name: string; value: string }>) e.value = settings[e.name] ?? e.value;
      writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow));
      const subscribed = new Promise<void>((resolve) => {
        const onSubscribe = (subs: Array<{ topic: string }>) => subs.some((s) => s.topic === 'parking/+/gate/+/event') && resolve();
        broker.aedes.on('subscribe', onSubscribe);
      });
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      red = await startPart({
        name: 'node-red',
        script: join(ROOT, 'node_modules/node-red/red.js'),
        args: ['--userDir', userDir, '--port', String(port), '-D', 'uiHost=127.0.0.1', 'flows.json'],
        ready: /Started flows/,
        readyTimeoutMs: 90_000,
      });
      await subscribed;
    });
    after(async function () {
      await red?.stop();
      await broker?.close();
      await m?.close();
    });

    it('loads our six nodes from the package, with no error', async function () {
      const response = await fetch(`${url}/nodes`, { headers: { accept: 'application/json' } });
      expect(response.status).to.equal(200);
      const sets = ((await response.json()) as Array<{ module: string; types: string[]; enabled: boolean; err?: string }>).filter((s) => s.module === NODE_RED_PACKAGE);
      expect(sets.flatMap((s) => s.types)).to.include.members(Object.keys(manifest['node-red'].nodes));
      for (const set of sets) expect([set.types.join(), set.enabled, set.err]).to.deep.equal([set.types.join(), true, undefined]);
    });

    it('answers a gate event published over MQTT on the gate display, and records the session in MongoDB', async function () {
      const client = await mqtt.connectAsync(broker.url, { clientId: `package-gate-${process.pid}` });
      try {
        await client.subscribeAsync('parking/mall-1/gate/g1/display', { qos: 1 });
        const shown = new Promise<Record<string, unknown>>((resolve) => client.once('message', (_t, payload) => resolve(JSON.parse(payload.toString()) as Record<string, unknown>)));
        await client.publishAsync('parking/mall-1/gate/g1/event', JSON.stringify({ eventId: 'pkg-red-1', direction: 'entry', carId: 'B777RED' }), { qos: 1 });
        expect(await shown).to.deep.include({ carId: 'B777RED', direction: 'entry', status: 'open' });
      } finally {
        await client.endAsync();
      }
      const sessions = m.client().db(database).collection('sessions');
      const session = await waitFor(() => sessions.findOne({ carId: 'B777RED' }), 'the session in MongoDB', { timeoutMs: 20_000 });
      expect(session).to.deep.include({ lot: 'mall-1', status: 'open' });
    });
  });
});
