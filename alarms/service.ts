// The alarm service: watches the lots over a failover link (availability
// summaries, devices' Last Will statuses) and the platform's health, and keeps
// `<root>/<lot>/alarm/<alarm>` retained: raised, updated, acknowledged,
// cleared (an empty retained message). It reads its own retained alarms back
// at start, so a restart or a failover keeps each alarm's `since` and its
// acknowledgement. Every change can also go to a webhook.
import { Topics, type LotStatus } from '../contract/index.ts';
import type { LotLayout } from '../layout/index.ts';
import type { FailoverLink } from '../link/index.ts';
import type { HealthReport } from '../web/health.ts';
import { AlarmBook, decodeAlarm, type ActiveAlarm, type AlarmChange } from './book.ts';
import { DEFAULT_DELAYS, lotAlarms, platformFacts, type AlarmDelays, type LotFacts, type PlatformFacts, type StaleSlots } from './rules.ts';
import { webhook as startWebhook, type Webhook, type WebhookOptions } from './webhook.ts';

export interface AlarmServiceOptions {
  /** A started link whose account may publish `<root>/+/alarm/+` (role service or admin). */
  link: FailoverLink;
  topics: Topics;
  /** The platform's health (brokers, bridge, MongoDB); none: no platform alarms. */
  health?: () => Promise<Pick<HealthReport, 'brokers' | 'mongo'>>;
  /** Per lot, the cars parked longer than `olderThan` (epoch ms of entry); asked every overstayCheckMs. None: no overstay alarm. */
  overstays?: (olderThan: number) => Promise<ReadonlyMap<string, number>>;
  /**
   * Per lot, its free or occupied slots whose state has not changed since before `olderThan` (epoch
   * ms): a stuck sensor, online but saying the same for days. Asked with the overstays. None: no
   * `sensors-stale` alarm.
   */
  staleSlots?: (olderThan: number) => Promise<ReadonlyMap<string, StaleSlots>>;
  /** The lot configuration: a configured lot's slots that publish but are not listed raise `unknown-sensors`. */
  layout?: LotLayout;
  /** How often overstays are counted, ms (default 60 000). */
  overstayCheckMs?: number;
  delays?: Partial<AlarmDelays>;
  /** How often the alarms are judged again, ms (default 1 000). */
  intervalMs?: number;
  /** Forward every change (raised, changed, acknowledged, cleared) to this URL. */
  webhook?: WebhookOptions;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  now?: () => number;
}

export interface AlarmService {
  /** Every active alarm, the worst first. */
  list(): ActiveAlarm[];
  /** Marks an active alarm acknowledged (and publishes it); false when there is no such active alarm. */
  acknowledge(lot: string, alarm: string): boolean;
  /** Judges every lot now (otherwise every intervalMs). */
  evaluate(): Promise<void>;
  close(): Promise<void>;
}

interface Lot extends LotFacts {
  offline: Map<string, number>;
  unknownSensors: Set<string>;
}

