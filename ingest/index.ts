// Ingest: slot topics from the brokers into MongoDB, availability back out.
//
// Visitors never wait for the database: availability (and the Redis live state)
// follow the accepted slot states at once; durability follows behind, through
// elections, and is reported on its own (`health().lagMs`, the age of the oldest
// update not yet durable).
import type { Db } from 'mongodb';
import type { Observable, Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { LevelTotals, Topics } from '../contract/index.ts';
import type { LotLayout } from '../layout/index.ts';
import { bounded, settlesWithin, withRetry, OPERATION_TIMEOUT_MS } from '../mongo/index.ts';
import { AvailabilityCounts, AvailabilityTracker } from './availability.ts';
import { WriteBuffer } from './buffer.ts';
import { slotId, type Inbound, type Rejected, type SlotUpdate } from './decode.ts';
import { LatestStates } from './latest.ts';
import { LotFilter, type LotSelection } from './lots.ts';
import { createMetrics, type IngestMetrics } from './metrics.ts';
import { OfflineTracker } from './offline.ts';
import { ingestPipeline } from './pipeline.ts';
import { saveSpill, takeSpill } from './spill.ts';
import { prepare, type IngestCollections, type SlotDoc } from './store.ts';
import { Writer } from './writer.ts';
import type { LiveState } from './live.ts';

export type { Inbound, SlotUpdate, IngestMetrics, LotSelection };
export { LotFilter, lotSelection, lotHash, partitionOf } from './lots.ts';
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
  /** Configured slot totals per lot and level (default: the lot configuration's). */
  totals?: Record<string, LevelTotals>;
  /**
   * The lot configuration (layout/): a configured lot counts its listed, active slots alone, has
   * its totals from it (slots not heard from are unknown), and its availability is published
   * from the start; messages for its other slots are refused.
   */
  layout?: LotLayout;
  /** Live slot state for dashboards and signage (Redis), kept with the accepted states. */
  live?: LiveState;
  /** Deadline of one MongoDB write, ms; a write past it is abandoned and tried again. Default 5,000. */
  writeTimeoutMs?: number;
  /** Longest `close()` waits for MongoDB before it keeps the rest in `spillDir`, ms. Default 5,000. */
  closeTimeoutMs?: number;
  /** Where what is not durable at a stop is kept for the next start (spill.ts); unset: not kept. */
  spillDir?: string;
  /** How long the start may wait for MongoDB to read the stored slot states, ms. Default 60,000. */
  startTimeoutMs?: number;
  /**
   * The lots this instance owns (lots.ts); default every lot. It reads, writes and publishes
   * availability for these alone; the MqttPort should subscribe to `new LotFilter(lots).filters(topics)`.
   */
  lots?: LotSelection;
}

export interface IngestHealth {
  /** Updates waiting in the buffer. */
  bufferDepth: number;
  /** Age of the oldest accepted update whose state or history is not durable yet, ms; 0 when all are. */
  lagMs: number;
  lastWriteAt?: number;
  offlineDevices: number;
  writeErrors: number;
}

export interface Ingest {
  metrics: IngestMetrics;
  /** Resolves when everything received so far is durable and published. */
  flush(): Promise<void>;
  health(): IngestHealth;
  /** Stops within `closeTimeoutMs` plus a moment: what is not durable by then goes to `spillDir`. */
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
  const writeTimeoutMs = options.writeTimeoutMs ?? 5000;
  const metrics = createMetrics();
  const latest = new LatestStates();
  const lots = new LotFilter(options.lots);
  // The stored states of this instance's lots, from a secondary too while there is no primary.
  const readStored = async (signal: AbortSignal): Promise<SlotDoc[]> => {
    const slots = db.collection<SlotDoc>('slots');
    const read = { readPreference: 'primaryPreferred', signal } as const;
    if (lots.all) return slots.find({}, read).toArray();
    // A partition asks for the lot names first (the index on lot answers it), then reads its own lots' slots alone.
    const mine = lots.listed ?? (await slots.distinct('lot', {}, read as never)).filter((lot) => lots.has(lot));
    return mine.length ? slots.find({ lot: { $in: [...mine] } }, read).toArray() : [];
  };
  const stored = await withRetry(
    () => bounded('read of the stored slot states', OPERATION_TIMEOUT_MS, readStored),
    { deadlineMs: options.startTimeoutMs ?? 60_000, onRetry: ({ error }) => logger.warn({ err: (error as Error).message }, 'ingest: waiting for MongoDB to read the stored slot states') },
  );
  for (const doc of stored) latest.seed(fromDoc(doc));
  // Indexes and collections: made before the first write, retried with it while there is no primary.
  let prepared: Promise<IngestCollections> | undefined;
  const collections = () =>
    (prepared ??= bounded('collection and index setup', writeTimeoutMs, (signal) => prepare(db, signal)).catch((err) => {
      prepared = undefined;
      throw err;
    }));
  void collections().catch(() => undefined);

