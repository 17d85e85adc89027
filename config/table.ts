// The table of settings. Each entry: the command-line flag (commander syntax), the environment
// variable(s) (first set one wins), the default, the parser/validator and a description for --help.
// The config-file key is the entry's key. Adding a setting is adding one entry here.
import { LayoutError, loadLayout, type LotLayout } from '../layout/index.ts';
import { LOG_FORMATS, LOG_LEVELS } from '../log/levels.ts';
import * as p from './parsers.ts';
import { invalid } from './errors.ts';

export interface SettingDef<T> {
  /** Commander flag syntax: `--http-port <port>`, or a switch: `--allow-anonymous`, `--no-sim`. */
  flag?: string;
  /** Environment variables, first set (non-empty) one wins. */
  env?: readonly string[];
  default: T;
  /** How --help shows the default when `String(default)` would not say it well. */
  defaultText?: string;
  parse: p.Parser<T>;
  description: string;
}

const setting = <T>(def: SettingDef<T>): SettingDef<T> => def;

/** A bcrypt hash as Node-RED's `adminAuth` takes it (`$2b$10$…`, 60 characters). */
export const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const bcryptHash: p.Parser<string> = (raw) => (BCRYPT_HASH.test(raw) ? raw : invalid('must be a bcrypt hash ($2b$10$ and 53 more characters), e.g. from: npx node-red admin hash-pw'));

const MQTT = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

/** A plate key: 32 random bytes as 64 hex digits (or base64). */
const plateKey: p.Parser<string> = (raw) => (/^[0-9a-fA-F]{64}$/.test(raw.trim()) || /^[A-Za-z0-9+/_-]{43}=?$/.test(raw.trim()) ? raw.trim() : invalid('must be 32 random bytes as 64 hex digits or base64, e.g. from: openssl rand -hex 32'));
const days = p.integer(0, 36_500);

/** A UTC offset, `+07:00` (`07:00` and `+7` read the same), -12:00 to +14:00. */
const utcOffset: p.Parser<string> = (raw) => {
  const m = /^\s*([+-]?)(\d{1,2})(?::?(\d{2}))?\s*$/.exec(raw);
  const minutes = m ? Number(m[2]) * 60 + Number(m[3] ?? 0) : Number.NaN;
  const signed = m?.[1] === '-' ? -minutes : minutes;
  if (!m || Number(m[3] ?? 0) >= 60 || signed < -720 || signed > 840) return invalid('must be a UTC offset from -12:00 to +14:00 such as +07:00 (WIB), +08:00 (WITA), +09:00 (WIT)');
  return `${signed < 0 ? '-' : '+'}${m[2].padStart(2, '0')}:${m[3] ?? '00'}`;
};

/** The lot configuration file, read and checked at start (docs/lots.md). */
const lotConfigFile: p.Parser<LotLayout> = (raw) => {
  try {
    return loadLayout(raw);
  } catch (error) {
    return invalid(error instanceof LayoutError ? error.message : String(error));
  }
};

/** `-6.2297,106.8295`: latitude and longitude in degrees (WGS 84). */
const geoPoint: p.Parser<{ latitude: number; longitude: number }> = (raw) => {
  const m = /^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$/.exec(raw);
  const latitude = m ? Number(m[1]) : Number.NaN;
  const longitude = m ? Number(m[2]) : Number.NaN;
  return Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180 ? { latitude, longitude } : invalid('must be latitude,longitude in degrees, such as -6.2297,106.8295');
};

/** Primary and standby broker ports: the `mqttPort` default for each `role`. */
export const DEFAULT_MQTT_PORTS = { primary: 1883, standby: 1884 } as const;

/** Primary and standby MQTT over WebSocket ports: the `wsPort` default of `parking broker` for each `role` (`parking start` uses the primary's). */
export const DEFAULT_WS_PORTS = { primary: 9001, standby: 9002 } as const;

