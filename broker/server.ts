// Starts one broker: Aedes with the platform's hooks and publish pipeline,
// its listeners, and for a standby the bridge to the primary.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Aedes } from 'aedes';
import { Topics } from '../contract/index.ts';
import { ParkingAedes, persistenceOf } from './aedes.ts';
import { createHooks, type RefusalCounters } from './auth/hooks.ts';
import { requireClientIdForSessions } from './client-id.ts';
import { AuthThrottle } from './auth/throttle.ts';
import { startBridge, type Bridge } from './bridge/bridge.ts';
import { listenMqtt, listenMqtts, listenWebSocket, type Listener } from './listeners.ts';
import { warnOnce } from './log-once.ts';
import { STALL_WARN_MS, watchStalls } from './stalls.ts';
import { HANDOVER_DEFAULTS, handOver } from './handover.ts';
import { MAX_PACKET_BYTES, guardPackets } from './packet-guard.ts';
import { createBackend } from './persistence.ts';
import { publishPipeline } from './pipeline.ts';
import { memoryGuard, sharedGuard } from './retained/guard.ts';
import type { BrokerHealth, BrokerOptions, RunningBroker } from './types.ts';

const CONCURRENCY = 1000;
/** Aedes' clients may ask for long topic trees; ours are 5 levels deep. */
const MAX_TOPIC_LEVELS = 32;

/** `mqtt://127.0.0.1:1883` for a broker listening on all addresses; the address itself otherwise. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** A broker id usable as one topic level. */
export function defaultBrokerId(role: string, port: number): string {
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64) || 'host';
  return `${role}-${host}-${port}`;
}

function closeAedes(aedes: Aedes): Promise<void> {
  return new Promise((resolve) => aedes.close(() => resolve()));
}

type ClientStream = {
  end?: () => void;
  removeAllListeners?: (event: 'readable') => void;
  on?: (event: 'data', listener: () => void) => void;
  resume?: () => void;
  writableLength?: number;
  destroyed?: boolean;
  once?: (event: 'close', listener: () => void) => void;
};

/**
 * A graceful stop delivers what it acknowledged: read nothing more from any
 * client (what they sent since stays unacknowledged, so they send it again to
 * the standby), let every publish already acknowledged reach its subscribers
 * (the standby's bridge among them), then half-close each connection and wait
 * for the peer to close it: the peer has then read the bytes in flight (closing
 * or destroying a socket earlier would drop them). Bounded by `limitMs`.
 */
async function drainClients(aedes: Aedes, limitMs = 5000): Promise<void> {
  const clients = Object.values((aedes as unknown as { clients: Record<string, { conn?: ClientStream; pause?: () => void }> }).clients ?? {});
  // Aedes reads a connection on 'readable', which pausing the stream does not stop: its client pauses.
  for (const client of clients) client.pause?.();
  const conns = clients.map((c) => c.conn).filter((c): c is ClientStream => !!c && !c.destroyed);
  const deadline = Date.now() + limitMs;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    quiet = conns.some((conn) => (conn.writableLength ?? 0) > 0) ? 0 : quiet + 1;
  }
  const closed = conns.map((conn) => new Promise<void>((resolve) => (conn.destroyed ? resolve() : conn.once?.('close', resolve))));
  for (const conn of conns) {
    conn.end?.();
    // What a client sends from now on is dropped unread (never acknowledged, it goes to the standby); read, so its closing is seen.
    conn.removeAllListeners?.('readable');
    conn.on?.('data', () => undefined);
    conn.resume?.();
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(closed), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
  clearTimeout(timer);
}

