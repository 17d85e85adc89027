// The dashboard part of the shipped flows file (flows/parking.json): Dashboard 2.0 at
// /dashboard with the pages Availability, Charging and System. The Vue templates
// (*.vue) and the function bodies (functions.ts) live beside this file; `npx tsx
// flows/dashboard/build.ts` writes them into flows/parking.json, replacing the nodes whose
// id starts `dash-` and linking `parking sessions` to the Charging page. Everything else in
// the file is left as it is. test/dashboard/units.test.ts checks the file is up to date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AVAILABILITY_STATE, AVAILABILITY_SUBSCRIBE, CHARGING_QUERIES, CHARGING_VIEW, SYSTEM_DEVICES, SYSTEM_SUBSCRIBE, SYSTEM_VIEW } from './functions.ts';

export const FLOWS_FILE = fileURLToPath(new URL('../parking.json', import.meta.url));
export const DASHBOARD_PREFIX = 'dash-';
/** The link out of the charging flow whose sessions the Charging page takes. */
export const SESSIONS_LINK = 'parking-sessions';
const BROKER = 'platform-brokers';
const MONGODB = 'platform-mongodb';
const TARIFF = 'default-tariff';

type FlowNode = Record<string, unknown> & { id: string; type: string };

const template = (name: string) => readFileSync(fileURLToPath(new URL(`./${name}.vue`, import.meta.url)), 'utf8');

/** Dashboard 2.0's widget types (1.x): messages to them are checked per socket. */
export const WIDGET_TYPES = [
  'ui-audio', 'ui-button', 'ui-button-group', 'ui-chart', 'ui-control', 'ui-dropdown', 'ui-event', 'ui-file-input', 'ui-form', 'ui-gauge', 'ui-markdown', 'ui-notification',
  'ui-number-input', 'ui-progress', 'ui-radio-group', 'ui-slider', 'ui-switch', 'ui-table', 'ui-template', 'ui-text', 'ui-text-input',
];

const BREAKPOINTS = [
  { name: 'Default', px: 0, cols: 3 },
  { name: 'Tablet', px: 576, cols: 6 },
  { name: 'Small Desktop', px: 768, cols: 9 },
  { name: 'Desktop', px: 1024, cols: 12 },
];

function page(id: string, name: string, path: string, icon: string, order: number): FlowNode {
  return { id, type: 'ui-page', name, ui: 'dash-base', path, icon, layout: 'grid', theme: 'dash-theme', breakpoints: BREAKPOINTS, order, className: '', visible: 'true', disabled: 'false' };
}

function group(id: string, name: string, pageId: string): FlowNode {
  return { id, type: 'ui-group', name, page: pageId, width: '12', height: '1', order: 1, showTitle: false, className: '', visible: 'true', disabled: 'false', groupType: 'default' };
}

function uiTemplate(id: string, z: string, name: string, groupId: string, file: string, x: number, y: number): FlowNode {
  return { id, type: 'ui-template', z, group: groupId, page: '', ui: '', name, order: 1, width: '12', height: '0', head: '', format: template(file), storeOutMessages: true, passthru: false, resendOnRefresh: true, templateScope: 'local', className: '', x, y, wires: [[]] };
}

function fn(id: string, z: string, name: string, func: string, x: number, y: number, wires: string[][], info = ''): FlowNode {
  return { id, type: 'function', z, name, func, outputs: wires.length, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], info, x, y, wires };
}

function inject(id: string, z: string, name: string, repeat: string, x: number, y: number, wires: string[][]): FlowNode {
  return { id, type: 'inject', z, name, props: [{ p: 'payload' }], repeat, crontab: '', once: true, onceDelay: '0.5', topic: '', payload: '', payloadType: 'date', x, y, wires };
}

/** An `mqtt in` on the flows' broker configuration whose topics a message sets (dynamic subscription). */
function mqttIn(id: string, z: string, name: string, x: number, y: number, wires: string[][]): FlowNode {
  return { id, type: 'mqtt in', z, name, topic: '', qos: '1', datatype: 'utf8', broker: BROKER, nl: false, rap: true, rh: 0, inputs: 1, x, y, wires };
}

