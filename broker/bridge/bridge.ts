// The standby's bridge to the primary, for every topic under the root, both
// ways, over one MQTT connection marked as a bridge (see bridge-bit.ts):
//
// - primary to standby: the bridge subscribes `<root>/#` on the primary and
//   publishes what arrives here, retain flag kept, marked as coming from the
//   bridge;
// - standby to primary: it subscribes `<root>/#` here and sends the primary
//   what local clients published, never what came from the bridge (no loops);
// - on every (re)connection it first pushes this broker's retained messages
//   to the primary (QoS 2: acknowledged once stored there), then subscribes,
//   which brings the primary's retained messages here. Both brokers refuse an
//   older retained slot state and a repeat of the stored one, so both end
//   with the newest state of each slot, and nothing is delivered twice.
import type { Aedes } from 'aedes';
import { MqttClient, type IPublishPacket } from 'mqtt';
import { redactUrls, type Logger } from '../../log/index.ts';
import type { RetainedStore } from '../aedes.ts';
import type { BridgeHealth, BridgeOptions } from '../types.ts';
import { openLink } from './link.ts';

/** `clientId` of what the bridge publishes here. MQTT strings cannot hold U+0000, so no client has it. */
export const BRIDGE_ORIGIN = '\u0000bridge';

const PUSH_WINDOW = 1000;

export interface BridgeDeps {
  aedes: Aedes;
  store: () => RetainedStore;
  root: string;
  brokerId: string;
  options: BridgeOptions;
  logger?: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
}

export interface Bridge {
  health(): BridgeHealth;
  /** Resolves once the bridge is connected and the first resynchronisation is done. */
  synced(): Promise<void>;
  close(): Promise<void>;
}

interface Queued {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
}

/**
 * Where a standby says, retained, whether its bridge to the primary is `synced` (connected and
 * resynchronised) or `down`. Failover links on the standby wait for `synced` before they return
 * to the primary: a primary just restarted has no subscribers yet (neither the bridge nor the
 * services), and a non-retained message sent there (a gate event) would reach no one.
 */
export function bridgeStateTopic(brokerId: string): string {
  return `$SYS/${brokerId}/bridge`;
}