export const SETTINGS = {
  mongodbUri: setting<string | undefined>({ flag: '--mongodb-uri <uri>', env: ['MONGODB_URI'], default: undefined, defaultText: 'unset: an embedded MongoDB', parse: p.mongodbUri, description: 'MongoDB connection string (a replica-set URI in production)' }),
  mongodbDb: setting({ flag: '--mongodb-db <name>', env: ['PARKING_MONGODB_DB'], default: 'parking', parse: p.databaseName, description: 'MongoDB database name' }),
  redisUrl: setting<string | undefined>({ flag: '--redis-url <url>', env: ['REDIS_URL'], default: undefined, defaultText: 'unset: no Redis', parse: p.url(['redis:', 'rediss:']), description: 'Redis URL (optional)' }),
  mqttUrls: setting<readonly string[]>({ flag: '--servers <urls>', env: ['PARKING_MQTT_URLS'], default: Object.freeze(['mqtt://127.0.0.1:1883', 'mqtt://127.0.0.1:1884']), parse: p.urlList(MQTT), description: 'MQTT broker URLs, comma-separated, primary first (mqtt://, mqtts://, ws://, wss://)' }),
  httpPort: setting({ flag: '--http-port <port>', env: ['PARKING_HTTP_PORT'], default: 1880, parse: p.port(), description: 'HTTP port: dashboard, editor, signage, /healthz, /metrics' }),
  mqttPort: setting<number | undefined>({ flag: '--port <port>', env: ['PARKING_MQTT_PORT'], default: undefined, defaultText: '1883 primary, 1884 standby', parse: p.port(), description: 'MQTT port of this broker' }),
  wsPort: setting<number | undefined>({ flag: '--ws-port <port>', env: ['PARKING_WS_PORT'], default: undefined, defaultText: '9001 primary, 9002 standby', parse: p.port(), description: 'MQTT over WebSocket port' }),
  standbyPort: setting({ flag: '--standby-port <port>', env: ['PARKING_STANDBY_PORT'], default: 1884, parse: p.port(), description: 'MQTT port of the standby broker that `parking start` runs' }),
  standbyWsPort: setting({ flag: '--standby-ws-port <port>', env: ['PARKING_STANDBY_WS_PORT'], default: 9002, parse: p.port(), description: 'MQTT over WebSocket port of the standby broker that `parking start` runs' }),
  offlineGraceMs: setting({ flag: '--offline-grace-ms <ms>', env: ['PARKING_OFFLINE_GRACE_MS'], default: 30_000, parse: p.integer(0, 86_400_000), description: 'ingest: slots of a device that went offline (Last Will) turn unknown after this long' }),
  ingestLots: setting<readonly string[] | undefined>({ flag: '--lots <ids>', env: ['PARKING_INGEST_LOTS'], default: undefined, defaultText: 'unset: every lot', parse: p.idList, description: 'ingest: only these lots, comma-separated ids: subscribes to, writes and publishes availability for these alone (docs/ingest.md)' }),
  ingestPartition: setting<p.Part | undefined>({ flag: '--partition <i/n>', env: ['PARKING_INGEST_PARTITION'], default: undefined, defaultText: 'unset: every lot', parse: p.part, description: 'ingest: only the lots whose hash mod n is i, of n instances numbered 0 to n-1 (docs/ingest.md); not with --lots' }),
  lotConfig: setting<LotLayout | undefined>({ flag: '--lot-config <file>', env: ['PARKING_LOT_CONFIG'], default: undefined, defaultText: 'unset: lots, levels and slots are discovered from the topics', parse: lotConfigFile, description: 'JSON file of the lots, their levels and slots (docs/lots.md): ingest counts those alone and refuses other slots of those lots' }),
  topicRoot: setting({ env: ['PARKING_TOPIC_ROOT'], default: 'parking', parse: p.topicLevel, description: 'first level of every MQTT topic' }),
  logLevel: setting<(typeof LOG_LEVELS)[number]>({ flag: '--log-level <level>', env: ['PARKING_LOG_LEVEL', 'LOG_LEVEL'], default: 'info', parse: p.oneOf(LOG_LEVELS), description: `log level: ${LOG_LEVELS.join(', ')}` }),
  logFormat: setting<(typeof LOG_FORMATS)[number]>({ flag: '--log-format <format>', env: ['PARKING_LOG_FORMAT'], default: 'auto', parse: p.oneOf(LOG_FORMATS), description: 'log lines on stderr: json, pretty, or auto (pretty on a terminal)' }),
  allowAnonymous: setting({ flag: '--allow-anonymous', env: ['PARKING_ALLOW_ANONYMOUS'], default: false, parse: p.boolean, description: 'let MQTT clients connect without credentials' }),
  sim: setting({ flag: '--no-sim', env: ['PARKING_SIM'], default: true, parse: p.boolean, description: 'do not run the simulated lot' }),
  alarmWebhook: setting<string | undefined>({ flag: '--alarm-webhook <url>', env: ['PARKING_ALARM_WEBHOOK'], default: undefined, defaultText: 'unset: alarms stay on MQTT and /api/alarms', parse: p.url(['http:', 'https:']), description: 'POST every alarm change (raised, changed, acknowledged, cleared) as JSON to this URL (docs/alarms.md)' }),
  utcOffset: setting({ flag: '--utc-offset <offset>', env: ['PARKING_UTC_OFFSET'], default: '+07:00', parse: utcOffset, description: "the site's local time as a UTC offset (+07:00 WIB, +08:00 WITA, +09:00 WIT): the local days of the reports, the times and today of the Charging page" }),
  historyDays: setting({ flag: '--history-days <days>', env: ['PARKING_HISTORY_DAYS'], default: 400, parse: p.integer(1, 36_500), description: 'days the occupancy history (5-minute buckets per lot and level, /api/occupancy, the forecasts) is kept' }),
  siteLocation: setting<{ latitude: number; longitude: number } | undefined>({ flag: '--site-location <lat,lon>', env: ['PARKING_SITE_LOCATION'], default: undefined, defaultText: 'unset: only lots with a location in the lot configuration have one', parse: geoPoint, description: "where the site is (latitude,longitude): the open-data feeds' location of every lot the lot configuration gives none" }),
  ngsiLdPush: setting<string | undefined>({ flag: '--ngsi-ld-push <url>', env: ['PARKING_NGSI_LD_PUSH'], default: undefined, defaultText: 'unset: open data is pulled only', parse: p.url(['http:', 'https:']), description: 'forward every change of a lot or slot to this NGSI-LD context broker (Orion-LD style: PATCH /ngsi-ld/v1/entities/{id}/attrs), e.g. http://orion:1026 (docs/opendata.md)' }),
  openDataCountry: setting({ flag: '--open-data-country <code>', env: ['PARKING_OPEN_DATA_COUNTRY'], default: 'ID', parse: (raw) => (/^[A-Z]{2}$/.test(raw.trim()) ? raw.trim() : invalid('must be an ISO 3166-1 alpha-2 country code such as ID')), description: "the DATEX II publication's country (publicationCreator.country)" }),
  openDataPublisher: setting({ flag: '--open-data-publisher <id>', env: ['PARKING_OPEN_DATA_PUBLISHER'], default: 'smart-parking', parse: p.id, description: "the DATEX II publication's nationalIdentifier (publicationCreator)" }),
  overstayHours: setting({ flag: '--overstay-hours <h>', env: ['PARKING_OVERSTAY_HOURS'], default: 24, parse: p.integer(0, 8760), description: 'a car parked longer than this many hours raises the overstay alarm of its lot (0: no overstay alarm)' }),
  staleSensorHours: setting({ flag: '--stale-sensor-hours <h>', env: ['PARKING_STALE_SENSOR_HOURS'], default: 48, parse: p.integer(0, 8760), description: "a slot whose sensor is online but whose state has not changed for this many hours raises the sensors-stale alarm (a stuck sensor?); 0: none" }),
  siteServices: setting({ flag: '--no-site-services', env: ['PARKING_SITE_SERVICES'], default: true, parse: p.boolean, description: 'parking flows: do not run the site services (signage pages, /healthz, /metrics, alarms, occupancy history and forecasts, open data), as for a second Node-RED' }),
  wsUrls: setting<readonly string[] | undefined>({ flag: '--ws-urls <urls>', env: ['PARKING_MQTT_WS_URLS'], default: undefined, defaultText: 'the hosts of --servers, WebSocket ports 9001 and 9002, no account', parse: p.urlList(['ws:', 'wss:']), description: "parking flows: the brokers' MQTT over WebSocket URLs for the signage pages, primary first; put a read-only account in them (ws://signage:PASSWORD@host:9001): every visitor's browser gets them" }),
  demoAccounts: setting({ flag: '--no-demo-accounts', env: ['PARKING_DEMO_ACCOUNTS'], default: true, parse: p.boolean, description: 'parking start: no demo-device and demo-gate accounts (known passwords, kept to lot demo; for a first try, not for a site)' }),
  role: setting<'primary' | 'standby' | undefined>({ flag: '--role <role>', default: undefined, defaultText: 'none', parse: p.oneOf(['primary', 'standby'] as const), description: 'broker role: primary, or standby (bridged to the primary)' }),
  primaryUrl: setting({ flag: '--primary <url>', env: ['PARKING_PRIMARY_URL'], default: 'mqtt://127.0.0.1:1883', parse: p.url(MQTT), description: 'URL of the primary broker (standby only)' }),
  heartbeatMs: setting({ flag: '--heartbeat-ms <ms>', env: ['PARKING_HEARTBEAT_MS'], default: 100, parse: p.integer(10, 60_000), description: 'interval of the broker heartbeat on $SYS/<broker id>/heartbeat, milliseconds' }),
  brokerId: setting<string | undefined>({ env: ['PARKING_BROKER_ID'], default: undefined, defaultText: '<role>-<host name>-<port>', parse: p.topicLevel, description: 'broker id in $SYS/<broker id>/heartbeat; unique per broker sharing one Redis' }),
  bindHost: setting({ flag: '--bind <host>', env: ['PARKING_BIND_HOST'], default: '0.0.0.0', parse: p.text, description: 'address the broker listens on (MQTT, WebSocket, MQTT over TLS)' }),
  mqttsPort: setting({ flag: '--mqtts-port <port>', env: ['PARKING_MQTTS_PORT'], default: 8883, parse: p.port(), description: 'MQTT over TLS port (only with tlsCert and tlsKey)' }),
  tlsCert: setting<string | undefined>({ env: ['PARKING_TLS_CERT'], default: undefined, defaultText: 'unset: no TLS', parse: p.text, description: 'PEM certificate (chain) file: MQTT over TLS (parking broker), HTTPS (parking start, parking flows)' }),
  tlsKey: setting<string | undefined>({ env: ['PARKING_TLS_KEY'], default: undefined, defaultText: 'unset: no TLS', parse: p.text, description: 'PEM private key file of tlsCert' }),
  mqttAuthFile: setting<string | undefined>({ flag: '--auth-file <file>', env: ['PARKING_MQTT_AUTH_FILE'], default: undefined, defaultText: 'unset: no accounts', parse: p.text, description: 'JSON file of MQTT accounts (scrypt password hashes, roles); see docs/broker.md' }),
  electionDelayMs: setting<p.DelayRange>({ flag: '--election-delay <ms>', env: ['PARKING_TESTBED_ELECTION_MS'], default: Object.freeze([10000, 12000] as const), defaultText: '10000-12000', parse: p.delayRange, description: 'delay before a new primary is elected, milliseconds or a range MIN-MAX' }),
  testbedPort: setting({ flag: '--port <port>', default: 27017, parse: p.port({ allowZero: true, max: 65533 }), description: 'port of the first member; the 3 members use port, port+1, port+2; 0 = free ports' }),
  failoverMs: setting({ flag: '--failover-ms <ms>', env: ['PARKING_FAILOVER_MS'], default: 300, parse: p.integer(0, 600_000), description: 'services (ingest, signage, Node-RED): declare the MQTT link dead after this long without a broker heartbeat; devices and gates: the shortest wait for the acknowledgement of a publish before switching broker; 0 = rely on TCP and MQTT keep-alive only' }),
  failbackWindowMs: setting<number | undefined>({ flag: '--failback-window-ms <ms>', env: ['PARKING_FAILBACK_WINDOW_MS'], default: undefined, defaultText: '10000 for devices and gates, 0 for services', parse: p.integer(0, 3_600_000), description: 'devices and gates return to the primary at a random moment within this window once it is back, so a fleet does not return all at once; after a failover they start one window later' }),
  primaryProbeMs: setting({ flag: '--primary-probe-ms <ms>', env: ['PARKING_PRIMARY_PROBE_MS'], default: 1000, parse: p.integer(0, 3_600_000), description: 'while on a standby, check the primary this often and move back once it is healthy; 0 = stay' }),
  debounceMs: setting({ flag: '--debounce-ms <ms>', env: ['PARKING_DEBOUNCE_MS'], default: 500, parse: p.integer(0, 3_600_000), description: 'a sensor reading must hold this long before it is published' }),
  stateDir: setting<string | undefined>({ flag: '--state-dir <dir>', env: ['PARKING_STATE_DIR'], default: undefined, defaultText: 'unset: seq starts from the clock', parse: p.text, description: 'directory where a device keeps its last seq across restarts' }),
  dataDir: setting({ flag: '--data-dir <dir>', env: ['PARKING_DATA_DIR'], default: '.parking', parse: p.text, description: 'directory for runtime data: Node-RED keeps its user directory (and the charging journal) in <dir>/node-red; ingest keeps what MongoDB has not taken at a stop in <dir>/ingest' }),
  flowsFile: setting<string | undefined>({ flag: '--flows-file <file>', env: ['PARKING_FLOWS_FILE'], default: undefined, defaultText: 'the shipped flows/parking.json', parse: p.text, description: 'Node-RED flows file (deploying from the editor writes it)' }),
  redUser: setting<string | undefined>({ env: ['PARKING_RED_USER'], default: undefined, defaultText: 'unset: a login generated on the first start', parse: p.text, description: 'user name of the Node-RED editor login; needs redPasswordHash' }),
  redPasswordHash: setting<string | undefined>({ env: ['PARKING_RED_PASSWORD_HASH'], default: undefined, defaultText: 'unset', parse: bcryptHash, description: 'bcrypt hash of the editor password (npx node-red admin hash-pw); needs redUser' }),
  plateKey: setting<string | undefined>({ env: ['PARKING_PLATE_KEY'], default: undefined, defaultText: 'unset: generated and kept in <dataDir>/plate-key', parse: plateKey, description: 'key of the keyed hash that matches a car\'s entry with its exit (docs/security.md); keep it with the database backups' }),
  plateRetentionDays: setting({ flag: '--plate-retention-days <days>', env: ['PARKING_PLATE_RETENTION_DAYS'], default: 30, parse: days, description: 'days a plate is kept in clear after its session ended (for disputes); then only a masked plate (B1****YZ) is kept' }),
  sessionRetentionDays: setting({ flag: '--session-retention-days <days>', env: ['PARKING_SESSION_RETENTION_DAYS'], default: 400, parse: days, description: 'days an ended session is kept (revenue reports); open sessions are never deleted' }),
  gateEventRetentionDays: setting({ flag: '--gate-event-retention-days <days>', env: ['PARKING_GATE_EVENT_RETENTION_DAYS'], default: 90, parse: days, description: 'days a gate event is kept after it arrived' }),
  redCredentialSecret: setting<string | undefined>({ env: ['PARKING_RED_CREDENTIAL_SECRET'], default: undefined, defaultText: 'unset: generated and kept in <dataDir>/node-red', parse: p.text, description: 'key that encrypts the credentials of the Node-RED flows' }),
} as const;

export type SettingKey = keyof typeof SETTINGS;

/** Every setting, typed from the table. */
export type Settings = { readonly [K in SettingKey]: (typeof SETTINGS)[K] extends SettingDef<infer T> ? T : never };

export const SETTING_KEYS = Object.freeze(Object.keys(SETTINGS) as SettingKey[]);

/** The table entry of `key`, typed loosely for generic code. */
export function settingDef(key: SettingKey): SettingDef<unknown> {
  return SETTINGS[key] as SettingDef<unknown>;
}

/** The long flag of a setting (`--http-port`), if it has one. */
export function flagName(key: SettingKey): string | undefined {
  return settingDef(key).flag?.split(/[ ,|]+/).find((part) => part.startsWith('--'));
}

/** The default as --help shows it. */
export function defaultText(key: SettingKey): string {
  const def = settingDef(key);
  if (def.defaultText !== undefined) return def.defaultText;
  const value = def.default;
  return Array.isArray(value) ? value.join(',') : String(value);
}
