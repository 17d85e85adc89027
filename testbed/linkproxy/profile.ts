/** Link characteristics applied per chunk and direction. */
export interface LinkProfileSpec {
  /** Mean one-way added delay per chunk. */
  latencyMs: number;
  /** Delay varies uniformly within latencyMs ± jitterMs (never below 0). */
  jitterMs: number;
  /** Mean time between link stalls (each gap drawn in [0.5, 1.5] × this); no stalls when 0 or absent. */
  stallEveryMs?: number;
  /** Mean stall length (each drawn in [0.5, 1.5] × this): nothing is delivered during a stall. */
  stallMs?: number;
}

export type LinkProfileName = 'wired' | 'wireless';
export type LinkProfile = LinkProfileName | LinkProfileSpec;

export const LINK_PROFILES: Readonly<Record<LinkProfileName, Readonly<LinkProfileSpec>>> = {
  /** No added delay. */
  wired: { latencyMs: 0, jitterMs: 0 },
  /** 20 ms ± 15 ms per chunk, a 100-300 ms stall about every 5 s (2.5-7.5 s apart). */
  wireless: { latencyMs: 20, jitterMs: 15, stallEveryMs: 5000, stallMs: 200 },
};

/** The spec of a named or literal profile; throws on an unknown name or a negative number. */
export function resolveProfile(profile: LinkProfile): LinkProfileSpec {
  if (typeof profile === 'string') {
    const spec = LINK_PROFILES[profile];
    if (!spec) throw new Error(`unknown link profile '${String(profile)}' (wired, wireless or { latencyMs, jitterMs, ... })`);
    return { ...spec };
  }
  for (const key of ['latencyMs', 'jitterMs', 'stallEveryMs', 'stallMs'] as const) {
    const value = profile[key];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new Error(`link profile ${key} must be a number >= 0, got ${String(value)}`);
    }
  }
  return { ...profile };
}
