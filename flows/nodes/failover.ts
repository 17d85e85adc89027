// parking-mqtt-failover: keeps the flow's MQTT connection on a live broker. Fed the status
// of the mqtt nodes (a status node), it sends mqtt out a `connect` action with the next
// broker URL when the connection has been down for a while, and keeps rotating until
// one answers. The standby bridges to the primary, so either serves every topic.
import { FailoverPolicy, linkState } from './failover-policy.ts';
import { redactUrls } from '../../log/index.ts';
import { onClose, unsetEnv, type Node, type NodeAPI, type NodeDef } from './red.ts';

export interface FailoverDef extends NodeDef {
  /** Comma-separated broker URLs, primary first (the mqtt-broker node starts on the first). */
  urls: string;
  /** Milliseconds without a connection before switching. */
  after: number | string;
}

export const DEFAULT_AFTER_MS = 3000;

export function parseUrls(text: string): string[] {
  return text
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
}

export function registerMqttFailover(RED: NodeAPI): void {
  RED.nodes.registerType<FailoverDef, Node>('parking-mqtt-failover', function (def) {
    RED.nodes.createNode(this, def);
    failoverNode(RED, this, def);
  });
}

function failoverNode(RED: NodeAPI, node: Node, def: FailoverDef): void {
  const unset = unsetEnv(def.urls);
  const urls = unset ? [] : parseUrls(def.urls ?? '');
  const after = Number(def.after);
  const afterMs = Number.isFinite(after) && after >= 10 ? after : DEFAULT_AFTER_MS;
  if (urls.length === 0) {
    node.status({ fill: 'red', shape: 'ring', text: 'no broker URLs' });
    node.error(unset ? `no broker URLs: the environment variable ${unset} is not set` : 'no broker URLs configured');
    return;
  }
  const policy = new FailoverPolicy(urls, afterMs);
  let timer: NodeJS.Timeout | undefined;
  const shown = () => redactUrls(policy.current);
  const show = () => node.status(policy.link === 'up' ? { fill: 'green', shape: 'dot', text: shown() } : { fill: 'yellow', shape: 'ring', text: `waiting for ${shown()}` });

  const arm = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      const url = policy.next();
      if (!url) return;
      node.warn(`MQTT broker not reachable for ${afterMs} ms: switching to ${redactUrls(url)}`);
      node.send({ action: 'connect', broker: { broker: url, force: true }, payload: redactUrls(url) });
      show();
      arm();
    }, afterMs);
  };
  const disarm = () => {
    clearTimeout(timer);
    timer = undefined;
  };

  // Down until an mqtt node reports connected.
  if (policy.observe('down')) arm();
  show();

  node.on('input', (msg, _send, done) => {
    const state = linkState(msg.status as { fill?: string; text?: string } | undefined);
    if (state) {
      if (policy.observe(state)) arm();
      else disarm();
      show();
    }
    done();
  });

  onClose(node, () => disarm());
}