  const layout = options.layout;
  const availability = new AvailabilityTracker(topics, options.totals ?? layout?.allTotals());
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
  // A stored slot the lot configuration does not count (retired, or unknown since) is not counted either.
  const count = (u: SlotUpdate) => (!layout || layout.verdict(u.lot, u.level, u.slot) === 'counted' ? counts.set(u.id, u.lot, u.level, effectiveStatus(u)) : counts.remove(u.id));
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

  // What was accepted in this turn of the event loop goes out together at the end of it: a burst is one publish per topic.
  const shown: SlotUpdate[] = [];
  let showScheduled = false;
  const show = (updates: SlotUpdate[]) => {
    shown.push(...updates);
    if (showScheduled) return;
    showScheduled = true;
    setImmediate(() => {
      showScheduled = false;
      const batch = shown.splice(0);
      if (options.live && batch.length) track(options.live.slots(batch, effectiveStatus));
      publishLots(new Set(batch.map((u) => u.lot)));
    });
  };

  const deviceSlots = (lot: string, device: string) => [...latest.ofLot(lot)].filter((s) => s.device === device);
  /** Writes what an offline device's slots show, until it is durable or a newer change made it moot. */
  const markSlots = (what: string, write: (c: IngestCollections, signal: AbortSignal) => Promise<unknown>) =>
    track(
      withRetry(async () => void (await bounded(what, writeTimeoutMs, async (signal) => write(await collections(), signal))), { deadlineMs: 5 * 60_000 }).catch((err) =>
        logger.error({ err: (err as Error).message }, `ingest: ${what} failed`),
      ),
    );
  const offline = new OfflineTracker(options.offlineGraceMs ?? 30_000, {
    expired(lot, device) {
      const slots = deviceSlots(lot, device);
      for (const s of slots) count(s);
      logger.warn({ lot, device, slots: slots.length }, 'ingest: device offline past its grace time; its slots are unknown');
      show(slots);
      const ids = slots.map((s) => s.id);
      markSlots('marking slots unknown', (c, signal) => c.slots.updateMany({ _id: { $in: ids } }, { $set: { status: 'unknown', offline: true, updatedAt: new Date() } }, { signal } as never));
    },
    returned(lot, device) {
      const slots = deviceSlots(lot, device);
      for (const s of slots) count(s);
      logger.info({ lot, device, slots: slots.length }, 'ingest: device back online; its slots return to their reported state');
      show(slots);
      const ops = slots.map((s) => ({ updateOne: { filter: { _id: s.id, offline: true }, update: { $set: { status: s.status, updatedAt: new Date() }, $unset: { offline: '' } } } }));
      if (ops.length) markSlots('restoring slots', (c, signal) => c.slots.bulkWrite(ops as never, { signal } as never));
    },
  });

  // Updates recovered from an earlier run's spill file, until durable: then the file goes.
  const recovering = new Set<SlotUpdate>();
  let releaseRecovered: (() => Promise<void>) | undefined;
  const writer = new Writer(buffer, collections, metrics, logger, {
    onDurable(_applied, batch) {
      if (!releaseRecovered) return;
      for (const u of batch) recovering.delete(u);
      if (recovering.size === 0) {
        const release = releaseRecovered;
        releaseRecovered = undefined;
        // Tracked, so that `flush()` resolves only once the file is gone.
        track(release().catch((err: Error) => logger.warn({ err: err.message }, 'ingest: could not remove a spill file')));
      }
    },
  }, {
    maxBatch: options.maxBatch ?? 1000,
    backoffMs: 50,
    maxBackoffMs: 2000,
    writeTimeoutMs,
  });

