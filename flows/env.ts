// The values the shipped flows read as `${PARKING_FLOWS_*}` environment variables (Node-RED
// substitutes them into node properties when the flows start). Pure.
import { hostname } from 'node:os';
import { Topics } from '../contract/index.ts';
import type { LotInfo } from '../layout/index.ts';

export interface FlowsEnvOptions {
  mqttUrls: readonly string[];
  topicRoot: string;
  mongodbUri: string;
  mongodbDb: string;
  /** Milliseconds without an MQTT connection before the flow switches broker. */
  mqttFailoverMs: number;
  /** MQTT client id of the flows' connection (a persistent session: queued events survive a restart). */
  mqttClientId: string;
  /** The flows' MQTT account, put into each URL that names none. */
  mqttCredentials?: { username: string; password: string };
  /** The platform's `/healthz` URL (the dashboard's System page polls it): `PARKING_FLOWS_HEALTH_URL`. */
  healthUrl?: string;
  /** The plate key as 64 hex digits, and the retentions in days (the parking-mongodb node's settings). */
  plateKey: string;
  retention: { plateDays: number; sessionDays: number; gateEventDays: number };
  /** The site's local time (`+07:00`): the report nodes' local days and the Charging page. */
  utcOffset: string;
  /** Lot → tariff id (the lot configuration's): `PARKING_FLOWS_LOT_TARIFFS`, read by the charging node. */
  lotTariffs?: Record<string, string>;
  /** Lot → display name and local time (the lot configuration's): `PARKING_FLOWS_LOTS`, read by the dashboard pages. */
  lots?: Record<string, LotInfo>;
}

export const FLOWS_ENV_NAMES = [
  'PARKING_FLOWS_MQTT_URL',
  'PARKING_FLOWS_MQTT_URLS',
  'PARKING_FLOWS_MQTT_CLIENT_ID',
  'PARKING_FLOWS_MQTT_STANDBY_URL',
  'PARKING_FLOWS_MQTT_STANDBY_CLIENT_ID',
  'PARKING_FLOWS_MQTT_FAILOVER_MS',
  'PARKING_FLOWS_TOPIC_ROOT',
  'PARKING_FLOWS_GATE_EVENTS',
  'PARKING_FLOWS_MONGODB_URI',
  'PARKING_FLOWS_MONGODB_DB',
  'PARKING_FLOWS_PLATE_KEY',
  'PARKING_FLOWS_PLATE_DAYS',
  'PARKING_FLOWS_SESSION_DAYS',
  'PARKING_FLOWS_GATE_EVENT_DAYS',
  'PARKING_FLOWS_UTC_OFFSET',
  'PARKING_FLOWS_LOT_TARIFFS',
  'PARKING_FLOWS_LOTS',
] as const;

export type FlowsEnv = Record<(typeof FLOWS_ENV_NAMES)[number], string> & { PARKING_FLOWS_HEALTH_URL?: string };

/** This host's name as a client id may carry it: characters other than letters, digits, `_` and `-` made `-`, at most `max`. */
export function hostTag(max: number): string {
  return hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, max);
}

/** A default MQTT client id: one per host and HTTP port. */
export function defaultClientId(httpPort: number): string {
  return `parking-flows-${hostTag(40)}-${httpPort}`;
}

/** `url` with `user:password@` when it names no user (mqtt.js reads them from the URL). */
export function withUserInfo(url: string, credentials?: { username: string; password: string }): string {
  if (!credentials) return url;
  const m = /^([a-z]+:\/\/)(.*)$/i.exec(url);
  if (!m || m[2].split('/')[0].includes('@')) return url;
  return `${m[1]}${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@${m[2]}`;
}

export function flowsEnv(o: FlowsEnvOptions): FlowsEnv {
  if (o.mqttUrls.length === 0) throw new Error('no MQTT broker URLs');
  const urls = o.mqttUrls.map((u) => withUserInfo(u, o.mqttCredentials));
  return {
    PARKING_FLOWS_MQTT_URL: urls[0],
    PARKING_FLOWS_MQTT_URLS: urls.join(','),
    PARKING_FLOWS_MQTT_CLIENT_ID: o.mqttClientId,
    // Gate events are taken on the standby too (the second URL; the only one when there is one).
    PARKING_FLOWS_MQTT_STANDBY_URL: urls[1] ?? urls[0],
    PARKING_FLOWS_MQTT_STANDBY_CLIENT_ID: `${o.mqttClientId}-standby`,
    PARKING_FLOWS_MQTT_FAILOVER_MS: String(o.mqttFailoverMs),
    PARKING_FLOWS_TOPIC_ROOT: o.topicRoot,
    PARKING_FLOWS_GATE_EVENTS: new Topics(o.topicRoot).filters.gateEvents,
    PARKING_FLOWS_MONGODB_URI: o.mongodbUri,
    PARKING_FLOWS_MONGODB_DB: o.mongodbDb,
    PARKING_FLOWS_PLATE_KEY: o.plateKey,
    PARKING_FLOWS_PLATE_DAYS: String(o.retention.plateDays),
    PARKING_FLOWS_SESSION_DAYS: String(o.retention.sessionDays),
    PARKING_FLOWS_GATE_EVENT_DAYS: String(o.retention.gateEventDays),
    PARKING_FLOWS_UTC_OFFSET: o.utcOffset,
    PARKING_FLOWS_LOT_TARIFFS: JSON.stringify(o.lotTariffs ?? {}),
    PARKING_FLOWS_LOTS: JSON.stringify(o.lots ?? {}),
    ...(o.healthUrl ? { PARKING_FLOWS_HEALTH_URL: o.healthUrl } : {}),
  };
}

/** Sets `values` in `env`; the returned function puts the previous values back. */
export function applyEnv(values: Record<string, string>, env: NodeJS.ProcessEnv = process.env): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((k) => [k, env[k]]));
  Object.assign(env, values);
  return () => {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
  };
}
