// parking-mqtt-out: publishes each message through the first connected of two MQTT broker
// configurations (the primary's, then the standby's), and holds it while neither is
// connected. Node-RED's own mqtt out drops a message silently while its broker is away;
// a gate display must reach the car at the barrier, so it waits (up to a deadline) instead.
import { onClose, type Node, type NodeAPI, type NodeDef, type NodeMessage } from './red.ts';

export interface MqttOutDef extends NodeDef {
  /** Id of the primary's mqtt-broker configuration. */
  broker: string;
  /** Id of the standby's mqtt-broker configuration (optional). */
  standby?: string;
}

/** What this node uses of Node-RED's mqtt-broker configuration node. */
interface BrokerConfig extends Node {
  connected: boolean;
  brokerurl?: string;
  register(user: Node): void;
  deregister(user: Node, done: () => void, autoDisconnect?: boolean): void;
  publish(msg: NodeMessage, done?: (err?: Error) => void): void;
}

/** Messages held while no broker is connected; past it the oldest is dropped, with an error. */
export const MAX_HELD = 1000;
/** Longest a message is held, ms; then it is dropped with an error. */
export const HOLD_MS = 60_000;
/** How often held messages are tried again, ms (the configurations have no event for a connection). */
const RETRY_MS = 100;

export function registerMqttOut(RED: NodeAPI): void {
  RED.nodes.registerType<MqttOutDef, Node>('parking-mqtt-out', function (def) {
    RED.nodes.createNode(this, def);
    mqttOutNode(RED, this, def);
  });
}

function mqttOutNode(RED: NodeAPI, node: Node, def: MqttOutDef): void {
  const ids = [def.broker, def.standby].filter((id): id is string => !!id);
  const brokers = [...new Set(ids)].map((id) => RED.nodes.getNode(id) as BrokerConfig | null).filter((b): b is BrokerConfig => !!b);
  if (brokers.length === 0) {
    node.status({ fill: 'red', shape: 'ring', text: 'no MQTT broker configured' });
    return;
  }
  for (const b of brokers) b.register(node);
  const held: Array<{ msg: NodeMessage; done: (err?: Error) => void; at: number }> = [];
  let timer: NodeJS.Timeout | undefined;

  const show = () => {
    const up = brokers.find((b) => b.connected);
    if (held.length) node.status({ fill: 'yellow', shape: 'ring', text: `no broker connected: ${held.length} held` });
    else node.status(up ? { fill: 'green', shape: 'dot', text: up === brokers[0] ? 'connected' : 'connected to the standby' } : { fill: 'red', shape: 'ring', text: 'disconnected' });
  };

  const flush = () => {
    timer = undefined;
    const now = Date.now();
    while (held.length && now - held[0].at > HOLD_MS) {
      const late = held.shift()!;
      late.done(new Error(`no MQTT broker connected for ${HOLD_MS / 1000} s: message to ${String(late.msg.topic)} dropped`));
    }
    while (held.length) {
      const broker = brokers.find((b) => b.connected);
      if (!broker) break;
      const { msg, done } = held.shift()!;
      broker.publish(msg, (err) => done(err ?? undefined));
    }
    if (held.length) timer = setTimeout(flush, RETRY_MS);
    show();
  };

  node.on('input', (msg, _send, done) => {
    held.push({ msg, done, at: Date.now() });
    if (held.length > MAX_HELD) held.shift()!.done(new Error(`more than ${MAX_HELD} messages held while no MQTT broker is connected: the oldest dropped`));
    if (!timer) flush();
    else show();
  });

  onClose(node, async () => {
    clearTimeout(timer);
    for (const { done, msg } of held.splice(0)) done(new Error(`stopped before a broker took the message to ${String(msg.topic)}`));
    await Promise.all(brokers.map((b) => new Promise<void>((resolve) => b.deregister(node, resolve, true))));
  });
}
