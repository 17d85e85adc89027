// Which MongoDB the platform uses: MONGODB_URI when set; else a real mongod
// through mongodb-memory-server when a binary is already on this machine
// (never downloaded); else the stand-in, with one warning line.
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { STAND_IN_NOTICE, startReplicaSet, type StandInReplicaSet } from './index.ts';
import type { Delay } from './replset.ts';
import type { Logger } from './member.ts';

export type MongoKind = 'external' | 'memory-server' | 'stand-in';

export interface ProvisionedMongo {
  uri: string;
  kind: MongoKind;
  standIn?: StandInReplicaSet;
  close(): Promise<void>;
}

export interface ProvisionOptions {
  uri?: string;
  logger: Logger;
  /** Stand-in only. */
  port?: number;
  electionDelayMs?: Delay;
  /** Look for a mongod binary (default true). */
  tryMemoryServer?: boolean;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A mongod binary already on this machine: MONGOMS_SYSTEM_BINARY, PATH, or mongodb-memory-server's caches. */
export function findMongod(env = process.env): string | undefined {
  if (env.MONGOMS_SYSTEM_BINARY && executable(env.MONGOMS_SYSTEM_BINARY)) return env.MONGOMS_SYSTEM_BINARY;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, 'mongod');
    if (dir && executable(file)) return file;
  }
  const caches = [
    env.MONGOMS_DOWNLOAD_DIR,
    path.join(homedir(), '.cache', 'mongodb-binaries'),
    path.join(process.cwd(), 'node_modules', '.cache', 'mongodb-memory-server'),
  ].filter((d): d is string => !!d && existsSync(d));
  for (const dir of caches) {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (name.startsWith('mongod') && executable(file)) return file;
    }
  }
  return undefined;
}

export async function provisionMongo(options: ProvisionOptions): Promise<ProvisionedMongo> {
  const { logger } = options;
  if (options.uri) return { uri: options.uri, kind: 'external', close: async () => {} };
  const binary = options.tryMemoryServer === false ? undefined : findMongod();
  if (binary) {
    try {
      const { MongoMemoryReplSet } = await import('mongodb-memory-server-core');
      const rs = await MongoMemoryReplSet.create({ replSet: { count: 3, storageEngine: 'wiredTiger' }, binary: { systemBinary: binary } });
      logger.info({ binary }, 'mongodb: real mongod replica set through mongodb-memory-server');
      return { uri: rs.getUri(), kind: 'memory-server', close: async () => void (await rs.stop()) };
    } catch (err) {
      logger.warn({ binary, err: (err as Error).message }, 'mongodb: mongod found but could not start; using the stand-in');
    }
  }
  const standIn = await startReplicaSet({ port: options.port, electionDelayMs: options.electionDelayMs, logger });
  logger.warn({ uri: standIn.uri }, `mongodb: no MONGODB_URI and no mongod binary: using the ${STAND_IN_NOTICE}`);
  return { uri: standIn.uri, kind: 'stand-in', standIn, close: () => standIn.close() };
}
