// Link options from the platform settings (`mqttUrls`, `failoverMs`, `primaryProbeMs`).
import type { LinkOptions } from './client.ts';

export interface LinkSettings {
  mqttUrls: readonly string[];
  failoverMs?: number;
  primaryProbeMs?: number;
}

export function linkOptionsFrom(settings: LinkSettings, extra: Partial<LinkOptions> = {}): LinkOptions {
  return {
    servers: settings.mqttUrls,
    ...(settings.failoverMs !== undefined ? { failoverMs: settings.failoverMs } : {}),
    ...(settings.primaryProbeMs !== undefined ? { probeIntervalMs: settings.primaryProbeMs } : {}),
    ...extra,
  };
}
