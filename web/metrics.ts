// The platform's metric families for /metrics, from the ingest counters and
// the health report. Pure. Names are documented in docs/web.md.
import type { IngestMetrics } from '../ingest/metrics.ts';
import type { HealthReport } from './health.ts';
import type { MetricFamily, MetricType, Sample } from './prometheus.ts';

export interface PlatformMetricsInput {
  /** Ingest's counters (`startIngest(...).metrics`), when ingest runs in this process. */
  ingest?: IngestMetrics;
  health: HealthReport;
}

const family = (name: string, type: MetricType, help: string, samples: Sample[]): MetricFamily => ({ name, type, help, samples });
const one = (value: number): Sample[] => [{ value }];
const secs = (ms: number) => ms / 1000;

function ingestFamilies(m: IngestMetrics, report: HealthReport['ingest']): MetricFamily[] {
  const out = [
    family('parking_ingest_messages_total', 'counter', 'Slot and device-status messages received by ingest.', one(m.messagesIn)),
    family('parking_ingest_accepted_total', 'counter', 'Slot updates accepted (newer than the stored state).', one(m.accepted)),
    family(
      'parking_ingest_rejected_total',
      'counter',
      'Messages rejected, by cause (oversize, bad-json, bad-status, bad-id, bad-ts, bad-seq, bad-field, bad-topic; unknown-slot and retired-slot with a lot configuration).',
      Object.entries(m.rejected)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([cause, value]) => ({ labels: { cause }, value })),
    ),
    family('parking_ingest_duplicates_total', 'counter', 'Repeats of the stored slot state.', one(m.duplicates)),
    family('parking_ingest_stale_total', 'counter', 'Slot updates older than the stored state (by ts, then seq), dropped.', one(m.stale)),
    family('parking_ingest_superseded_total', 'counter', 'Buffered updates replaced by a newer one of the same slot before being written.', one(m.superseded)),
    family('parking_ingest_batches_total', 'counter', 'Bulk writes to MongoDB.', one(m.batches)),
    family('parking_ingest_batch_size', 'summary', 'Updates per bulk write.', [
      { suffix: '_sum', value: m.batchSizes.sum },
      { suffix: '_count', value: m.batchSizes.count },
    ]),
    family('parking_ingest_batch_size_max', 'gauge', 'Largest bulk write so far, updates.', one(m.batchSizes.max)),
    family('parking_ingest_write_latency_seconds', 'summary', 'Time of one bulk write to MongoDB.', [
      { suffix: '_sum', value: secs(m.writeLatencyMs.sum) },
      { suffix: '_count', value: m.writeLatencyMs.count },
    ]),
    family('parking_ingest_write_latency_max_seconds', 'gauge', 'Slowest bulk write so far.', one(secs(m.writeLatencyMs.max))),
    family('parking_ingest_write_latency_last_seconds', 'gauge', 'The last bulk write.', one(secs(m.writeLatencyMs.last))),
    family('parking_ingest_write_errors_total', 'counter', 'Failed bulk writes (each retried).', one(m.writeErrors)),
    family('parking_ingest_buffer_depth', 'gauge', 'Updates waiting to be written.', one(m.bufferDepth)),
    ...(report
      ? [family('parking_ingest_lag_seconds', 'gauge', 'Age of the oldest accepted slot update whose state or history is not durable in MongoDB yet; 0 when all are. Availability does not wait for it.', one(secs(report.lagMs)))]
      : []),
    family('parking_ingest_buffer_dropped_total', 'counter', 'Superseded updates dropped because the buffer was over budget.', one(m.bufferDropped)),
    family('parking_ingest_availability_published_total', 'counter', 'Availability messages published.', one(m.availabilityPublished)),
  ];
  if (m.lastWriteAt !== undefined) out.push(family('parking_ingest_last_write_timestamp_seconds', 'gauge', 'When the last bulk write finished, Unix time.', one(secs(m.lastWriteAt))));
  if (report) out.push(family('parking_ingest_offline_devices', 'gauge', 'Devices whose Last Will said offline.', one(report.offlineDevices)));
  return out;
}

function brokerFamilies(health: HealthReport): MetricFamily[] {
  const brokers = health.brokers.map((b) => ({ b, labels: { broker: b.id ?? b.url, role: b.role } }));
  const known = (pick: (b: HealthReport['brokers'][number]) => number | null | undefined) =>
    brokers.flatMap(({ b, labels }) => {
      const value = pick(b);
      return value === null || value === undefined ? [] : [{ labels, value }];
    });
  return [
    family('parking_broker_up', 'gauge', 'The broker serves or answered a probe with a heartbeat (1) or not (0).', brokers.map(({ b, labels }) => ({ labels, value: b.reachable ? 1 : 0 }))),
    family('parking_broker_clients', 'gauge', 'Connected MQTT clients.', known((b) => (b.reachable ? b.clients : null))),
    family('parking_broker_retained_messages', 'gauge', 'Retained messages under the topic root.', known((b) => (b.reachable ? b.retained : null))),
    family('parking_broker_bridge_connected', 'gauge', "A standby's bridge to the primary is connected (1) or not (0).", known((b) => (b.bridge ? (b.bridge.connected ? 1 : 0) : null))),
    family('parking_broker_bridge_queued', 'gauge', "Messages waiting for a standby's bridge.", known((b) => b.bridge?.queued)),
    family(
      'parking_broker_refused_total',
      'counter',
      'Publishes refused by the broker, by cause (denied, invalid, stale, duplicate).',
      brokers.flatMap(({ b, labels }) => Object.entries(b.refused ?? {}).map(([cause, value]) => ({ labels: { ...labels, cause }, value }))),
    ),
  ];
}

/** Every family /metrics serves. */
export function platformMetrics(input: PlatformMetricsInput): MetricFamily[] {
  const { health } = input;
  const out: MetricFamily[] = [
    family(
      'parking_health_status',
      'gauge',
      'Overall status of /healthz: 1 for the current one.',
      (['ok', 'degraded', 'down'] as const).map((status) => ({ labels: { status }, value: health.status === status ? 1 : 0 })),
    ),
  ];
  if (input.ingest) out.push(...ingestFamilies(input.ingest, health.ingest));
  out.push(...brokerFamilies(health));
  if (health.mongo) out.push(family('parking_mongodb_primary_up', 'gauge', 'The MongoDB replica set has a primary (1) or not (0).', one(health.mongo.primary ? 1 : 0)));
  return out;
}
