// The example flows of the Node-RED package (Import > Examples in the editor), made from the
// shipped flow so that there is one flow to keep: its Charging tab, and a revenue report. Pure.
//
// In a plain Node-RED nothing sets the platform's `PARKING_FLOWS_*` variables, so each example
// tab carries them as its own environment (defaults for a primary and a standby broker on this
// host and a local replica set), and its configuration nodes sit on the tab, where they read it.
// The plate key is not among them: unset, the parking-mongodb node makes one in Node-RED's user
// directory (a key published in an example would be no key).
import { DEFAULT_RETENTION } from '../../billing/index.ts';
import { flowsEnv, type FlowsEnv } from '../env.ts';

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  [key: string]: unknown;
}

export interface Example {
  /** File name in examples/, without .json: the title the editor shows. */
  name: string;
  flow: FlowNode[];
}

/** What a plain Node-RED on the brokers' host needs; every value can be changed on the tab. */
export function exampleEnv(): Partial<FlowsEnv> {
  const env: Partial<FlowsEnv> = flowsEnv({
    mqttUrls: ['mqtt://127.0.0.1:1883', 'mqtt://127.0.0.1:1884'],
    topicRoot: 'parking',
    mongodbUri: 'mongodb://127.0.0.1:27017/?replicaSet=rs0',
    mongodbDb: 'parking',
    mqttFailoverMs: 3000,
    mqttClientId: 'node-red-parking-charging',
    plateKey: '',
    retention: DEFAULT_RETENTION,
    utcOffset: '+07:00',
  });
  delete env.PARKING_FLOWS_PLATE_KEY;
  delete env.PARKING_FLOWS_LOT_TARIFFS; // read from the process environment by the charging node
  return env;
}

const asTabEnv = (env: Partial<FlowsEnv>) => Object.entries(env).map(([name, value]) => ({ name, value, type: 'str' }));

/** The config nodes `nodes` name (by id, in any property), copied onto `tab`. */
function configsFor(shipped: readonly FlowNode[], nodes: readonly FlowNode[], tab: string): FlowNode[] {
  const configs = new Map(shipped.filter((n) => n.z === undefined && n.type !== 'tab').map((n) => [n.id, n]));
  const used = new Set(nodes.flatMap((n) => Object.values(n).filter((v): v is string => typeof v === 'string' && configs.has(v))));
  return [...used].map((id) => ({ ...configs.get(id)!, z: tab }));
}

const CHARGING_INFO = `Gate events are charged and answered on the gates' displays, through a primary and a standby MQTT broker, with the sessions in MongoDB (a replica set).

- Set the brokers, MongoDB and the topic root in this tab's **environment** (Edit flow > Environment variables): \`PARKING_FLOWS_MQTT_URL\` / \`PARKING_FLOWS_MQTT_STANDBY_URL\` / \`PARKING_FLOWS_MQTT_URLS\` (the primary first), \`PARKING_FLOWS_MONGODB_URI\`, \`PARKING_FLOWS_MONGODB_DB\`. With one broker, give the same URL to all three.
- Give each Node-RED its own client ids (\`PARKING_FLOWS_MQTT_CLIENT_ID\`, \`PARKING_FLOWS_MQTT_STANDBY_CLIENT_ID\`): the sessions are persistent, so gate events published while Node-RED restarts wait on the broker.
- The tariff is the \`Standard car tariff\` configuration node.
- Try it: \`mosquitto_pub -q 1 -t parking/mall-1/gate/g1/event -m '{"eventId":"e1","direction":"entry","carId":"B1234XYZ"}'\` and watch \`parking/mall-1/gate/g1/display\`.`;

/** The shipped flow's Charging tab, for a plain Node-RED. */
export function chargingExample(shipped: readonly FlowNode[]): Example {
  const tab = shipped.find((n) => n.type === 'tab' && n.id === 'charging-tab');
  if (!tab) throw new Error('the shipped flow has no charging-tab');
  const nodes = shipped.filter((n) => n.z === tab.id).map((n) => (n.type === 'link out' ? { ...n, links: [] } : { ...n }));
  return {
    name: 'charging-at-the-gates',
    flow: [{ ...tab, label: 'Parking: charging at the gates', info: CHARGING_INFO, env: asTabEnv(exampleEnv()) }, ...nodes, ...configsFor(shipped, nodes, tab.id)],
  };
}

/** A revenue report of the last 30 days as CSV, on a button, with the tariff and MongoDB of the charging example. */
export function reportExample(shipped: readonly FlowNode[]): Example {
  const tab = 'parking-report-tab';
  const nodes: FlowNode[] = [
    { id: 'report-now', type: 'inject', z: tab, name: 'report now', props: [{ p: 'payload' }], repeat: '', crontab: '', once: false, payload: '{}', payloadType: 'json', x: 130, y: 80, wires: [['report-revenue']] },
    { id: 'report-revenue', type: 'parking-report', z: tab, name: 'revenue', mongodb: 'platform-mongodb', tariff: 'default-tariff', report: 'revenue', format: 'csv', tz: '${PARKING_FLOWS_UTC_OFFSET}', x: 320, y: 80, wires: [['report-out']] },
    { id: 'report-out', type: 'debug', z: tab, name: 'CSV', active: true, tosidebar: true, console: false, tostatus: false, complete: 'payload', targetType: 'msg', x: 490, y: 80, wires: [] },
  ];
  const env = exampleEnv();
  const keep = ['PARKING_FLOWS_MONGODB_URI', 'PARKING_FLOWS_MONGODB_DB', 'PARKING_FLOWS_UTC_OFFSET', 'PARKING_FLOWS_PLATE_DAYS', 'PARKING_FLOWS_SESSION_DAYS', 'PARKING_FLOWS_GATE_EVENT_DAYS'] as const;
  const info = 'Revenue per day of the last 30 days, in the local time of `PARKING_FLOWS_UTC_OFFSET`, as CSV in the debug sidebar. Set MongoDB in this tab\'s environment. Send `{"from":"2026-12-01","to":"2026-12-07"}` for other days, or `report` in the message for another report (`occupancy`, `open`, `sessions`): see the node\'s help.';
  return {
    name: 'revenue-report',
    flow: [{ id: tab, type: 'tab', label: 'Parking: revenue report', disabled: false, info, env: asTabEnv(Object.fromEntries(keep.map((k) => [k, env[k]]))) }, ...nodes, ...configsFor(shipped, nodes, tab)],
  };
}