export async function startAlarms(o: AlarmServiceOptions): Promise<AlarmService> {
  const now = o.now ?? Date.now;
  const delays: AlarmDelays = { ...DEFAULT_DELAYS, ...o.delays };
  const book = new AlarmBook();
  const lots = new Map<string, Lot>();
  let platform: PlatformFacts = { brokersDown: new Map() };
  let healthSeen = !o.health;
  const hook: Webhook | undefined = o.webhook ? startWebhook({ logger: o.logger, ...o.webhook }) : undefined;
  const lotOf = (lot: string): Lot => {
    let facts = lots.get(lot);
    if (!facts) lots.set(lot, (facts = { offline: new Map(), unknownSensors: new Set() }));
    return facts;
  };

  function publish(change: AlarmChange): void {
    const payload = change.payload ? JSON.stringify(change.payload) : '';
    o.link.publish(o.topics.alarm(change.lot, change.alarm), payload, { qos: 1, retain: true }).catch((error: Error) => o.logger?.warn({ lot: change.lot, alarm: change.alarm, err: error.message }, 'alarm: publish failed'));
    o.logger?.info({ lot: change.lot, alarm: change.alarm, event: change.event, ...(change.payload ? { severity: change.payload.severity, text: change.payload.text } : {}) }, `alarm ${change.event}`);
    hook?.send(change);
  }

  o.link.on('message', (topic, payload) => {
    const t = o.topics.parse(topic);
    if (!t) return;
    const text = payload.toString('utf8');
    if (t.kind === 'availability') {
      const facts = lotOf(t.lot);
      try {
        const doc = JSON.parse(text) as { status?: LotStatus; availableSpotNumber?: number; totalSpotNumber?: number };
        facts.status = doc.status;
        facts.free = doc.availableSpotNumber;
        facts.total = doc.totalSpotNumber;
      } catch {
        // a summary that does not parse says nothing (ingest logs its own)
      }
    } else if (t.kind === 'deviceStatus') {
      const facts = lotOf(t.lot);
      if (text === 'offline') {
        if (!facts.offline.has(t.device)) facts.offline.set(t.device, now());
      } else facts.offline.delete(t.device);
    } else if (t.kind === 'slot') {
      // Only configured lots' slot topics are subscribed to; a cleared retained topic takes the sensor off the list.
      if (o.layout?.verdict(t.lot, t.level, t.slot) !== 'unknown') return;
      const sensors = lotOf(t.lot).unknownSensors;
      if (text === '') sensors.delete(`${t.level}/${t.slot}`);
      else sensors.add(`${t.level}/${t.slot}`);
    } else if (t.kind === 'alarm' && text !== '') {
      const restored = decodeAlarm(text);
      const change = restored && book.restore(t.lot, t.alarm, restored);
      if (change) publish(change);
    }
  });
  const slotFilters = (o.layout?.lots ?? []).map((lot) => `${o.topics.root}/${lot}/slot/+/+`);
  await o.link.subscribe([`${o.topics.root}/+/availability`, `${o.topics.root}/+/device/+/status`, o.topics.filters.alarms, ...slotFilters], 1);

  let overstaysAt = -Infinity;
  /** What MongoDB is asked, at most once every overstayCheckMs: cars past the overstay limit, slots past the stale limit. */
  async function countOverstays(at: number): Promise<void> {
    if (at - overstaysAt < (o.overstayCheckMs ?? 60_000)) return;
    overstaysAt = at;
    if (o.overstays && delays.overstayHours > 0) {
      try {
        const counts = await o.overstays(at - delays.overstayHours * 3_600_000);
        for (const [lot, facts] of lots) if (!counts.has(lot)) facts.overstays = 0;
        for (const [lot, n] of counts) lotOf(lot).overstays = n;
      } catch (error) {
        o.logger?.warn({ err: (error as Error).message }, 'alarm: counting overstays failed; the last count stands');
      }
    }
    if (o.staleSlots && delays.staleSensorHours > 0) {
      try {
        const stale = await o.staleSlots(at - delays.staleSensorHours * 3_600_000);
        for (const [lot, facts] of lots) if (!stale.has(lot)) facts.stale = undefined;
        for (const [lot, slots] of stale) lotOf(lot).stale = slots;
      } catch (error) {
        o.logger?.warn({ err: (error as Error).message }, 'alarm: looking for stale slots failed; the last answer stands');
      }
    }
  }

  async function evaluate(): Promise<void> {
    await countOverstays(now());
    if (o.health) {
      try {
        platform = platformFacts(await o.health(), platform, now());
        healthSeen = true;
      } catch (error) {
        o.logger?.warn({ err: (error as Error).message }, 'alarm: health check failed');
      }
    }
    if (!healthSeen) return;
    const at = now();
    // A lot is judged once something of it was seen; a restored alarm of a lot not seen yet stays.
    for (const [lot, facts] of lots) for (const change of book.update(lot, lotAlarms(lot, facts, platform, at, delays), at)) publish(change);
  }

  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    evaluate().finally(() => (busy = false));
  }, o.intervalMs ?? 1000);
  timer.unref();

  return {
    list: () => book.list(),
    acknowledge(lot, alarm) {
      const change = book.acknowledge(lot, alarm);
      if (change) publish(change);
      return change !== undefined || book.has(lot, alarm);
    },
    evaluate,
    async close() {
      clearInterval(timer);
      await hook?.close();
    },
  };
}
