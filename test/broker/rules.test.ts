// The broker's pure rules: bridge bit, packet size scanner, retained order,
// access per role, payload checks, accounts file, password hashes.
import { expect } from 'chai';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { Topics } from '../../contract/index.ts';
import {
  ANONYMOUS,
  BridgeBitSetter,
  checkPayload,
  decideRetained,
  hashPassword,
  mayPublish,
  maySubscribe,
  parseAccounts,
  parseHash,
  verifyPassword,
  type Account,
} from '../../broker/index.ts';
import { PacketSizeScanner } from '../../broker/packet-guard.ts';

const topics = new Topics('parking');
const b = (s: string) => Buffer.from(s);
const CHEAP = { N: 1024, r: 8, p: 1 };

function connectBytes(clientId: string, extra: Record<string, unknown> = {}): Buffer {
  return mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 5, ...extra } as never);
}

describe('broker rules (pure)', () => {
  describe('BridgeBitSetter', () => {
    it('sets 0x80 on the protocol level of the first CONNECT, however the bytes are split', () => {
      fc.assert(
        fc.property(fc.string({ minLength: 0, maxLength: 200 }), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 20 }), (clientId, cuts) => {
          const bytes = Buffer.concat([connectBytes(clientId, { username: 'u', password: Buffer.from('p') }), Buffer.from([0xc0, 0x00])]);
          const setter = new BridgeBitSetter();
          const out: Buffer[] = [];
          let at = 0;
          for (const cut of [...cuts, bytes.length]) {
            const end = Math.min(bytes.length, at + cut);
            out.push(setter.feed(bytes.subarray(at, end)));
            at = end;
            if (at >= bytes.length) break;
          }
          if (at < bytes.length) out.push(setter.feed(bytes.subarray(at)));
          const result = Buffer.concat(out);
          const parsed: Record<string, unknown>[] = [];
          const parser = mqttPacket.parser();
          parser.on('packet', (p) => parsed.push(p as never));
          parser.parse(result);
          expect(parsed[0]).to.include({ cmd: 'connect', bridgeMode: true, protocolVersion: 4, clientId });
          expect(parsed[1]).to.include({ cmd: 'pingreq' });
          expect(result.length).to.equal(bytes.length);
        }),
      );
    });
    it('leaves a stream that does not start with CONNECT alone', () => {
      const setter = new BridgeBitSetter();
      const bytes = Buffer.from([0xc0, 0x00, 0x10, 0x04]);
      expect(setter.feed(bytes)).to.deep.equal(bytes);
      expect(setter.done).to.equal(true);
    });
  });

  describe('PacketSizeScanner', () => {
    it('lets packets under the cap through, in any chunking, and stops at the first header over it', () => {
      const small = mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(3000), qos: 0, retain: false, dup: false } as never);
      const big = mqttPacket.generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(70_000), qos: 0, retain: false, dup: false } as never);
      const stream = Buffer.concat([connectBytes('x'), small, small]);
      const scanner = new PacketSizeScanner(64 * 1024);
      for (let i = 0; i < stream.length; i += 7) expect(scanner.feed(stream.subarray(i, i + 7))).to.equal(true);
      expect(scanner.feed(big.subarray(0, 10))).to.equal(false);
    });
    it('rejects a remaining length longer than four bytes', () => {
      expect(new PacketSizeScanner().feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).to.equal(false);
    });
  });

  describe('decideRetained', () => {
    const slot = 'parking/L/slot/B1/01';
    it('orders slot states by ts, then seq; equal ones are repeats', () => {
      expect(decideRetained(topics, slot, b('{"status":"free","ts":2}'), b('{"status":"occupied","ts":1}'))).to.equal('store');
      expect(decideRetained(topics, slot, b('{"status":"free","ts":1}'), b('{"status":"occupied","ts":2}'))).to.equal('stale');
      expect(decideRetained(topics, slot, b('{"status":"free","ts":2,"seq":1}'), b('{"status":"occupied","ts":2,"seq":0}'))).to.equal('store');
      expect(decideRetained(topics, slot, b('{"status":"free","ts":2}'), b('{"status":"occupied","ts":2,"seq":0}'))).to.equal('stale');
      expect(decideRetained(topics, slot, b('{"status":"free","ts":2}'), b('{"status":"occupied","ts":2}'))).to.equal('stale');
      expect(decideRetained(topics, slot, b('{"status":"free","ts":"2026-01-01T00:00:01Z"}'), b('{"status":"free","ts":1767225600000}'))).to.equal('store');
      expect(decideRetained(topics, slot, b('{"status":"free","ts":2}'), b('{"status":"free","ts":2}'))).to.equal('duplicate');
    });
    it('stores the first state, a clear, and states without a sensor time (arrival order)', () => {
      expect(decideRetained(topics, slot, b('1'), undefined)).to.equal('store');
      expect(decideRetained(topics, slot, b(''), b('{"status":"free","ts":2}'))).to.equal('store');
      expect(decideRetained(topics, slot, b('1'), b('{"status":"free","ts":2}'))).to.equal('store');
      expect(decideRetained(topics, slot, b('{"status":"free","ts":1}'), b('0'))).to.equal('store');
      expect(decideRetained(topics, slot, b('1'), b('1'))).to.equal('duplicate');
    });
    it('other topics: a different payload replaces, the same one is a repeat', () => {
      expect(decideRetained(topics, 'parking/L/availability', b('{"a":1}'), b('{"a":2}'))).to.equal('store');
      expect(decideRetained(topics, 'parking/L/device/d/status', b('online'), b('online'))).to.equal('duplicate');
    });
    it('is a total order on slot states: of two different states exactly one may replace the other', () => {
      const state = fc.record({ ts: fc.integer({ min: 0, max: 5 }), seq: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), status: fc.constantFrom('free', 'occupied') });
      fc.assert(
        fc.property(state, state, (x, y) => {
          const bx = b(JSON.stringify(x));
          const by = b(JSON.stringify(y));
          fc.pre(!bx.equals(by));
          const forward = decideRetained(topics, slot, bx, by);
          const backward = decideRetained(topics, slot, by, bx);
          const sameOrder = x.ts === y.ts && (x.seq ?? -1) === (y.seq ?? -1);
          if (sameOrder) expect([forward, backward]).to.deep.equal(['stale', 'stale']);
          else expect([forward, backward].sort()).to.deep.equal(['stale', 'store']);
        }),
      );
    });
  });

  describe('access rules', () => {
    const password = parseHash('scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=') as Exclude<ReturnType<typeof parseHash>, string>;
    const device: Account = { username: 'pi', password, role: 'device', lot: 'L1', device: 'pi', slots: new Set(['B1/01']) };
    const gate: Account = { username: 'g', password, role: 'gate', lot: 'L1', gate: 'north' };
    const reader: Account = { username: 'r', password, role: 'reader' };
    const readerL2: Account = { username: 'r2', password, role: 'reader', lot: 'L2' };
    const service: Account = { username: 's', password, role: 'service' };
    const bridge: Account = { username: 'b', password, role: 'bridge' };
    const admin: Account = { username: 'a', password, role: 'admin' };

    const table: Array<[Account | typeof ANONYMOUS, string, boolean]> = [
      [device, 'parking/L1/slot/B1/01', true],
      [device, 'parking/L1/slot/B1/02', false],
      [device, 'parking/L2/slot/B1/01', false],
      [device, 'parking/L1/device/pi/status', true],
      [device, 'parking/L1/device/other/status', false],
      [device, 'parking/L1/availability', false],
      [gate, 'parking/L1/gate/north/event', true],
      [gate, 'parking/L1/gate/south/event', false],
      [gate, 'parking/L1/gate/north/display', false],
      [reader, 'parking/L1/availability', false],
      [service, 'parking/L1/availability', true],
      [service, 'parking/L1/availability/B1', true],
      [service, 'parking/L1/gate/north/display', true],
      [service, 'parking/L1/forecast', true],
      [service, 'parking/L1/forecast/B1', true],
      [service, 'parking/L1/alarm/lot-full', true],
      [service, 'parking/L1/slot/B1/01', false],
      [service, 'parking/L1/gate/north/event', false],
      [reader, 'parking/L1/alarm/lot-full', false],
      [device, 'parking/L1/alarm/lot-full', false],
      [bridge, 'parking/L1/slot/B1/01', true],
      [bridge, 'other/x', false],
      [admin, 'other/x', true],
      [ANONYMOUS, 'parking/L1/slot/B1/01', true],
      [admin, '$SYS/x/heartbeat', false],
      [ANONYMOUS, '$SYS/x', false],
    ];
    for (const [who, topic, allowed] of table) {
      it(`${who.role}${'lot' in who && who.lot ? `@${who.lot}` : ''} ${allowed ? 'may' : 'may not'} publish ${topic}`, () => {
        expect(mayPublish(who, topic, topics)).to.equal(allowed);
      });
    }

    it('subscriptions: heartbeat and stop notices for all, the root for services and bridges, availability, forecast and alarms for readers (of their lot when they have one)', () => {
      for (const who of [device, gate, reader, readerL2, service, bridge, admin, ANONYMOUS]) {
        expect(maySubscribe(who, '$SYS/+/heartbeat', topics), who.role).to.equal(true);
        expect(maySubscribe(who, '$SYS/primary-1/heartbeat', topics), who.role).to.equal(true);
        expect(maySubscribe(who, '$SYS/+/leaving', topics), who.role).to.equal(true);
      }
      expect(maySubscribe(device, 'parking/#', topics)).to.equal(false);
      expect(maySubscribe(gate, 'parking/L1/gate/north/display', topics)).to.equal(true);
      expect(maySubscribe(gate, 'parking/L1/gate/+/display', topics)).to.equal(false);
      for (const filter of ['parking/+/availability', 'parking/L1/availability/+', 'parking/+/availability/#', 'parking/L1/forecast', 'parking/+/forecast/B1', 'parking/L1/alarm/+', 'parking/+/alarm/#']) {
        expect(maySubscribe(reader, filter, topics), filter).to.equal(true);
      }
      // Slot states, gate events and displays (car plates, fees) and device status stay with the services.
      for (const filter of ['parking/#', 'parking/+/#', 'parking/L1/#', 'parking/+/+/+', 'parking/+/slot/+/+', 'parking/L1/gate/north/display', 'parking/+/gate/+/event', 'parking/+/device/+/status', 'parking/+/availability/B1/x', '#', '$SYS/#']) {
        expect(maySubscribe(reader, filter, topics), filter).to.equal(false);
      }
      expect(maySubscribe(readerL2, 'parking/L2/availability/+', topics)).to.equal(true);
      expect(maySubscribe(readerL2, 'parking/L2/#', topics)).to.equal(false);
      expect(maySubscribe(readerL2, 'parking/+/availability', topics)).to.equal(false);
      expect(maySubscribe(service, 'parking/+/gate/+/event', topics)).to.equal(true);
      expect(maySubscribe(bridge, 'parking/#', topics)).to.equal(true);
      expect(maySubscribe(admin, '$SYS/#', topics)).to.equal(true);
      expect(maySubscribe(admin, '#', topics)).to.equal(true);
      expect(maySubscribe(reader, '$SYS/+/heartbeat/extra', topics)).to.equal(false);
    });
  });

  describe('checkPayload', () => {
    const now = 1000;
    it('applies the contract codecs to slot, status and gate topics, and the 1 KiB limit under the root', () => {
      expect(checkPayload(topics, 'parking/L/slot/B/1', b('{"status":"free"}'), now)).to.deep.equal({ ok: true });
      expect(checkPayload(topics, 'parking/L/slot/B/1', b('yes'), now)).to.include({ ok: false, cause: 'bad-status' });
      expect(checkPayload(topics, 'parking/L/slot/B/1', b('{"status":"free","seq":-1}'), now)).to.include({ ok: false, cause: 'bad-seq' });
      expect(checkPayload(topics, 'parking/L/device/d/status', b('offline'), now)).to.deep.equal({ ok: true });
      expect(checkPayload(topics, 'parking/L/device/d/status', b('gone'), now)).to.include({ ok: false });
      expect(checkPayload(topics, 'parking/L/gate/g/event', b('{"eventId":"e","direction":"exit","carId":"b 1"}'), now)).to.deep.equal({ ok: true });
      expect(checkPayload(topics, 'parking/L/availability', b('x'.repeat(1025)), now)).to.include({ ok: false, cause: 'oversize' });
      expect(checkPayload(topics, 'parking/L/availability', b('x'.repeat(1024)), now)).to.deep.equal({ ok: true });
      expect(checkPayload(topics, 'other/topic', b('x'.repeat(5000)), now)).to.deep.equal({ ok: true });
    });
  });

  describe('accounts file', () => {
    let hash: string;
    before(async () => {
      hash = await hashPassword('pw', CHEAP);
    });
    it('reads every role', () => {
      const accounts = parseAccounts(
        JSON.stringify({
          accounts: {
            'pi-1': { password: hash, role: 'device', lot: 'L1', slots: ['B1/01', 'B1/02'] },
            g: { password: hash, role: 'gate', lot: 'L1', gate: 'north' },
            r: { password: hash, role: 'reader', lot: 'L1' },
            s: { password: hash, role: 'service' },
            b: { password: hash, role: 'bridge' },
            a: { password: hash, role: 'admin' },
          },
        }),
      );
      expect([...accounts.keys()]).to.deep.equal(['pi-1', 'g', 'r', 's', 'b', 'a']);
      const pi = accounts.get('pi-1');
      expect(pi?.role === 'device' && pi.device).to.equal('pi-1');
      expect(pi?.role === 'device' && [...pi.slots]).to.deep.equal(['B1/01', 'B1/02']);
    });
    it('names the account and the problem', () => {
      const bad = (account: Record<string, unknown>) => () => parseAccounts(JSON.stringify({ accounts: { x: { password: hash, ...account } } }));
      expect(bad({ role: 'king' })).to.throw(/account "x": role must be one of device, gate/);
      expect(bad({ role: 'device', lot: 'L1' })).to.throw(/slots must be a non-empty list/);
      expect(bad({ role: 'device', lot: 'L1', slots: ['B1'] })).to.throw(/slot "B1" must be "level\/slot"/);
      expect(bad({ role: 'gate', lot: 'L 1', gate: 'g' })).to.throw(/lot 'L 1' may contain only/);
      expect(bad({ role: 'reader', gate: 'g' })).to.throw(/unknown field gate for role reader/);
      expect(bad({ role: 'admin', password: 'secret' })).to.throw(/password must be a hash made by `parking broker --hash-password`/);
      expect(() => parseAccounts('[]')).to.throw(/must be one JSON object/);
      expect(() => parseAccounts('{"users":{}}')).to.throw(/unknown key users/);
    });
  });

  describe('password hashes', () => {
    it('verifies the right password only, with the cost stored in the hash', async () => {
      const hash = await hashPassword('s3cret', CHEAP);
      expect(hash).to.match(/^scrypt\$1024\$8\$1\$/);
      const parsed = parseHash(hash);
      if (typeof parsed === 'string') throw new Error(parsed);
      expect(await verifyPassword('s3cret', parsed)).to.equal(true);
      expect(await verifyPassword(Buffer.from('s3cret'), parsed)).to.equal(true);
      expect(await verifyPassword('s3cret ', parsed)).to.equal(false);
      expect(await hashPassword('s3cret', CHEAP)).to.not.equal(hash);
      expect(parseHash('scrypt$1000$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==')).to.equal('scrypt N must be a power of two');
    });
  });

  describe('a slot payload decoded once', () => {
    it('is decoded at its first use and the same state serves the check and the retained order', async () => {
      const { slotStateOf } = await import('../../broker/slotstate.ts');
      const { PayloadError } = await import('../../contract/index.ts');
      const topics = new Topics('parking');
      const older = Buffer.from('{"status":"free","ts":1000,"seq":1}');
      const newer = Buffer.from('{"status":"occupied","ts":2000,"seq":2}');
      const first = slotStateOf(newer);
      expect(first).to.deep.equal({ status: 'occupied', ts: 2000, seq: 2 });
      expect(slotStateOf(newer), 'the same Buffer: the same state, not decoded again').to.equal(first);
      const copy = slotStateOf(Buffer.from(newer));
      expect(copy, 'another Buffer: decoded on its own').to.not.equal(first);
      expect(copy).to.deep.equal(first);
      expect(checkPayload(topics, 'parking/m/slot/B1/1', newer, 5000)).to.deep.equal({ ok: true });
      expect(decideRetained(topics, 'parking/m/slot/B1/1', newer, older)).to.equal('store');
      expect(decideRetained(topics, 'parking/m/slot/B1/1', older, newer)).to.equal('stale');
      // No ts: valid, but not ordered (the last one wins).
      const short = Buffer.from('occupied');
      expect(Number.isNaN((slotStateOf(short) as { ts: number }).ts)).to.equal(true);
      expect(checkPayload(topics, 'parking/m/slot/B1/1', short, 5000)).to.deep.equal({ ok: true });
      expect(decideRetained(topics, 'parking/m/slot/B1/1', short, newer)).to.equal('store');
      // A bad payload: the error is kept too, and the check names it each time.
      const bad = Buffer.from('{"status":"parked"}');
      expect(slotStateOf(bad)).to.be.instanceOf(PayloadError);
      expect(slotStateOf(bad)).to.equal(slotStateOf(bad));
      for (let i = 0; i < 2; i++) expect(checkPayload(topics, 'parking/m/slot/B1/1', bad, 5000)).to.deep.include({ ok: false, cause: 'bad-status' });
    });
  });
});
