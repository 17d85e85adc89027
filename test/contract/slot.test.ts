import { expect } from 'chai';
import {
  PayloadError, decodeSlotState, encodeSlotState, isNewer, compareSlotStates, decodeDeviceStatus, MAX_PAYLOAD_BYTES,
} from '../../contract/index.ts';

const NOW = 1_795_307_315_123;

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(PayloadError);
    return (err as PayloadError).reason;
  }
  throw new Error('expected a PayloadError');
}

describe('contract: slot state', function () {
  it('decodes the canonical JSON form', function () {
    const s = decodeSlotState('{"status":"occupied","ts":1795307315123,"seq":42,"device":"pi-b1-07"}', 1);
    expect(s).to.deep.equal({ status: 'occupied', ts: 1795307315123, seq: 42, device: 'pi-b1-07' });
  });

  it('accepts every short form, trimmed and case-insensitive, stamped with the receive time', function () {
    for (const [text, status] of [['true', 'occupied'], ['1', 'occupied'], ['occupied', 'occupied'], ['false', 'free'], ['0', 'free'], ['free', 'free'], [' TRUE\n', 'occupied']]) {
      expect(decodeSlotState(Buffer.from(text), NOW), text).to.deep.equal({ status, ts: NOW });
    }
  });

  it('reads ISO-8601 timestamps and fills a missing ts with the receive time', function () {
    expect(decodeSlotState('{"status":"free","ts":"2026-11-22T10:00:00.000Z"}', NOW).ts).to.equal(Date.parse('2026-11-22T10:00:00.000Z'));
    expect(decodeSlotState('{"status":"free"}', NOW).ts).to.equal(NOW);
  });

  it('rejects each bad input with its cause', function () {
    expect(reason(() => decodeSlotState('x'.repeat(MAX_PAYLOAD_BYTES + 1), NOW))).to.equal('oversize');
    expect(reason(() => decodeSlotState('{"status":"free"', NOW))).to.equal('bad-json');
    expect(reason(() => decodeSlotState('[1,2]', NOW))).to.equal('bad-json');
    expect(reason(() => decodeSlotState('{"status":"parked"}', NOW))).to.equal('bad-status');
    expect(reason(() => decodeSlotState('maybe', NOW))).to.equal('bad-status');
    expect(reason(() => decodeSlotState('{"status":"free","ts":"yesterday"}', NOW))).to.equal('bad-ts');
    expect(reason(() => decodeSlotState('{"status":"free","ts":-5}', NOW))).to.equal('bad-ts');
    expect(reason(() => decodeSlotState('{"status":"free","seq":1.5}', NOW))).to.equal('bad-seq');
    expect(reason(() => decodeSlotState('{"status":"free","device":"bad id!"}', NOW))).to.equal('bad-id');
  });

  it('encodes canonically in contract field order and round-trips', function () {
    const s = { device: 'd1', seq: 3, ts: NOW, status: 'closed' as const };
    const text = encodeSlotState(s);
    expect(text).to.equal(`{"status":"closed","ts":${NOW},"seq":3,"device":"d1"}`);
    expect(decodeSlotState(text, 0)).to.deep.equal({ status: 'closed', ts: NOW, seq: 3, device: 'd1' });
  });

  it('orders by ts then seq; an equal or older update is not newer', function () {
    expect(isNewer({ ts: 2 }, { ts: 1 })).to.equal(true);
    expect(isNewer({ ts: 1, seq: 5 }, { ts: 2, seq: 0 })).to.equal(false);
    expect(isNewer({ ts: 2, seq: 6 }, { ts: 2, seq: 5 })).to.equal(true);
    expect(isNewer({ ts: 2, seq: 5 }, { ts: 2, seq: 5 })).to.equal(false);
    expect(isNewer({ ts: 2, seq: 0 }, { ts: 2 })).to.equal(true);
    expect(isNewer({ ts: 0 }, undefined)).to.equal(true);
    expect(compareSlotStates({ ts: 1 }, { ts: 1 })).to.equal(0);
  });

  it('decodes device status', function () {
    expect(decodeDeviceStatus('online')).to.equal('online');
    expect(decodeDeviceStatus(Buffer.from('offline'))).to.equal('offline');
    expect(reason(() => decodeDeviceStatus('sleeping'))).to.equal('bad-status');
  });
});
