// Ingest counters and gauges, read by /metrics and the health report.
export interface IngestMetrics {
  messagesIn: number;
  /** Messages of lots outside this instance's selection, dropped unread (`--partition`). */
  otherLots: number;
  accepted: number;
  rejected: Record<string, number>;
  duplicates: number;
  stale: number;
  superseded: number;
  batches: number;
  batchSizes: { count: number; sum: number; max: number };
  writeLatencyMs: { count: number; sum: number; max: number; last: number };
  writeErrors: number;
  bufferDepth: number;
  bufferDropped: number;
  lastWriteAt?: number;
  availabilityPublished: number;
}

export function createMetrics(): IngestMetrics {
  return {
    messagesIn: 0,
    otherLots: 0,
    accepted: 0,
    rejected: {},
    duplicates: 0,
    stale: 0,
    superseded: 0,
    batches: 0,
    batchSizes: { count: 0, sum: 0, max: 0 },
    writeLatencyMs: { count: 0, sum: 0, max: 0, last: 0 },
    writeErrors: 0,
    bufferDepth: 0,
    bufferDropped: 0,
    availabilityPublished: 0,
  };
}

export function observe(summary: { count: number; sum: number; max: number; last?: number }, value: number): void {
  summary.count += 1;
  summary.sum += value;
  if (value > summary.max) summary.max = value;
  if ('last' in summary) summary.last = value;
}
