// A slot device (one Pi, one sensor, one slot): the sensor feeds a debounced
// publisher over a failover link; `online`/`offline` retained on the device's
// status topic, with `offline` as the Last Will of every connection.
import { join } from 'node:path';
import { Topics, type SlotState } from '../contract/index.ts';
import { FailoverLink, clientIdFor, type LinkLogger, type LinkOptions } from '../link/index.ts';
import { slotDeviceId } from './ids.ts';
import { SeqCounter } from './seq.ts';
import { SlotPublisher, type SlotAddress } from './slot.ts';
import type { Sensor } from './sensors/index.ts';

export interface DeviceLogger extends LinkLogger {
  error?: (obj: Record<string, unknown>, msg: string) => void;
}

export interface SlotDeviceOptions extends SlotAddress {
  servers: readonly string[];
  /** Default `<lot>-<level>-<slot>`. */
  device?: string;
  /** Topic root (default `parking`). */
  root?: string;
  sensor: Sensor;
  /** Hold time of a reading before it is published, ms (default 500). */
  debounceMs?: number;
  /** Directory for the seq file `<device>.seq` (default none: seq starts from the clock). */
  stateDir?: string;
  /** Further link options (failoverMs, probeIntervalMs, ...). */
  link?: Partial<LinkOptions>;
  logger?: DeviceLogger;
  onPublish?: (state: SlotState) => void;
}

export interface SlotDevice {
  readonly id: string;
  readonly link: FailoverLink;
  readonly publisher: SlotPublisher;
  readonly sensor: Sensor;
  readonly statusTopic: string;
  /** Resolves when the sensor input ended and every state was acknowledged; rejects when the sensor failed. */
  readonly ended: Promise<void>;
  /** Publishes `offline`, waits (up to 2 s) for what is unacknowledged, disconnects cleanly. */
  stop(): Promise<void>;
}

export async function startSlotDevice(options: SlotDeviceOptions): Promise<SlotDevice> {
  const id = options.device ?? slotDeviceId(options.lot, options.level, options.slot);
  const topics = new Topics(options.root);
  const statusTopic = topics.deviceStatus(options.lot, id);
  const log = options.logger ?? {};
  const seq = await SeqCounter.open({ file: options.stateDir ? join(options.stateDir, `${id}.seq`) : undefined });
  const link = new FailoverLink({
    liveness: 'ack',
    ...options.link,
    servers: options.servers,
    clientId: options.link?.clientId ?? clientIdFor(id),
    will: { topic: statusTopic, payload: 'offline', qos: 1, retain: true },
    logger: options.logger,
  });
  const publisher = new SlotPublisher({ ...options, link, topics, device: id, seq, debounceMs: options.debounceMs ?? 500 });
  const announcer = announceStatus(link, statusTopic, link.keepaliveSec);
  link.on('connected', () => void publisher.republish());

  const sensor = options.sensor;
  let settle: { resolve: () => void; reject: (error: Error) => void } = { resolve: () => {}, reject: () => {} };
  const ended = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  ended.catch(() => {});
  sensor.on('reading', (occupied, at) => publisher.reading(occupied, at));
  sensor.on('warning', (message) => log.warn?.({ sensor: sensor.description }, message));
  sensor.on('failure', (error) => settle.reject(error));
  sensor.on('end', () => {
    publisher.flush();
    link.flush(Infinity).then(settle.resolve, settle.reject);
  });

  link.start();
  try {
    await sensor.start();
  } catch (error) {
    announcer.stop();
    await link.close();
    throw error;
  }
  log.info?.({ device: id, slot: publisher.topic, sensor: sensor.description }, 'device started');

  let stopping: Promise<void> | undefined;
  return {
    id,
    link,
    publisher,
    sensor,
    statusTopic,
    ended,
    stop() {
      stopping ??= (async () => {
        announcer.stop();
        await sensor.close();
        publisher.stop();
        void link.publish(statusTopic, 'offline', { qos: 1, retain: true });
        await link.close({ drainMs: 2000 });
        await seq.close();
      })();
      return stopping;
    },
  };
}

// After a failover: past the standby's busiest seconds (a fleet's pending publishes, 6-10 s at
// 10,000 devices on 2 cores), and spread, so 10,000 devices say it at 1,000 a second.
const RESAY_AFTER_MS = 5000;
const RESAY_SPREAD_MS = 10_000;

/**
 * `online` (retained, QoS 1) first thing on the first connection (queued before the link starts)
 * and again on every broker the link moves to. After an unclean switch the old broker still
 * holds the dead connection and publishes its Last Will `offline` once the keep-alive runs out
 * (1.5 × keep-alive); a bridge may carry that to the broker in use, so `online` is said again
 * after that time.
 */
export function announceStatus(link: FailoverLink, topic: string, keepaliveSec: number): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let pending = false;
  let ackedIn: number | undefined;
  const online = (force = false) => {
    if (stopped || pending || (!force && ackedIn === link.epoch)) return;
    pending = true;
    link.publish(topic, 'online', { qos: 1, retain: true }).then(
      () => {
        pending = false;
        ackedIn = link.epoch;
      },
      () => (pending = false),
    );
  };
  online();
  // Said again on every connection; after the first one, RESAY_AFTER_MS later and spread over
  // RESAY_SPREAD_MS, so a fleet that just failed over gives the broker its pending publishes first
  // (the busiest second of a failover), its statuses after. A return
  // to the primary ('failover' with 'failback' comes right after 'connected') says it at once: it
  // is spread already, and the primary may just have published the Will of the connection the
  // return took over.
  let spread: ReturnType<typeof setTimeout> | undefined;
  link.on('connected', () => {
    if (ackedIn === undefined) return online();
    clearTimeout(spread);
    spread = setTimeout(() => online(), RESAY_AFTER_MS + Math.round(RESAY_SPREAD_MS * Math.random()));
    spread.unref();
  });
  link.on('failover', (_from, _to, reason) => {
    if (reason === 'failback') {
      clearTimeout(spread);
      return online();
    }
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => online(true), keepaliveSec * 1500 + 1000);
    timer.unref();
  });
  return {
    stop() {
      stopped = true;
      clearTimeout(spread);
      if (timer) clearTimeout(timer);
    },
  };
}
