// A fleet of simulated devices, each its own MQTT connection behaving like
// `parking device`: a Last Will on its status topic, a retained `online`
// status and a retained slot state (QoS 1), and a QoS 0 subscription to the
// brokers' heartbeats. Run by `parking bench` as a child process (with a
// raised open-files limit):
//   node --import tsx bench/fleet.ts
// It takes one JSON command per stdin line and answers one JSON line each:
//   {"cmd":"connect","host":"127.0.0.1","port":1883,"total":10000,"heartbeat":true}
//   {"cmd":"heartbeats","on":false}   {"cmd":"stats"}   {"cmd":"close"}
import { createInterface } from 'node:readline';
import { Topics, encodeSlotState } from '../contract/index.ts';
import { WireClient } from './wire.ts';

interface Command {
  cmd: 'connect' | 'heartbeats' | 'stats' | 'close';
  host?: string;
  port?: number;
  total?: number;
  heartbeat?: boolean;
  on?: boolean;
  concurrency?: number;
}

const HEARTBEAT_FILTER = '$SYS/+/heartbeat';
const topics = new Topics();
const devices: WireClient[] = [];
let subscribed = false;
let lost = 0;
const ping = setInterval(() => {
  for (const device of devices) device.ping();
}, 30_000);

function deviceIds(i: number) {
  const lot = `scale${String(Math.floor(i / 1000)).padStart(2, '0')}`;
  const level = `L${Math.floor((i % 1000) / 100)}`;
  return { lot, level, slot: `s${String(i % 100).padStart(2, '0')}`, device: `dev${String(i).padStart(5, '0')}` };
}

function waitAcks(client: WireClient): Promise<void> {
  if (client.inflight === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    client.onAck = () => {
      if (client.inflight === 0) {
        client.onAck = undefined;
        resolve();
      }
    };
    client.onClose = () => reject(new Error('connection closed before its retained states were acknowledged'));
  });
}

async function connectDevice(host: string, port: number, i: number, heartbeat: boolean): Promise<WireClient> {
  const ids = deviceIds(i);
  const status = topics.deviceStatus(ids.lot, ids.device);
  const client = await WireClient.connect({ host, port, clientId: ids.device, keepalive: 60, timeoutMs: 60_000, will: { topic: status, payload: 'offline', qos: 1, retain: true } });
  if (heartbeat) await client.subscribe([{ topic: HEARTBEAT_FILTER, qos: 0 }]);
  client.publish(status, 'online', 1, true);
  client.publish(topics.slot(ids.lot, ids.level, ids.slot), encodeSlotState({ status: i % 3 ? 'free' : 'occupied', ts: Date.now(), seq: 1, device: ids.device }), 1, true);
  await waitAcks(client);
  client.onClose = () => void (lost += 1);
  return client;
}

async function connect(command: Command): Promise<Record<string, unknown>> {
  const total = command.total ?? 0;
  const heartbeat = command.heartbeat ?? true;
  const concurrency = command.concurrency ?? 64;
  const started = performance.now();
  const from = devices.length;
  let next = from;
  const worker = async () => {
    while (next < total) {
      const i = next;
      next += 1;
      devices[i] = await connectDevice(command.host ?? '127.0.0.1', command.port ?? 1883, i, heartbeat);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(0, total - from)) }, worker));
  subscribed = heartbeat;
  return { connected: devices.length, added: devices.length - from, connectMs: Math.round(performance.now() - started) };
}

async function heartbeats(on: boolean): Promise<Record<string, unknown>> {
  const started = performance.now();
  const batch = 256;
  for (let i = 0; i < devices.length; i += batch) {
    await Promise.all(devices.slice(i, i + batch).map((d) => (on ? d.subscribe([{ topic: HEARTBEAT_FILTER, qos: 0 }]) : d.unsubscribe([HEARTBEAT_FILTER]))));
  }
  subscribed = on;
  return { subscribed, ms: Math.round(performance.now() - started) };
}

function stats(): Record<string, unknown> {
  let received = 0;
  let bytesIn = 0;
  for (const d of devices) {
    received += d.received;
    bytesIn += d.bytesIn;
  }
  return { connected: devices.length - lost, lost, received, bytesIn, subscribed };
}

async function close(): Promise<Record<string, unknown>> {
  clearInterval(ping);
  await Promise.all(devices.map((d) => d.end()));
  return { closed: devices.length };
}

const handlers: Record<Command['cmd'], (c: Command) => Promise<Record<string, unknown>> | Record<string, unknown>> = {
  connect,
  heartbeats: (c) => heartbeats(c.on ?? true),
  stats,
  close,
};

const reply = (body: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(body)}\n`);
const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  if (!line.trim()) return;
  queue = queue.then(async () => {
    let command: Command;
    try {
      command = JSON.parse(line) as Command;
      const handler = handlers[command.cmd];
      if (!handler) throw new Error(`unknown command ${JSON.stringify(command.cmd)}`);
      reply({ ok: true, cmd: command.cmd, ...(await handler(command)) });
      if (command.cmd === 'close') process.exit(0);
    } catch (error) {
      reply({ ok: false, error: (error as Error).message });
    }
  });
});
lines.on('close', () => process.exit(0));
reply({ ok: true, cmd: 'ready' });
