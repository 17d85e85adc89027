// The link fault proxy: a TCP hop that adds latency, jitter, stalls,
// partitions and resets between a client and a broker or database.
export {
  startLinkProxy,
  type LinkProxy,
  type LinkProxyOptions,
  type LinkStats,
  type LinkLogger,
  type LinkLogFn,
} from './proxy.ts';
export {
  LINK_PROFILES,
  resolveProfile,
  type LinkProfile,
  type LinkProfileName,
  type LinkProfileSpec,
} from './profile.ts';
export { LinkShaper } from './shaper.ts';
export { mulberry32, randomSeed } from './prng.ts';
