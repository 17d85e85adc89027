// Gathers the health report and the metrics text from running parts of the
// platform: in-process brokers (their health()), brokers elsewhere (a probe
// that must bring a heartbeat), the MongoDB client, ingest.
import type { MongoClient } from 'mongodb';
import type { IClientOptions } from 'mqtt';
import type { BrokerHealth } from '../broker/index.ts';
import type { Ingest, IngestMetrics } from '../ingest/index.ts';
import { probeBroker } from '../link/probe.ts';
import { primaryOf } from '../mongo/index.ts';
import { withStatus, type BrokerReport, type HealthReport, type HealthThresholds, type IngestReport } from './health.ts';
import { platformMetrics } from './metrics.ts';
import { renderPrometheus } from './prometheus.ts';
import { redactUrls } from '../log/index.ts';

export interface BrokerSource {
  role: 'primary' | 'standby';
  /** The URL clients use (`mqtt://…`); probed when `health` is absent. */
  url: string;
  /** An in-process broker's health (`startBroker(...).health`). */
  health?: () => Promise<BrokerHealth>;
  /** MQTT.js options for the probe (credentials, TLS). */
  mqtt?: IClientOptions;
}

export interface HealthSources {
  brokers: readonly BrokerSource[];
  /** The platform's MongoDB client, or a function naming the primary (`host:port`). */
  mongo?: MongoClient | (() => string | undefined);
  ingest?: Pick<Ingest, 'health'>;
  /** A probed broker must send a heartbeat within this (default 1000 ms). */
  probeTimeoutMs?: number;
  thresholds?: HealthThresholds;
}

export function brokerReportFromHealth(role: BrokerReport['role'], url: string, h: BrokerHealth): BrokerReport {
  return {
    id: h.id,
    role,
    url: redactUrls(url),
    reachable: h.status === 'up',
    clients: h.clients,
    retained: h.retained,
    bridge: h.bridge ? { connected: h.bridge.connected, since: h.bridge.since ?? null, queued: h.bridge.queued, dropped: h.bridge.dropped } : null,
    refused: { ...h.refused },
  };
}

async function brokerReport(source: BrokerSource, probeTimeoutMs: number): Promise<BrokerReport> {
  const base = { id: null, role: source.role, url: redactUrls(source.url), clients: null, retained: null, bridge: null, refused: null };
  if (source.health) {
    try {
      return brokerReportFromHealth(source.role, source.url, await source.health());
    } catch (error) {
      return { ...base, reachable: false, error: (error as Error).message };
    }
  }
  const probe = await probeBroker(source.url, { timeoutMs: probeTimeoutMs, mqtt: source.mqtt });
  return probe.healthy ? { ...base, reachable: true } : { ...base, reachable: false, error: probe.reason ?? 'no heartbeat' };
}

export function ingestReport(h: ReturnType<Ingest['health']>): IngestReport {
  return {
    lagMs: h.lagMs,
    bufferDepth: h.bufferDepth,
    writeErrors: h.writeErrors,
    offlineDevices: h.offlineDevices,
    lastWriteAt: h.lastWriteAt === undefined ? null : new Date(h.lastWriteAt).toISOString(),
  };
}

/** A `health` function for createWebRouter. */
export function healthCollector(sources: HealthSources): () => Promise<HealthReport> {
  const probeTimeoutMs = sources.probeTimeoutMs ?? 1000;
  return async () => {
    const brokers = await Promise.all(sources.brokers.map((b) => brokerReport(b, probeTimeoutMs)));
    const mongo = sources.mongo === undefined ? null : { primary: (typeof sources.mongo === 'function' ? sources.mongo() : primaryOf(sources.mongo)) ?? null };
    const ingest = sources.ingest ? ingestReport(sources.ingest.health()) : null;
    return withStatus({ checkedAt: new Date().toISOString(), brokers, mongo, ingest }, sources.thresholds);
  };
}

/** A `metrics` function for createWebRouter: the health report's gauges and ingest's counters. */
export function metricsCollector(sources: { health: () => Promise<HealthReport>; ingest?: { metrics: IngestMetrics } }): () => Promise<string> {
  return async () => renderPrometheus(platformMetrics({ health: await sources.health(), ingest: sources.ingest?.metrics }));
}
