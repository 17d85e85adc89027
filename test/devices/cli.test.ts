// The device, gate, simulate and signage commands as processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { decodeGateEvent, decodeSlotState } from '../../contract/index.ts';
import { cleanEnv } from '../cli/parking.ts';
import { startTestBroker, type TestBroker } from '../link/brokers.ts';
import { until } from '../link/wait.ts';

const BIN = fileURLToPath(new URL('../../bin/parking.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv({ PARKING_LOG_LEVEL: 'warn' }), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, done };
}

describe('devices: commands', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  const children: ChildProcess[] = [];

  beforeEach(async () => (broker = await startTestBroker()));
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await broker.close();
  });

  const on = (topic: string) => broker.accepted.filter((m) => m.topic === topic).map((m) => m.payload.toString());

  it('parking device --sensor stdin publishes each reading, says online, and offline when its input ends', async () => {
    const device = run(['device', '--lot', 'mall-1', '--level', 'B1', '--slot', '07', '--sensor', 'stdin', '--debounce-ms', '0', '--servers', broker.url]);
    children.push(device.child);
    device.child.stdin!.end('1\n0\nnonsense\ntrue\n');
    const { code } = await device.done;
    expect(code, device.stderr()).to.equal(0);
    const states = on('parking/mall-1/slot/B1/07').map((p) => decodeSlotState(p, 0));
    expect(states.map((s) => s.status)).to.deep.equal(['occupied', 'free', 'occupied']);
    expect(states.map((s) => s.seq! - states[0].seq!)).to.deep.equal([0, 1, 2]);
    expect(states.every((s) => s.device === 'mall-1-B1-07')).to.equal(true);
    expect(on('parking/mall-1/device/mall-1-B1-07/status')).to.deep.equal(['online', 'offline']);
    expect(device.stdout().trim().split('\n')).to.have.length(3);
    expect(device.stderr()).to.match(/not a reading/);
  });

  it('a device that dies leaves its Last Will: offline, retained', async () => {
    const device = run(['device', '--lot', 'mall-1', '--level', 'B1', '--slot', '08', '--sensor', 'stdin', '--debounce-ms', '0', '--servers', broker.url]);
    children.push(device.child);
    device.child.stdin!.write('1\n');
    const status = 'parking/mall-1/device/mall-1-B1-08/status';
    await until(() => on('parking/mall-1/slot/B1/08').length >= 1 && on(status).includes('online'), { timeoutMs: 15_000, what: () => device.stderr() });
    device.child.kill('SIGKILL');
    await device.done;
    await until(() => on(status).at(-1) === 'offline', { what: () => on(status).join(',') });
    expect((await broker.retained(status))?.toString()).to.equal('offline');
    expect(decodeSlotState((await broker.retained('parking/mall-1/slot/B1/08'))!, 0).status).to.equal('occupied');
  });

  it('parking device --sensor gpio:17 off a Pi fails with one clear line', async () => {
    const device = run(['device', '--lot', 'mall-1', '--level', 'B1', '--slot', '09', '--sensor', 'gpio:17', '--servers', broker.url]);
    children.push(device.child);
    const { code } = await device.done;
    expect(code).to.equal(1);
    expect(device.stderr().trim().split('\n').at(-1)).to.match(/^parking: GPIO sensors need a Raspberry Pi running Linux|^parking: .*(gpiochip0|npm install @iiot2k\/gpiox)/);
  });

  it('parking gate --stdin publishes entry and exit events with unique eventIds, then ends', async () => {
    const gate = run(['gate', '--lot', 'mall-1', '--gate', 'north', '--stdin', '--servers', broker.url]);
    children.push(gate.child);
    gate.child.stdin!.end('entry b 1234 xyz\nexit B1234XYZ\nwave hello\n');
    const { code } = await gate.done;
    expect(code, gate.stderr()).to.equal(0);
    const events = on('parking/mall-1/gate/north/event').map((p) => decodeGateEvent(p, 0));
    expect(events.map((e) => [e.direction, e.carId])).to.deep.equal([
      ['entry', 'B1234XYZ'],
      ['exit', 'B1234XYZ'],
    ]);
    expect(new Set(events.map((e) => e.eventId)).size).to.equal(2);
    expect(broker.accepted.find((m) => m.topic === 'parking/mall-1/gate/north/event')?.retain).to.equal(false);
    expect(gate.stderr()).to.match(/not a gate event/);
  });

  it('parking simulate publishes until SIGTERM, then says offline and exits 0', async () => {
    const sim = run(['simulate', '--levels', '1', '--slots', '4', '--gates', '1', '--rate', '600', '--stay', '1', '--seed', '7', '--servers', broker.url]);
    children.push(sim.child);
    await until(() => on('parking/mall-1/gate/north/event').length >= 2, { timeoutMs: 15_000, what: () => sim.stderr() });
    expect(sim.stdout()).to.match(/^simulating mall-1: 1 level, 4 slots, gates north, 600 cars\/min \(seed 7\)$/m);
    sim.child.kill('SIGTERM');
    const { code } = await sim.done;
    expect(code, sim.stderr()).to.equal(0);
    expect(sim.stdout()).to.match(/^published \d+ slot states and \d+ gate events$/m);
    expect(on('parking/mall-1/device/sim/status').at(-1)).to.equal('offline');
  });

  it('parking signage prints a line per change when stdout is not a terminal', async () => {
    const signage = run(['signage', '--lot', 'mall-1', '--servers', broker.url]);
    children.push(signage.child);
    await until(() => signage.stdout().includes('waiting for availability'), { timeoutMs: 15_000, what: () => signage.stderr() });
    const publish = (topic: string, payload: string) => new Promise<void>((resolve) => broker.broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false }, () => resolve()));
    await publish('parking/mall-1/availability/B1', '5');
    await until(() => signage.stdout().includes('mall-1 free 5 | B1 5'), { what: () => signage.stdout() });
    await publish('parking/mall-1/availability/B2', '7');
    await until(() => signage.stdout().includes('mall-1 free 12 | B1 5 | B2 7'), { what: () => signage.stdout() });
    signage.child.kill('SIGTERM');
    expect((await signage.done).code).to.equal(0);
  });
});
