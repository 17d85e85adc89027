// Optional live slot state in Redis (REDIS_URL), so dashboards and signage
// read current state without touching MongoDB:
//   HASH  {root}:lot:{lot}:slots         field `{level}/{slot}` -> slot state JSON
//   STRING {root}:lot:{lot}:availability -> the availability summary JSON
//   PUBSUB {root}:lot:{lot}:changes      -> `{level}/{slot}` of each change
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { encodeSlotState } from '../contract/index.ts';
import type { SlotUpdate } from './decode.ts';

export interface LiveState {
  slots(updates: SlotUpdate[], effective: (u: SlotUpdate) => SlotUpdate['status']): Promise<void>;
  availability(lot: string, summary: string): Promise<void>;
  close(): Promise<void>;
}

export const liveKeys = (root: string, lot: string) => ({
  slots: `${root}:lot:${lot}:slots`,
  availability: `${root}:lot:${lot}:availability`,
  changes: `${root}:lot:${lot}:changes`,
});

export function redisLiveState(url: string, root: string, logger: Logger): LiveState {
  // Never block ingest on Redis: commands fail fast while it is away. What it missed (not connected
  // yet at start, down, a failed write) is written in full once it is ready again, from the newest
  // state of every slot and lot kept here (one entry a slot).
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  const newest = { slots: new Map<string, Map<string, string>>(), availability: new Map<string, string>() };
  let missed = false;
  let warned = false;
  const failed = () => {
    missed = true;
  };
  /** Sends `multi`; when it (or a command in it) fails, everything is written again once Redis is ready. */
  const write = (multi: ReturnType<Redis['multi']>): Promise<void> =>
    multi.exec().then((results) => (results?.some(([error]) => error) ? failed() : resync()), failed);
  const resync = () => {
    if (!missed || redis.status !== 'ready') return;
    missed = false;
    const multi = redis.multi();
    for (const [key, fields] of newest.slots) multi.hset(key, Object.fromEntries(fields));
    for (const [key, summary] of newest.availability) multi.set(key, summary);
    void write(multi);
  };
  redis.on('error', (err) => {
    if (!warned) logger.warn({ err: err.message }, 'ingest: Redis live state unavailable; MongoDB remains the record');
    warned = true;
  });
  redis.on('ready', () => {
    warned = false;
    resync();
  });
  return {
    slots(updates, effective) {
      if (updates.length === 0) return Promise.resolve();
      const multi = redis.status === 'ready' ? redis.multi() : undefined;
      for (const u of updates) {
        const keys = liveKeys(root, u.lot);
        const field = `${u.level}/${u.slot}`;
        const state = encodeSlotState({ ...u, status: effective(u) });
        let fields = newest.slots.get(keys.slots);
        if (!fields) newest.slots.set(keys.slots, (fields = new Map()));
        fields.set(field, state);
        multi?.hset(keys.slots, field, state).publish(keys.changes, field);
      }
      return multi ? write(multi) : Promise.resolve(failed());
    },
    availability(lot, summary) {
      const key = liveKeys(root, lot).availability;
      newest.availability.set(key, summary);
      if (redis.status !== 'ready') return Promise.resolve(failed());
      return write(redis.multi().set(key, summary));
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
