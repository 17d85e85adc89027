// A gate reader: entry and exit events with a unique eventId, QoS 1, not
// retained, over a failover link (at least once: repeats are possible and
// carry the same eventId); the gate's display messages come back.
import { randomUUID } from 'node:crypto';
import { PayloadError, Topics, decodeGateEvent, encodeGateEvent, normaliseCarId, type Direction, type GateDisplay, type GateEvent } from '../contract/index.ts';
import { FailoverLink, clientIdFor, type LinkOptions } from '../link/index.ts';
import { announceStatus, type DeviceLogger } from './device.ts';
import { gateDeviceId } from './ids.ts';

/** What a gate shows: a display message of the contract, or the raw text when it is not one. */
export type DisplayMessage = { kind: 'display'; display: GateDisplay } | { kind: 'raw'; text: string };

/** A display payload as JSON (`text` required), else raw text. */
export function parseDisplay(payload: Buffer | string): DisplayMessage {
  const text = (typeof payload === 'string' ? payload : payload.toString('utf8')).trim();
  try {
    const doc = JSON.parse(text) as Partial<GateDisplay> | null;
    if (doc && typeof doc === 'object' && typeof doc.text === 'string') return { kind: 'display', display: doc as GateDisplay };
  } catch {
    // not JSON: shown as it is
  }
  return { kind: 'raw', text };
}

/** One stdin line of a gate: `entry CARID` or `exit CARID` (a plate may hold spaces: `entry B 1234 XYZ`). */
export function parseGateLine(line: string): { direction: Direction; carId: string } | undefined {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return undefined;
  const match = /^(entry|exit|in|out)\s+(.+)$/i.exec(text);
  if (!match) throw new PayloadError('bad-field', `not a gate event: ${JSON.stringify(text.slice(0, 40))} (use "entry CARID" or "exit CARID")`);
  const word = match[1].toLowerCase();
  return { direction: word === 'entry' || word === 'in' ? 'entry' : 'exit', carId: normaliseCarId(match[2]) };
}

export interface GateReaderOptions {
  link: FailoverLink;
  topics: Topics;
  lot: string;
  gate: string;
  now?: () => number;
  newEventId?: () => string;
}

export class GateReader {
  readonly eventTopic: string;
  readonly displayTopic: string;
  private count = 0;

  constructor(private readonly options: GateReaderOptions) {
    this.eventTopic = options.topics.gateEvent(options.lot, options.gate);
    this.displayTopic = options.topics.gateDisplay(options.lot, options.gate);
  }

  get published(): number {
    return this.count;
  }

  /**
   * Publishes one event; throws PayloadError for a car id the contract refuses. The returned
   * `acked` resolves once a broker acknowledged it.
   */
  event(direction: Direction, carId: string): { event: GateEvent; acked: Promise<void> } {
    const candidate: GateEvent = { eventId: (this.options.newEventId ?? randomUUID)(), direction, carId: normaliseCarId(carId), ts: (this.options.now ?? Date.now)() };
    // Through the contract's own decoder: what goes out is what consumers accept.
    const event = decodeGateEvent(encodeGateEvent(candidate), candidate.ts);
    this.count += 1;
    return { event, acked: this.options.link.publish(this.eventTopic, encodeGateEvent(event), { qos: 1, retain: false }) };
  }
}

export interface GateDeviceOptions {
  servers: readonly string[];
  lot: string;
  gate: string;
  root?: string;
  /** With a device id, the gate also says `online`/`offline` on `<root>/<lot>/device/<id>/status` (Last Will `offline`). */
  device?: string | true;
  link?: Partial<LinkOptions>;
  logger?: DeviceLogger;
  onDisplay?: (message: DisplayMessage) => void;
}

export interface GateDevice {
  readonly reader: GateReader;
  readonly link: FailoverLink;
  readonly statusTopic: string | undefined;
  /** Waits (up to 2 s) for unacknowledged events, says `offline` when it announces a status, disconnects. */
  stop(): Promise<void>;
}

export async function startGateDevice(options: GateDeviceOptions): Promise<GateDevice> {
  const topics = new Topics(options.root);
  const device = options.device === true ? gateDeviceId(options.lot, options.gate) : options.device;
  const statusTopic = device ? topics.deviceStatus(options.lot, device) : undefined;
  const link = new FailoverLink({
    liveness: 'ack',
    ...options.link,
    servers: options.servers,
    clientId: options.link?.clientId ?? clientIdFor(device ?? `${options.lot}-gate-${options.gate}`, 'g-'),
    ...(statusTopic ? { will: { topic: statusTopic, payload: 'offline', qos: 1 as const, retain: true } } : {}),
    logger: options.logger,
  });
  const reader = new GateReader({ link, topics, lot: options.lot, gate: options.gate });
  const announcer = statusTopic ? announceStatus(link, statusTopic, link.keepaliveSec) : undefined;
  if (options.onDisplay) {
    const onDisplay = options.onDisplay;
    link.on('message', (topic, payload) => {
      if (topic === reader.displayTopic) onDisplay(parseDisplay(payload));
    });
    await link.subscribe(reader.displayTopic, 1);
  }
  link.start();
  let stopping: Promise<void> | undefined;
  return {
    reader,
    link,
    statusTopic,
    stop() {
      stopping ??= (async () => {
        announcer?.stop();
        if (statusTopic) void link.publish(statusTopic, 'offline', { qos: 1, retain: true });
        await link.close({ drainMs: 2000 });
      })();
      return stopping;
    },
  };
}