  const accept = (update: SlotUpdate) => {
    count(update);
    const dropped = buffer.push(update);
    if (dropped) {
      metrics.bufferDropped += dropped;
      logger.error({ dropped, budget: options.bufferBudget ?? 200_000 }, 'ingest: write buffer over budget: dropped superseded updates, kept the newest state of every slot');
    }
    metrics.bufferDepth = buffer.depth;
  };

  // What an earlier run could not make durable before it stopped: written first.
  const taken = options.spillDir ? await takeSpill(options.spillDir) : undefined;
  if (taken && taken.files.length) {
    const { pending: kept, problems } = taken;
    const maybe = new Set(kept.maybeApplied);
    for (const u of kept.slots) {
      // An update a write may have applied is written again whatever MongoDB holds: the writer checks it.
      if (maybe.has(u)) latest.seed(u);
      else if (latest.offer(u) !== 'accepted') continue;
      accept(u);
      recovering.add(u);
    }
    writer.recover(kept);
    logger.info({ files: taken.files.length, updates: recovering.size, history: kept.history.length, problems }, 'ingest: writing what the last run could not make durable');
    if (recovering.size) releaseRecovered = taken.release;
    else track(writer.flush().then(() => taken.release()).catch((err: Error) => logger.warn({ err: err.message }, 'ingest: could not remove a spill file')));
  }

  const loggedRejects = new Set<string>();
  const onReject = (r: Rejected) => {
    const key = `${r.cause}|${r.topic}`;
    if (loggedRejects.has(key)) return;
    if (loggedRejects.size < 10_000) loggedRejects.add(key);
    logger.warn({ topic: r.topic, cause: r.cause }, `ingest: rejected: ${r.message}`);
  };

  const subscription: Subscription = ingestPipeline(mqtt.messages, { topics, latest, metrics, onReject, lots, layout }).subscribe({
    next(update) {
      if (update.kind === 'status') {
        offline.status(update.lot, update.device, update.status);
        return;
      }
      accept(update);
      show([update]);
      void writer.kick();
    },
    error(err) {
      logger.error({ err: (err as Error).message }, 'ingest: pipeline failed');
    },
  });

  for (const u of latest.slots.values()) count(u);
  // Configured lots are published from the start, sensors heard from or not (those not are unknown).
  publishLots(new Set([...latest.lotNames, ...(layout?.lots.filter((lot) => lots.has(lot)) ?? [])]));
  void writer.kick();

  const closeTimeoutMs = options.closeTimeoutMs ?? 5000;
  return {
    metrics,
    async flush() {
      await writer.flush();
      while (pending.size) await Promise.all([...pending]);
    },
    health: () => {
      const oldest = writer.oldestPendingAt();
      return {
        bufferDepth: buffer.depth,
        lagMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest),
        lastWriteAt: metrics.lastWriteAt,
        offlineDevices: offline.count,
        writeErrors: metrics.writeErrors,
      };
    },
    async close() {
      subscription.unsubscribe();
      offline.close();
      const started = Date.now();
      const durable = await settlesWithin(writer.flush(), closeTimeoutMs);
      writer.stop();
      if (!durable) {
        const left = writer.pending();
        const file = options.spillDir ? await saveSpill(options.spillDir, left).catch((err: Error) => `not written: ${err.message}`) : undefined;
        logger.warn(
          { slots: left.slots.length, history: left.history.length, keptIn: file ?? null, waitedMs: Date.now() - started },
          file
            ? 'ingest: MongoDB did not take the last updates in time; kept for the next start'
            : 'ingest: MongoDB did not take the last updates in time; their states come back from the retained slot topics, their history records are lost (no spill directory)',
        );
      }
      // Availability publishes and the Redis live state: a moment more at most.
      await settlesWithin(Promise.all([...pending]), Math.max(500, closeTimeoutMs - (Date.now() - started)));
      await options.live?.close();
    },
  };
}

export { slotId };
