import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Billing, carKeyOf, DEFAULT_TARIFF, prepareBilling, type LotGateEvent } from '../../billing/index.ts';
import { run } from '../../cli/index.ts';
import { testContext } from '../cli/context.ts';
import { startTestMongo, uniqueName, type TestMongo } from '../helpers/mongo.ts';

const KEY = Buffer.alloc(32, 9);

describe('parking plates export|erase (a data subject\'s request)', function () {
  this.timeout(60_000);
  let m: TestMongo;
  let dataDir: string;
  const dbName = uniqueName('plates');
  const env = () => ({ MONGODB_URI: m.uri, PARKING_MONGODB_DB: dbName, PARKING_DATA_DIR: dataDir });

  before(async function () {
    m = await startTestMongo();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'parking-plates-'));
    await writeFile(path.join(dataDir, 'plate-key'), `${KEY.toString('hex')}\n`, { mode: 0o600 });
    const billing = new Billing(await prepareBilling(m.client().db(dbName), (id) => carKeyOf(KEY, id)));
    const ev = (eventId: string, direction: 'entry' | 'exit', carId: string, ts: number): LotGateEvent => ({ eventId, direction, carId, carKey: carKeyOf(KEY, carId), ts, lot: 'mall-1', gate: 'g', receivedAt: ts });
    const t = Date.now() - 3600_000;
    await billing.apply(ev('p1', 'entry', 'B1234XYZ', t), DEFAULT_TARIFF);
    await billing.apply(ev('p2', 'exit', 'B1234XYZ', t + 60_000), DEFAULT_TARIFF);
    await billing.apply(ev('p3', 'entry', 'OTHER1', t), DEFAULT_TARIFF);
  });
  after(async function () {
    await m?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('exports every session and gate event of the plate as JSON, however the plate is written', async function () {
    const ctx = testContext(env());
    expect(await run(['plates', 'export', 'b 1234 xyz'], ctx)).to.equal(0);
    const doc = JSON.parse(ctx.out.join(''));
    expect(doc.plate).to.equal('B1234XYZ');
    expect(doc.sessions).to.have.length(1);
    expect(doc.sessions[0]).to.deep.include({ carId: 'B1234XYZ', status: 'closed' });
    expect(doc.gateEvents.map((e: { eventId: string }) => e.eventId)).to.deep.equal(['p1', 'p2']);
  });

  it('erases only with --yes, then nothing names the plate; other cars stay', async function () {
    const dry = testContext(env());
    expect(await run(['plates', 'erase', 'B1234XYZ'], dry)).to.equal(1);
    expect(dry.out.join('')).to.match(/would erase B1234XYZ from 1 sessions and 2 gate events; add --yes/);

    const ctx = testContext(env());
    expect(await run(['plates', 'erase', 'B1234XYZ', '--yes'], ctx)).to.equal(0);
    expect(ctx.out.join('')).to.match(/erased B1234XYZ from 1 sessions and 2 gate events/);
    const db = m.client().db(dbName);
    const all = JSON.stringify([await db.collection('sessions').find({}).toArray(), await db.collection('gateEvents').find({}).toArray()]);
    expect(all).not.to.include('B1234XYZ');
    expect(all).to.include('OTHER1');
    const after = testContext(env());
    expect(await run(['plates', 'export', 'B1234XYZ'], after)).to.equal(0);
    expect(JSON.parse(after.out.join(''))).to.deep.include({ sessions: [], gateEvents: [] });
  });

  it('refuses a bad plate, a missing database and a missing key with a clear error (exit 2 or 1)', async function () {
    const bad = testContext(env());
    expect(await run(['plates', 'export', 'B*1'], bad)).to.equal(2);
    expect(bad.err.join('')).to.match(/'B\*1' is not a plate/);
    const noDb = testContext({ PARKING_DATA_DIR: dataDir });
    expect(await run(['plates', 'export', 'B1'], noDb)).to.equal(2);
    expect(noDb.err.join('')).to.match(/needs MONGODB_URI/);
    const noKey = testContext({ ...env(), PARKING_DATA_DIR: path.join(dataDir, 'elsewhere') });
    expect(await run(['plates', 'export', 'B1'], noKey)).to.equal(1);
    expect(noKey.err.join('')).to.match(/no plate key: .*plate-key does not exist/);
  });
});
