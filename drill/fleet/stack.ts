// What the fleet drill runs: the primary and the standby broker (each its own
// process, with per-device accounts or anonymous), a link proxy in front of
// the primary when a partition is to be drilled, the fleet processes, and an
// observer on each broker.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashDeviceToken, hashPassword } from '../../broker/index.ts';
import { startLinkProxy, type LinkProxy } from '../../testbed/linkproxy/index.ts';
import { freePort } from '../../testbed/services/index.ts';
import { startPart, type Part } from '../../proc/index.ts';
import { FLEET_SECRET_ENV, fleetAccounts } from './devices.ts';
import { Deliveries, observe, type Observer } from './observe.ts';
import { emptyFleetStats, type FleetReport, type FleetStats } from './worker.ts';

/**
 * How many fleet processes, how many links each: about 1,000 a process, at most 4 processes.
 * A fleet process handles its links' failovers one after another (real devices each have
 * their own CPU), so two processes for 2,000 let a second core start on them; more would
 * only take CPU from the brokers on these 2-core machines.
 */
export function fleetProcesses(devices: number): number[] {
  const count = Math.max(1, Math.min(4, Math.ceil(devices / 1000)));
  return Array.from({ length: count }, (_, w) => Math.floor((devices * (w + 1)) / count) - Math.floor((devices * w) / count));
}
const RESYNCED = /bridge: resynchronised with the primary/;

/**
 * The fleet processes' CPU priority by default. Real devices each have their own CPU and never
 * take the brokers'; here 10,000 simulated links share 2 cores with the brokers, and at equal
 * priority they took so much of them that the brokers stopped for a second at a time and the
 * fleet dropped them with nothing wrong (docs/drill.md). At nice 10 the brokers come first and
 * the fleet gets what they leave; its own delays still count in every time it measures.
 */
export const FLEET_NICE = 10;

/**
 * The node flags of a part of the drill (docs/drill.md), for probes:
 * - with FLEET_PROFILE_DIR, a CPU profile into it. FLEET_PROFILE_PARTS (`brokers`, `fleet`, or
 *   both comma-separated; both by default) narrows it: profiling the fleet processes slows them
 *   enough that 10,000 links no longer start within the deadline;
 * - then FLEET_NODE_FLAGS_BROKERS or FLEET_NODE_FLAGS_FLEET, as they are (`--trace-gc`).
 */
export function partNodeFlags(part: 'brokers' | 'fleet', env: NodeJS.ProcessEnv = process.env): { nodeFlags?: string[] } {
  const dir = env.FLEET_PROFILE_DIR;
  const parts = (env.FLEET_PROFILE_PARTS ?? 'brokers,fleet').split(',').map((p) => p.trim());
  const extra = (env[`FLEET_NODE_FLAGS_${part.toUpperCase()}`] ?? '').split(' ').filter(Boolean);
  const profile = dir && parts.includes(part) ? ['--cpu-prof', `--cpu-prof-dir=${part === 'fleet' ? join(dir, 'fleet') : dir}`] : [];
  return profile.length + extra.length ? { nodeFlags: [...profile, ...extra] } : {};
}

export interface FleetStackOptions {
  devices: number;
  auth: boolean;
  /** A link proxy in front of the primary (for partitions). */
  proxy: boolean;
  periodMs: number;
  failbackWindowMs: number;
  connectRate: number;
  /** The devices keep a spare connection to the standby. */
  spare: boolean;
  /** CPU priority (nice) of the fleet processes. */
  niceness: number;
  logDir: string;
  onStatus?: (text: string) => void;
}

export interface Worker {
  part: Part;
  stats: FleetStats | undefined;
  /** Its latest count of the links not on the primary by why their last return failed (FleetWorker.notBack). */
  notBack?: Record<string, number>;
  /** The next report line's resolver. */
  nextReport?: (report: FleetReport) => void;
}

export interface FleetStack {
  primary: Part;
  standby: Part;
  brokerUrls: readonly [string, string];
  proxy: LinkProxy | undefined;
  workers: Worker[];
  deliveries: Deliveries;
  observers: Observer[];
  /** Told which acknowledged states no observer was delivered (a sample). */
  onLost?: (samples: string[]) => void;
  /** Sum of the workers' latest stats. */
  stats(): FleetStats;
  /** The links not on the primary, by why their last return failed (summed over the workers). */
  notBack(): Record<string, number>;
  /** Sends `cmd` to every worker. */
  tell(cmd: Record<string, unknown>): void;
  /** Every worker's report (after it flushed, at most `timeoutMs`). */
  reports(timeoutMs: number): Promise<FleetReport[]>;
  /** Restarts the primary and waits for the standby's bridge to resynchronise. */
  restartPrimary(): Promise<void>;
  close(): Promise<void>;
}

