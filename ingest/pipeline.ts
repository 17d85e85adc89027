// The ingest pipeline, top to bottom: drop other instances' lots, count,
// classify, refuse slots the lot configuration does not count, set rejects
// aside, drop duplicates and stale updates, and hand accepted updates to the sink.
import { filter, map, tap, type Observable } from 'rxjs';
import type { Topics } from '../contract/index.ts';
import type { LotLayout } from '../layout/index.ts';
import { classify, type Classified, type Inbound, type Rejected, type SlotUpdate, type StatusUpdate } from './decode.ts';
import type { LatestStates } from './latest.ts';
import type { LotFilter } from './lots.ts';
import type { IngestMetrics } from './metrics.ts';

export type Accepted = SlotUpdate | StatusUpdate;

export interface PipelineDeps {
  topics: Topics;
  latest: LatestStates;
  metrics: IngestMetrics;
  onReject(rejected: Rejected): void;
  /** The lots of this instance (default every lot); other lots' messages are dropped before anything else. */
  lots?: LotFilter;
  /** The lot configuration: a configured lot's unlisted or retired slots are refused. */
  layout?: LotLayout;
}

/** From the topic text alone, before any decoding: a message of another instance's lot costs a string compare. */
const dropOtherLots = (deps: PipelineDeps) =>
  filter<Inbound>((msg) => {
    if (deps.lots!.hasTopic(msg.topic, deps.topics.root)) return true;
    deps.metrics.otherLots += 1;
    return false;
  });

const countIn = (m: IngestMetrics) => tap<Inbound>(() => void (m.messagesIn += 1));

const setRejectsAside = (deps: PipelineDeps) =>
  tap((c: Classified) => {
    if (c.kind !== 'rejected') return;
    deps.metrics.rejected[c.cause] = (deps.metrics.rejected[c.cause] ?? 0) + 1;
    deps.onReject(c);
  });

/** A configured lot counts its listed slots alone: a message for any other slot of it is refused, never written. */
const refuseUnconfigured = (deps: PipelineDeps) =>
  map((c: Classified): Classified => {
    if (c.kind !== 'slot' || !deps.layout) return c;
    const verdict = deps.layout.verdict(c.lot, c.level, c.slot);
    if (verdict === 'counted') return c;
    const topic = deps.topics.slot(c.lot, c.level, c.slot);
    return verdict === 'retired'
      ? { kind: 'rejected', topic, cause: 'retired-slot', message: `slot ${c.level}/${c.slot} of lot ${c.lot} is retired in the lot configuration` }
      : { kind: 'rejected', topic, cause: 'unknown-slot', message: `lot ${c.lot} has no slot ${c.level}/${c.slot} in the lot configuration (an unknown sensor)` };
  });

const isAcceptable = (c: Classified): c is Accepted => c.kind === 'slot' || c.kind === 'status';

/** Bridged copies and QoS 1 redelivery make duplicates normal; an older update is stale. */
const dropDuplicatesAndStale = (deps: PipelineDeps) =>
  filter((c: Accepted) => {
    if (c.kind !== 'slot') return true;
    const verdict = deps.latest.offer(c);
    if (verdict === 'duplicate') deps.metrics.duplicates += 1;
    else if (verdict === 'stale') deps.metrics.stale += 1;
    else deps.metrics.accepted += 1;
    return verdict === 'accepted';
  });

export function ingestPipeline(messages: Observable<Inbound>, deps: PipelineDeps): Observable<Accepted> {
  const mine = deps.lots && !deps.lots.all ? messages.pipe(dropOtherLots(deps)) : messages;
  return mine.pipe(
    countIn(deps.metrics),
    map((msg) => classify(msg, deps.topics)),
    refuseUnconfigured(deps),
    setRejectsAside(deps),
    filter(isAcceptable),
    dropDuplicatesAndStale(deps),
  );
}
