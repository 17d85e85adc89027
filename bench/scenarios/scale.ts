// Memory and CPU of one platform broker holding many device connections,
// each with its retained slot state, online status, Last Will and heartbeat
// subscription (the device fleet runs as its own process).
import type { BenchOptions } from '../options.ts';
import type { Part } from '../../proc/index.ts';
import { benchScript, startChild, startLonePlatformBroker } from '../platform.ts';
import { ProcessMeter, readOpenFilesLimit, readRss } from '../procstat.ts';
import type { ScaleSection, ScaleStep } from '../report.ts';
import type { Progress } from './pipeline.ts';

/** The broker's heartbeat interval (`parking broker` default). */
const HEARTBEAT_MS = 100;

/** Descriptors beyond the devices: listeners, pipes, the runtime's own. */
const FD_MARGIN = 1024;

type Reply = Record<string, unknown> & { ok: boolean; cmd?: string; error?: string };

/** The fleet's line once it takes commands. */
const FLEET_READY = /^\{"ok":true,"cmd":"ready"\}$/m;

/** Sends commands to the fleet process, one JSON line each way. */
class FleetControl {
  private readonly pending: Array<{ resolve: (r: Reply) => void; reject: (error: Error) => void }> = [];

  constructor(readonly service: Part) {
    service.onLine((line) => {
      if (!line.startsWith('{')) return;
      const reply = JSON.parse(line) as Reply;
      this.pending.shift()?.resolve(reply);
    });
    service.onUnexpectedExit(({ message }) => {
      for (const waiting of this.pending.splice(0)) waiting.reject(new Error(`fleet exited: ${message}\n${service.output().slice(-2000)}`));
    });
  }

  async send(command: Record<string, unknown>, timeoutMs = 300_000): Promise<Reply> {
    if (!this.service.running) throw new Error(`fleet exited before ${command.cmd}: ${this.service.output().slice(-2000)}`);
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fleet: no answer to ${command.cmd} within ${timeoutMs} ms`)), timeoutMs);
      this.pending.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    this.service.writeLine(JSON.stringify(command));
    const r = await reply;
    if (!r.ok) throw new Error(`fleet: ${r.error}`);
    return r;
  }
}

const limits = (l: { soft: number; hard: number } | undefined) => ({
  soft: l && Number.isFinite(l.soft) ? l.soft : null,
  hard: l && Number.isFinite(l.hard) ? l.hard : null,
});

export async function runScale(options: BenchOptions, progress: Progress): Promise<ScaleSection> {
  const most = Math.max(...options.devices);
  const openFiles = most + FD_MARGIN;
  progress(`scale: starting a broker and a device fleet (open-files limit raised to ${openFiles})`);
  const broker = await startLonePlatformBroker(openFiles);
  let fleetService: Part | undefined;
  try {
    fleetService = await startChild({ name: 'fleet', script: benchScript('./fleet.ts'), args: [], openFiles, stdin: true, ready: FLEET_READY });
    const fleet = new FleetControl(fleetService);
    const brokerFiles = readOpenFilesLimit(broker.pid);
    const fleetFiles = readOpenFilesLimit(fleetService.pid);
    const room = Math.min(brokerFiles?.soft ?? Infinity, fleetFiles?.soft ?? Infinity) - 64;
    const baselineRssBytes = readRss(broker.pid) ?? 0;
    const steps: ScaleStep[] = [];
    const hold = async () => {
      const before = await fleet.send({ cmd: 'stats' });
      const meter = new ProcessMeter({ broker: broker.pid }, 500).start();
      await new Promise<void>((resolve) => setTimeout(resolve, options.holdMs));
      const usage = meter.stop().broker;
      const after = await fleet.send({ cmd: 'stats' });
      return { usage, received: Number(after.received) - Number(before.received), lost: Number(after.lost) };
    };
    for (const devices of options.devices) {
      if (devices > room) throw new Error(`open-files limit ${Math.min(brokerFiles?.soft ?? 0, fleetFiles?.soft ?? 0)} leaves room for ${room} connections, not ${devices}: raise the hard limit (ulimit -Hn)`);
      // Devices connect without their heartbeat subscription first: with it, the fan-out to the
      // devices already connected can starve new connections (see docs/bench.md).
      progress(`scale: connecting ${devices} devices`);
      const connected = await fleet.send({ cmd: 'connect', host: broker.endpoint.host, port: broker.endpoint.port, total: devices, heartbeat: false });
      const idle = await hold();
      progress(`scale: ${devices} devices subscribing to the heartbeats`);
      const subscribing = await fleet.send({ cmd: 'heartbeats', on: true });
      const withHeartbeats = await hold();
      await fleet.send({ cmd: 'heartbeats', on: false });
      const added = Number(connected.added);
      const connectMs = Number(connected.connectMs);
      const step: ScaleStep = {
        devices,
        connectMs,
        connectPerSec: connectMs > 0 ? Math.round((added * 1000) / connectMs) : 0,
        rssBytes: idle.usage.rssBytes,
        rssPerDeviceBytes: Math.round((idle.usage.rssBytes - baselineRssBytes) / devices),
        cpuPct: idle.usage.cpuPct,
        subscribeMs: Number(subscribing.ms),
        heartbeatCpuPct: withHeartbeats.usage.cpuPct,
        heartbeatsPerSec: Math.round((withHeartbeats.received * 1000) / options.holdMs),
        heartbeatsExpectedPerSec: Math.round((devices * 1000) / HEARTBEAT_MS),
        heartbeatRssBytes: withHeartbeats.usage.rssPeakBytes,
        lost: withHeartbeats.lost,
      };
      steps.push(step);
      progress(
        `scale: ${devices} devices: RSS ${Math.round(step.rssBytes / 1024 ** 2)} MiB (${Math.round(step.rssPerDeviceBytes / 1024)} KiB each), CPU ${step.cpuPct}% holding them; with heartbeat subscriptions CPU ${step.heartbeatCpuPct}%, ${step.heartbeatsPerSec}/s delivered of ${step.heartbeatsExpectedPerSec}/s, RSS ${Math.round(step.heartbeatRssBytes / 1024 ** 2)} MiB`,
      );
    }
    await fleet.send({ cmd: 'close' }).catch(() => undefined);
    return { brokerOpenFiles: limits(brokerFiles), fleetOpenFiles: limits(fleetFiles), baselineRssBytes, holdMs: options.holdMs, steps };
  } finally {
    await fleetService?.stop(5000);
    await broker.stop();
  }
}
