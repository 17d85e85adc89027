// Prints what the lean device build costs (docs/devices.md, "Running on a Pi"): its size,
// the time to start, and the memory of a device publishing a simulated sensor to a broker.
// `npx tsx devices/lean/measure.ts` (it builds first).
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { startBroker } from '../../broker/index.ts';
import { buildDevice } from './build.ts';
import { NODE_FLAGS } from './flags.ts';
import { parseRss } from '../../bench/procstat.ts';


/** The RSS of node with the same flags running nothing: the floor under any build. */
function idleNodeRssKb(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, '-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    child.on('error', reject);
    setTimeout(() => {
      resolve(parseRss(readFileSync(`/proc/${child.pid}/status`, 'utf8')) / 1024);
      child.kill();
    }, 2000);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeToExit(file: string, args: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, file, ...args], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
  });
}

const { file, bytes } = await buildDevice();
const idle = await idleNodeRssKb();
const versions: number[] = [];
const bare: number[] = [];
for (let i = 0; i < 5; i += 1) {
  versions.push(await timeToExit(file, ['--version']));
  bare.push(await timeToExit('-e', ['0']));
}
const broker = await startBroker({ role: 'primary', allowAnonymous: true, wsPort: false });
try {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...NODE_FLAGS, file, 'device', '--lot', 'lean', '--level', 'B1', '--slot', '1', '--sensor', 'sim', '--sim-interval', '500', '--servers', broker.url], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, PARKING_LOG_LEVEL: 'warn' } });
  const firstPublishMs = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no publish within 20 s')), 20_000);
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
  const rssAt = async (ms: number) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return { rssKb: parseRss(status) / 1024, hwmKb: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) };
  };
  const { rssKb } = await rssAt(5000);
  const later = await rssAt(55_000);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.on('exit', resolve));
  process.stdout.write(
    [
      `lean device build: ${file}`,
      `  size                 ${Math.round(bytes / 1024)} KiB, the entry ${Math.round(statSync(file).size / 1024)} KiB (with package.json and the unit: ${Math.round((bytes + statSync(file.replace('parking-device.mjs', 'package.json')).size + statSync(file.replace('parking-device.mjs', 'parking-device.service')).size) / 1024)} KiB)`,
      `  --version            median ${median(versions).toFixed(0)} ms of 5 (${versions.map((v) => v.toFixed(0)).join(', ')}); node -e 0, spawned the same way: ${median(bare).toFixed(0)} ms`,
      `  device, first publish ${firstPublishMs.toFixed(0)} ms after spawn`,
      `  device RSS after 5 s ${(rssKb / 1024).toFixed(1)} MiB, after 60 s ${(later.rssKb / 1024).toFixed(1)} MiB (peak ${(later.hwmKb / 1024).toFixed(1)} MiB)`,
      `  node itself         ${(idle / 1024).toFixed(1)} MiB (node ${NODE_FLAGS.join(' ')} -e, idle)`,
      '',
    ].join('\n'),
  );
} finally {
  await broker.close();
}
