import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Db } from 'mongodb';
import { uniqueName, startTestMongo, type TestMongo } from '../helpers/mongo.ts';
import { TEST_PLATE_KEY } from '../helpers/plates.ts';
import { collect, helper, nextError, nextInput, nodeFile } from './helpers.ts';

const SHIPPED = JSON.parse(readFileSync(new URL('../../flows/parking.json', import.meta.url), 'utf8')) as Array<Record<string, unknown>>;
const TARIFF = { ...SHIPPED.find((n) => n.type === 'parking-tariff')!, id: 'tariff' };
const NODES = [nodeFile('mongodb'), nodeFile('tariff'), nodeFile('charging')];
const MIN = 60_000;
const T0 = Date.parse('2026-11-22T03:00:00.000Z');

let n = 0;
const gate = (direction: 'entry' | 'exit', carId: string, ts: number, gateId = direction === 'entry' ? 'in-1' : 'out-1', eventId?: string) => {
  n += 1;
  return { topic: `parking/mall-1/gate/${gateId}/event`, payload: Buffer.from(JSON.stringify({ eventId: eventId ?? `node-${n}`, direction, carId, ts })) };
};

describe('flows: parking-charging node', function () {
  this.timeout(30_000);
  let m: TestMongo;
  let db: Db;

  before(async function () {
    m = await startTestMongo();
  });
  after(async function () {
    await m?.close();
  });

  async function load(extra: Record<string, unknown> = {}) {
    const dbName = uniqueName('charging');
    db = m.client().db(dbName);
    await helper.load(NODES, [
      { id: 'db', type: 'parking-mongodb', uri: m.uri, database: dbName, plateKey: TEST_PLATE_KEY.toString('hex') },
      TARIFF,
      { id: 'charging', type: 'parking-charging', mongodb: 'db', tariff: 'tariff', topicRoot: 'parking', wires: [['display'], ['session']], ...extra },
      { id: 'display', type: 'helper' },
      { id: 'session', type: 'helper' },
    ]);
    return { charging: helper.getNode('charging'), display: helper.getNode('display'), session: helper.getNode('session') };
  }

  afterEach(async function () {
    await helper.unload();
  });

  it('answers an entry with a welcome and an exit with the fee, on the gate display topic with QoS 1', async function () {
    const { charging, display, session } = await load();
    const welcomed = nextInput(display, 'the entry display');
    charging.receive(gate('entry', 'B1234XYZ', T0));
    const entry = await welcomed;
    expect(entry).to.deep.include({ topic: 'parking/mall-1/gate/in-1/display', qos: 1, retain: false });
    expect(entry.payload).to.deep.include({ carId: 'B1234XYZ', direction: 'entry', text: 'Welcome B1234XYZ' });
    expect(entry.payload).to.not.have.property('fee');

    const charged = nextInput(display, 'the exit display');
    const recorded = nextInput(session, 'the exit recorded in MongoDB', (msg) => (msg.payload as { status: string }).status === 'closed');
    charging.receive(gate('exit', 'B1234XYZ', T0 + 125 * MIN));
    const exit = await charged;
    expect(exit.topic).to.equal('parking/mall-1/gate/out-1/display');
    expect(exit.payload).to.deep.equal({
      carId: 'B1234XYZ',
      sessionId: (entry.payload as { sessionId: string }).sessionId,
      direction: 'exit',
      status: 'closed',
      durationMinutes: 125,
      fee: 13000,
      currency: 'IDR',
      text: 'B1234XYZ  2h05m  Rp13.000',
    });
    await recorded;
    expect(await db.collection('sessions').findOne({ carId: 'B1234XYZ' })).to.deep.include({ status: 'closed', fee: 13000, durationMinutes: 125 });
  });

  it('takes a parsed JSON payload too, and lot and gate from msg.lot and msg.gate without a gate topic', async function () {
    const { charging, display } = await load();
    const shown = nextInput(display, 'the display');
    charging.receive({ topic: 'anything', lot: 'mall-9', gate: 'g2', payload: { eventId: 'obj-1', direction: 'entry', carId: 'b 77 cd' } });
    const msg = await shown;
    expect(msg.topic).to.equal('parking/mall-9/gate/g2/display');
    expect(msg.payload).to.deep.include({ carId: 'B77CD' });
  });

  it('applies the events of one car in the order they arrive, even sent back to back', async function () {
    const { charging, display } = await load();
    const seen = collect(display);
    const last = nextInput(display, 'the third display', () => seen.length === 3);
    charging.receive(gate('entry', 'ORDER1', T0));
    charging.receive(gate('exit', 'ORDER1', T0 + 30 * MIN));
    charging.receive(gate('entry', 'ORDER1', T0 + 60 * MIN));
    await last;
    expect(seen.map((msg) => (msg.payload as { status: string }).status)).to.deep.equal(['open', 'closed', 'open']);
  });

  it('a repeated event: no second display, no second charge; the session output says it was a repeat', async function () {
    const { charging, display, session } = await load();
    const displays = collect(display);
    const sessions = collect(session);
    const entry = gate('entry', 'DUP1', T0);
    const exit = gate('exit', 'DUP1', T0 + 61 * MIN);
    const done = nextInput(session, 'the fifth session message', () => sessions.length === 5);
    for (const msg of [entry, entry, exit, exit, exit]) charging.receive(msg);
    await done;
    expect(displays.map((msg) => (msg.payload as { direction: string }).direction)).to.deep.equal(['entry', 'exit']);
    expect(sessions.map((msg) => (msg.payload as { duplicate: boolean }).duplicate)).to.deep.equal([false, true, false, true, true]);
    expect(await db.collection('sessions').find({ carId: 'DUP1' }).toArray()).to.have.length(1);
    expect((await db.collection('sessions').findOne({ carId: 'DUP1' }))!.fee).to.equal(9000);
    expect(await db.collection('gateEvents').countDocuments({ carId: 'DUP1' })).to.equal(2);
  });

  it('with "send the display again", answers a repeat with the same display', async function () {
    const { charging, display } = await load({ repeatDisplay: true });
    const displays = collect(display);
    const entry = gate('entry', 'DUP2', T0);
    const two = nextInput(display, 'the second display', () => displays.length === 2);
    charging.receive(entry);
    charging.receive(entry);
    await two;
    expect(displays[0].payload).to.deep.equal(displays[1].payload);
  });

  it('unmatched exits, double entries and clock skew give explicit statuses and displays', async function () {
    const { charging, display, session } = await load();
    const next = () => nextInput(display, 'a display');
    let shown = next();
    charging.receive(gate('exit', 'LOST1', T0));
    expect((await shown).payload).to.deep.include({ status: 'unmatched', fee: 50000, text: 'LOST1  no entry record  Rp50.000' });

    shown = next();
    charging.receive(gate('entry', 'TWICE1', T0));
    await shown;
    shown = next();
    const recorded = nextInput(session, 'the second entry recorded', (msg) => (msg.payload as { carId: string; entryAt: Date }).carId === 'TWICE1' && (msg.payload as { entryAt: Date }).entryAt.getTime() === T0 + 60 * MIN);
    charging.receive(gate('entry', 'TWICE1', T0 + 60 * MIN));
    await shown;
    await recorded;
    expect(await db.collection('sessions').countDocuments({ carId: 'TWICE1', status: 'superseded' })).to.equal(1);

    shown = next();
    charging.receive(gate('entry', 'SKEW1', T0));
    await shown;
    shown = next();
    charging.receive(gate('exit', 'SKEW1', T0 - 5 * MIN));
    expect((await shown).payload).to.deep.include({ status: 'clockSkew', durationMinutes: 0, text: 'SKEW1  please see the operator' });
    expect(await db.collection('sessions').findOne({ carId: 'SKEW1' })).to.deep.include({ status: 'clockSkew', fee: null });
  });

  it('rejects malformed events with a reason, once per kind and topic, and goes on', async function () {
    const { charging, display } = await load();
    const firstError = nextError(charging, 'the error of a broken event');
    charging.receive({ topic: 'parking/mall-1/gate/in-1/event', payload: Buffer.from('{"eventId":') });
    expect(await firstError).to.match(/gate event on parking\/mall-1\/gate\/in-1\/event: broken JSON/);
    const badTopic = nextError(charging, 'the error of an event without lot and gate');
    charging.receive({ topic: 'elsewhere/x', payload: { eventId: 'x1', direction: 'entry', carId: 'A1' } });
    expect(await badTopic).to.match(/is not parking\/\{lot\}\/gate\/\{gate\}\/event/);
    const errors: string[] = [];
    charging.on('call:error', (call) => errors.push(String(call.args[0])));
    charging.receive({ topic: 'parking/mall-1/gate/in-1/event', payload: Buffer.from('{"eventId":') });
    const shown = nextInput(display, 'the display after the bad events');
    charging.receive(gate('entry', 'GOOD1', T0));
    expect((await shown).payload).to.deep.include({ carId: 'GOOD1' });
    expect(errors, 'the same kind on the same topic is not reported again').to.deep.equal([]);
    expect(charging.status.lastCall.args[0].text).to.match(/1 applied, 3 rejected/);
  });

  it('without a usable tariff, refuses events (not recorded) and says why', async function () {
    const dbName = uniqueName('charging');
    await helper.load(NODES, [
      { id: 'db', type: 'parking-mongodb', uri: m.uri, database: dbName, plateKey: TEST_PLATE_KEY.toString('hex') },
      { ...TARIFF, firstMinutes: '0' },
      { id: 'charging', type: 'parking-charging', mongodb: 'db', tariff: 'tariff', wires: [[], []] },
    ]);
    const charging = helper.getNode('charging');
    const error = nextError(charging, 'the refusal');
    charging.receive(gate('entry', 'NOTARIFF', T0));
    expect(await error).to.match(/tariff not usable: tariff Standard car tariff: firstPeriod\.minutes must be an integer/);
    expect(await m.client().db(dbName).collection('gateEvents').countDocuments()).to.equal(0);
  });
});
