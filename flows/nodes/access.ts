// parking-access: a Dashboard 2.0 plugin that keeps the data of the operator pages from
// visitors. Dashboard 2.0 sends a widget's messages to every open dashboard; this plugin
// uses its hooks to decide per socket:
// - every message a widget of an operator page receives is marked (Node-RED's onReceive
//   hook), and a marked message reaches only sockets with an operator's login;
// - a widget of an operator page replays its stored message only to such sockets, and
//   ignores what other sockets send it.
// The policy (which pages, whose socket) comes from the `parkingAccess` setting, which the
// platform sets (flows/access.ts); without it the plugin does nothing.
import type { NodeAPI, NodeMessage } from './red.ts';

export interface AccessPolicy {
  /** Paths of the operator pages, as their ui-page nodes give them (`/charging`). */
  operatorPages: readonly string[];
}

interface Conn {
  data?: { login?: unknown };
}

interface PluginAPI extends NodeAPI {
  plugins: { registerPlugin(id: string, definition: Record<string, unknown>): void };
  hooks: { add(name: string, hook: (event: { msg: NodeMessage; destination: { id: string } }) => void): void; remove(name: string): void };
  events: NodeJS.EventEmitter;
}

interface FlowNodeConfig {
  id: string;
  type: string;
  path?: string;
  page?: string;
  group?: string;
}

export const AUDIENCE = '_audience';
const HOOK = 'onReceive.parkingAccess';

/** The ids of the widgets (and groups) on the operator pages of `nodes`. */
export function operatorWidgetIds(nodes: readonly FlowNodeConfig[], operatorPages: readonly string[]): Set<string> {
  const pages = new Set(nodes.filter((n) => n.type === 'ui-page' && operatorPages.includes(n.path ?? '')).map((n) => n.id));
  const groups = new Set(nodes.filter((n) => n.type === 'ui-group' && pages.has(n.page ?? '')).map((n) => n.id));
  return new Set([...groups, ...nodes.filter((n) => groups.has(n.group ?? '') || (n.type !== 'ui-group' && pages.has(n.page ?? ''))).map((n) => n.id)]);
}

let onStarted: (() => void) | undefined;

export function registerAccess(RED: PluginAPI): void {
  let widgets = new Set<string>();
  const policy = () => RED.settings.parkingAccess as AccessPolicy | undefined;
  const isOperator = (conn: Conn | undefined) => !!conn?.data?.login;
  const guarded = (id: string, conn: Conn) => widgets.has(id) && !isOperator(conn);

  if (onStarted) RED.events.off('flows:started', onStarted);
  onStarted = () => {
    const p = policy();
    const nodes: FlowNodeConfig[] = [];
    (RED.nodes as unknown as { eachNode(cb: (n: FlowNodeConfig) => void): void }).eachNode((n) => nodes.push(n));
    widgets = p ? operatorWidgetIds(nodes, p.operatorPages) : new Set();
  };
  RED.events.on('flows:started', onStarted);

  RED.hooks.remove(HOOK);
  RED.hooks.add(HOOK, (event) => {
    if (widgets.has(event.destination.id) && event.msg && typeof event.msg === 'object') event.msg[AUDIENCE] = 'operator';
  });

  RED.plugins.registerPlugin('parking-access', {
    type: 'node-red-dashboard-2',
    hooks: {
      onIsValidConnection: (conn: Conn, msg: NodeMessage | undefined) => msg?.[AUDIENCE] !== 'operator' || isOperator(conn),
      onLoad: (conn: Conn, id: string, msg: unknown) => (guarded(id, conn) ? undefined : msg),
      onAction: (conn: Conn, id: string, msg: unknown) => (guarded(id, conn) ? null : msg),
      onChange: (conn: Conn, id: string, msg: unknown) => (guarded(id, conn) ? null : msg),
      onSend: (conn: Conn, id: string, msg: unknown) => (guarded(id, conn) ? null : msg),
    },
  });
}
