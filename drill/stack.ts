// The platform under drill, each part its own process: the MongoDB stand-in
// (or MONGODB_URI), optionally a Redis per broker, the primary and the
// standby broker with its bridge, a link proxy per broker for the field side,
// ingest, and a simulated fleet. Field clients (fleet, ingest, the drill's
// devices) reach the brokers through the proxies; the bridge and the drill's
// observers connect to the brokers directly.
import { join } from 'node:path';
import { freePort, startRedis, type ServiceHandle } from '../testbed/services/index.ts';
import { startLinkProxy, type LinkProxy } from '../testbed/linkproxy/index.ts';
import { startPart, type Part, type UnexpectedExit } from '../proc/index.ts';
import type { LinkName } from './scenarios.ts';
import { DRILL_FAILBACK_WINDOW_MS } from './traffic.ts';

export interface StackOptions {
  /** A real replica set; without it the stand-in runs. */
  mongodbUri?: string;
  electionDelayMs: readonly [number, number];
  dbName: string;
  redis: boolean;
  failoverMs: number;
  primaryProbeMs: number;
  fleet: { slots: number; arrivalsPerMinute: number };
  logDir: string;
  /** The parts' data directory (ingest's spill files, Node-RED's user directory and the charging journal). */
  dataDir: string;
  /** Log level of the parts (their logs go to `logDir`); default info. */
  partsLogLevel?: string;
  /** Reports each part as it comes up. */
  onStatus?: (text: string) => void;
}

export interface Stack {
  mongodbUri: string;
  mongoKind: 'stand-in' | 'uri';
  primary: Part;
  standby: Part;
  /** The brokers themselves (observers, the bridge). */
  brokerUrls: readonly [string, string];
  proxies: { primary: LinkProxy; standby: LinkProxy };
  /** The field side: the proxies, primary first. */
  fieldUrls: readonly [string, string];
  ingest: Part;
  /** Node-RED with the charging flow (`parking flows`), on the brokers directly. */
  flows: Part;
  fleet: Part;
  redis?: { primary: ServiceHandle; standby: ServiceHandle };
  /** Parts that exited without being told to, in order. */
  incidents: Incident[];
  /** Restarts the parts that crashed; resolves with their names. A crashed MongoDB stand-in cannot be revived (its ports would change). */
  revive(): Promise<string[]>;
  setProfile(link: LinkName): void;
  close(): Promise<void>;
}

export interface Incident extends UnexpectedExit {
  /** Wall-clock time of the exit. */
  at: string;
}

const MONGO_READY = /(mongodb:\/\/\S+)/;
const BROKER_READY = /^broker (primary|standby) listening /m;
export const RESYNCED = /bridge: resynchronised with the primary/;

