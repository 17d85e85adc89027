// One MQTT connection of a link: MQTT.js carries it; this file opens it with
// the link's options and deadlines and reports what happens on it. Which
// connection serves, and what moves where, is the link's business (client.ts).
import { connect, type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import { afterMoves } from './pacer.ts';
import type { AckWatch } from './liveness.ts';
import { RoundTrip } from './liveness.ts';
import type { LinkConfig, LinkOptions, SwitchReason } from './options.ts';
import type { OutboxEntry } from './outbox.ts';
import type { Watchdog } from './watchdog.ts';

export interface Connection {
  id: number;
  index: number;
  url: string;
  client: MqttClient;
  /**
   * main: the link's connection; failback: back to the primary; handover: away from a broker that
   * is leaving; spare: open to the next broker in case the primary goes (ack liveness); refresh:
   * replaces a spare the link moved onto with a connection that carries the Last Will.
   */
  purpose: 'main' | 'failback' | 'handover' | 'spare' | 'refresh';
  /** Opened as a spare: the spare client id, no Last Will (whatever it serves as later). */
  asSpare: boolean;
  /** A spare: the link's subscriptions version it subscribed to (see LinkCore.filters). */
  subscribedAt?: number;
  startedAt: number;
  /** When the CONNACK arrived. */
  upAt: number;
  /** When the link began to use it (a spare: long after its CONNACK); settling after a failover counts from here. */
  adoptedAt: number;
  lastHeard: number;
  /** When its last heartbeat arrived (the CONNACK before the first). */
  lastHeartbeat: number;
  up: boolean;
  ready: boolean;
  /** A failback in `ack` liveness: connected, waiting for the broker's first heartbeat before moving. */
  checking: boolean;
  draining: boolean;
  closed: boolean;
  heartbeats: number;
  /** QoS 1 publishes written directly (before the CONNACK, and after it), by message id (see direct.ts). */
  direct: Map<number, OutboxEntry>;
  /** A clean end waiting for the last of `direct` to be answered (endConnection; MQTT.js waits only for its own). */
  directSettled?: () => void;
  rtt: RoundTrip;
  /** What the broker says of its bridge to the primary (a standby's `$SYS/<id>/bridge`), if anything. */
  bridgeState?: string;
  /** On a standby, the bridge state is not known yet (not subscribed, or its retained message not in: see bridge.ts); no return to the primary until it is. */
  bridgeUnasked?: boolean;
  /** On a standby, the bridge state is not asked for yet: that waits until a return is due (core.ts returnToPrimary). */
  bridgeLazy?: boolean;
  /** The wait for the bridge state after its SUBACK (bridge.ts). */
  bridgeWait?: ReturnType<typeof setTimeout>;
  /** What runs when that wait ends (bridge.ts). */
  bridgeSettled?: () => void;
  /** ack liveness: made after a failover, so the settling deadline applies (liveness.ts). */
  patient: boolean;
  /** No CONNACK in time, no TCP connection in time, or "server unavailable": busy or cut off, not refused (policy.ts). */
  busy?: boolean;
  guard?: ReturnType<typeof setTimeout>;
  /** heartbeat liveness. */
  watchdog?: Watchdog;
  /** ack liveness. */
  acks?: AckWatch;
}

export interface ConnectionEvents {
  connect(conn: Connection): void;
  packet(conn: Connection, packet: Packet): void;
  message(conn: Connection, topic: string, payload: Buffer, packet: IPublishPacket): void;
  lost(conn: Connection, reason: SwitchReason, detail: string): void;
  /** The broker refused the CONNECT for its credentials (CONNACK 4 or 5): the link keeps trying, but someone should know. */
  refused(conn: Connection, detail: string): void;
}

/** CONNACK codes that say the account is wrong: bad user name or password, not authorised (MQTT 3.1.1: 4, 5; MQTT 5: 134, 135). */
const REFUSED_CODES = new Set([4, 5, 134, 135]);
/** CONNACK codes that say the broker cannot take the client now: server unavailable (3), MQTT 5 server unavailable or busy (136, 137). */
const BUSY_CODES = new Set([3, 136, 137]);

interface SocketLike {
  connecting?: boolean;
  once?(event: 'connect', listener: () => void): unknown;
  setNoDelay?(on: boolean): void;
}

const quiet = (): void => {};

/**
 * Opens a connection to `config.servers[index]`. Two deadlines: `connectTimeoutMs` until the
 * TCP connection is up (a dead or cut-off host), then `connackTimeoutMs` for the CONNACK (a
 * live broker may be busy accepting a whole fleet: dropping it then only adds to its load).
 */
export function openConnection(id: number, index: number, purpose: Connection['purpose'], config: LinkConfig, options: LinkOptions, on: ConnectionEvents, connackMs = config.connackTimeoutMs): Connection {
  const url = config.servers[index];
  const asSpare = purpose === 'spare';
  const will = asSpare ? undefined : options.will;
  const client = connect(url, {
    // MQTT.js makes a `debug` logger per client unless given one: a cost in every reconnect of a fleet.
    log: quiet,
    // Not MQTT.js's default: its packet writer would otherwise build, at the first write, a cache of
    // 65,536 two-byte Buffers for message ids (6 MB of heap in every process, a Pi's included).
    writeCache: false,
    ...options.mqtt,
    clientId: asSpare ? config.spareClientId : config.clientId,
    clean: asSpare ? true : (options.clean ?? true),
    keepalive: config.keepaliveSec,
    // A backstop only: MQTT.js counts from the client's creation, our guard below from the TCP connect.
    connectTimeout: config.connectTimeoutMs + connackMs + 1000,
    reconnectPeriod: 0,
    resubscribe: false,
    protocolVersion: options.mqtt?.protocolVersion ?? 4,
    ...(will ? { will: { topic: will.topic, payload: typeof will.payload === 'string' ? Buffer.from(will.payload) : will.payload, qos: will.qos ?? 1, retain: will.retain ?? false } } : {}),
  });
  const now = Date.now();
  const conn: Connection = {
    id,
    index,
    url,
    client,
    purpose,
    asSpare,
    startedAt: now,
    upAt: now,
    adoptedAt: now,
    lastHeard: now,
    lastHeartbeat: now,
    up: false,
    ready: false,
    checking: false,
    draining: false,
    closed: false,
    heartbeats: 0,
    direct: new Map(),
    rtt: new RoundTrip(),
    patient: false,
  };
  const socket = (client as unknown as { stream?: SocketLike }).stream;
  // Small packets go out at once (no Nagle delay): a slot change is one small publish.
  socket?.setNoDelay?.(true);
  const expire = (ms: number, what: string) => {
    clearTimeout(conn.guard);
    const guard = setTimeout(() => {
      // Timers run before the I/O a busy process has waiting: the connect or the CONNACK may be in
      // already. The verdict waits for it (setImmediate runs after the loop's I/O).
      setImmediate(() => {
        if (conn.guard !== guard || conn.up || conn.closed) return;
        // No CONNACK, or no TCP connection (a full accept queue drops the SYN): busy or cut off, not refused.
        conn.busy = true;
        on.lost(conn, 'error', `no ${what} within ${ms} ms`);
      });
    }, ms);
    conn.guard = guard;
  };
  expire(config.connectTimeoutMs, socket?.connecting ? 'connection' : 'CONNACK');
  if (socket?.connecting && socket.once) socket.once('connect', () => !conn.up && !conn.closed && expire(connackMs, 'CONNACK'));
  client.on('connect', () => {
    clearTimeout(conn.guard);
    on.connect(conn);
  });
  client.on('packetreceive', (packet) => {
    conn.lastHeard = Date.now();
    on.packet(conn, packet);
  });
  client.on('message', (topic, payload, packet) => on.message(conn, topic, payload, packet));
  client.on('error', (error) => {
    const code = (error as { code?: unknown }).code as number;
    if (REFUSED_CODES.has(code)) on.refused(conn, error.message);
    if (BUSY_CODES.has(code)) conn.busy = true;
    on.lost(conn, 'error', error.message);
  });
  client.on('close', () => on.lost(conn, 'closed', 'connection closed'));
  return conn;
}

const noop = (): void => {};
const PINGREQ = Buffer.from([0xc0, 0x00]);

/** Sends a PINGREQ on `conn` (any answer counts as hearing the broker); false when it cannot. */
export function pingBroker(conn: Connection): boolean {
  const stream = (conn.client as unknown as { stream?: { write(chunk: Buffer): unknown; destroyed?: boolean } }).stream;
  if (conn.closed || !conn.up || !stream || stream.destroyed) return false;
  stream.write(PINGREQ);
  return true;
}

/**
 * Forgets a connection at once: timers stopped, no more events, the socket destroyed (with
 * `later`, once no link of this process waits to move: see pacer.ts).
 */
export function destroyConnection(conn: Connection, later = false): void {
  conn.closed = true;
  conn.up = false;
  conn.ready = false;
  conn.checking = false;
  clearTimeout(conn.guard);
  clearTimeout(conn.bridgeWait);
  conn.watchdog?.stop();
  conn.acks?.stop();
  conn.direct.clear();
  conn.client.removeAllListeners('message');
  conn.client.on('error', noop);
  if (later) afterMoves(() => conn.client.end(true));
  else conn.client.end(true);
}

/** A clean DISCONNECT (no Last Will), then `drop`; `drop` at `timeoutMs` if the broker does not close it first. */
export function endConnection(conn: Connection, timeoutMs: number, drop: () => void): Promise<void> {
  if (conn.closed) return Promise.resolve();
  conn.watchdog?.stop();
  conn.acks?.stop();
  clearTimeout(conn.guard);
  clearTimeout(conn.bridgeWait);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      drop();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const end = () => conn.client.end(false, {}, done);
    // MQTT.js waits for the publishes it made; those written directly are waited for here.
    if (conn.direct.size === 0) end();
    else conn.directSettled = end;
  });
}
