// The broker's public types: how to start one, and what it reports.
import type { Aedes } from 'aedes';
import type { Logger } from '../log/index.ts';
import type { Accounts } from './auth/accounts.ts';
import type { ThrottleOptions } from './auth/throttle.ts';

export type BrokerRole = 'primary' | 'standby';

export interface TlsOptions {
  /** PEM certificate (chain). */
  cert: string | Buffer;
  /** PEM private key. */
  key: string | Buffer;
  /** MQTT over TLS port; 0 = a free one. */
  port: number;
}

export interface BridgeOptions {
  /** The primary: `mqtt://`, `mqtts://`, `ws://` or `wss://`; user and password in the URL are the bridge's account there. */
  url: string;
  /** Client id on the primary; default `bridge-<broker id>`. */
  clientId?: string;
  /** Milliseconds between reconnection attempts; default 250. */
  reconnectMs?: number;
  /** MQTT keep-alive of the link, seconds; default 5. */
  keepaliveSec?: number;
  /** Non-retained messages kept for the primary while the link is down; default 10000 (oldest dropped first). */
  queueLimit?: number;
  /** TLS options for `mqtts://` / `wss://` (e.g. a private CA); default the system's. */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
}

export interface BrokerOptions {
  role: BrokerRole;
  /** Broker id (`$SYS/<id>/heartbeat`); default `<role>-<host name>-<port>`. */
  id?: string;
  /** Address to listen on; default `127.0.0.1`. */
  host?: string;
  /** MQTT port; 0 (default) = a free one. */
  port?: number;
  /** MQTT over WebSocket port; 0 (default) = a free one; `false` = no WebSocket listener. */
  wsPort?: number | false;
  tls?: TlsOptions;
  /** Heartbeat interval, milliseconds; default 100. */
  heartbeatMs?: number;
  /** Topic root; default `parking`. */
  topicRoot?: string;
  /** Let clients connect without credentials (they may then do anything under the root). Default false. */
  allowAnonymous?: boolean;
  /** Accounts (from the auth file); default none. */
  accounts?: Accounts;
  /** Limits on failed authentications (per address, per user name and address); default see docs/broker.md. */
  authThrottle?: Omit<ThrottleOptions, 'now'>;
  /** A standby bridges to its primary. */
  bridge?: BridgeOptions;
  /**
   * A graceful stop first announces it on `$SYS/<id>/leaving` and waits, still serving, for
   * the failover clients to move to the other broker: while they keep leaving, up to this
   * long; ms, default 20000 (a fleet of 10,000 takes 10-20 s to move).
   */
  handoverMs?: number;
  /** The wait ends when no client left for this long; ms, default 3000. */
  handoverStallMs?: number;
  /** Redis URL: retained messages, sessions and message routing shared through Redis. Default: in memory. */
  redisUrl?: string;
  logger?: Logger;
  /** Log a warning when the event loop stopped this long (nothing was acknowledged meanwhile), ms; 0: never. Default 250. */
  stallWarnMs?: number;
}

export interface BridgeHealth {
  url: string;
  connected: boolean;
  /** ISO time of the last change of `connected`. */
  since: string;
  /** Messages from the primary published here. */
  messagesIn: number;
  /** Messages from local clients sent to the primary. */
  messagesOut: number;
  /** Retained messages pushed to the primary by resynchronisations. */
  resyncPushed: number;
  /** Non-retained messages waiting for the link. */
  queued: number;
  /** Non-retained messages dropped because the queue was full. */
  dropped: number;
  lastError?: string;
}

export interface BrokerHealth {
  id: string;
  role: BrokerRole;
  /** `up` while serving; `closed` after close(). */
  status: 'up' | 'closed';
  clients: number;
  /** Retained messages under the topic root. */
  retained: number;
  /** Publishes refused (denied, invalid, or an older retained slot state). */
  refused: { denied: number; invalid: number; stale: number; duplicate: number };
  bridge?: BridgeHealth;
  persistence: 'memory' | 'redis';
  uptimeMs: number;
  urls: { mqtt: string; ws?: string; mqtts?: string };
}

export interface RunningBroker {
  readonly id: string;
  readonly role: BrokerRole;
  /** `mqtt://127.0.0.1:N` (the loopback address when listening on all). */
  readonly url: string;
  readonly port: number;
  readonly wsUrl?: string;
  readonly wsPort?: number;
  readonly mqttsUrl?: string;
  readonly mqttsPort?: number;
  readonly aedes: Aedes;
  health(): Promise<BrokerHealth>;
  /** A standby: resolves once its bridge connected and resynchronised (the first time). A primary: at once. */
  bridged(): Promise<void>;
  /** Stops listening, disconnects clients, stops the bridge, closes persistence. */
  close(): Promise<void>;
}