/** The dashboard's nodes, in the order they go into the flows file. */
export function dashboardNodes(): FlowNode[] {
  const A = 'dash-availability-tab';
  const C = 'dash-charging-tab';
  const S = 'dash-system-tab';
  const H = 'dash-history-tab';
  return [
    {
      id: A,
      type: 'tab',
      label: 'Dashboard: availability',
      disabled: false,
      info: 'The Availability page of the dashboard (`/dashboard/availability`), for visitors: a slot map per level, free counts per level and lot.\n\n- `subscribe` gives `slot states` its topics under the topic root (`PARKING_FLOWS_TOPIC_ROOT`): `<root>/+/slot/+/+` and `<root>/+/availability` (retained, QoS 1).\n- `slot map state` keeps the newest state of each slot (by `ts`, then `seq`) and each lot\'s summary in flow context and sends the whole view.\n- `slot map` (ui-template) draws it.\n\nSources: flows/dashboard/ (docs/dashboard.md).',
    },
    {
      id: C,
      type: 'tab',
      label: 'Dashboard: charging',
      disabled: false,
      info: 'The Charging page of the dashboard (`/dashboard/charging`), for operators: open sessions, today\'s exits with their fee, revenue today and per hour.\n\n- every 5 s, and after each session change from the link `parking sessions` (at most once a second), `report queries` asks two `parking-report` nodes for the `open` sessions and today\'s `sessions` (the local day at the site\'s UTC offset, `--utc-offset`, +07:00 by default);\n- `charging view` keeps both in flow context and sends the view to `charging board`.\n\nSources: flows/dashboard/ (docs/dashboard.md).',
    },
    {
      id: S,
      type: 'tab',
      label: 'Dashboard: system',
      disabled: false,
      info: 'The System page of the dashboard (`/dashboard/system`), for operators: the active alarms, the brokers, the MongoDB primary, ingest lag and buffer, devices online and offline, a log of failovers.\n\n- every 2 s `healthz` GETs the platform\'s `/healthz` (`PARKING_FLOWS_HEALTH_URL`);\n- `device status` subscribes to `<root>/+/device/+/status` and `<root>/+/alarm/+` (the platform\'s alarms, retained);\n- `system view` keeps the devices, the alarms and the log of changes (brokers, bridge, MongoDB primary) in flow context; the page shows a banner while an alarm is not acknowledged, and its Acknowledge button POSTs `/api/alarms/<lot>/<alarm>/ack`.\n\nSources: flows/dashboard/ (docs/dashboard.md).',
    },
    {
      id: H,
      type: 'tab',
      label: 'Dashboard: history',
      disabled: false,
      info: 'The History page of the dashboard (`/dashboard/history`), for everyone: a lot\'s occupancy today beside the average of the same weekday, a weekday × hour heatmap of the last 4 weeks, and the turnover per level today.\n\n- `history charts` (ui-template) asks the public `/api/occupancy` itself (pre-aggregated: at most 672 rows a chart) and refreshes every minute; no flow feeds it.\n\nSources: flows/dashboard/history.vue, history/ (docs/history.md).',
    },
    {
      id: 'dash-base',
      type: 'ui-base',
      name: 'Smart parking',
      path: '/dashboard',
      appIcon: '',
      includeClientData: true,
      // Every widget type: each message then passes the parking-access plugin (operator pages' data to operators only).
      acceptsClientConfig: WIDGET_TYPES,
      showPathInSidebar: false,
      headerContent: 'page',
      navigationStyle: 'default',
      titleBarStyle: 'default',
      showReconnectNotification: true,
      notificationDisplayTime: 1,
      showDisconnectNotification: true,
      allowInstall: false,
    },
    {
      id: 'dash-theme',
      type: 'ui-theme',
      name: 'Parking',
      colors: { surface: '#263238', primary: '#0d74ce', bgPage: '#f4f5f7', groupBg: '#ffffff', groupOutline: '#d9d9e0' },
      sizes: { density: 'default', pagePadding: '12px', groupGap: '12px', groupBorderRadius: '6px', widgetGap: '12px' },
    },
    page('dash-page-availability', 'Availability', '/availability', 'parking', 1),
    page('dash-page-history', 'History', '/history', 'chart-line', 2),
    page('dash-page-charging', 'Charging', '/charging', 'cash-register', 3),
    page('dash-page-system', 'System', '/system', 'server-network', 4),
    group('dash-group-availability', 'Slot map', 'dash-page-availability'),
    group('dash-group-charging', 'Charging', 'dash-page-charging'),
    group('dash-group-system', 'System', 'dash-page-system'),
    group('dash-group-history', 'History', 'dash-page-history'),

    inject('dash-availability-start', A, 'at start', '', 120, 80, [['dash-availability-subscribe']]),
    fn('dash-availability-subscribe', A, 'subscribe', AVAILABILITY_SUBSCRIBE, 290, 80, [['dash-slot-states']]),
    mqttIn('dash-slot-states', A, 'slot states', 470, 80, [['dash-availability-state']]),
    fn('dash-availability-state', A, 'slot map state', AVAILABILITY_STATE, 670, 80, [['dash-availability-map']]),
    uiTemplate('dash-availability-map', A, 'slot map', 'dash-group-availability', 'availability', 870, 80),

    { id: 'dash-sessions-in', type: 'link in', z: C, name: 'parking sessions', links: [SESSIONS_LINK], x: 135, y: 140, wires: [['dash-charging-rate']] },
    {
      id: 'dash-charging-rate',
      type: 'delay',
      z: C,
      name: 'at most 1/s',
      pauseType: 'rate',
      timeout: '5',
      timeoutUnits: 'seconds',
      rate: '1',
      nbRateUnits: '1',
      rateUnits: 'second',
      randomFirst: '1',
      randomLast: '5',
      randomUnits: 'seconds',
      drop: true,
      allowrate: false,
      outputs: 1,
      x: 310,
      y: 140,
      wires: [['dash-charging-queries']],
    },
    inject('dash-charging-tick', C, 'every 5 s', '5', 130, 80, [['dash-charging-queries']]),
    fn('dash-charging-queries', C, 'report queries', CHARGING_QUERIES, 500, 100, [['dash-report-open'], ['dash-report-sessions']]),
    { id: 'dash-report-open', type: 'parking-report', z: C, name: 'open sessions', mongodb: MONGODB, tariff: TARIFF, report: 'open', format: 'json', tz: '${PARKING_FLOWS_UTC_OFFSET}', x: 710, y: 80, wires: [['dash-charging-view']] },
    { id: 'dash-report-sessions', type: 'parking-report', z: C, name: "today's sessions", mongodb: MONGODB, tariff: TARIFF, report: 'sessions', format: 'json', tz: '${PARKING_FLOWS_UTC_OFFSET}', x: 720, y: 120, wires: [['dash-charging-view']] },
    fn('dash-charging-view', C, 'charging view', CHARGING_VIEW, 920, 100, [['dash-charging-board']]),
    uiTemplate('dash-charging-board', C, 'charging board', 'dash-group-charging', 'charging', 1110, 100),

    uiTemplate('dash-history-charts', H, 'history charts', 'dash-group-history', 'history', 180, 80),

    inject('dash-system-tick', S, 'every 2 s', '2', 120, 80, [['dash-healthz']]),
    {
      id: 'dash-healthz',
      type: 'http request',
      z: S,
      name: 'healthz',
      method: 'GET',
      // As text: 'system view' parses it, so a /healthz that is not there (Node-RED run alone) is said once on the page, not logged every 2 s.
      ret: 'txt',
      paytoqs: 'ignore',
      url: '${PARKING_FLOWS_HEALTH_URL}',
      tls: '',
      persist: false,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      x: 290,
      y: 80,
      wires: [['dash-system-view']],
    },
    fn('dash-system-view', S, 'system view', SYSTEM_VIEW, 470, 80, [['dash-system-board']]),
    uiTemplate('dash-system-board', S, 'system board', 'dash-group-system', 'system', 660, 80),
    inject('dash-system-start', S, 'at start', '', 120, 160, [['dash-system-subscribe']]),
    fn('dash-system-subscribe', S, 'subscribe', SYSTEM_SUBSCRIBE, 290, 160, [['dash-device-status']]),
    mqttIn('dash-device-status', S, 'device status', 470, 160, [['dash-system-devices']]),
    fn('dash-system-devices', S, 'devices', SYSTEM_DEVICES, 650, 160, [[]]),
  ];
}