export async function startStack(o: StackOptions): Promise<Stack> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    closers.length = 0;
  };
  const log = (name: string) => join(o.logDir, `${name}.log`);
  const level = { PARKING_LOG_LEVEL: o.partsLogLevel ?? 'info' };
  const status = o.onStatus ?? (() => undefined);
  const incidents: Incident[] = [];
  const crashed = new Set<Part>();
  const watch = (part: Part) => {
    part.onUnexpectedExit((exit) => {
      incidents.push({ ...exit, at: new Date().toISOString() });
      crashed.add(part);
    });
    return part;
  };
  try {
    let redis: Stack['redis'];
    if (o.redis) {
      status('starting Redis (one per broker)');
      const primary = await startRedis();
      closers.push(() => primary.stop());
      const standby = await startRedis();
      closers.push(() => standby.stop());
      redis = { primary, standby };
    }

    let mongodbUri = o.mongodbUri;
    let mongoKind: Stack['mongoKind'] = 'uri';
    if (!mongodbUri) {
      status('starting the MongoDB stand-in');
      const mongo = await startPart({
        name: 'mongo',
        args: ['testbed', 'mongo', '--port', '0', '--election-delay', `${o.electionDelayMs[0]}-${o.electionDelayMs[1]}`],
        env: level,
        ready: MONGO_READY,
        logFile: log('mongo'),
      });
      watch(mongo);
      closers.push(() => mongo.stop());
      mongodbUri = mongo.ready[1];
      mongoKind = 'stand-in';
    }

    status('starting the brokers');
    const [primaryPort, primaryWs, standbyPort, standbyWs] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const brokerArgs = (role: string, port: number, ws: number) => ['broker', '--role', role, '--port', String(port), '--ws-port', String(ws), '--bind', '127.0.0.1', '--allow-anonymous'];
    const primaryUrl = `mqtt://127.0.0.1:${primaryPort}`;
    const standbyUrl = `mqtt://127.0.0.1:${standbyPort}`;
    const primary = await startPart({
      name: 'broker-primary',
      args: brokerArgs('primary', primaryPort, primaryWs),
      env: { ...level, PARKING_BROKER_ID: 'drill-primary', ...(redis ? { REDIS_URL: redis.primary.url } : {}) },
      ready: BROKER_READY,
      logFile: log('broker-primary'),
    });
    watch(primary);
    closers.push(() => primary.stop());
    const standby = await startPart({
      name: 'broker-standby',
      args: [...brokerArgs('standby', standbyPort, standbyWs), '--primary', primaryUrl],
      env: { ...level, PARKING_BROKER_ID: 'drill-standby', ...(redis ? { REDIS_URL: redis.standby.url } : {}) },
      ready: BROKER_READY,
      logFile: log('broker-standby'),
    });
    watch(standby);
    closers.push(() => standby.stop());
    await standby.waitForOutput(RESYNCED, { timeoutMs: 20_000 });

    const proxyPrimary = await startLinkProxy({ target: { host: '127.0.0.1', port: primaryPort }, profile: 'wired' });
    closers.push(() => proxyPrimary.close());
    const proxyStandby = await startLinkProxy({ target: { host: '127.0.0.1', port: standbyPort }, profile: 'wired' });
    closers.push(() => proxyStandby.close());
    const fieldUrls = [proxyPrimary.url('mqtt'), proxyStandby.url('mqtt')] as const;
    const linkArgs = ['--servers', fieldUrls.join(','), '--failover-ms', String(o.failoverMs), '--primary-probe-ms', String(o.primaryProbeMs)];

    status('starting ingest');
    const ingest = await startPart({
      name: 'ingest',
      args: ['ingest', ...linkArgs, '--mongodb-uri', mongodbUri, '--mongodb-db', o.dbName, '--data-dir', o.dataDir],
      env: level,
      ready: /^ingest running/m,
      logFile: log('ingest'),
    });
    watch(ingest);
    closers.push(() => ingest.stop());

    status('starting Node-RED (the charging flow)');
    const flows = await startPart({
      name: 'flows',
      args: ['flows', '--servers', `${primaryUrl},${standbyUrl}`, '--mongodb-uri', mongodbUri, '--mongodb-db', o.dbName, '--http-port', String(await freePort()), '--data-dir', o.dataDir],
      env: level,
      ready: /^Node-RED editor /m,
      logFile: log('flows'),
    });
    watch(flows);
    closers.push(() => flows.stop());

    status('starting the simulated fleet');
    const levels = 2;
    const fleet = await startPart({
      name: 'fleet',
      // Its links return within the drill devices' window (drill/traffic.ts): the runs follow each other.
      args: ['simulate', ...linkArgs, '--failback-window-ms', String(DRILL_FAILBACK_WINDOW_MS), '--lots', '1', '--levels', String(levels), '--slots', String(Math.max(1, Math.round(o.fleet.slots / levels))), '--gates', '2', '--rate', String(o.fleet.arrivalsPerMinute), '--stay', '30', '--seed', '1'],
      env: level,
      ready: /^simulating /m,
      logFile: log('fleet'),
    });
    watch(fleet);
    closers.push(() => fleet.stop());

    return {
      mongodbUri,
      mongoKind,
      primary,
      standby,
      brokerUrls: [primaryUrl, standbyUrl],
      proxies: { primary: proxyPrimary, standby: proxyStandby },
      fieldUrls,
      ingest,
      flows,
      fleet,
      redis,
      incidents,
      async revive() {
        const revived: string[] = [];
        for (const part of [...crashed]) {
          if (part.running) {
            crashed.delete(part);
            continue;
          }
          if (part.name === 'mongo') throw new Error('the MongoDB stand-in crashed; the drill cannot go on without it');
          await part.restart();
          crashed.delete(part);
          revived.push(part.name);
        }
        return revived;
      },
      setProfile(link) {
        proxyPrimary.setProfile(link);
        proxyStandby.setProfile(link);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
