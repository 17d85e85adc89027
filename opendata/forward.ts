// What the NGSI-LD push forwards (opendata/push.ts): each lot's summary as it changes,
// and each slot's state, read from MQTT like any reader (the retained topics first:
// a context broker that starts empty gets every entity). Bad payloads are skipped.
import { decodeSlotState, type AvailabilitySummary, type Topics } from '../contract/index.ts';
import type { GeoPoint } from '../layout/index.ts';
import type { FailoverLink } from '../link/index.ts';
import { offStreetParking, parkingSpot } from './ngsi.ts';
import type { Pusher } from './push.ts';

export interface ForwardOptions {
  link: FailoverLink;
  topics: Topics;
  pusher: Pusher;
  /** A lot's display name and location (the lot configuration, --site-location). */
  describe(lot: string): { name?: string; location?: GeoPoint };
}

/** Forwards the lots' and slots' changes to `pusher`; returns the function a summary watcher calls on each summary. */
export async function forwardChanges(o: ForwardOptions): Promise<(summary: AvailabilitySummary) => void> {
  o.link.on('message', (topic, payload) => {
    const t = o.topics.parse(topic);
    if (t?.kind !== 'slot' || payload.length === 0) return;
    try {
      const s = decodeSlotState(payload, Date.now());
      const { entity, observedAt } = parkingSpot({ lot: t.lot, level: t.level, slot: t.slot, status: s.status, ts: s.ts, device: s.device ?? null }, o.describe(t.lot).location);
      o.pusher.push(entity, observedAt);
    } catch {
      // not a slot state: ingest refuses and logs it
    }
  });
  await o.link.subscribe(o.topics.filters.slots, 1);
  return (summary) => {
    const { entity, observedAt } = offStreetParking({ summary, ...o.describe(summary.lot) });
    o.pusher.push(entity, observedAt);
  };
}
