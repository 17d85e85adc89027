// Measures what authentication costs a broker (not a test; run by hand):
//
//   npx tsx test/broker/measure-auth.ts cost                 CPU per check: device token (HMAC-SHA256) and scrypt
//   npx tsx test/broker/measure-auth.ts storm 2000 token     N device accounts connecting at once to an in-process broker
//   npx tsx test/broker/measure-auth.ts storm 2000 token process   ... to a `parking broker` process (as a standby meets the fleet)
//
// storm modes: token (device tokens), scrypt (scrypt hashes, the default cost), anon (no accounts: the floor).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { hashDeviceToken, hashPassword, newDeviceToken, parseAccounts, parseHash, parseTokenHash, startBroker, verifyDeviceToken, verifyPassword } from '../../broker/index.ts';
import { startBrokerProcess } from '../helpers/brokers.ts';

/** CPU time (user + system, ms) of another process so far, from /proc (Linux); undefined elsewhere. */
function processCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function cost(): Promise<void> {
  const token = newDeviceToken();
  const fast = parseTokenHash(hashDeviceToken(token));
  const slow = parseHash(await hashPassword(token));
  if (typeof fast === 'string' || typeof slow === 'string') throw new Error('bad hash');
  for (let i = 0; i < 1000; i += 1) verifyDeviceToken(token, fast);
  const fastRuns = 100_000;
  let cpu = process.cpuUsage();
  for (let i = 0; i < fastRuns; i += 1) verifyDeviceToken(token, fast);
  const fastUs = (cpuMs(cpu) * 1000) / fastRuns;
  const slowRuns = 30;
  await verifyPassword(token, slow);
  cpu = process.cpuUsage();
  // scrypt runs on libuv's pool: CPU of the process covers those threads.
  for (let i = 0; i < slowRuns; i += 1) await verifyPassword(token, slow);
  const slowUs = (cpuMs(cpu) * 1000) / slowRuns;
  console.log(`CPU per check: device token (hmac-sha256) ${fastUs.toFixed(2)} µs; scrypt N=16384 r=8 p=1 ${(slowUs / 1000).toFixed(1)} ms (${Math.round(slowUs / fastUs)}x)`);
}

async function storm(n: number, mode: string, where: string): Promise<void> {
  const accounts: Record<string, unknown> = {};
  const secrets = new Map<string, string>();
  for (let i = 0; i < n; i += 1) {
    const username = `pi-${i}`;
    const token = newDeviceToken();
    secrets.set(username, token);
    if (mode !== 'anon') accounts[username] = { password: mode === 'scrypt' ? await hashPassword(token) : hashDeviceToken(token), role: 'device', lot: 'L1', slots: ['B1/01'] };
  }
  let url: string;
  let stop: () => Promise<void>;
  let brokerCpu: () => number | undefined = () => undefined;
  if (where === 'process') {
    const dir = mkdtempSync(join(tmpdir(), 'parking-measure-'));
    writeFileSync(join(dir, 'accounts.json'), JSON.stringify({ accounts }));
    const broker = await startBrokerProcess({ role: 'primary', allowAnonymous: mode === 'anon', env: { PARKING_MQTT_AUTH_FILE: join(dir, 'accounts.json'), PARKING_LOG_LEVEL: 'warn' } });
    url = broker.url;
    brokerCpu = () => processCpuMs(broker.pid);
    stop = async () => {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  } else {
    const broker = await startBroker({ role: 'primary', accounts: parseAccounts(JSON.stringify({ accounts })), allowAnonymous: mode === 'anon', wsPort: false });
    url = broker.url;
    stop = () => broker.close();
  }
  const cpuBefore = brokerCpu();
  const start = performance.now();
  const done: number[] = [];
  const clients: mqtt.MqttClient[] = [];
  const outcomes = await Promise.all(
    [...secrets].map(
      ([username, token]) =>
        new Promise<boolean>((resolve) => {
          const credentials = mode === 'anon' ? {} : { username, password: token };
          const client = mqtt.connect(url, { ...credentials, clientId: username, reconnectPeriod: 0, connectTimeout: 300_000 });
          clients.push(client);
          client.once('connect', () => (done.push(performance.now() - start), resolve(true)));
          client.once('error', () => resolve(false));
          client.once('close', () => resolve(false));
        }),
    ),
  );
  const cpuAfter = brokerCpu();
  done.sort((a, b) => a - b);
  const at = (q: number) => (done.length ? done[Math.min(done.length - 1, Math.floor(q * done.length))].toFixed(0) : '-');
  console.log(`${n} ${mode} (${where} broker): ${outcomes.filter(Boolean).length} accepted; all in ${(performance.now() - start).toFixed(0)} ms (p50 ${at(0.5)} ms, p99 ${at(0.99)} ms)${cpuBefore === undefined || cpuAfter === undefined ? '' : `; broker CPU ${(cpuAfter - cpuBefore).toFixed(0)} ms`}`);
  await Promise.all(clients.map((client) => client.endAsync(true).catch(() => {})));
  await stop();
}

// Only when run as a script (mocha given the folder loads this file too).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [what = 'cost', n = '2000', mode = 'token', where = 'in-process'] = process.argv.slice(2);
  await (what === 'cost' ? cost() : storm(Number(n), mode, where));
  process.exit(0);
}
