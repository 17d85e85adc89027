import { expect } from 'chai';
import { flowsEnv, redLogHandler, redSettings } from '../../flows/index.ts';
import { withUserInfo } from '../../flows/env.ts';
import { KeyedQueue } from '../../flows/nodes/index.ts';
import { lotTariffsFromEnv, tariffForLot } from '../../flows/nodes/tariff.ts';
import { LotLayout, parseLayout } from '../../layout/index.ts';
import type { Logger } from '../../log/index.ts';

describe('flows: settings for Node-RED', function () {
  it('derives the flow variables from the platform settings, the account put into each URL', function () {
    const env = flowsEnv({
      mqttUrls: ['mqtt://10.0.0.5:1883', 'mqtt://other:pw@10.0.0.6:1884'],
      topicRoot: 'city/parking',
      mongodbUri: 'mongodb://db1,db2/?replicaSet=rs0',
      mongodbDb: 'parking',
      mqttFailoverMs: 3000,
      mqttClientId: 'parking-flows-a',
      mqttCredentials: { username: 'parking-service', password: 'p@ss' },
      plateKey: 'ab'.repeat(32),
      retention: { plateDays: 30, sessionDays: 400, gateEventDays: 90 },
      utcOffset: '+08:00',
    });
    expect(env).to.deep.equal({
      PARKING_FLOWS_MQTT_URL: 'mqtt://parking-service:p%40ss@10.0.0.5:1883',
      PARKING_FLOWS_MQTT_URLS: 'mqtt://parking-service:p%40ss@10.0.0.5:1883,mqtt://other:pw@10.0.0.6:1884',
      PARKING_FLOWS_MQTT_CLIENT_ID: 'parking-flows-a',
      PARKING_FLOWS_MQTT_STANDBY_URL: 'mqtt://other:pw@10.0.0.6:1884',
      PARKING_FLOWS_MQTT_STANDBY_CLIENT_ID: 'parking-flows-a-standby',
      PARKING_FLOWS_MQTT_FAILOVER_MS: '3000',
      PARKING_FLOWS_TOPIC_ROOT: 'city/parking',
      PARKING_FLOWS_GATE_EVENTS: 'city/parking/+/gate/+/event',
      PARKING_FLOWS_MONGODB_URI: 'mongodb://db1,db2/?replicaSet=rs0',
      PARKING_FLOWS_MONGODB_DB: 'parking',
      PARKING_FLOWS_PLATE_KEY: 'ab'.repeat(32),
      PARKING_FLOWS_PLATE_DAYS: '30',
      PARKING_FLOWS_SESSION_DAYS: '400',
      PARKING_FLOWS_GATE_EVENT_DAYS: '90',
      PARKING_FLOWS_UTC_OFFSET: '+08:00',
      PARKING_FLOWS_LOT_TARIFFS: '{}',
      PARKING_FLOWS_LOTS: '{}',
    });
    expect(withUserInfo('ws://h:9001/mqtt')).to.equal('ws://h:9001/mqtt');
    const single = flowsEnv({ mqttUrls: ['mqtt://10.0.0.5:1883'], topicRoot: 'parking', mongodbUri: 'mongodb://db1', mongodbDb: 'parking', mqttFailoverMs: 3000, mqttClientId: 'c', plateKey: 'ab'.repeat(32), retention: { plateDays: 1, sessionDays: 2, gateEventDays: 3 }, utcOffset: '+07:00' });
    expect(single.PARKING_FLOWS_MQTT_STANDBY_URL, 'one broker: gate events are taken on it twice (repeats are ignored)').to.equal('mqtt://10.0.0.5:1883');
  });

  it('asks for the editor login only with credentials, and never calls home', function () {
    const base = { userDir: '/d/node-red', flowFile: '/f.json', nodesDir: '/n', logging: {}, mqttReconnectMs: 1000 };
    expect(redSettings(base)).to.not.have.property('adminAuth');
    expect(redSettings({ ...base, adminAuth: { user: 'op', passwordHash: 'h' } }).adminAuth).to.deep.equal({ type: 'credentials', users: [{ username: 'op', password: 'h', permissions: '*' }] });
    expect(redSettings(base)).to.deep.include({ httpAdminRoot: '/red', httpNodeRoot: '/', nodesDir: ['/n'], telemetry: { enabled: false, updateNotification: false } });
  });

  it("maps Node-RED's log levels onto the logger, quieting routine start-up warnings", function () {
    const lines: Array<[string, Record<string, unknown>, string]> = [];
    const logger = Object.fromEntries(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((level) => [level, (fields: Record<string, unknown>, msg: string) => lines.push([level, fields, msg])])) as unknown as Logger;
    const handle = redLogHandler(logger);
    handle({ level: 20, msg: 'boom', type: 'parking-charging', id: 'c1', name: 'charging' });
    handle({ level: 30, msg: 'Projects disabled : editorTheme.projects.enabled=false' });
    handle({ level: 40, msg: '\n\nWelcome to Node-RED\n===================\n' });
    handle({ level: 99, msg: 'metric' });
    expect(lines).to.deep.equal([
      ['error', { node: 'parking-charging', nodeId: 'c1', nodeName: 'charging' }, 'boom'],
      ['debug', {}, 'Projects disabled : editorTheme.projects.enabled=false'],
      ['info', {}, 'Welcome to Node-RED ==================='],
    ]);
  });
});

