// Accounts, roles and payload checks, against a broker process with an auth
// file: what each role may and may not publish and subscribe. A refused
// publish is dropped without disconnecting the publisher (later publishes
// still go through); a refused subscription gets SUBACK 0x80; each refusal is
// logged once per client and topic.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { MqttClient } from 'mqtt';
import { hashPassword } from '../../broker/index.ts';
import { startBrokerProcess, type BrokerProcess } from '../helpers/brokers.ts';
import { Recorder, closeAll, connect, recorder, unique } from './clients.ts';

const CHEAP = { N: 1024, r: 8, p: 1 };
const slot = (status: string, ts: number) => JSON.stringify({ status, ts });
const event = (id: string) => JSON.stringify({ eventId: id, direction: 'entry', carId: 'B1234XYZ', ts: 1 });

const ACCOUNTS = {
  'pi-1': { role: 'device', lot: 'L1', device: 'pi-1', slots: ['B1/01', 'B1/02'] },
  'gate-n': { role: 'gate', lot: 'L1', gate: 'north' },
  sign: { role: 'reader' },
  'sign-l2': { role: 'reader', lot: 'L2' },
  ingest: { role: 'service' },
  ops: { role: 'admin' },
  link: { role: 'bridge' },
} as const;
type User = keyof typeof ACCOUNTS;
const password = (user: string) => `pw-${user}`;

/** The SUBACK return codes (MQTT.js rejects a SUBACK holding 0x80; the codes are on the error's packet). */
async function grants(client: MqttClient, filters: string[], qos: 0 | 1 = 1): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos })).map((g) => g.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
    if (!granted) throw error;
    return granted;
  }
}