export async function startFleetStack(o: FleetStackOptions): Promise<FleetStack> {
  const status = o.onStatus ?? (() => undefined);
  const parts: Part[] = [];
  let proxy: LinkProxy | undefined;
  const observers: Observer[] = [];
  const close = async () => {
    await Promise.all(observers.map((ob) => ob.close()));
    // A profiled process writes its profile as it exits: give it the time to.
    const stopMs = process.env.FLEET_PROFILE_DIR ? 60_000 : 5000;
    await Promise.all(parts.map((p) => p.stop(stopMs).catch(() => undefined)));
    await proxy?.close();
  };
  try {
    const secret = randomBytes(32).toString('base64url');
    const observerPassword = randomBytes(18).toString('base64url');
    const bridgePassword = randomBytes(18).toString('base64url');
    let authArgs = ['--allow-anonymous'];
    if (o.auth) {
      status(`writing ${o.devices} device accounts`);
      const accounts = {
        ...fleetAccounts(o.devices, secret, hashDeviceToken),
        'drill-observer': { password: await hashPassword(observerPassword), role: 'service' },
        'drill-bridge': { password: await hashPassword(bridgePassword), role: 'bridge' },
      };
      const file = join(o.logDir, 'fleet-accounts.json');
      writeFileSync(file, JSON.stringify({ accounts }), { mode: 0o600 });
      authArgs = ['--auth-file', file];
    }
    const [pPort, sPort, pWs, sWs] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const brokerUrls = [`mqtt://127.0.0.1:${pPort}`, `mqtt://127.0.0.1:${sPort}`] as const;
    const bridgeUrl = o.auth ? `mqtt://drill-bridge:${bridgePassword}@127.0.0.1:${pPort}` : brokerUrls[0];
    const openFiles = o.devices * 2 + 2000;
    status('starting the brokers');
    const broker = (role: string, port: number, ws: number, extra: string[]) =>
      startPart({ name: `broker-${role}`, args: ['broker', '--role', role, '--port', String(port), '--ws-port', String(ws), '--bind', '127.0.0.1', ...authArgs, ...extra], ready: /^broker \w+ listening /m, logFile: join(o.logDir, `broker-${role}.log`), openFiles, ...partNodeFlags('brokers') });
    const primary = await broker('primary', pPort, pWs, []);
    parts.push(primary);
    const standby = await broker('standby', sPort, sWs, ['--primary', bridgeUrl]);
    parts.push(standby);
    await standby.waitForOutput(RESYNCED, { timeoutMs: 20_000 });
    if (o.proxy) proxy = await startLinkProxy({ target: { host: '127.0.0.1', port: pPort } });
    const fieldUrls = [proxy ? proxy.url('mqtt') : brokerUrls[0], brokerUrls[1]];

    const deliveries = new Deliveries();
    const creds = o.auth ? { username: 'drill-observer', password: observerPassword } : {};
    observers.push(observe('primary', brokerUrls[0], deliveries, creds), observe('standby', brokerUrls[1], deliveries, creds));

    const workers: Worker[] = [];
    const sizes = fleetProcesses(o.devices);
    const count = sizes.length;
    status(`starting ${o.devices} device links in ${count} process${count > 1 ? 'es' : ''}`);
    const starting: Array<Promise<unknown>> = [];
    for (let w = 0; w < count; w += 1) {
      const first = sizes.slice(0, w).reduce((a, b) => a + b, 0);
      const n = sizes[w];
      const worker: Worker = { part: undefined as unknown as Part, stats: undefined };
      workers.push(worker);
      starting.push(
        startPart({
          name: `fleet-${w + 1}`,
          args: ['fleet', '--devices', String(n), '--first', String(first), '--servers', fieldUrls.join(','), '--period-ms', String(o.periodMs), '--connect-rate', String(Math.ceil(o.connectRate / count)), '--failback-window-ms', String(o.failbackWindowMs), ...(o.spare ? [] : ['--no-spare'])],
          env: { ...(o.auth ? { [FLEET_SECRET_ENV]: secret } : {}), PARKING_LOG_LEVEL: process.env.FLEET_LOG_LEVEL ?? 'error' },
          stdin: true,
          ready: /^\{"ready":\d+\}$/m,
          // The ramp, then 10 ms a device: on 2 cores shared with the brokers, 10,000 devices and their
          // spares asking at once wait out busy brokers' backoffs (link/policy.ts) before all are in.
          readyTimeoutMs: 60_000 + (1000 * o.devices) / o.connectRate + 10 * o.devices,
          logFile: join(o.logDir, `fleet-${w + 1}.log`),
          tailChars: 200_000,
          ...partNodeFlags('fleet'),
          niceness: o.niceness,
          // Two sockets a device with spares, and the failback connections besides.
          openFiles: 3 * n + 1000,
          onLine: (line) => {
            if (!line.startsWith('{')) return;
            const msg = JSON.parse(line) as { stats?: FleetStats; notBack?: Record<string, number>; report?: FleetReport };
            if (msg.stats) worker.stats = msg.stats;
            if (msg.notBack) worker.notBack = msg.notBack;
            if (msg.report) worker.nextReport?.(msg.report);
          },
        }).then((part) => {
          worker.part = part;
          parts.push(part);
        }),
      );
    }
    await Promise.all(starting);
    const sum = (): FleetStats => {
      const out = emptyFleetStats();
      for (const w of workers) for (const key of Object.keys(out) as Array<keyof FleetStats>) out[key] += w.stats?.[key] ?? 0;
      return out;
    };
    return {
      primary,
      standby,
      brokerUrls,
      proxy,
      workers,
      deliveries,
      observers,
      onLost: (samples) => status(`lost: ${samples.join('; ')}`),
      stats: sum,
      notBack: () => {
        const out: Record<string, number> = {};
        for (const w of workers) for (const [reason, n] of Object.entries(w.notBack ?? {})) out[reason] = (out[reason] ?? 0) + n;
        return out;
      },
      tell: (cmd) => workers.forEach((w) => w.part.writeLine(JSON.stringify(cmd))),
      reports: (timeoutMs) =>
        Promise.all(
          workers.map(
            (w) =>
              new Promise<FleetReport>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`${w.part.name} sent no report within ${timeoutMs + 10_000} ms`)), timeoutMs + 10_000);
                w.nextReport = (report) => {
                  clearTimeout(timer);
                  w.nextReport = undefined;
                  resolve(report);
                };
                w.part.writeLine(JSON.stringify({ cmd: 'report', timeoutMs }));
              }),
          ),
        ),
      async restartPrimary() {
        const mark = standby.mark();
        await primary.restart();
        await standby.waitForOutput(RESYNCED, { from: mark, timeoutMs: 30_000 });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