async function destroyPersistence(aedes: Aedes): Promise<void> {
  // Without a callback the persistences return a promise (with one, they wait for a "ready" that Aedes 1.x never gives).
  const persistence = persistenceOf(aedes) as { destroy?: () => unknown } | undefined;
  await Promise.resolve(persistence?.destroy?.()).catch(() => {});
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const started = Date.now();
  const host = options.host ?? '127.0.0.1';
  const topics = new Topics(options.topicRoot ?? 'parking');
  const logger = options.logger;
  const counters: RefusalCounters = { denied: 0, invalid: 0, stale: 0, duplicate: 0 };
  const refused = new WeakSet<object>();
  const warn = warnOnce(logger);

  const backend = createBackend(options.redisUrl, { concurrency: CONCURRENCY, onError: (error) => warn(`redis\0${error.message}`, { err: error }, 'redis error') });
  let aedesRef: Aedes | undefined;
  const guard = backend.kind === 'memory' ? memoryGuard(topics) : sharedGuard(topics, () => persistenceOf(aedesRef!));
  const throttle = new AuthThrottle(options.authThrottle);
  const hooks = createHooks({ topics, accounts: options.accounts ?? new Map(), allowAnonymous: options.allowAnonymous ?? false, refused, counters, warn, logger, throttle });

  // The TCP port decides the default id, so listen first on a free port when asked for 0.
  const listeners: Listener[] = [];
  // A connection that arrives before Aedes is ready is turned away; clients retry.
  // Every connection passes the packet size cap first.
  const handle = (stream: Duplex, request?: IncomingMessage) => {
    if (!aedesRef || aedesRef.closed || leaving) return stream.destroy();
    const remote = (stream as { remoteAddress?: string }).remoteAddress;
    const guarded = guardPackets(stream, () => warn(`big\0${remote}`, { remote, limit: MAX_PACKET_BYTES }, 'connection closed: packet over the size cap'));
    aedesRef.handle(guarded, request);
  };
  // Set by a graceful stop: new connections are turned away (they belong on the other broker).
  let leaving = false;
  const closeListeners = () => Promise.all(listeners.splice(0).map((l) => l.close()));
  let bridge: Bridge | undefined;
  try {
    listeners.push(await listenMqtt(handle, host, options.port ?? 0));
    const port = listeners[0].port;
    const id = options.id ?? defaultBrokerId(options.role, port);
    const aedes = new ParkingAedes(
      {
        id,
        heartbeatInterval: options.heartbeatMs ?? 100,
        concurrency: CONCURRENCY,
        maxTopicLevels: MAX_TOPIC_LEVELS,
        connectTimeout: 5_000,
        drainTimeout: 30_000,
        persistence: backend.persistence,
        mq: backend.mq,
        ...requireClientIdForSessions(hooks.authenticate),
        authorizePublish: hooks.authorizePublish,
        authorizeSubscribe: hooks.authorizeSubscribe,
      },
      publishPipeline({ root: topics.root, refused, guard, counters, logger }),
    );
    aedesRef = aedes;
    aedes.on('clientError', (client, error) => logger?.debug({ clientId: client.id, err: error.message }, 'client error'));
    aedes.on('connectionError', (_client, error) => logger?.debug({ err: error.message }, 'connection error'));
    (aedes as EventEmitter).on('error', (error: Error) => logger?.error({ err: error }, 'broker error'));
    await aedes.listen();

    if (options.wsPort !== false) listeners.push(await listenWebSocket(handle, host, options.wsPort ?? 0));
    if (options.tls) listeners.push(await listenMqtts(handle, host, options.tls.port, options.tls));
    if (options.bridge) bridge = startBridge({ aedes, store: () => persistenceOf(aedes), root: topics.root, brokerId: id, options: options.bridge, logger });

    const ws = listeners.find((l) => l.kind === 'ws');
    const mqtts = listeners.find((l) => l.kind === 'mqtts');
    const urls = {
      mqtt: `mqtt://${urlHost(host)}:${port}`,
      ...(ws ? { ws: `ws://${urlHost(host)}:${ws.port}` } : {}),
      ...(mqtts ? { mqtts: `mqtts://${urlHost(host)}:${mqtts.port}` } : {}),
    };
    let closing: Promise<void> | undefined;

    const running: RunningBroker = {
      id,
      role: options.role,
      url: urls.mqtt,
      port,
      wsUrl: urls.ws,
      wsPort: ws?.port,
      mqttsUrl: urls.mqtts,
      mqttsPort: mqtts?.port,
      aedes,
      async health(): Promise<BrokerHealth> {
        const closed = aedes.closed;
        return {
          id,
          role: options.role,
          status: closed ? 'closed' : 'up',
          clients: closed ? 0 : aedes.connectedClients,
          retained: closed ? 0 : await guard.count(),
          refused: { ...counters },
          ...(bridge ? { bridge: bridge.health() } : {}),
          persistence: backend.kind,
          uptimeMs: Date.now() - started,
          urls,
        };
      },
      bridged: () => bridge?.synced() ?? Promise.resolve(),
      close() {
        closing ??= (async () => {
          leaving = true;
          stopWatching();
          const handover = await handOver(aedes, id, { maxMs: options.handoverMs ?? HANDOVER_DEFAULTS.maxMs, stallMs: options.handoverStallMs ?? HANDOVER_DEFAULTS.stallMs });
          if (handover.notified) logger?.info({ ...handover }, handover.stayed ? 'stopping: some clients did not move to the other broker in time' : 'stopping: every failover client moved to the other broker');
          await drainClients(aedes);
          await bridge?.close();
          await closeListeners();
          await closeAedes(aedes);
          await destroyPersistence(aedes);
        })();
        return closing;
      },
    };
    const stopWatching = watchStalls(logger, options.stallWarnMs ?? STALL_WARN_MS);
    logger?.info({ id, role: options.role, ...urls, persistence: backend.kind, bridge: options.bridge ? bridge?.health().url : undefined }, 'broker listening');
    return running;
  } catch (error) {
    await bridge?.close().catch(() => {});
    await closeListeners();
    if (aedesRef) {
      await closeAedes(aedesRef);
      await destroyPersistence(aedesRef);
    }
    throw error;
  }
}

export type { Bridge };
