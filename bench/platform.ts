// Starts the measured systems as separate processes on loopback: the
// platform's pipeline (MongoDB stand-in or MONGODB_URI, primary broker, the
// bridged standby, ingest), a lone platform broker, a plain Aedes broker and
// Mosquitto.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { bounded, closeMongo } from '../mongo/index.ts';
import { startPart, type Part, type PartOptions } from '../proc/index.ts';
import { freePort, startMosquitto } from '../testbed/services/index.ts';

export interface Endpoint {
  host: string;
  port: number;
  url: string;
}

export interface RunningSystem {
  /** name -> pid of every process to meter. */
  processes: Record<string, number>;
  stop(): Promise<void>;
}

export interface Pipeline extends RunningSystem {
  primary: Endpoint;
  standby?: Endpoint;
  mongoUri: string;
  db: string;
  mongoKind: 'stand-in' | 'uri' | 'sink';
  ingest: Part;
  /** Times the ingest's MQTT link was lost (it then fails over). */
  linkLosses(): number;
}

export interface PipelineOptions {
  /** A real MongoDB (replica set) instead of the stand-in. */
  mongodbUri?: string;
  /** The acknowledge-only sink instead of any MongoDB (brokers and ingest alone). */
  sink?: boolean;
  db: string;
  /** Run the bridged standby as `parking start` does (default true). */
  standby?: boolean;
}

const BROKER_READY = /broker (?:primary|standby) listening (mqtt:\/\/\S+)/;
const LINK_LOST = /"link lost"/;

const endpoint = (url: string): Endpoint => {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port), url };
};

async function stopAll(services: Part[]): Promise<void> {
  await Promise.all(services.map((s) => s.stop(5000)));
}

/**
 * Node flags for a child: with PARKING_BENCH_CPU_PROF=DIR set, each child
 * writes a CPU profile to DIR/{name}/ when it exits (a normal stop does exit).
 */
export function profileFlags(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = env.PARKING_BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir, name)}`] : [];
}

/** The path of a script of bench/, for `script`. */
export const benchScript = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

/** A measured child (`parking ARGS`, or a bench script): logs as JSON at warn, CPU-profiled when asked. */
export function startChild(options: PartOptions): Promise<Part> {
  return startPart({ ...options, env: { PARKING_LOG_LEVEL: 'warn', ...options.env }, nodeFlags: [...profileFlags(options.name), ...(options.nodeFlags ?? [])] });
}

/** One `parking broker` process (anonymous clients allowed). */
export async function startBrokerProcess(role: 'primary' | 'standby', options: { primaryUrl?: string; openFiles?: number; name?: string } = {}): Promise<{ service: Part; endpoint: Endpoint }> {
  const [port, wsPort] = [await freePort(), await freePort()];
  const args = ['broker', '--role', role, '--port', String(port), '--ws-port', String(wsPort), '--bind', '127.0.0.1', '--allow-anonymous'];
  if (options.primaryUrl) args.push('--primary', options.primaryUrl);
  const service = await startChild({ name: options.name ?? role, args, ready: BROKER_READY, openFiles: options.openFiles });
  return { service, endpoint: endpoint(service.ready[1]) };
}

async function startStandIn(sink = false): Promise<{ service: Part; uri: string }> {
  const ready = /(mongodb:\/\/\S+)/;
  const service = sink
    ? await startChild({ name: 'mongo', script: benchScript('./mongo-sink.ts'), args: [String(await freePort())], ready })
    : await startChild({ name: 'mongo', args: ['testbed', 'mongo', '--port', '0'], ready });
  return { service, uri: service.ready[1] };
}

/** Drops the benchmark's database on a real server so every run starts empty. */
export async function dropDatabase(uri: string, db: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    await client.connect();
    await bounded('drop of the benchmark database', 30_000, (signal) => client.db(db).dropDatabase({ signal } as never));
  } finally {
    await closeMongo(client);
  }
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const services: Part[] = [];
  try {
    const mongoStart = options.mongodbUri && !options.sink ? Promise.resolve(undefined) : startStandIn(options.sink);
    const [mongo, primary] = await Promise.all([mongoStart, startBrokerProcess('primary')]);
    if (mongo) services.push(mongo.service);
    services.push(primary.service);
    const mongoUri = mongo?.uri ?? options.mongodbUri!;
    if (options.mongodbUri && !options.sink) await dropDatabase(mongoUri, options.db);
    let standby: Awaited<ReturnType<typeof startBrokerProcess>> | undefined;
    if (options.standby ?? true) {
      standby = await startBrokerProcess('standby', { primaryUrl: primary.endpoint.url });
      services.push(standby.service);
    }
    const servers = [primary.endpoint.url, ...(standby ? [standby.endpoint.url] : [])].join(',');
    let linkLosses = 0;
    const countLinkLosses = (line: string) => {
      if (LINK_LOST.test(line)) linkLosses += 1;
    };
    const ingest = await startChild({ name: 'ingest', args: ['ingest', '--servers', servers, '--mongodb-uri', mongoUri, '--mongodb-db', options.db], ready: /^ingest running/m, onLine: countLinkLosses });
    services.push(ingest);
    const processes: Record<string, number> = { primary: primary.service.pid };
    if (standby) processes.standby = standby.service.pid;
    processes.ingest = ingest.pid;
    if (mongo) processes.mongo = mongo.service.pid;
    return {
      primary: primary.endpoint,
      standby: standby?.endpoint,
      mongoUri,
      db: options.db,
      mongoKind: options.sink ? 'sink' : mongo ? 'stand-in' : 'uri',
      ingest,
      processes,
      linkLosses: () => linkLosses,
      stop: () => stopAll(services),
    };
  } catch (error) {
    await stopAll(services);
    throw error;
  }
}

export interface LoneBroker extends RunningSystem {
  endpoint: Endpoint;
  pid: number;
}

/** A platform broker alone (no standby, no ingest). */
export async function startLonePlatformBroker(openFiles?: number): Promise<LoneBroker> {
  const { service, endpoint } = await startBrokerProcess('primary', { openFiles });
  return { endpoint, pid: service.pid, processes: { broker: service.pid }, stop: () => service.stop(5000) };
}

/** Plain Aedes with no platform hooks. */
export async function startPlainAedes(): Promise<LoneBroker> {
  const service = await startChild({ name: 'aedes', script: benchScript('./peer-aedes.ts'), args: [String(await freePort())], ready: /aedes listening (mqtt:\/\/\S+)/ });
  return { endpoint: endpoint(service.ready[1]), pid: service.pid, processes: { broker: service.pid }, stop: () => service.stop(5000) };
}

/** Mosquitto with the project's base configuration (testbed/services). */
export async function startMosquittoPeer(): Promise<LoneBroker> {
  const handle = await startMosquitto();
  return {
    endpoint: { host: handle.host, port: handle.port, url: handle.url },
    pid: handle.pid,
    processes: { broker: handle.pid },
    stop: async () => {
      await handle.stop();
    },
  };
}

/** A platform primary with a bridged standby (no ingest). */
export async function startBridgedPair(): Promise<RunningSystem & { primary: Endpoint; standby: Endpoint }> {
  const primary = await startBrokerProcess('primary');
  try {
    const standby = await startBrokerProcess('standby', { primaryUrl: primary.endpoint.url });
    return {
      primary: primary.endpoint,
      standby: standby.endpoint,
      processes: { primary: primary.service.pid, standby: standby.service.pid },
      stop: () => stopAll([standby.service, primary.service]),
    };
  } catch (error) {
    await primary.service.stop(5000);
    throw error;
  }
}
