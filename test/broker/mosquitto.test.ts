// A real Mosquitto as the standby, with .mosquitto/standby-bridge.conf, bridged
// to an Aedes primary process: retained state both ways, each message once.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { startMosquitto, type ServiceHandle } from '../../testbed/services/index.ts';
import { startBrokerProcess, type BrokerProcess } from '../helpers/brokers.ts';
import { requireBinary } from '../helpers/services.ts';
import { closeAll, connect, recorder, unique, type Recorder } from './clients.ts';

const CONF = new URL('../../.mosquitto/standby-bridge.conf', import.meta.url);

/** The bridge section with its `address` pointed at `port`. */
function bridgeConfig(port: number): string[] {
  const lines = readFileSync(CONF, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  expect(lines.filter((line) => line.startsWith('address '))).to.have.length(1);
  return lines.map((line) => (line.startsWith('address ') ? `address 127.0.0.1:${port}` : line));
}

const slot = (status: string, ts: number) => JSON.stringify({ status, ts });

async function flush(fromUrl: string, lot: string, recorders: Recorder[]): Promise<void> {
  const topic = `parking/${lot}/gate/${unique('m')}/event`;
  const payload = JSON.stringify({ eventId: unique('e'), direction: 'exit', carId: 'B1', ts: 1 });
  const client = await connect(fromUrl);
  await client.publishAsync(topic, payload, { qos: 1 });
  await Promise.all(recorders.map((rec) => rec.on(topic, payload)));
  await client.endAsync();
}

/** Resolves once the bridge carries the primary's retained state: a retained probe shows up on the standby. */
async function bridgeUp(primaryUrl: string, standbyUrl: string): Promise<void> {
  const topic = `parking/${unique('probe')}/availability`;
  const p = await connect(primaryUrl);
  await p.publishAsync(topic, '{}', { qos: 1, retain: true });
  await (await recorder(standbyUrl, topic)).on(topic);
  await p.endAsync();
}

describe('bridge: Mosquitto standby (.mosquitto/standby-bridge.conf) to Aedes primary', function () {
  this.timeout(90_000);
  let primary: BrokerProcess;
  let mosquitto: ServiceHandle;

  before(requireBinary('mosquitto', 'mosquitto'));
  before(async () => {
    primary = await startBrokerProcess({ role: 'primary' });
    mosquitto = await startMosquitto({ config: bridgeConfig(primary.port) });
    await bridgeUp(primary.url, mosquitto.url);
  });
  afterEach(closeAll);
  after(async () => {
    await closeAll();
    await mosquitto?.stop();
    await primary?.stop();
  });

  it('retained state published on either side is retained on the other, each message exactly once', async () => {
    const lot = unique('lot');
    const onPrimary = await recorder(primary.url, `parking/${lot}/#`);
    const onMosquitto = await recorder(mosquitto.url, `parking/${lot}/#`);
    const p = await connect(primary.url);
    const m = await connect(mosquitto.url);
    const a = `parking/${lot}/slot/B1/01`;
    const b = `parking/${lot}/slot/B1/02`;
    await p.publishAsync(a, slot('occupied', 10), { qos: 1, retain: true });
    await m.publishAsync(b, slot('free', 20), { qos: 1, retain: true });
    for (let round = 0; round < 2; round += 1) {
      await flush(primary.url, lot, [onPrimary, onMosquitto]);
      await flush(mosquitto.url, lot, [onPrimary, onMosquitto]);
    }
    for (const rec of [onPrimary, onMosquitto]) {
      expect(rec.count(a)).to.equal(1);
      expect(rec.count(b)).to.equal(1);
    }
    for (const url of [primary.url, mosquitto.url]) {
      const late = await recorder(url, `parking/${lot}/#`);
      expect((await late.on(a)).payload).to.equal(slot('occupied', 10));
      expect((await late.on(b)).payload).to.equal(slot('free', 20));
      expect([late.of(a)[0].retain, late.of(b)[0].retain], url).to.deep.equal([true, true]);
      await flush(url, lot, [late]);
      expect(late.count(a) + late.count(b), url).to.equal(2);
    }
  });

  it('never loops: 30 messages each way arrive once on each side', async () => {
    const lot = unique('lot');
    const onPrimary = await recorder(primary.url, `parking/${lot}/#`);
    const onMosquitto = await recorder(mosquitto.url, `parking/${lot}/#`);
    const p = await connect(primary.url);
    const m = await connect(mosquitto.url);
    for (let i = 0; i < 30; i += 1) {
      await p.publishAsync(`parking/${lot}/slot/P/${i}`, slot('occupied', 100 + i), { qos: 1, retain: true });
      await m.publishAsync(`parking/${lot}/gate/g${i}/event`, JSON.stringify({ eventId: `e${i}`, direction: 'entry', carId: 'B1', ts: i }), { qos: 1 });
    }
    for (let round = 0; round < 2; round += 1) {
      await flush(primary.url, lot, [onPrimary, onMosquitto]);
      await flush(mosquitto.url, lot, [onPrimary, onMosquitto]);
    }
    const data = (rec: Recorder) => rec.messages.filter((msg) => /\/slot\/P\/|\/gate\/g\d+\//.test(msg.topic));
    expect(data(onPrimary)).to.have.length(60);
    expect(data(onMosquitto)).to.have.length(60);
  });

  it('after Mosquitto restarts empty, the primary retained state is back on it', async () => {
    const lot = unique('lot');
    const a = `parking/${lot}/slot/B3/01`;
    const p = await connect(primary.url);
    await p.publishAsync(a, slot('closed', 30), { qos: 1, retain: true });
    await mosquitto.restart();
    await bridgeUp(primary.url, mosquitto.url);
    const late = await recorder(mosquitto.url, `parking/${lot}/#`);
    expect((await late.on(a)).payload).to.equal(slot('closed', 30));
    expect(late.of(a)[0].retain).to.equal(true);
  });
});
