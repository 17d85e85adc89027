// Where the broker keeps retained messages, sessions and wills, and how it
// routes messages: in memory (default), or in Redis (aedes-persistence-redis
// and mqemitter-redis) so a restarted broker keeps its retained slot states
// and several brokers can serve the same clients and topics.
import { createRequire } from 'node:module';
import { boundStack, memoryEmitter } from './emitter.ts';
import { indexedMemoryPersistence } from './retained/indexed.ts';
import { guardWillSweep } from './wills.ts';

const require = createRequire(import.meta.url);

export interface Backend {
  kind: 'memory' | 'redis';
  /** Aedes `persistence` option. */
  persistence?: unknown;
  /** Aedes `mq` option: mqemitter (in process) or mqemitter-redis, with a bounded stack (emitter.ts). */
  mq: unknown;
}

interface RedisPersistenceFactory {
  (options: Record<string, unknown>): unknown;
}
interface RedisEmitterFactory {
  (options: Record<string, unknown>): { state: NodeJS.EventEmitter };
}

/** Message routing and storage for Aedes. `concurrency` as Aedes' option. */
export function createBackend(redisUrl: string | undefined, options: { concurrency: number; onError?: (error: Error) => void }): Backend {
  if (!redisUrl) return { kind: 'memory', persistence: guardWillSweep(indexedMemoryPersistence()), mq: memoryEmitter(options.concurrency) };
  const persistenceRedis = require('aedes-persistence-redis') as RedisPersistenceFactory;
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const mqemitterRedis = require('mqemitter-redis') as RedisEmitterFactory;
  // While Redis is away, commands wait for it instead of failing: the broker
  // stalls (no acknowledgements, no heartbeat, so clients move to the other
  // broker and keep their unacknowledged publishes) rather than erroring out
  // and losing what it had acknowledged; it resumes when Redis returns.
  const connection = (): InstanceType<typeof Redis> => {
    const conn = new Redis(redisUrl, { maxRetriesPerRequest: null });
    conn.on('error', (error: Error) => options.onError?.(error));
    return conn;
  };
  const persistence = guardWillSweep(persistenceRedis({ conn: connection() }));
  // Aedes' default emitter matches `a/+` on `a/` too [MQTT-4.7.1-3]; keep that.
  const mq = boundStack(mqemitterRedis({ pubConn: connection(), subConn: connection(), concurrency: options.concurrency, matchEmptyLevels: true }));
  mq.state.on('error', (error: Error) => options.onError?.(error));
  return { kind: 'redis', persistence, mq };
}
