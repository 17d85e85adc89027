// The device, gate, simulate and signage commands as processes.
import { expect } from 'chai';
import { decodeGateEvent, decodeSlotState } from '../../contract/index.ts';
import { runParking, startPart, type Part } from '../../proc/index.ts';
import { startTestBroker, type TestBroker } from '../link/brokers.ts';
import { until } from '../link/wait.ts';

const ENV = { PARKING_LOG_LEVEL: 'warn' };

/** `parking ARGS` to its end, `input` on its stdin. */
const run = (args: string[], input?: string) => runParking(args, { env: ENV, input, timeoutMs: 25_000 });

describe('devices: commands', function () {
  this.timeout(30_000);
  let broker: TestBroker;
  const parts: Part[] = [];

  /** `parking ARGS` running (ready once spawned, or at its `ready` line). */
  const start = async (args: string[], ready?: RegExp) => {
    const part = await startPart({ name: args[0], args, env: ENV, ready, stdin: true });
    parts.push(part);
    return part;
  };

  beforeEach(async () => (broker = await startTestBroker()));
  afterEach(async () => {
    await Promise.all(parts.splice(0).map((part) => part.kill()));
    await broker.close();
  });

  const on = (topic: string) => broker.accepted.filter((m) => m.topic === topic).map((m) => m.payload.toString());

  it('parking device --sensor stdin publishes each reading, says online, and offline when its input ends', async () => {
    const device = await run(['device', '--lot', 'mall-1', '--level', 'B1', '--slot', '07', '--sensor', 'stdin', '--debounce-ms', '0', '--servers', broker.url], '1\n0\nnonsense\ntrue\n');
    expect(device.code, device.stderr).to.equal(0);
    const states = on('parking/mall-1/slot/B1/07').map((p) => decodeSlotState(p, 0));
    expect(states.map((s) => s.status)).to.deep.equal(['occupied', 'free', 'occupied']);
    expect(states.map((s) => s.seq! - states[0].seq!)).to.deep.equal([0, 1, 2]);
    expect(states.every((s) => s.device === 'mall-1-B1-07')).to.equal(true);
    expect(on('parking/mall-1/device/mall-1-B1-07/status')).to.deep.equal(['online', 'offline']);
    expect(device.stdout.trim().split('\n')).to.have.length(3);
    expect(device.stderr).to.match(/not a reading/);
  });

  it('a device that dies leaves its Last Will: offline, retained', async () => {
    const device = await start(['device', '--lot', 'mall-1', '--level', 'B1', '--slot', '08', '--sensor', 'stdin', '--debounce-ms', '0', '--servers', broker.url]);
    device.writeLine('1');
    const status = 'parking/mall-1/device/mall-1-B1-08/status';
    await until(() => on('parking/mall-1/slot/B1/08').length >= 1 && on(status).includes('online'), { timeoutMs: 15_000, what: () => device.output() });
    await device.kill('SIGKILL');
    await until(() => on(status).at(-1) === 'offline', { what: () => on(status).join(',') });
    expect((await broker.retained(status))?.toString()).to.equal('offline');
    expect(decodeSlotState((await broker.retained('parking/mall-1/slot/B1/08'))!, 0).status).to.equal('occupied');
  });

  it('parking device --sensor gpio:17 off a Pi fails with one clear line', async () => {
    const device = await run(['device', '--lot', 'mall-1', '--level', 'B1', '--slot', '09', '--sensor', 'gpio:17', '--servers', broker.url]);
    expect(device.code).to.equal(1);
    expect(device.stderr.trim().split('\n').at(-1)).to.match(/^parking: GPIO sensors need a Raspberry Pi running Linux|^parking: .*(gpiochip0|npm install @iiot2k\/gpiox)/);
  });

  it('parking gate --stdin publishes entry and exit events with unique eventIds, then ends', async () => {
    const gate = await run(['gate', '--lot', 'mall-1', '--gate', 'north', '--stdin', '--display-wait-ms', '300', '--servers', broker.url], 'entry b 1234 xyz\nexit B1234XYZ\nwave hello\n');
    expect(gate.code, gate.stderr).to.equal(0);
    // Nothing answers here: it waits 300 ms for the displays, then says so.
    expect(gate.stderr).to.match(/some displays did not arrive/);
    const events = on('parking/mall-1/gate/north/event').map((p) => decodeGateEvent(p, 0));
    expect(events.map((e) => [e.direction, e.carId])).to.deep.equal([
      ['entry', 'B1234XYZ'],
      ['exit', 'B1234XYZ'],
    ]);
    expect(new Set(events.map((e) => e.eventId)).size).to.equal(2);
    expect(broker.accepted.find((m) => m.topic === 'parking/mall-1/gate/north/event')?.retain).to.equal(false);
    expect(gate.stderr).to.match(/not a gate event/);
  });

  it('parking gate --stdin prints each event\'s display before it ends, however late the charging flow answers', async () => {
    // A stand-in for the charging flow: each event's display, 400 ms later.
    await new Promise<void>((subscribed) =>
      broker.broker.subscribe(
        'parking/mall-1/gate/north/event',
        (packet, done) => {
          const ev = decodeGateEvent(packet.payload as Buffer, 0);
          const display = { carId: ev.carId, sessionId: ev.eventId, direction: ev.direction, text: `${ev.direction === 'entry' ? 'Welcome' : 'Bye'} ${ev.carId}` };
          setTimeout(() => broker.broker.publish({ cmd: 'publish', topic: 'parking/mall-1/gate/north/display', payload: Buffer.from(JSON.stringify(display)), qos: 1, retain: false, dup: false }, () => {}), 400);
          done();
        },
        subscribed,
      ),
    );
    const gate = await run(['gate', '--lot', 'mall-1', '--gate', 'north', '--stdin', '--servers', broker.url], 'entry X1\nexit X1\n');
    expect(gate.code, gate.stderr).to.equal(0);
    expect(gate.stdout.split('\n').filter((l) => l.startsWith('display '))).to.deep.equal(['display Welcome X1', 'display Bye X1']);
    expect(gate.stderr).not.to.match(/did not arrive/);
  });

  it('parking simulate publishes until SIGTERM, then says offline and exits 0', async () => {
    const sim = await start(['simulate', '--levels', '1', '--slots', '4', '--gates', '1', '--rate', '600', '--stay', '1', '--seed', '7', '--servers', broker.url], /^simulating .*$/m);
    expect(sim.ready[0]).to.equal('simulating sim-1: 1 level, 4 slots, gates north, 600 cars/min (seed 7)');
    await until(() => on('parking/sim-1/gate/north/event').length >= 2, { timeoutMs: 15_000, what: () => sim.output() });
    await sim.stop();
    expect(sim.exit?.code, sim.output()).to.equal(0);
    expect(sim.output()).to.match(/^published \d+ slot states and \d+ gate events$/m);
    expect(on('parking/sim-1/device/sim/status').at(-1)).to.equal('offline');
  });

  it('parking signage prints a line per change when stdout is not a terminal', async () => {
    const signage = await start(['signage', '--lot', 'mall-1', '--servers', broker.url], /waiting for availability/);
    const publish = (topic: string, payload: string) => new Promise<void>((resolve) => broker.broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false }, () => resolve()));
    await publish('parking/mall-1/availability/B1', '5');
    await signage.waitForOutput(/mall-1 free 5 \| B1 5/);
    await publish('parking/mall-1/availability/B2', '7');
    await signage.waitForOutput(/mall-1 free 12 \| B1 5 \| B2 7/);
    await signage.stop();
    expect(signage.exit?.code, signage.output()).to.equal(0);
  });
});
