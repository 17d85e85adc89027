import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { Topics, decodeGateEvent, encodeGateEvent } from '../../contract/index.ts';
import {
  Debouncer,
  GpioSensor,
  GpioUnavailableError,
  LineSensor,
  LotModel,
  SeqCounter,
  SignageState,
  capacityOf,
  mulberry32,
  parseDisplay,
  parseGateLine,
  parseReading,
  planFleet,
  randomPlate,
  renderLine,
  renderScreen,
  slotDeviceId,
  type GpioModule,
  type SimAction,
} from '../../devices/index.ts';
import { parseSensor } from '../../cli/index.ts';
import { FakeTime } from './fake-time.ts';
import { next } from '../link/wait.ts';

describe('devices: pure parts', () => {
  describe('Debouncer', () => {
    it('publishes a reading only after it held for the hold time, with the time it was first seen', () => {
      const time = new FakeTime();
      const out: Array<[string, number]> = [];
      const d = new Debouncer<string>(500, (v, since) => out.push([v, since]), time);
      const t0 = time.now();
      d.input('occupied');
      time.advance(499);
      expect(out).to.deep.equal([]);
      time.advance(1);
      expect(out).to.deep.equal([['occupied', t0]]);
      d.input('occupied');
      time.advance(1000);
      expect(out).to.have.length(1);
    });

    it('a flapping sensor publishes nothing until it settles, then once', () => {
      const time = new FakeTime();
      const out: string[] = [];
      const d = new Debouncer<string>(500, (v) => out.push(v), time);
      d.input('free');
      time.advance(600);
      for (let i = 0; i < 100; i++) {
        d.input(i % 2 ? 'free' : 'occupied');
        time.advance(50);
      }
      expect(out).to.deep.equal(['free']);
      d.input('occupied');
      time.advance(500);
      expect(out).to.deep.equal(['free', 'occupied']);
    });

    it('a blip back to the settled value cancels the change; flush settles a waiting reading; 0 is immediate', () => {
      const time = new FakeTime();
      const out: string[] = [];
      const d = new Debouncer<string>(300, (v) => out.push(v), time);
      d.input('free');
      time.advance(300);
      d.input('occupied');
      time.advance(200);
      d.input('free');
      time.advance(1000);
      expect(out).to.deep.equal(['free']);
      d.input('occupied');
      expect(d.pending).to.equal(true);
      d.flush();
      expect(out).to.deep.equal(['free', 'occupied']);
      const now: string[] = [];
      const immediate = new Debouncer<string>(0, (v) => now.push(v), time);
      immediate.input('a');
      immediate.input('b');
      expect(now).to.deep.equal(['a', 'b']);
    });
  });

  describe('SeqCounter', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'seq-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('starts from the clock and counts up by one', async () => {
      const seq = await SeqCounter.open({ now: () => 5000 });
      expect([seq.next(), seq.next(), seq.next()]).to.deep.equal([5000, 5001, 5002]);
    });

    it('continues after the persisted value when the clock went back', async () => {
      const file = join(dir, 'sub', 'dev.seq');
      const first = await SeqCounter.open({ file, now: () => 9000 });
      first.next();
      first.next();
      await first.close();
      expect(readFileSync(file, 'utf8').trim()).to.equal('9001');
      const second = await SeqCounter.open({ file, now: () => 100 });
      expect(second.next()).to.equal(9002);
      // Let its write finish before the file is replaced and the directory removed.
      await second.close();
      writeFileSync(file, 'garbage');
      const third = await SeqCounter.open({ file, now: () => 7 });
      expect(third.next()).to.equal(7);
      await third.close();
    });
  });

  describe('sensor drivers', () => {
    it('parseReading takes 1/0/true/false (any case), skips blanks and comments, refuses the rest', () => {
      expect(['1', 'TRUE', ' occupied ', '0', 'False', 'free'].map(parseReading)).to.deep.equal([true, true, true, false, false, false]);
      expect(parseReading('')).to.equal(undefined);
      expect(parseReading('# comment')).to.equal(undefined);
      expect(() => parseReading('maybe')).to.throw(/not a reading/);
    });

    it('a line sensor emits one reading per line, a warning per bad line, and the end', async () => {
      const input = new PassThrough();
      const sensor = new LineSensor('test', () => input);
      const readings: boolean[] = [];
      const warnings: string[] = [];
      sensor.on('reading', (v) => readings.push(v));
      sensor.on('warning', (w) => warnings.push(w));
      await sensor.start();
      const ended = next(sensor, 'end');
      input.end('1\n0\nbogus\ntrue\n\n');
      await ended;
      expect(readings).to.deep.equal([true, false, true]);
      expect(warnings).to.have.length(1);
    });

    it('a file sensor that cannot open its file fails to start', async () => {
      let error: unknown;
      await LineSensor.file('/nonexistent/readings').start().catch((e) => (error = e));
      expect((error as NodeJS.ErrnoException)?.code).to.equal('ENOENT');
    });

    it('the GPIO sensor refuses to start off a Pi, naming the reason', async () => {
      const sensor = new GpioSensor({ line: '17', host: { platform: 'linux', arch: 'x64', hasGpioChip: () => false } });
      let error: unknown;
      await sensor.start().catch((e) => (error = e));
      expect(error).to.be.instanceOf(GpioUnavailableError);
      expect((error as Error).message).to.match(/Raspberry Pi.*linux\/x64.*--sensor sim/);
      const noChip = new GpioSensor({ line: '17', host: { platform: 'linux', arch: 'arm64', hasGpioChip: () => false } });
      await noChip.start().catch((e) => (error = e));
      expect((error as Error).message).to.match(/\/dev\/gpiochip0/);
    });

    it('the GPIO sensor names the library to install when it is missing', async () => {
      const sensor = new GpioSensor({ line: '17', host: { platform: 'linux', arch: 'arm64', hasGpioChip: () => true } });
      let error: unknown;
      await sensor.start().catch((e) => (error = e));
      expect(error).to.be.instanceOf(GpioUnavailableError);
      expect((error as Error).message).to.match(/npm install @iiot2k\/gpiox@/);
    });

    it('the GPIO sensor watches both edges; active low means occupied at 0', async () => {
      const calls: unknown[][] = [];
      let callback: ((state: number, edge: number, pin: number) => void) | undefined;
      const fake: GpioModule = {
        GPIO_MODE_INPUT_NOPULL: 0,
        GPIO_MODE_INPUT_PULLDOWN: 1,
        GPIO_MODE_INPUT_PULLUP: 2,
        GPIO_EDGE_BOTH: 2,
        watch_gpio(pin, mode, debounce, edge, cb) {
          calls.push(['watch', pin, mode, debounce, edge]);
          callback = cb;
          return 1;
        },
        deinit_gpio(pin) {
          calls.push(['deinit', pin]);
          return true;
        },
      };
      const host = { platform: 'linux', arch: 'arm64', hasGpioChip: () => true };
      const sensor = new GpioSensor({ line: '17', host, load: async () => fake });
      const readings: boolean[] = [];
      sensor.on('reading', (v) => readings.push(v));
      await sensor.start();
      callback!(0, 1, 17);
      callback!(1, 0, 17);
      await sensor.close();
      expect(calls).to.deep.equal([['watch', 17, 2, 10_000, 2], ['deinit', 17]]);
      expect(readings).to.deep.equal([false, true, false]);

      const high = new GpioSensor({ line: '4', activeLow: false, host, load: async () => fake });
      const highReadings: boolean[] = [];
      high.on('reading', (v) => highReadings.push(v));
      await high.start();
      expect(calls[2]).to.deep.equal(['watch', 4, 1, 10_000, 2]);
      expect(highReadings).to.deep.equal([true]);
      let error: unknown;
      await new GpioSensor({ line: 'GPIO17', host, load: async () => fake }).start().catch((e) => (error = e));
      expect((error as Error).message).to.match(/BCM GPIO number 2-27/);
    });

    it('--sensor takes sim, stdin, file:PATH and gpio:LINE', () => {
      expect(parseSensor('sim')).to.deep.equal({ kind: 'sim' });
      expect(parseSensor('stdin')).to.deep.equal({ kind: 'stdin' });
      expect(parseSensor('file:/run/slot.fifo')).to.deep.equal({ kind: 'file', path: '/run/slot.fifo' });
      expect(parseSensor('gpio:17')).to.deep.equal({ kind: 'gpio', line: '17' });
      expect(() => parseSensor('usb')).to.throw(/sim, stdin, file:PATH or gpio:LINE/);
    });
  });

  describe('ids and gate lines', () => {
    it('derives device ids and refuses ones that would be too long', () => {
      expect(slotDeviceId('mall-1', 'B1', '07')).to.equal('mall-1-B1-07');
      expect(() => slotDeviceId('a'.repeat(20), 'level-name', 'slot')).to.throw(/--device/);
    });

    it('parses gate lines and display payloads', () => {
      expect(parseGateLine('entry B 1234 xyz')).to.deep.equal({ direction: 'entry', carId: 'B1234XYZ' });
      expect(parseGateLine('EXIT b1234xyz')).to.deep.equal({ direction: 'exit', carId: 'B1234XYZ' });
      expect(parseGateLine('   ')).to.equal(undefined);
      expect(() => parseGateLine('park B1')).to.throw(/entry CARID/);
      expect(parseDisplay('{"carId":"B1","direction":"exit","text":"B1  2h05m  Rp12.000"}')).to.deep.include({ kind: 'display' });
      expect(parseDisplay('hello')).to.deep.equal({ kind: 'raw', text: 'hello' });
    });
  });

  describe('simulation model', () => {
    it('plans lots, levels, slots and gates with readable names', () => {
      const [lot] = planFleet({ lots: 1, levels: 2, slotsPerLevel: 3, gates: 2 });
      expect(lot.lot, 'the simulator\'s own lot names, never a real lot\'s').to.equal('sim-1');
      expect(lot.levels.map((l) => l.level)).to.deep.equal(['B1', 'B2']);
      expect(lot.levels[0].slots).to.deep.equal(['01', '02', '03']);
      expect(lot.gates).to.deep.equal(['north', 'south']);
      expect(capacityOf(lot)).to.equal(6);
    });

    it('plates are valid car ids', () => {
      const random = mulberry32(1);
      for (let i = 0; i < 500; i++) {
        const carId = randomPlate(random);
        expect(decodeGateEvent(encodeGateEvent({ eventId: 'x', direction: 'entry', carId, ts: 0 }), 0).carId).to.equal(carId);
      }
    });

    it('cars enter before they park, leave before they exit, and never overfill the lot', () => {
      const [plan] = planFleet({ levels: 2, slotsPerLevel: 5, gates: 2 });
      const model = new LotModel(plan, { arrivalsPerMinute: 120, meanStayMs: 60_000, driveMs: [1000, 3000], prefill: 0.5 }, mulberry32(42), 0);
      const actions: SimAction[] = [];
      for (let t = 0; t <= 3_600_000; t += 1000) actions.push(...model.advance(t));
      const occupied = new Set<string>();
      const inside = new Set<string>();
      let exits = 0;
      let lastAt = 0;
      for (const action of actions) {
        expect(action.at).to.be.at.least(lastAt);
        lastAt = action.at;
        if (action.kind === 'gate') {
          if (action.direction === 'entry') {
            expect(inside.has(action.carId), `${action.carId} entered twice`).to.equal(false);
            inside.add(action.carId);
          } else {
            expect(inside.delete(action.carId), `${action.carId} exits without entering`).to.equal(true);
            exits += 1;
          }
        } else {
          const key = `${action.level}/${action.slot}`;
          expect(occupied.has(key)).to.equal(!action.occupied);
          if (action.occupied) occupied.add(key);
          else occupied.delete(key);
          expect(occupied.size).to.be.at.most(10);
        }
      }
      const stats = model.stats();
      expect(exits).to.be.greaterThan(100);
      expect(stats.turnedAway).to.be.greaterThan(0);
      expect(stats.entries).to.equal(stats.arrived - stats.turnedAway);
    });
  });

  describe('signage', () => {
    const topics = new Topics('parking');
    const summary = {
      lot: 'mall-1',
      availableSpotNumber: 12,
      occupiedSpotNumber: 40,
      closedSpotNumber: 0,
      unknownSpotNumber: 0,
      totalSpotNumber: 52,
      status: 'spacesAvailable',
      levels: { B1: { availableSpotNumber: 5, totalSpotNumber: 26 }, B2: { availableSpotNumber: 7, totalSpotNumber: 26 } },
      observedAt: '2026-11-22T10:00:00.000Z',
    };

    it('combines the summary and the per-level counts; ignores other lots and bad payloads', () => {
      const state = new SignageState('mall-1', topics);
      expect(renderLine(state.view())).to.equal('mall-1 waiting for availability');
      expect(state.apply('parking/mall-1/availability', JSON.stringify(summary))).to.equal(true);
      expect(renderLine(state.view())).to.equal('mall-1 free 12/52 spacesAvailable | B1 5/26 | B2 7/26');
      expect(state.apply('parking/mall-1/availability/B1', '4')).to.equal(true);
      expect(state.view().levels[0]).to.deep.equal({ level: 'B1', free: 4, total: 26, unknown: undefined, forecast: '' });
      expect(state.apply('parking/mall-1/availability/B1', '4')).to.equal(false);
      expect(state.apply('parking/mall-2/availability/B1', '9')).to.equal(false);
      expect(state.apply('parking/mall-1/availability/B1', 'many')).to.equal(false);
      expect(state.apply('parking/mall-1/availability', '{broken')).to.equal(false);
    });

    it('shows the forecasts under the levels and the total, as the web page words them (history/forecast.ts)', () => {
      const state = new SignageState('mall-1', topics);
      state.apply('parking/mall-1/availability', JSON.stringify(summary), 1000);
      const updatedAt = state.view().updatedAt;
      const forecast = (available: number, in30: number, fullInMinutes: number | null) =>
        JSON.stringify({ method: 'weekday-profile', availableSpotNumber: available, forecasts: [{ minutes: 30, availableSpotNumber: in30 }], fullInMinutes });
      expect(state.apply('parking/mall-1/forecast/B1', forecast(5, 0, 20), 2000)).to.equal(true);
      expect(state.apply('parking/mall-1/forecast', forecast(12, 30, null), 2000)).to.equal(true);
      expect(state.apply('parking/mall-1/forecast', forecast(12, 30, null), 3000), 'the same words again').to.equal(false);
      expect(state.apply('parking/mall-1/forecast/B2', '{broken', 3000)).to.equal(false);
      expect(state.view().updatedAt, 'a forecast is not new figures').to.equal(updatedAt);
      expect(renderLine(state.view())).to.equal('mall-1 free 12/52 spacesAvailable (about 30 free in 30 min) | B1 5/26 (full in about 20 min) | B2 7/26');
      const screen = renderScreen(state.view(), { width: 50 });
      for (const line of screen.split('\n')) expect([...line].length).to.equal(50);
      expect(screen).to.include('│   B1: full in about 20 min');
      expect(screen).to.include('│ about 30 free in 30 min');
      state.apply('parking/mall-1/forecast/B1', '', 4000);
      expect(renderScreen(state.view(), { width: 50 })).to.not.include('full in about');
    });

    it('level counts alone are enough for a picture', () => {
      const state = new SignageState('mall-1', topics);
      state.apply('parking/mall-1/availability/B2', '3');
      state.apply('parking/mall-1/availability/B1', '2');
      expect(renderLine(state.view())).to.equal('mall-1 free 5 | B1 2 | B2 3');
    });

    it('draws a framed screen that fits the width', () => {
      const state = new SignageState('mall-1', topics);
      state.apply('parking/mall-1/availability', JSON.stringify({ ...summary, availableSpotNumber: 0, status: 'full', levels: { B1: { availableSpotNumber: 0, totalSpotNumber: 26 } } }));
      const screen = renderScreen(state.view(), { width: 40, clock: '10:00:00' });
      const lines = screen.split('\n');
      for (const line of lines) expect([...line].length).to.equal(40);
      expect(screen).to.include('MALL-1');
      expect(screen).to.include('10:00:00');
      expect(screen).to.match(/B1 +0 free \/ 26/);
      expect(screen).to.include('FULL');
    });

    it('is not FULL while sensors are silent: says how many report, as the web page does', () => {
      const state = new SignageState('mall-1', topics);
      state.apply('parking/mall-1/availability', JSON.stringify({ ...summary, availableSpotNumber: 0, occupiedSpotNumber: 1, unknownSpotNumber: 51, status: 'full', levels: { B1: { availableSpotNumber: 0, totalSpotNumber: 52, unknownSpotNumber: 51 } } }));
      const screen = renderScreen(state.view(), { width: 40 });
      expect(screen).to.include('1 OF 52 SENSORS REPORTING');
      expect(screen).to.not.include('FULL');
      expect(renderLine(state.view())).to.equal('mall-1 free 0/52 unknown (1 of 52 sensors reporting) | B1 0/52');
    });

    it('says whether it is live and how old its figures are, as the web page does; OFFLINE once no broker is connected', () => {
      const state = new SignageState('mall-1', topics);
      const observed = Date.parse(summary.observedAt);
      state.apply('parking/mall-1/availability', JSON.stringify(summary), observed + 1000);
      expect(state.view().updatedAt, 'the later of observedAt and the arrival').to.equal(observed + 1000);
      const at = (s: number) => observed + 1000 + s * 1000;
      const live = renderScreen(state.view(), { width: 60, clock: '10:00:00', link: { phase: 'connected', role: 'primary', now: at(4) } });
      for (const line of live.split('\n')) expect([...line].length).to.equal(60);
      expect(live).to.match(/│ live · updated 4s ago +│/);
      expect(renderScreen(state.view(), { width: 60, link: { phase: 'connected', role: 'standby', now: at(125) } })).to.include('live · standby broker · updated 2m ago');
      const offline = renderScreen(state.view(), { width: 60, link: { phase: 'connecting', role: 'primary', now: at(20) } });
      expect(offline).to.include('OFFLINE · RECONNECTING · last update 20s ago');
      expect(offline, 'the figures stay, marked').to.match(/B1 +5 free \/ 26/);
      expect(renderLine(state.view(), { phase: 'connecting', now: at(20) })).to.equal('mall-1 free 12/52 spacesAvailable | B1 5/26 | B2 7/26 | OFFLINE · reconnecting');
      expect(renderLine(state.view(), { phase: 'connected', role: 'primary', now: at(20) })).to.equal('mall-1 free 12/52 spacesAvailable | B1 5/26 | B2 7/26');
      expect(renderLine(new SignageState('mall-1', topics).view(), { phase: 'connecting', now: at(0) })).to.equal('mall-1 waiting for availability | OFFLINE · reconnecting');
      // The same figures again change nothing; a republished summary (a new observedAt) is an update.
      expect(state.apply('parking/mall-1/availability', JSON.stringify(summary), at(10))).to.equal(false);
      expect(state.view().updatedAt).to.equal(observed + 1000);
      state.apply('parking/mall-1/availability', JSON.stringify({ ...summary, observedAt: new Date(at(30)).toISOString() }), at(31));
      expect(state.view().updatedAt).to.equal(at(31));
    });
  });
});
