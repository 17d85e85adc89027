// Ingest: slot topics from the brokers into MongoDB, availability back out.
import type { Db } from 'mongodb';
import type { Observable, Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { LevelTotals, Topics } from '../contract/index.ts';
import { AvailabilityCounts, AvailabilityTracker } from './availability.ts';
import { WriteBuffer } from './buffer.ts';
import { slotId, type Inbound, type Rejected, type SlotUpdate } from './decode.ts';
import { LatestStates } from './latest.ts';
import { createMetrics, type IngestMetrics } from './metrics.ts';
import { OfflineTracker } from './offline.ts';
import { ingestPipeline } from './pipeline.ts';
import { prepare, type SlotDoc } from './store.ts';
import { Writer } from './writer.ts';
import type { LiveState } from './live.ts';

export type { Inbound, SlotUpdate, IngestMetrics };
export { classify } from './decode.ts';
export { redisLiveState, liveKeys, type LiveState } from './live.ts';

/** What ingest needs of MQTT: the slot and device-status messages, and a way to publish. */
export interface MqttPort {
  messages: Observable<Inbound>;
  publish(topic: string, payload: string, options: { retain: boolean; qos: 0 | 1 }): Promise<void>;
}

export interface IngestOptions {
  db: Db;
  mqtt: MqttPort;
  topics: Topics;
  logger: Logger;
  /** Offline devices' slots turn `unknown` after this long. Default 30 s. */
  offlineGraceMs?: number;
  /** Most updates held while MongoDB cannot take writes. Default 200,000. */
  bufferBudget?: number;
  maxBatch?: number;
  /** Configured slot totals per lot and level. */
  totals?: Record<string, LevelTotals>;
  /** Live slot state for dashboards and signage (Redis), written after MongoDB. */
  live?: LiveState;
}

export interface Ingest {
  metrics: IngestMetrics;
  /** Resolves when everything received so far is durable and published. */
  flush(): Promise<void>;
  health(): { bufferDepth: number; lagMs: number; lastWriteAt?: number; offlineDevices: number; writeErrors: number };
  close(): Promise<void>;
}

function fromDoc(d: SlotDoc): SlotUpdate {
  return {
    kind: 'slot', id: d._id, lot: d.lot, level: d.level, slot: d.slot, status: d.status as SlotUpdate['status'],
    ts: d.ts, ...(d.seq != null ? { seq: d.seq } : {}), ...(d.device != null ? { device: d.device } : {}), receivedAt: d.ts,
  };
}

export async function startIngest(options: IngestOptions): Promise<Ingest> {
  const { db, mqtt, topics, logger } = options;
  const collections = await prepare(db);
  const metrics = createMetrics();
  const latest = new LatestStates();
  for (const doc of await collections.slots.find({}).toArray()) latest.seed(fromDoc(doc));
  const availability = new AvailabilityTracker(topics, options.totals);
  const buffer = new WriteBuffer(options.bufferBudget ?? 200_000);
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  /** A slot's status as shown: `unknown` while its device is offline past the grace time. */
  const effectiveStatus = (u: SlotUpdate): SlotUpdate['status'] => (offline.isOffline(u.lot, u.device) ? 'unknown' : u.status);
  // Every slot counted as its newest state shows (effectiveStatus): kept up to date as updates are accepted and devices go offline or return.
  const counts = new AvailabilityCounts();
  const count = (u: SlotUpdate) => counts.set(u.id, u.lot, u.level, effectiveStatus(u));
  // One availability publish per topic in flight: what changes meanwhile waits, and only the newest
  // payload goes out once the broker acknowledged. Idle, every change goes out at once; when the broker
  // is slow to acknowledge, changes in between (retained, so a subscriber only ever wants the newest) are skipped.
  const waitingPayload = new Map<string, string | undefined>();
  const send = (topic: string, payload: string): Promise<void> => {
    metrics.availabilityPublished += 1;
    return mqtt
      .publish(topic, payload, { retain: true, qos: 1 })
      .catch((err) => logger.warn({ topic, err: (err as Error).message }, 'ingest: availability publish failed'))
      .then(() => {
        const next = waitingPayload.get(topic);
        if (next === undefined) {
          waitingPayload.delete(topic);
          return undefined;
        }
        waitingPayload.set(topic, undefined);
        return send(topic, next);
      });
  };
  const publishAvailability = (topic: string, payload: string) => {
    if (waitingPayload.has(topic)) {
      waitingPayload.set(topic, payload);
      return;
    }
    waitingPayload.set(topic, undefined);
    track(send(topic, payload));
  };
  const publishLots = (lots: Iterable<string>) => {
    const now = new Date();
    for (const lot of lots) {
      for (const p of availability.changesOf(counts.summary(lot, now, availability.totalsOf(lot)))) {
        if (options.live && p.topic === topics.availability(lot)) track(options.live.availability(lot, p.payload));
        publishAvailability(p.topic, p.payload);
      }
    }
  };

  const goLive = (updates: SlotUpdate[]) => {
    if (options.live && updates.length) track(options.live.slots(updates, effectiveStatus));
  };
  const deviceSlots = (lot: string, device: string) => [...latest.ofLot(lot)].filter((s) => s.device === device).map((s) => s.id);
  const offline = new OfflineTracker(options.offlineGraceMs ?? 30_000, {
    expired(lot, device) {
      const ids = deviceSlots(lot, device);
      for (const s of latest.ofLot(lot)) if (s.device === device) count(s);
      logger.warn({ lot, device, slots: ids.length }, 'ingest: device offline past its grace time; its slots are unknown');
      track(collections.slots.updateMany({ _id: { $in: ids } }, { $set: { status: 'unknown', offline: true, updatedAt: new Date() } }).then(() => {
        goLive([...latest.ofLot(lot)].filter((s) => s.device === device));
        publishLots([lot]);
      }, (err) => logger.error({ err: (err as Error).message }, 'ingest: marking slots unknown failed')));
    },
    returned(lot, device) {
      const slots = [...latest.ofLot(lot)].filter((s) => s.device === device);
      for (const s of slots) count(s);
      logger.info({ lot, device, slots: slots.length }, 'ingest: device back online; its slots return to their reported state');
      const ops = slots.map((s) => ({ updateOne: { filter: { _id: s.id, offline: true }, update: { $set: { status: s.status, updatedAt: new Date() }, $unset: { offline: '' } } } }));
      track((ops.length ? collections.slots.bulkWrite(ops as never) : Promise.resolve()).then(() => {
        goLive(slots);
        publishLots([lot]);
      }, (err) => logger.error({ err: (err as Error).message }, 'ingest: restoring slots failed')));
    },
  });

  // Availability and the live state follow the slot states as soon as those are durable (their history follows).
  const writer = new Writer(buffer, collections, metrics, logger, (applied) => {
    goLive(applied);
    publishLots(new Set(applied.map((u) => u.lot)));
  }, {
    maxBatch: options.maxBatch ?? 1000,
    backoffMs: 50,
    maxBackoffMs: 2000,
  });

  const loggedRejects = new Set<string>();
  const onReject = (r: Rejected) => {
    const key = `${r.cause}|${r.topic}`;
    if (loggedRejects.has(key)) return;
    if (loggedRejects.size < 10_000) loggedRejects.add(key);
    logger.warn({ topic: r.topic, cause: r.cause }, `ingest: rejected: ${r.message}`);
  };

  const subscription: Subscription = ingestPipeline(mqtt.messages, { topics, latest, metrics, onReject }).subscribe({
    next(update) {
      if (update.kind === 'status') {
        offline.status(update.lot, update.device, update.status);
        return;
      }
      count(update);
      const dropped = buffer.push(update);
      if (dropped) {
        metrics.bufferDropped += dropped;
        logger.error({ dropped, budget: options.bufferBudget ?? 200_000 }, 'ingest: write buffer over budget: dropped superseded updates, kept the newest state of every slot');
      }
      metrics.bufferDepth = buffer.depth;
      void writer.kick();
    },
    error(err) {
      logger.error({ err: (err as Error).message }, 'ingest: pipeline failed');
    },
  });

  for (const u of latest.slots.values()) count(u);
  publishLots([...latest.lotNames]);

  return {
    metrics,
    async flush() {
      await writer.flush();
      while (pending.size) await Promise.all([...pending]);
    },
    health: () => ({ bufferDepth: buffer.depth, lagMs: metrics.lagMs, lastWriteAt: metrics.lastWriteAt, offlineDevices: offline.count, writeErrors: metrics.writeErrors }),
    async close() {
      subscription.unsubscribe();
      offline.close();
      await writer.flush();
      writer.stop();
      await Promise.all([...pending]);
      await options.live?.close();
    },
  };
}

export { slotId };
