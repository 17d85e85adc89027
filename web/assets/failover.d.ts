// Types of failover.js (the signage page's MQTT failover client).

export declare const HEARTBEAT_FILTER: string;

export interface NextAttempt {
  index: number;
  delayMs: number;
}

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  jitter?: number;
}

export interface Rotation {
  first(): NextAttempt;
  connected(): void;
  linkDied(index: number): NextAttempt;
  attemptFailed(index: number): NextAttempt;
}

export declare function createRotation(count: number, backoff?: BackoffOptions, random?: () => number): Rotation;

export interface FailoverStatus {
  phase: 'stopped' | 'connecting' | 'connected' | 'waiting';
  url: string | undefined;
  role: 'primary' | 'standby' | undefined;
  index: number | undefined;
  failovers: number;
  failbacks: number;
  lastFailover: { from: string | undefined; to: string; reason: string | undefined; at: number; ms?: number } | undefined;
}

/** The part of an MQTT.js client the failover client uses. */
export interface MinimalMqttClient {
  on(event: any, listener: (...args: any[]) => void): unknown;
  removeAllListeners(event: any): unknown;
  subscribe(filters: Record<string, { qos: 0 | 1 | 2 }>, callback?: (error: Error | null | undefined, granted?: Array<{ topic: string; qos: number }>) => void): unknown;
  end(force?: boolean): unknown;
}

export interface FailoverClientOptions {
  /** Broker WebSocket URLs, primary first. */
  urls: readonly string[];
  connect: (url: string, options: Record<string, unknown>) => MinimalMqttClient;
  subscriptions?: readonly string[];
  onMessage?: (topic: string, payload: string, meta: { retained: boolean; url: string }) => void;
  onStatus?: (status: FailoverStatus) => void;
  /** Silence after which a connection is dead (default 300). */
  failoverMs?: number;
  /** While on a standby, how often the primary is probed (default 1000; 0 = never). */
  probeIntervalMs?: number;
  /** Healthy probes in a row before moving back (default 2). */
  probeHealthy?: number;
  probeTimeoutMs?: number;
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  heartbeatFilter?: string;
  clientIdPrefix?: string;
  /** Extra MQTT.js options (credentials, protocol version). */
  mqttOptions?: Record<string, unknown>;
  random?: () => number;
  now?: () => number;
}

export interface FailoverClient {
  start(): void;
  stop(): void;
  status(): FailoverStatus;
}

export declare function createFailoverClient(options: FailoverClientOptions): FailoverClient;