export function startBridge(deps: BridgeDeps): Bridge {
  const { aedes, root, options } = deps;
  const announce = (state: 'synced' | 'down') =>
    aedes.publish({ cmd: 'publish', topic: bridgeStateTopic(deps.brokerId), payload: Buffer.from(state), qos: 0, retain: true, dup: false } as never, () => {});
  announce('down');
  const filter = `${root}/#`;
  const url = new URL(options.url);
  const queueLimit = options.queueLimit ?? 10_000;
  const stats = { messagesIn: 0, messagesOut: 0, resyncPushed: 0, dropped: 0 };
  let connected = false;
  let since = new Date();
  let lastError: string | undefined;
  let generation = 0;
  let closed = false;
  const queue: Queued[] = [];
  let syncedWaiters: Array<() => void> = [];
  let everSynced = false;

  const client = new MqttClient(() => openLink(options.url, options.tls ?? {}), {
    protocolVersion: 4,
    clientId: options.clientId ?? `bridge-${deps.brokerId}`,
    clean: true,
    keepalive: options.keepaliveSec ?? 5,
    reconnectPeriod: options.reconnectMs ?? 250,
    connectTimeout: 3000,
    resubscribe: false,
    queueQoSZero: false,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
  });

  // Primary to here: one message at a time, acknowledged once published here.
  client.handleMessage = (packet: IPublishPacket, callback) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    aedes.publish(
      { cmd: 'publish', topic: packet.topic, payload, qos: packet.qos === 2 ? 1 : packet.qos, retain: packet.retain, dup: false, clientId: BRIDGE_ORIGIN } as never,
      (error?: Error) => {
        if (error) deps.logger?.warn({ err: error, topic: packet.topic }, 'bridge: could not publish a message from the primary');
        else stats.messagesIn += 1;
        callback();
      },
    );
  };

  function send(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean): Promise<unknown> {
    return client.publishAsync(topic, payload, { qos, retain });
  }

  // Here to primary: what local clients published.
  function forward(packet: { topic: string; payload: Buffer | string; qos: number; retain: boolean; clientId?: string }, done: () => void): void {
    if (packet.clientId === BRIDGE_ORIGIN) return done();
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const qos = packet.qos > 0 ? 1 : 0;
    if (connected) {
      stats.messagesOut += 1;
      send(packet.topic, payload, qos, packet.retain).catch((error: Error) => deps.logger?.debug({ err: error, topic: packet.topic }, 'bridge: forward not acknowledged'));
    } else if (!packet.retain) {
      // Retained state goes over with the next resynchronisation; other messages wait here.
      queue.push({ topic: packet.topic, payload, qos });
      if (queue.length > queueLimit) {
        queue.shift();
        stats.dropped += 1;
      }
    }
    done();
  }
  aedes.subscribe(filter, forward as never, () => {});

  async function resync(mine: number, disconnected: Promise<void>): Promise<void> {
    // At most PUSH_WINDOW pushes in flight (message ids are 16 bits).
    let batch: Promise<unknown>[] = [];
    let pushed = 0;
    for await (const packet of deps.store().createRetainedStream(filter)) {
      if (mine !== generation) return;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      batch.push(send(packet.topic, payload, 2, true).then(() => (stats.resyncPushed += 1)));
      pushed += 1;
      if (batch.length >= PUSH_WINDOW) {
        await Promise.race([Promise.all(batch), disconnected]);
        if (mine !== generation) return;
        batch = [];
      }
    }
    await Promise.race([Promise.all(batch), disconnected]);
    if (mine !== generation) return;
    for (const item of queue.splice(0)) {
      stats.messagesOut += 1;
      send(item.topic, item.payload, item.qos, false).catch(() => {});
    }
    await Promise.race([client.subscribeAsync(filter, { qos: 1 }), disconnected]);
    if (mine !== generation) return;
    deps.logger?.info({ pushed }, 'bridge: resynchronised with the primary');
    announce('synced');
    everSynced = true;
    for (const wake of syncedWaiters.splice(0)) wake();
  }

  client.on('connect', () => {
    connected = true;
    since = new Date();
    lastError = undefined;
    generation += 1;
    const mine = generation;
    deps.logger?.info({ primary: redactUrls(options.url) }, 'bridge: connected to the primary');
    const disconnected = new Promise<void>((resolve) => client.once('close', () => resolve()));
    resync(mine, disconnected).catch((error: Error) => {
      lastError = error.message;
      deps.logger?.warn({ err: error }, 'bridge: resynchronisation failed; reconnecting');
      if (mine === generation && !closed) client.reconnect();
    });
  });
  client.on('close', () => {
    if (connected) {
      connected = false;
      since = new Date();
      generation += 1;
      if (!closed) deps.logger?.warn({ primary: redactUrls(options.url) }, 'bridge: link to the primary lost');
      announce('down');
    }
  });
  client.on('error', (error: Error) => {
    if (lastError !== error.message) deps.logger?.warn({ err: error }, 'bridge: link error');
    lastError = error.message;
  });

  return {
    health: () => ({
      url: redactUrls(options.url),
      connected,
      since: since.toISOString(),
      messagesIn: stats.messagesIn,
      messagesOut: stats.messagesOut,
      resyncPushed: stats.resyncPushed,
      queued: queue.length,
      dropped: stats.dropped,
      ...(lastError ? { lastError } : {}),
    }),
    synced: () => (everSynced ? Promise.resolve() : new Promise<void>((resolve) => syncedWaiters.push(resolve))),
    async close() {
      closed = true;
      generation += 1;
      syncedWaiters = [];
      aedes.unsubscribe(filter, forward as never, () => {});
      await client.endAsync(true);
    },
  };
}
