// A short, separate connection that checks a broker is healthy: it must
// accept the connection and send a heartbeat on `$SYS/+/heartbeat` in time.
import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions } from 'mqtt';

export interface ProbeOptions {
  /** Whole probe budget: connect, subscribe and first heartbeat (ms). */
  timeoutMs: number;
  heartbeatFilter?: string;
  /** Extra MQTT.js options (credentials, TLS). */
  mqtt?: IClientOptions;
}

export interface ProbeResult {
  healthy: boolean;
  /** Time to the first heartbeat, or to the failure. */
  ms: number;
  reason?: string;
}

export const HEARTBEAT_FILTER = '$SYS/+/heartbeat';

export function probeBroker(url: string, options: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const filter = options.heartbeatFilter ?? HEARTBEAT_FILTER;
  return new Promise((resolve) => {
    const client = connect(url, {
      writeCache: false, // as the link's connections (connection.ts)
      ...options.mqtt,
      clientId: `probe-${randomBytes(6).toString('hex')}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: options.timeoutMs,
      keepalive: 0,
      will: undefined,
      protocolVersion: options.mqtt?.protocolVersion ?? 4,
    });
    let done = false;
    const finish = (healthy: boolean, reason?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.removeAllListeners('message');
      // A healthy broker gets a clean DISCONNECT; a silent one is just dropped.
      client.end(!healthy);
      client.on('error', () => {});
      resolve({ healthy, ms: Date.now() - started, ...(reason ? { reason } : {}) });
    };
    const timer = setTimeout(() => finish(false, `no heartbeat within ${options.timeoutMs} ms`), options.timeoutMs);
    client.on('error', (error) => finish(false, error.message));
    client.on('close', () => finish(false, 'connection closed'));
    client.on('message', (topic) => {
      if (topic.startsWith('$SYS/')) finish(true);
    });
    client.on('connect', () => {
      client.subscribe({ [filter]: { qos: 0 } }, (error) => {
        if (error) finish(false, `subscribe failed: ${error.message}`);
      });
    });
  });
}
