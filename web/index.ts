// The platform's web pages (docs/web.md): the signage page over MQTT/WebSocket,
// /healthz and /metrics, as an express Router to mount on any express app
// (Node-RED's included) or in a tiny standalone server.
export { createWebRouter, assetBase, type WebRouterOptions } from './router.ts';
export { startWebServer, type WebServer, type WebServerOptions } from './server.ts';
export { deriveStatus, withStatus, httpStatusOf, type HealthReport, type HealthFacts, type BrokerReport, type IngestReport, type OverallStatus, type HealthThresholds } from './health.ts';
export { renderPrometheus, escapeHelp, escapeLabelValue, formatValue, PROMETHEUS_CONTENT_TYPE, type MetricFamily, type MetricType, type Sample } from './prometheus.ts';
export { platformMetrics, type PlatformMetricsInput } from './metrics.ts';
export { healthCollector, metricsCollector, brokerReportFromHealth, ingestReport, type BrokerSource, type HealthSources } from './collect.ts';
export { signagePage, notFoundPage, type SignageConfig } from './pages.ts';
export { proxyWebSockets, type WsRoute } from './ws-proxy.ts';
