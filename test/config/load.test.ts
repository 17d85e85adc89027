import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SETTING_KEYS, SETTINGS, SettingError, loadSettings, type SettingKey } from '../../config/index.ts';

let dir: string;
let files = 0;

function configFile(content: unknown): string {
  const path = join(dir, `config-${++files}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function settingError(fn: () => unknown): SettingError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(SettingError);
    return error as SettingError;
  }
  throw new Error('expected a SettingError');
}

describe('loadSettings', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'parking-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('precedence', () => {
    it('uses the defaults when nothing is set', () => {
      const s = loadSettings({ keys: SETTING_KEYS, env: {} });
      expect(s).to.deep.equal({
        mongodbUri: undefined,
        mongodbDb: 'parking',
        redisUrl: undefined,
        mqttUrls: ['mqtt://127.0.0.1:1883', 'mqtt://127.0.0.1:1884'],
        httpPort: 1880,
        mqttPort: undefined,
        standbyPort: 1884,
        standbyWsPort: 9002,
        offlineGraceMs: 30000,
        ingestLots: undefined,
        ingestPartition: undefined,
        lotConfig: undefined,
        wsPort: undefined,
        topicRoot: 'parking',
        logLevel: 'info',
        logFormat: 'auto',
        allowAnonymous: false,
        sim: true,
        alarmWebhook: undefined,
        utcOffset: '+07:00',
        historyDays: 400,
        siteLocation: undefined,
        ngsiLdPush: undefined,
        openDataCountry: 'ID',
        openDataPublisher: 'smart-parking',
        overstayHours: 24,
        staleSensorHours: 48,
        siteServices: true,
        wsUrls: undefined,
        demoAccounts: true,
        role: undefined,
        primaryUrl: 'mqtt://127.0.0.1:1883',
        heartbeatMs: 100,
        brokerId: undefined,
        bindHost: '0.0.0.0',
        mqttsPort: 8883,
        tlsCert: undefined,
        tlsKey: undefined,
        mqttAuthFile: undefined,
        electionDelayMs: [10000, 12000],
        testbedPort: 27017,
        failoverMs: 300,
        primaryProbeMs: 1000,
        failbackWindowMs: undefined,
        debounceMs: 500,
        stateDir: undefined,
        dataDir: '.parking',
        flowsFile: undefined,
        redUser: undefined,
        redPasswordHash: undefined,
        plateKey: undefined,
        plateRetentionDays: 30,
        sessionRetentionDays: 400,
        gateEventRetentionDays: 90,
        redCredentialSecret: undefined,
      });
    });

    it('config file beats default, environment beats file, flag beats environment', () => {
      const file = configFile({ httpPort: 2000, wsPort: 2001, mongodbDb: 'fromfile', topicRoot: 'site' });
      const env = { PARKING_CONFIG: file, PARKING_HTTP_PORT: '3000', PARKING_WS_PORT: '3001' };
      const keys = ['httpPort', 'wsPort', 'mongodbDb', 'topicRoot', 'redisUrl'] as const;
      const s = loadSettings({ keys, env, flags: { httpPort: '4000' } });
      expect(s).to.deep.equal({ httpPort: 4000, wsPort: 3001, mongodbDb: 'fromfile', topicRoot: 'site', redisUrl: undefined });
    });

    it('--config beats PARKING_CONFIG (which is then not read)', () => {
      const file = configFile({ httpPort: 2000 });
      const s = loadSettings({ keys: ['httpPort'], env: { PARKING_CONFIG: join(dir, 'missing.json') }, configFile: file });
      expect(s.httpPort).to.equal(2000);
    });

    it('switch flags: --allow-anonymous sets true, --no-sim sets false, over environment', () => {
      const s = loadSettings({ keys: ['allowAnonymous', 'sim'], env: { PARKING_ALLOW_ANONYMOUS: 'no', PARKING_SIM: 'yes' }, flags: { allowAnonymous: true, sim: false } });
      expect(s).to.deep.equal({ allowAnonymous: true, sim: false });
    });

    it('PARKING_LOG_LEVEL beats LOG_LEVEL, and LOG_LEVEL alone is used', () => {
      expect(loadSettings({ keys: ['logLevel'], env: { PARKING_LOG_LEVEL: 'warn', LOG_LEVEL: 'debug' } }).logLevel).to.equal('warn');
      expect(loadSettings({ keys: ['logLevel'], env: { LOG_LEVEL: 'debug' } }).logLevel).to.equal('debug');
    });

    it('treats an empty environment variable as unset and trims values', () => {
      const s = loadSettings({ keys: ['httpPort', 'redisUrl', 'mongodbDb'], env: { PARKING_HTTP_PORT: '', REDIS_URL: '  ', PARKING_MONGODB_DB: ' site ' } });
      expect(s).to.deep.equal({ httpPort: 1880, redisUrl: undefined, mongodbDb: 'site' });
    });

    it('returns only the declared settings, frozen', () => {
      const s = loadSettings({ keys: ['httpPort', 'sim'], env: {} });
      expect(Object.keys(s)).to.deep.equal(['httpPort', 'sim']);
      expect(Object.isFrozen(s)).to.equal(true);
    });

    it('parses environment values into typed settings', () => {
      const s = loadSettings({
        keys: ['mqttUrls', 'electionDelayMs', 'allowAnonymous', 'mongodbUri'],
        env: { PARKING_MQTT_URLS: 'mqtts://a:8883, ws://b:9001/mqtt', PARKING_TESTBED_ELECTION_MS: '500', PARKING_ALLOW_ANONYMOUS: '1', MONGODB_URI: 'mongodb://a,b,c/?replicaSet=rs0' },
      });
      expect(s).to.deep.equal({ mqttUrls: ['mqtts://a:8883', 'ws://b:9001/mqtt'], electionDelayMs: [500, 500], allowAnonymous: true, mongodbUri: 'mongodb://a,b,c/?replicaSet=rs0' });
    });

    it('takes numbers, booleans, lists and null from the config file', () => {
      const file = configFile({ httpPort: 8080, allowAnonymous: true, mqttUrls: ['mqtt://a', 'mqtt://b'], electionDelayMs: 100, redisUrl: null });
      const s = loadSettings({ keys: ['httpPort', 'allowAnonymous', 'mqttUrls', 'electionDelayMs', 'redisUrl'], env: {}, configFile: file });
      expect(s).to.deep.equal({ httpPort: 8080, allowAnonymous: true, mqttUrls: ['mqtt://a', 'mqtt://b'], electionDelayMs: [100, 100], redisUrl: undefined });
    });
  });

  describe('bad settings', () => {
    it('names the environment variable, the value and the reason in one line', () => {
      const err = settingError(() => loadSettings({ keys: ['httpPort'], env: { PARKING_HTTP_PORT: 'abc' } }));
      expect(err.message).to.equal('bad setting PARKING_HTTP_PORT=abc: must be a port number 1-65535');
      expect(err).to.include({ setting: 'PARKING_HTTP_PORT', value: 'abc', key: 'httpPort', source: 'env', reason: 'must be a port number 1-65535' });
    });

    it('validates the environment of every known setting, not only the declared ones', () => {
      const err = settingError(() => loadSettings({ keys: ['logLevel'], env: { PARKING_WS_PORT: '99999' } }));
      expect(err.setting).to.equal('PARKING_WS_PORT');
    });

    it('validates an environment value even when a flag overrides it', () => {
      const err = settingError(() => loadSettings({ keys: ['httpPort'], env: { PARKING_HTTP_PORT: 'abc' }, flags: { httpPort: '8080' } }));
      expect(err.setting).to.equal('PARKING_HTTP_PORT');
    });

    it('names the flag of a bad flag value', () => {
      const err = settingError(() => loadSettings({ keys: ['httpPort'], env: {}, flags: { httpPort: '0' } }));
      expect(err.message).to.equal('bad setting --http-port=0: must be a port number 1-65535');
      expect(err.source).to.equal('flag');
    });

    const cases: ReadonlyArray<[SettingKey, string, string, RegExp]> = [
      ['mongodbUri', 'MONGODB_URI', 'http://db', /must start mongodb:\/\/ or mongodb\+srv:\/\//],
      ['mongodbDb', 'PARKING_MONGODB_DB', 'a.b', /must not contain/],
      ['redisUrl', 'REDIS_URL', 'http://cache', /redis:\/\/ or rediss:\/\//],
      ['mqttUrls', 'PARKING_MQTT_URLS', 'mqtt://a,http://b', /http:\/\/b: must be a URL/],
      ['httpPort', 'PARKING_HTTP_PORT', '70000', /port number 1-65535/],
      ['mqttPort', 'PARKING_MQTT_PORT', '0', /port number 1-65535/],
      ['wsPort', 'PARKING_WS_PORT', 'x', /port number 1-65535/],
      ['topicRoot', 'PARKING_TOPIC_ROOT', 'a/#', /one MQTT topic level/],
      ['logLevel', 'PARKING_LOG_LEVEL', 'loud', /must be one of trace, debug, info, warn, error, fatal, silent/],
      ['logLevel', 'LOG_LEVEL', 'loud', /must be one of/],
      ['logFormat', 'PARKING_LOG_FORMAT', 'xml', /must be one of auto, json, pretty/],
      ['allowAnonymous', 'PARKING_ALLOW_ANONYMOUS', 'maybe', /true or false/],
      ['sim', 'PARKING_SIM', 'maybe', /true or false/],
      ['primaryUrl', 'PARKING_PRIMARY_URL', 'tcp://a', /must be a URL starting mqtt:\/\//],
      ['electionDelayMs', 'PARKING_TESTBED_ELECTION_MS', '12000-10000', /low to high/],
    ];
    for (const [key, name, value, reason] of cases) {
      it(`${name}=${value} is a bad setting of ${key}`, () => {
        const err = settingError(() => loadSettings({ keys: [key], env: { [name]: value } }));
        expect(err).to.include({ setting: name, key, source: 'env' });
        expect(err.reason).to.match(reason);
        expect(err.message.startsWith(`bad setting ${name}=`)).to.equal(true);
      });
    }

    it('checks flag-only settings: --role and the testbed --port (0 allowed, port+2 must fit)', () => {
      expect(settingError(() => loadSettings({ keys: ['role'], env: {}, flags: { role: 'leader' } })).message).to.equal('bad setting --role=leader: must be one of primary, standby');
      expect(loadSettings({ keys: ['testbedPort'], env: {}, flags: { testbedPort: '0' } }).testbedPort).to.equal(0);
      expect(settingError(() => loadSettings({ keys: ['testbedPort'], env: {}, flags: { testbedPort: '65534' } })).reason).to.equal('must be a port number 0-65533');
      expect(settingError(() => loadSettings({ keys: ['mqttPort'], env: {}, flags: { mqttPort: '0' } })).setting).to.equal('--port');
    });

    it('hides URL passwords in the message', () => {
      const err = settingError(() => loadSettings({ keys: ['mongodbUri'], env: { MONGODB_URI: 'mongodb://admin:s3cret@' } }));
      expect(err.message).to.equal('bad setting MONGODB_URI=mongodb://admin:***@: must name at least one host');
      expect(err.message).not.to.include('s3cret');
    });

    it('rejects a flag for a setting the command did not declare (a programming error)', () => {
      expect(() => loadSettings({ keys: ['httpPort'] as SettingKey[], env: {}, flags: { wsPort: '1' } })).to.throw(Error, /did not declare/);
    });

    it('every setting in the table has a description and a parser that accepts its default', () => {
      for (const key of SETTING_KEYS) {
        const def = SETTINGS[key] as { description: string; parse: (raw: string) => unknown; default: unknown };
        expect(def.description, key).to.not.equal('');
        if (def.default !== undefined) {
          const text = Array.isArray(def.default) ? def.default.join(key === 'electionDelayMs' ? '-' : ',') : String(def.default);
          expect(def.parse(text), key).to.deep.equal(def.default);
        }
      }
    });
  });

  describe('config file', () => {
    it('a missing file named by --config is a bad --config', () => {
      const path = join(dir, 'nope.json');
      const err = settingError(() => loadSettings({ keys: ['httpPort'], env: {}, configFile: path }));
      expect(err.message).to.equal(`bad setting --config=${path}: no such file`);
    });

    it('a missing file named by PARKING_CONFIG is a bad PARKING_CONFIG', () => {
      const path = join(dir, 'nope.json');
      const err = settingError(() => loadSettings({ keys: ['httpPort'], env: { PARKING_CONFIG: path } }));
      expect(err).to.include({ setting: 'PARKING_CONFIG', value: path, source: 'env' });
    });

    it('a directory is not a config file', () => {
      expect(settingError(() => loadSettings({ keys: [], env: {}, configFile: dir })).reason).to.match(/directory/);
    });

    it('broken JSON is a bad setting that says so on one line', () => {
      const err = settingError(() => loadSettings({ keys: [], env: {}, configFile: configFile('{"httpPort": 1,\n') }));
      expect(err.reason).to.match(/^not valid JSON/);
      expect(err.message).not.to.include('\n');
    });

    it('must hold one JSON object', () => {
      for (const content of ['[1]', '42', 'null', '"x"']) {
        expect(settingError(() => loadSettings({ keys: [], env: {}, configFile: configFile(content) })).reason, content).to.match(/one JSON object/);
      }
    });

    it('names every unknown key, suggesting the close ones', () => {
      const path = configFile({ httPort: 1, colour: 'red', httpPort: 1880 });
      const err = settingError(() => loadSettings({ keys: [], env: {}, configFile: path }));
      expect(err.message).to.equal(`bad setting --config=${path}: unknown settings httPort (did you mean httpPort?), colour`);
    });

    it('environment variable names are not config-file keys', () => {
      const err = settingError(() => loadSettings({ keys: [], env: {}, configFile: configFile({ PARKING_HTTP_PORT: 1 }) }));
      expect(err.reason).to.match(/unknown setting PARKING_HTTP_PORT/);
    });

    it('a bad value names the key and the file, even for a setting the command does not use', () => {
      const path = configFile({ wsPort: 'abc' });
      const err = settingError(() => loadSettings({ keys: ['httpPort'], env: {}, configFile: path }));
      expect(err.message).to.equal(`bad setting wsPort=abc in ${path}: must be a port number 1-65535`);
      expect(err).to.include({ key: 'wsPort', source: 'file', file: path });
    });

    it('a bad value is reported even when the environment overrides it', () => {
      const path = configFile({ httpPort: 0 });
      expect(settingError(() => loadSettings({ keys: ['httpPort'], env: { PARKING_HTTP_PORT: '80' }, configFile: path })).setting).to.equal('httpPort');
    });

    it('objects and mixed lists are not setting values', () => {
      const path = configFile({ mqttUrls: ['mqtt://a', 1], httpPort: 1 });
      const err = settingError(() => loadSettings({ keys: [], env: {}, configFile: path }));
      expect(err).to.include({ setting: 'mqttUrls', file: path });
      expect(err.reason).to.match(/string, number, boolean or list of strings/);
      expect(settingError(() => loadSettings({ keys: [], env: {}, configFile: configFile({ httpPort: { port: 1 } }) })).setting).to.equal('httpPort');
    });
  });
});
