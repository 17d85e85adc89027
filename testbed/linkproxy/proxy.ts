// A TCP proxy that plays a network link between a client and a broker or a
// database: latency, jitter, stalls, partitions (a pulled cable) and resets.
import net from 'node:net';
import { ProxiedConnection, type ConnectionContext, type LinkCounters } from './connection.ts';
import { mulberry32, randomSeed } from './prng.ts';
import { resolveProfile, type LinkProfile, type LinkProfileSpec } from './profile.ts';
import { LinkShaper } from './shaper.ts';

export type LinkLogFn = (obj: Record<string, unknown>, msg: string) => void;

/** Minimal structured logger; a pino logger fits. */
export interface LinkLogger {
  debug?: LinkLogFn;
  info?: LinkLogFn;
  warn?: LinkLogFn;
}

export interface LinkProxyOptions {
  /** Where connections are forwarded. */
  target: { host: string; port: number };
  /** Default 0: a free port. */
  listenPort?: number;
  /** Default 127.0.0.1. */
  listenHost?: string;
  /** Default 'wired'. */
  profile?: LinkProfile;
  /** PRNG seed for jitter and stalls (default random; read it back from `proxy.seed`). */
  seed?: number;
  logger?: LinkLogger;
}

export interface LinkStats extends LinkCounters {
  /** Connections accepted since start. */
  connections: number;
  /** Connections currently open. */
  active: number;
  /** The MQTT client id of each open connection ('' when its first bytes were no CONNECT). */
  clientIds: string[];
  partitioned: boolean;
}

export interface LinkProxy {
  readonly host: string;
  readonly port: number;
  readonly target: { host: string; port: number };
  readonly seed: number;
  readonly partitioned: boolean;
  /** `${scheme}://host:port` of the proxy, e.g. url('mqtt'). */
  url(scheme?: string): string;
  /** The profile in force. */
  profile(): LinkProfileSpec;
  /** Applies to chunks arriving from now on; order is still preserved. */
  setProfile(profile: LinkProfile): void;
  /** The current profile's stall windows overlapping [from, to), in Date.now() time (none without stalls). */
  stalls(from: number, to: number): Array<{ start: number; end: number }>;
  /** Stop forwarding both ways, keep every socket open, drop what arrives. */
  partition(): void;
  /** Resume forwarding; connections that lost a FIN/RST meanwhile are reset. */
  heal(): void;
  /** Destroy both sides of every current connection (RST). */
  reset(): void;
  /** Stop listening and destroy every connection. */
  close(): Promise<void>;
  stats(): LinkStats;
}

/** Start a link proxy in front of `target`; resolves once it listens. */
export async function startLinkProxy(opts: LinkProxyOptions): Promise<LinkProxy> {
  const seed = opts.seed ?? randomSeed();
  const listenHost = opts.listenHost ?? '127.0.0.1';
  const target = { ...opts.target };
  const logger = opts.logger;
  // Each profile gets its own seed from this stream: a profile set again at the start of every
  // run would otherwise repeat the same stall schedule from that start, so the stalls would fall
  // at the same offsets in each run (and a fault made at a fixed delay after it, in one).
  const seeds = mulberry32(seed);
  const nextSeed = () => Math.floor(seeds() * 0x1_0000_0000) >>> 0;
  let shaper = new LinkShaper(resolveProfile(opts.profile ?? 'wired'), seed, Date.now());
  let partitioned = false;
  let accepted = 0;
  const counters: LinkCounters = { bytesUp: 0, bytesDown: 0, droppedUp: 0, droppedDown: 0 };
  const live = new Set<ProxiedConnection>();
  let port = opts.listenPort ?? 0;

  const log = (level: keyof LinkLogger, msg: string, extra: Record<string, unknown> = {}): void => {
    logger?.[level]?.({ proxy: `${listenHost}:${port}`, target: `${target.host}:${target.port}`, ...extra }, msg);
  };

  const ctx: ConnectionContext = {
    target,
    partitioned: () => partitioned,
    releaseAt: (previous, now) => shaper.releaseAt(previous, now),
    counters,
    log,
    closed: (conn) => live.delete(conn),
  };

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    accepted++;
    const conn = new ProxiedConnection(accepted, client, ctx);
    live.add(conn);
    log('debug', 'connection accepted', { conn: accepted, partitioned });
  });
  server.on('error', (err) => log('warn', 'proxy server error', { err: err.message }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.listenPort ?? 0, host: listenHost }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address === 'object' && address) port = address.port;
  log('info', 'link proxy listening', { profile: shaper.spec, seed });

  return {
    host: listenHost,
    port,
    target,
    seed,
    get partitioned() {
      return partitioned;
    },
    url: (scheme = 'tcp') => `${scheme}://${listenHost}:${port}`,
    profile: () => ({ ...shaper.spec }),
    setProfile(profile) {
      shaper = new LinkShaper(resolveProfile(profile), nextSeed(), Date.now());
      log('info', 'link profile set', { profile: shaper.spec });
    },
    stalls: (from, to) => shaper.stallsBetween(from, to),
    partition() {
      if (partitioned) return;
      partitioned = true;
      log('info', 'link partitioned', { connections: live.size });
    },
    heal() {
      if (!partitioned) return;
      partitioned = false;
      for (const conn of [...live]) conn.heal();
      log('info', 'link healed', { connections: live.size });
    },
    reset() {
      const n = live.size;
      for (const conn of [...live]) conn.teardown(true, 'reset()');
      log('info', 'link reset', { connections: n });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const conn of [...live]) conn.teardown(false, 'proxy closed');
      });
    },
    stats: () => ({ connections: accepted, active: live.size, clientIds: [...live].map((conn) => conn.clientId ?? ''), partitioned, ...counters }),
  };
}