describe('broker security: accounts, roles, payload checks (process with an auth file)', function () {
  this.timeout(90_000);
  let dir: string;
  let broker: BrokerProcess;
  let watch: Recorder;
  let lot1: string;

  const as = (user: User | string, extra: Record<string, unknown> = {}): Promise<MqttClient> => connect(broker.url, { username: user, password: password(user), ...extra });

  /** Publishes `allowed` after the publishes under test; once it arrived, anything refused before it is known not to have been delivered. */
  async function settle(client: MqttClient, allowedTopic: string, payload: string, retain = false): Promise<void> {
    const arrived = watch.waitNew((m) => m.topic === allowedTopic && m.payload === payload, 10_000, `${allowedTopic} ${payload}`);
    await client.publishAsync(allowedTopic, payload, { qos: 1, retain });
    await arrived;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parking-auth-'));
    const accounts: Record<string, unknown> = {};
    for (const [user, account] of Object.entries(ACCOUNTS)) accounts[user] = { ...account, password: await hashPassword(password(user), CHEAP) };
    writeFileSync(join(dir, 'accounts.json'), JSON.stringify({ accounts }, null, 2));
    broker = await startBrokerProcess({ role: 'primary', allowAnonymous: false, env: { PARKING_MQTT_AUTH_FILE: join(dir, 'accounts.json') } });
    lot1 = 'L1';
  });
  beforeEach(async () => {
    const ops = await as('ops');
    watch = new Recorder(ops);
    await ops.subscribeAsync('parking/#', { qos: 1 });
  });
  afterEach(closeAll);
  after(async () => {
    await closeAll();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('connecting', () => {
    it('refuses a client without credentials (anonymous access is off): CONNACK 5', async () => {
      const error = await connect(broker.url).then(() => undefined, (e: Error & { code?: number }) => e);
      expect(error?.code).to.equal(5);
    });
    it('refuses a wrong password and an unknown user: CONNACK 4', async () => {
      const wrong = await connect(broker.url, { username: 'pi-1', password: 'nope' }).then(() => undefined, (e: Error & { code?: number }) => e);
      expect(wrong?.code).to.equal(4);
      const unknown = await connect(broker.url, { username: 'nobody', password: 'x' }).then(() => undefined, (e: Error & { code?: number }) => e);
      expect(unknown?.code).to.equal(4);
    });
    it('every role may read the broker heartbeat', async () => {
      for (const user of Object.keys(ACCOUNTS) as User[]) {
        const client = await as(user);
        const [grant] = await client.subscribeAsync('$SYS/+/heartbeat', { qos: 0 });
        expect(grant.qos, user).to.equal(0);
      }
    });
  });

  describe('device', () => {
    it('publishes its own slots and status', async () => {
      const pi = await as('pi-1');
      await pi.publishAsync(`parking/${lot1}/slot/B1/01`, slot('occupied', 1), { qos: 1, retain: true });
      await pi.publishAsync(`parking/${lot1}/device/pi-1/status`, 'online', { qos: 1, retain: true });
      await watch.on(`parking/${lot1}/slot/B1/01`, slot('occupied', 1));
      await watch.on(`parking/${lot1}/device/pi-1/status`, 'online');
    });

    it('may not publish other slots, lots, devices or $SYS: dropped, and it stays connected', async () => {
      const pi = await as('pi-1');
      let closed = false;
      pi.on('close', () => (closed = true));
      const denied = [`parking/${lot1}/slot/B1/03`, `parking/L9/slot/B1/01`, `parking/${lot1}/device/pi-2/status`, `parking/${lot1}/availability`, `parking/${lot1}/gate/north/event`, '$SYS/x/heartbeat', 'elsewhere/topic'];
      for (const topic of denied) await pi.publishAsync(topic, topic.endsWith('status') ? 'online' : slot('free', 2), { qos: 1 });
      await settle(pi, `parking/${lot1}/slot/B1/02`, slot('free', 3));
      for (const topic of denied) expect(watch.count(topic), topic).to.equal(0);
      expect(closed).to.equal(false);
      expect(pi.connected).to.equal(true);
    });

    it('its Last Will on its own status topic is published; a will on a topic it may not use is dropped', async () => {
      const status = `parking/${lot1}/device/pi-1/status`;
      const other = `parking/${lot1}/device/pi-2/status`;
      const honest = await as('pi-1', { will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true } });
      const sneaky = await as('pi-1', { clientId: 'pi-1-sneaky', will: { topic: other, payload: Buffer.from('offline'), qos: 1, retain: true } });
      (sneaky.stream as unknown as { destroy(): void }).destroy();
      (honest.stream as unknown as { destroy(): void }).destroy();
      await watch.on(status, 'offline');
      const pi = await as('pi-1');
      await settle(pi, `parking/${lot1}/slot/B1/01`, slot('free', 77));
      expect(watch.count(other)).to.equal(0);
    });

    it('may not subscribe to anything but the heartbeat: SUBACK 0x80', async () => {
      const pi = await as('pi-1');
      expect(await grants(pi, ['parking/#', `parking/${lot1}/slot/B1/01`, '#', '$SYS/#'])).to.deep.equal([128, 128, 128, 128]);
      expect(pi.connected).to.equal(true);
    });

    it('its slot payloads are checked: broken JSON, unknown status, oversize (over 1 KiB) are dropped; valid ones pass', async () => {
      const pi = await as('pi-1');
      const topic = `parking/${lot1}/slot/B1/02`;
      const bad = ['{"status":"occupied"', '{"status":"parked","ts":1}', 'maybe', JSON.stringify({ status: 'free', ts: 5, pad: 'x'.repeat(1100) }), '{"status":"free","ts":-4}'];
      for (const payload of bad) await pi.publishAsync(topic, payload, { qos: 1, retain: true });
      await settle(pi, topic, 'true', true);
      for (const payload of bad) expect(watch.count(topic, payload), payload.slice(0, 30)).to.equal(0);
      expect(watch.count(topic, 'true')).to.equal(1);
      // The retained state is the valid one.
      const late = await recorder(broker.url, topic, { username: 'ingest', password: password('ingest') });
      expect((await late.on(topic)).payload).to.equal('true');
    });
  });

  describe('gate', () => {
    it('publishes its gate events and reads its display; nothing else', async () => {
      const gate = await as('gate-n');
      const display = `parking/${lot1}/gate/north/display`;
      expect(await grants(gate, [display, `parking/${lot1}/gate/south/display`, `parking/${lot1}/#`])).to.deep.equal([1, 128, 128]);
      const shown = new Promise<string>((resolve) => gate.on('message', (topic, payload) => topic === display && resolve(payload.toString())));
      const service = await as('ingest');
      await service.publishAsync(display, '{"carId":"B1","direction":"entry","text":"Welcome"}', { qos: 1 });
      expect(await shown).to.include('Welcome');

      await gate.publishAsync(`parking/${lot1}/gate/south/event`, event('s1'), { qos: 1 });
      await gate.publishAsync(`parking/${lot1}/slot/B1/01`, slot('free', 9), { qos: 1 });
      await gate.publishAsync(`parking/${lot1}/gate/north/event`, '{"direction":"sideways"}', { qos: 1 });
      await settle(gate, `parking/${lot1}/gate/north/event`, event('n1'));
      expect(watch.count(`parking/${lot1}/gate/south/event`)).to.equal(0);
      expect(watch.count(`parking/${lot1}/slot/B1/01`, slot('free', 9))).to.equal(0);
      expect(watch.count(`parking/${lot1}/gate/north/event`)).to.equal(1);
    });
  });

  describe('reader', () => {
    it('subscribes to availability, forecasts and alarms (of its lot only when it has one), never to plates or slots, and publishes nothing', async () => {
      const sign = await as('sign');
      expect(await grants(sign, ['parking/+/availability', 'parking/+/availability/+', 'parking/+/forecast/#', 'parking/+/alarm/+', 'parking/#', 'parking/+/gate/+/display', 'parking/+/slot/+/+', '#', 'other/#'])).to.deep.equal([1, 1, 1, 1, 128, 128, 128, 128, 128]);
      const signL2 = await as('sign-l2');
      expect(await grants(signL2, ['parking/L2/availability/#', 'parking/L1/availability', 'parking/L2/#', 'parking/+/availability'])).to.deep.equal([1, 128, 128, 128]);
      await sign.publishAsync(`parking/${lot1}/availability`, '{}', { qos: 1 });
      const pi = await as('pi-1');
      await settle(pi, `parking/${lot1}/device/pi-1/status`, 'offline');
      expect(watch.count(`parking/${lot1}/availability`, '{}')).to.equal(0);
      expect(sign.connected).to.equal(true);
    });
  });

  describe('service', () => {
    it('publishes availability and gate displays, subscribes everything, may not publish slot states or gate events', async () => {
      const ingest = await as('ingest');
      expect((await ingest.subscribeAsync(['parking/#'], { qos: 1 })).map((g) => g.qos)).to.deep.equal([1]);
      await ingest.publishAsync(`parking/${lot1}/slot/B1/01`, slot('closed', 99), { qos: 1 });
      await ingest.publishAsync(`parking/${lot1}/gate/north/event`, event('x1'), { qos: 1 });
      await ingest.publishAsync(`parking/${lot1}/availability`, '{"lot":"L1"}', { qos: 1, retain: true });
      await settle(ingest, `parking/${lot1}/availability/B1`, '12');
      expect(watch.count(`parking/${lot1}/availability`, '{"lot":"L1"}')).to.equal(1);
      expect(watch.count(`parking/${lot1}/slot/B1/01`, slot('closed', 99))).to.equal(0);
      expect(watch.count(`parking/${lot1}/gate/north/event`, event('x1'))).to.equal(0);
    });
  });

  describe('admin', () => {
    it('publishes anywhere outside $SYS, clears retained states, reads $SYS', async () => {
      const ops = await as('ops');
      expect((await ops.subscribeAsync(['$SYS/#'], { qos: 0 })).map((g) => g.qos)).to.deep.equal([0]);
      const topic = `parking/${unique('lot')}/slot/Z/1`;
      await ops.publishAsync(topic, slot('free', 1), { qos: 1, retain: true });
      await ops.publishAsync(topic, '', { qos: 1, retain: true });
      await settle(ops, `parking/${lot1}/availability/Z`, '3', true);
      const late = await recorder(broker.url, 'parking/#', { username: 'ingest', password: password('ingest') });
      await late.on(`parking/${lot1}/availability/Z`);
      expect(late.count(topic)).to.equal(0);
    });
  });

  describe('bridge', () => {
    it('a standby with a bridge account (user and password in --primary) bridges to the protected primary', async () => {
      const url = new URL(broker.url);
      url.username = 'link';
      url.password = password('link');
      const standby = await startBrokerProcess({ role: 'standby', primaryUrl: url.href });
      try {
        await standby.waitForOutput(/bridge: resynchronised with the primary/);
        const lot = unique('lot');
        const onStandby = await recorder(standby.url, `parking/${lot}/#`);
        const ops = await as('ops');
        await ops.publishAsync(`parking/${lot}/availability`, '{"a":1}', { qos: 1, retain: true });
        await onStandby.on(`parking/${lot}/availability`, '{"a":1}');
        const local = await connect(standby.url);
        await local.publishAsync(`parking/${lot}/availability/B1`, '4', { qos: 1, retain: true });
        await watch.on(`parking/${lot}/availability/B1`, '4');
        expect(standby.output()).to.not.include(password('link'));
      } finally {
        await standby.stop();
      }
    });
  });

  it('logs each refusal once per client and topic, naming client, topic and reason', async () => {
    const pi = await as('pi-1', { clientId: 'pi-1-logcheck' });
    const topic = `parking/${lot1}/slot/B1/07`;
    for (let i = 0; i < 5; i += 1) await pi.publishAsync(topic, slot('free', i + 1), { qos: 1 });
    for (let i = 0; i < 3; i += 1) expect(await grants(pi, ['parking/#'])).to.deep.equal([128]);
    await settle(pi, `parking/${lot1}/slot/B1/01`, slot('free', 100));
    const lines = broker
      .output()
      .split('\n')
      .filter((line) => line.includes('pi-1-logcheck'));
    const denied = lines.filter((line) => line.includes('"msg":"publish denied"'));
    expect(denied, lines.join('\n')).to.have.length(1);
    expect(JSON.parse(denied[0])).to.include({ clientId: 'pi-1-logcheck', username: 'pi-1', topic, level: 'warn' });
    expect(lines.filter((line) => line.includes('"msg":"subscription denied"'))).to.have.length(1);
  });
});