describe('flows: keyed queue', function () {
  it('runs the tasks of one key in order, other keys alongside, and goes on after a failure', async function () {
    const q = new KeyedQueue();
    const log: string[] = [];
    let releaseA!: () => void;
    const gate = new Promise<void>((resolve) => (releaseA = resolve));
    const a1 = q.run('a', async () => {
      await gate;
      log.push('a1');
      throw new Error('a1 failed');
    });
    const a2 = q.run('a', async () => void log.push('a2'));
    const b1 = q.run('b', async () => void log.push('b1'));
    await b1;
    expect(log, 'b does not wait for a').to.deep.equal(['b1']);
    expect(q.size).to.equal(2);
    releaseA();
    await a1.catch(() => undefined);
    await a2;
    await q.idle();
    expect(log).to.deep.equal(['b1', 'a1', 'a2']);
    expect(q.size).to.equal(0);
  });
});

describe('flows: each lot charged by its tariff', function () {
  const base = { id: 'default', name: 'Default', currency: 'IDR', minorDigits: 0, graceMinutes: 10, firstPeriod: { minutes: 60, price: 5000 }, increment: { minutes: 60, price: 4000 }, dailyMax: 40000, overnight: null, lostTicketFee: 50000 };
  const airport = { ...base, id: 'airport', firstPeriod: { minutes: 60, price: 10000 } };

  it('takes the lot\'s tariff when it is deployed, else the node\'s, naming the one missing', function () {
    const lookup = (id: string) => (id === 'airport' ? airport : undefined);
    const lots = { 'lot-a': 'airport', 'lot-b': 'weekend', 'lot-c': 'default' };
    expect(tariffForLot('lot-a', lots, base, lookup)).to.deep.equal({ tariff: airport });
    expect(tariffForLot('lot-b', lots, base, lookup)).to.deep.equal({ tariff: base, missing: 'weekend' });
    expect(tariffForLot('lot-c', lots, base, lookup)).to.deep.equal({ tariff: base });
    expect(tariffForLot('elsewhere', lots, base, lookup)).to.deep.equal({ tariff: base });
  });

  it('reads the lots\' tariffs from the environment, and says what is wrong with them', function () {
    expect(lotTariffsFromEnv(undefined)).to.deep.equal({ tariffs: {} });
    expect(lotTariffsFromEnv('{"lot-a":"airport"}')).to.deep.equal({ tariffs: { 'lot-a': 'airport' } });
    expect(lotTariffsFromEnv('{oops').problem).to.match(/^PARKING_FLOWS_LOT_TARIFFS: .*every lot is charged by the node's tariff$/);
    expect(lotTariffsFromEnv('{"lot-a":7}').problem).to.match(/not an object of tariff ids/);
  });

  it('the lot configuration names each lot\'s tariff, checked', function () {
    const layout = new LotLayout(parseLayout({ lots: { 'lot-a': { tariff: 'airport', levels: { L1: { slots: 2 } } }, 'lot-b': { levels: { L1: { slots: 2 } } } } }));
    expect(layout.tariffs()).to.deep.equal({ 'lot-a': 'airport' });
    expect(() => parseLayout({ lots: { x: { tariff: 'not an id', levels: { L1: { slots: 1 } } } } })).to.throw(/lots\.x\.tariff/);
  });
});
