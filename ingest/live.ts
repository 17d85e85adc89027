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
  // Never block ingest on Redis: commands fail fast while it is away, and the next change rewrites the state.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  let warned = false;
  redis.on('error', (err) => {
    if (!warned) logger.warn({ err: err.message }, 'ingest: Redis live state unavailable; MongoDB remains the record');
    warned = true;
  });
  redis.on('ready', () => {
    warned = false;
  });
  const guard = (p: Promise<unknown>) => p.then(() => undefined, () => undefined);
  return {
    slots(updates, effective) {
      if (updates.length === 0 || redis.status !== 'ready') return Promise.resolve();
      const multi = redis.multi();
      for (const u of updates) {
        const keys = liveKeys(root, u.lot);
        const field = `${u.level}/${u.slot}`;
        multi.hset(keys.slots, field, encodeSlotState({ ...u, status: effective(u) }));
        multi.publish(keys.changes, field);
      }
      return guard(multi.exec());
    },
    availability(lot, summary) {
      if (redis.status !== 'ready') return Promise.resolve();
      return guard(redis.set(liveKeys(root, lot).availability, summary));
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
