// From an MQTT message (mqtt in) to a gate event with its lot and gate, and from the
// outcome to the display message (mqtt out). Pure.
import { decodeGateEvent, isId, PayloadError, type Topics } from '../../contract/index.ts';
import type { ApplyResult, LotGateEvent } from '../../billing/index.ts';
import type { NodeMessage } from './red.ts';

export class GateMessageError extends Error {
  override readonly name = 'GateMessageError';
  constructor(
    /** `topic`, or a PayloadError reason: `oversize`, `bad-json`, `bad-field`. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The gate event in `msg`: lot and gate from the topic (`<root>/{lot}/gate/{gate}/event`),
 * or from `msg.lot` and `msg.gate`; the payload as a Buffer, a string or an object (mqtt in
 * set to parse JSON). `carKeyOf` gives the plate's keyed hash.
 */
export function gateEventFromMessage(msg: NodeMessage, topics: Topics, receivedAt: number, carKeyOf: (carId: string) => string): LotGateEvent {
  const topic = typeof msg.topic === 'string' ? topics.parse(msg.topic) : undefined;
  let lot: string;
  let gate: string;
  if (topic?.kind === 'gateEvent') ({ lot, gate } = topic);
  else if (isId(msg.lot) && isId(msg.gate)) ({ lot, gate } = msg as { lot: string; gate: string });
  else throw new GateMessageError('topic', `topic ${JSON.stringify(msg.topic)} is not ${topics.root}/{lot}/gate/{gate}/event, and msg.lot and msg.gate are not ids`);
  const raw = msg.payload;
  const payload = Buffer.isBuffer(raw) || typeof raw === 'string' ? raw : JSON.stringify(raw ?? null);
  let event;
  try {
    event = decodeGateEvent(payload, receivedAt);
  } catch (err) {
    if (err instanceof PayloadError) throw new GateMessageError(err.reason, `gate event on ${msg.topic ?? `${lot}/${gate}`}: ${err.message}`);
    throw err;
  }
  return { ...event, carKey: carKeyOf(event.carId), lot, gate, receivedAt };
}

/** The gate display for mqtt out: `<root>/{lot}/gate/{gate}/display`, QoS 1, not retained. */
export function displayMessage(topics: Topics, ev: Pick<LotGateEvent, 'lot' | 'gate'>, result: Pick<ApplyResult, 'display'>): NodeMessage {
  return { topic: topics.gateDisplay(ev.lot, ev.gate), payload: result.display, qos: 1, retain: false };
}

/** The session after the event, for dashboards and audit flows. */
export function sessionMessage(topics: Topics, ev: LotGateEvent, result: ApplyResult): NodeMessage {
  return {
    topic: `${topics.root}/${ev.lot}/session/${result.session._id}`,
    payload: { ...result.session, outcome: result.outcome, duplicate: result.duplicate, superseded: result.superseded },
    event: ev,
  };
}