/** `flows` with its dashboard nodes replaced by `dashboardNodes()` and the sessions link joined to them. */
export function withDashboard(flows: FlowNode[]): FlowNode[] {
  const kept = flows.filter((n) => !n.id.startsWith(DASHBOARD_PREFIX));
  const dashboard = dashboardNodes();
  const linkIns = dashboard.filter((n) => n.type === 'link in' && (n.links as string[]).includes(SESSIONS_LINK)).map((n) => n.id);
  const out = kept.map((n) => (n.id === SESSIONS_LINK ? { ...n, links: [...((n.links as string[]) ?? []).filter((l) => !l.startsWith(DASHBOARD_PREFIX)), ...linkIns] } : n));
  return [...out, ...dashboard];
}

/** JSON with two spaces, arrays without objects on one line (the style of the shipped file). */
export function renderFlows(flows: FlowNode[]): string {
  const flat = (v: unknown): boolean => !Array.isArray(v) ? v === null || typeof v !== 'object' : v.every(flat);
  const inline = (v: unknown): string => (Array.isArray(v) ? `[${v.map(inline).join(', ')}]` : JSON.stringify(v));
  const render = (v: unknown, indent: string): string => {
    if (Array.isArray(v)) {
      if (flat(v)) return inline(v);
      return `[\n${v.map((e) => `${indent}  ${render(e, `${indent}  `)}`).join(',\n')}\n${indent}]`;
    }
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      if (entries.length === 0) return '{}';
      return `{\n${entries.map(([k, e]) => `${indent}  ${JSON.stringify(k)}: ${render(e, `${indent}  `)}`).join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(v);
  };
  return `${render(flows, '')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const current = JSON.parse(readFileSync(FLOWS_FILE, 'utf8')) as FlowNode[];
  writeFileSync(FLOWS_FILE, renderFlows(withDashboard(current)));
  console.log(`wrote ${FLOWS_FILE}`);
}
