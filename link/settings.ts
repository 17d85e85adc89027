// Link options from the platform settings (`mqttUrls`, `failoverMs`, `primaryProbeMs`, `failbackWindowMs`).
import type { LinkOptions } from './client.ts';

export interface LinkSettings {
  mqttUrls: readonly string[];
  failoverMs?: number;
  primaryProbeMs?: number;
  failbackWindowMs?: number;
}

export function linkOptionsFrom(settings: LinkSettings, extra: Partial<LinkOptions> = {}): LinkOptions {
  return {
    servers: settings.mqttUrls,
    ...(settings.failoverMs !== undefined ? { failoverMs: settings.failoverMs } : {}),
    ...(settings.primaryProbeMs !== undefined ? { probeIntervalMs: settings.primaryProbeMs } : {}),
    ...(settings.failbackWindowMs !== undefined ? { failbackWindowMs: settings.failbackWindowMs } : {}),
    ...extra,
  };
}
