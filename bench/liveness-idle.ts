// What liveness costs a broker with N idle device links: a broker process and
// a `parking fleet` process of N links that publish nothing, once with
// liveness by acknowledgement (what devices use) and once with heartbeats
// (what services use). An idle link sends its first PINGREQ one keep-alive
// after its last packet, so the window opens a keep-alive after the pause and
// lasts two: it holds every link's pings. Prints the broker's and the fleet's
// CPU over it and the broker's RSS.
//
//   node --import tsx bench/liveness-idle.ts [N=2000] [ack,heartbeat] [keepalive s, default the link's]
import { idleWarmupMs } from '../drill/fleet/index.ts';
import { cpuSeconds, rssMiB } from '../drill/fleet/usage.ts';
import { DEVICE_KEEPALIVE_SEC, SERVICE_KEEPALIVE_SEC } from '../link/index.ts';
import { startPart } from '../proc/index.ts';
import { freePort } from '../testbed/services/index.ts';

const n = Number(process.argv[2] ?? 2000);
const kinds = (process.argv[3] ?? 'ack,heartbeat').split(',') as Array<'ack' | 'heartbeat'>;
const keepaliveArg = process.argv[4] ? Number(process.argv[4]) : undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const liveness of kinds) {
  const keepaliveSec = keepaliveArg ?? (liveness === 'ack' ? DEVICE_KEEPALIVE_SEC : SERVICE_KEEPALIVE_SEC);
  const [port, ws] = [await freePort(), await freePort()];
  const broker = await startPart({ name: 'broker', args: ['broker', '--role', 'primary', '--port', String(port), '--ws-port', String(ws), '--allow-anonymous'], ready: /listening/, openFiles: n + 1000 });
  const fleet = await startPart({
    name: 'fleet',
    args: ['fleet', '--devices', String(n), '--servers', `mqtt://127.0.0.1:${port}`, '--liveness', liveness, '--period-ms', '3600000', '--keepalive', String(keepaliveSec)],
    stdin: true,
    ready: /^\{"ready"/m,
    readyTimeoutMs: 120_000,
    openFiles: n + 1000,
    env: { PARKING_LOG_LEVEL: 'error' },
  });
  fleet.writeLine('{"cmd":"pause"}');
  await sleep(idleWarmupMs(keepaliveSec));
  const [b0, f0, t0] = [cpuSeconds(broker.pid) ?? 0, cpuSeconds(fleet.pid) ?? 0, Date.now()];
  await sleep(2 * keepaliveSec * 1000);
  const seconds = (Date.now() - t0) / 1000;
  const share = (pid: number, from: number) => ((100 * ((cpuSeconds(pid) ?? from) - from)) / seconds).toFixed(1);
  console.log(`${n} idle links, liveness ${liveness}, keep-alive ${keepaliveSec} s: broker CPU ${share(broker.pid, b0)} % of a core over ${seconds.toFixed(0)} s, RSS ${rssMiB(broker.pid)} MiB; fleet CPU ${share(fleet.pid, f0)} %`);
  await fleet.stop();
  await broker.stop();
}
process.exit(0);
