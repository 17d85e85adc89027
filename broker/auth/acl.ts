// Who may publish and subscribe what: pure rules per role, on the topic tree
// of the contract. Everyone may read the broker heartbeats, stop notices and bridge states; nobody publishes
// under `$SYS`.
import type { Topics } from '../../contract/index.ts';
import type { Account } from './accounts.ts';

/** A connected client's identity: an account, or an anonymous client (only with allowAnonymous). */
export type Principal = Account | { role: 'anonymous' };

export const ANONYMOUS: Principal = Object.freeze({ role: 'anonymous' });

/** `$SYS/<broker id>/heartbeat` or `$SYS/+/heartbeat`, and the same for `leaving` (a graceful stop's notice) and `bridge` (a standby's bridge state). */
const HEARTBEAT_FILTER = /^\$SYS\/[^/#]+\/(heartbeat|leaving|bridge)$/;

export function isHeartbeatFilter(filter: string): boolean {
  return HEARTBEAT_FILTER.test(filter);
}

/** The filter or topic lies under the root (and under `lot` when given): its first levels are literally those. */
function underRoot(topicOrFilter: string, root: string, lot?: string): boolean {
  if (!topicOrFilter.startsWith(`${root}/`)) return false;
  if (lot === undefined) return true;
  const next = topicOrFilter.slice(root.length + 1).split('/')[0];
  return next === lot;
}

/** What a reader (signage, a display handed to browsers) may read: nothing with a car plate, a fee or a slot. */
const READER_KINDS = new Set(['availability', 'forecast', 'alarm']);

/** `<root>/<lot|+>/<availability|forecast|alarm>[/<id|+|#>]`: a filter that can match nothing else. */
function readerFilter(filter: string, root: string, lot?: string): boolean {
  if (!underRoot(filter, root, lot)) return false;
  const [lotLevel, kind, ...rest] = filter.slice(root.length + 1).split('/');
  return lotLevel !== '#' && READER_KINDS.has(kind) && rest.length <= 1;
}

export function mayPublish(who: Principal, topic: string, topics: Topics): boolean {
  if (topic.startsWith('$')) return false;
  switch (who.role) {
    case 'anonymous':
    case 'admin':
      return true;
    case 'bridge':
      return underRoot(topic, topics.root);
    case 'reader':
      return false;
    case 'device': {
      const t = topics.parse(topic);
      if (!t || t.lot !== who.lot) return false;
      if (t.kind === 'slot') return who.slots.has(`${t.level}/${t.slot}`);
      return t.kind === 'deviceStatus' && t.device === who.device;
    }
    case 'gate': {
      const t = topics.parse(topic);
      return t?.kind === 'gateEvent' && t.lot === who.lot && t.gate === who.gate;
    }
    case 'service': {
      const t = topics.parse(topic);
      if (!t || (who.lot !== undefined && t.lot !== who.lot)) return false;
      return t.kind === 'availability' || t.kind === 'levelAvailability' || t.kind === 'gateDisplay' || t.kind === 'forecast' || t.kind === 'alarm';
    }
  }
}

export function maySubscribe(who: Principal, filter: string, topics: Topics): boolean {
  if (isHeartbeatFilter(filter)) return true;
  switch (who.role) {
    case 'anonymous':
    case 'admin':
      return true;
    case 'bridge':
      return underRoot(filter, topics.root);
    case 'reader':
      return readerFilter(filter, topics.root, who.lot);
    case 'service':
      return underRoot(filter, topics.root, who.lot);
    case 'gate':
      return filter === topics.gateDisplay(who.lot, who.gate);
    case 'device':
      return false;
  }
}
