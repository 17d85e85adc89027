// QoS 1 publishes written to the connection's stream directly, not through
// MQTT.js's publish: a message id from MQTT.js's own id provider (so its later
// ids do not collide), one packet built and written, and the PUBACK matched by
// the link (core.ts onPacket; MQTT.js ignores a PUBACK it has no record of,
// after rescheduling its keep-alive ping as for any acknowledgement). Two uses:
//
// - Before the CONNACK. MQTT 3.1.1 lets a client send packets right after
//   CONNECT [MQTT-3.1.4]; brokers handle them once the CONNECT is accepted
//   (Aedes queues up to 42, Mosquitto reads in order). MQTT.js holds
//   publishes back until the CONNACK, so after a failover the first
//   acknowledgement would cost one more round trip.
// - Every QoS 1 publish after it. MQTT.js's publish path (options, its own
//   store of the packet, a corked stream written in pieces, the acknowledgement
//   through that store) cost a process holding thousands of links more than
//   the link itself: in a 10,000-device failover storm, publishing and the
//   acknowledgements were a third of a fleet process's work. The link keeps
//   its own outbox, so MQTT.js's store held nothing it needed.
//
// QoS 2 goes through MQTT.js (PUBREC, PUBREL, PUBCOMP).
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { OutboxEntry } from './outbox.ts';

/** At most this many publishes go out before the CONNACK (Aedes refuses a client that queues more than 42 packets). */
export const EARLY_MAX = 32;

interface ClientInternals {
  stream?: { write(chunk: Buffer): unknown; destroyed?: boolean; writable?: boolean };
  messageIdProvider?: { allocate(): number | null };
  options: { protocolVersion?: number };
}

/** Writes `entry` as a QoS 1 PUBLISH on `client`'s stream; the message id used, or undefined when it cannot. */
export function writeDirect(client: MqttClient, entry: OutboxEntry): number | undefined {
  const internals = client as unknown as ClientInternals;
  const stream = internals.stream;
  if (entry.qos !== 1 || !stream || stream.destroyed || stream.writable === false || !internals.messageIdProvider) return undefined;
  const messageId = internals.messageIdProvider.allocate();
  if (messageId === null) return undefined;
  const packet = mqttPacket.generate(
    { cmd: 'publish', topic: entry.topic, payload: entry.payload, qos: 1, retain: entry.retain, dup: false, messageId },
    { protocolVersion: internals.options.protocolVersion ?? 4 },
  );
  stream.write(packet);
  return messageId;
}
