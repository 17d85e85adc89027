// A real Redis server on a free port, no persistence, in a temporary directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveBinary } from './binary.ts';
import type { ServiceLogger } from './logger.ts';
import { launchService, trackTempDir, type ServiceHandle } from './process.ts';
import { probeRedis } from './probe.ts';

export interface RedisOptions {
  /** Port; a free one when omitted. */
  port?: number;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '64mb']. */
  args?: readonly string[];
  logger?: ServiceLogger;
  /** Program name or path (default: env PARKING_REDIS_SERVER_BIN, then `redis-server`). */
  binary?: string;
  /** How long to wait for `+PONG` (default 10 s). */
  readyTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 5 s). */
  stopTimeoutMs?: number;
}

/** Start redis-server; resolves once `PING` answers `+PONG`. */
export async function startRedis(opts: RedisOptions = {}): Promise<ServiceHandle> {
  const binary = resolveBinary('redis-server', 'redis-server', opts.binary);
  const host = opts.host ?? '127.0.0.1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parking-redis-'));
  trackTempDir(dir);
  return launchService(
    {
      name: 'redis',
      pkg: 'redis-server',
      binary,
      scheme: 'redis',
      host,
      dir,
      argsFor: (port) => [
        '--port', String(port),
        '--bind', host,
        '--save', '',
        '--appendonly', 'no',
        '--dir', dir,
        '--daemonize', 'no',
        ...(opts.args ?? []),
      ],
      probe: probeRedis,
      readyTimeoutMs: opts.readyTimeoutMs ?? 10_000,
      stopTimeoutMs: opts.stopTimeoutMs ?? 5_000,
      logger: opts.logger,
    },
    opts.port,
  );
}
