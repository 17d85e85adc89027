// Publishing on a new connection before its CONNACK. MQTT 3.1.1 lets a client
// send packets right after CONNECT [MQTT-3.1.4]; brokers handle them once the
// CONNECT is accepted (Aedes queues up to 42, Mosquitto reads in order). MQTT.js
// holds publishes back until the CONNACK, so after a failover the first
// acknowledgement would cost one more round trip: these QoS 1 publishes are
// written to its stream directly, with message ids taken from its own id
// provider (so its later ids do not collide), and their PUBACKs are matched
// here (MQTT.js ignores a PUBACK it has no record of).
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { OutboxEntry } from './outbox.ts';

/** At most this many publishes go out before the CONNACK (Aedes refuses a client that queues more than 42 packets). */
export const EARLY_MAX = 32;

interface ClientInternals {
  stream?: { write(chunk: Buffer): unknown; destroyed?: boolean };
  messageIdProvider?: { allocate(): number | null };
  options: { protocolVersion?: number };
}

/** Writes `entry` as a QoS 1 PUBLISH on `client`'s stream; the message id used, or undefined when it cannot. */
export function writeEarly(client: MqttClient, entry: OutboxEntry): number | undefined {
  const internals = client as unknown as ClientInternals;
  const stream = internals.stream;
  if (entry.qos !== 1 || !stream || stream.destroyed || !internals.messageIdProvider) return undefined;
  const messageId = internals.messageIdProvider.allocate();
  if (messageId === null) return undefined;
  const packet = mqttPacket.generate(
    { cmd: 'publish', topic: entry.topic, payload: entry.payload, qos: 1, retain: entry.retain, dup: false, messageId },
    { protocolVersion: internals.options.protocolVersion ?? 4 },
  );
  stream.write(packet);
  return messageId;
}
