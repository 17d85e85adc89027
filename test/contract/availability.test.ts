import { expect } from 'chai';
import { summarise, decodeSummary, decodeGateEvent, formatMoney, formatDuration, PayloadError } from '../../contract/index.ts';

const at = new Date('2026-11-22T10:00:00.000Z');

describe('contract: availability summary', function () {
  it('counts per status and per level with FIWARE field names', function () {
    const slots = [
      { level: 'B1', status: 'free' as const },
      { level: 'B1', status: 'occupied' as const },
      { level: 'B2', status: 'closed' as const },
      { level: 'B2', status: 'unknown' as const },
      { level: 'B2', status: 'free' as const },
    ];
    const s = summarise('mall-1', slots, at);
    expect(s).to.include({ lot: 'mall-1', availableSpotNumber: 2, occupiedSpotNumber: 1, closedSpotNumber: 1, unknownSpotNumber: 1, totalSpotNumber: 5, status: 'spacesAvailable', observedAt: '2026-11-22T10:00:00.000Z' });
    expect(s.levels.B1).to.include({ availableSpotNumber: 1, totalSpotNumber: 2 });
    expect(s.levels.B2).to.include({ availableSpotNumber: 1, totalSpotNumber: 3 });
  });

  it('derives the lot status: almostFull under 10% free, full, closed', function () {
    const make = (free: number, occupied: number, closed = 0) => [
      ...Array.from({ length: free }, () => ({ level: 'L', status: 'free' as const })),
      ...Array.from({ length: occupied }, () => ({ level: 'L', status: 'occupied' as const })),
      ...Array.from({ length: closed }, () => ({ level: 'L', status: 'closed' as const })),
    ];
    expect(summarise('l', make(1, 10), at).status).to.equal('almostFull');
    expect(summarise('l', make(1, 9), at).status).to.equal('spacesAvailable');
    expect(summarise('l', make(0, 5), at).status).to.equal('full');
    expect(summarise('l', make(0, 0, 3), at).status).to.equal('closed');
  });

  it('counts configured but silent slots as unknown', function () {
    const s = summarise('l', [{ level: 'B1', status: 'free' }], at, { B1: 4, B2: 2 });
    expect(s.totalSpotNumber).to.equal(6);
    expect(s.unknownSpotNumber).to.equal(5);
    expect(Object.keys(s.levels)).to.deep.equal(['B1', 'B2']);
  });
});

describe('contract: gate events and display text', function () {
  it('decodes a gate event and normalises the car id', function () {
    expect(decodeGateEvent('{"eventId":"e-1","direction":"entry","carId":"b 1234 xyz","ts":5}', 9)).to.deep.equal({ eventId: 'e-1', direction: 'entry', carId: 'B1234XYZ', ts: 5 });
    expect(decodeGateEvent('{"eventId":"e-1","direction":"exit","carId":"B1"}', 9).ts).to.equal(9);
  });

  it('rejects bad gate events with a reason', function () {
    for (const bad of ['{', '{"direction":"entry","carId":"B1"}', '{"eventId":"e","direction":"in","carId":"B1"}', '{"eventId":"e","direction":"entry","carId":""}']) {
      expect(() => decodeGateEvent(bad, 0), bad).to.throw(PayloadError);
    }
  });

  it('formats rupiah and durations as the gate display shows them', function () {
    expect(formatMoney(12000, 'IDR')).to.equal('Rp12.000');
    expect(formatMoney(1500000, 'IDR')).to.equal('Rp1.500.000');
    expect(formatMoney(1250, 'EUR')).to.equal('12.50 EUR');
    expect(formatDuration(125)).to.equal('2h05m');
    expect(formatDuration(45)).to.equal('45m');
  });
});

describe('contract: reading an availability summary back', () => {
  it('reads what summarise publishes, and nothing that is not a summary', () => {
    const at = new Date('2026-12-07T01:00:00.000Z');
    const s = summarise('mall-1', [{ level: 'B1', status: 'free' }, { level: 'B1', status: 'occupied' }, { level: 'B2', status: 'unknown' }], at);
    expect(decodeSummary(JSON.stringify(s))).to.deep.equal(s);
    const older = { lot: 'mall-1', availableSpotNumber: 3, totalSpotNumber: 5, observedAt: at.toISOString() };
    expect(decodeSummary(JSON.stringify(older)), 'missing counts read as 0, the status from the counts').to.deep.include({ occupiedSpotNumber: 0, closedSpotNumber: 0, unknownSpotNumber: 0, status: 'spacesAvailable', levels: {} });
    for (const bad of ['', '{oops', '[]', '42', JSON.stringify({ ...older, availableSpotNumber: -1 }), JSON.stringify({ ...older, totalSpotNumber: 1.5 }), JSON.stringify({ ...older, observedAt: 'soon' }), JSON.stringify({ ...older, lot: 7 }), JSON.stringify({ ...older, levels: { B1: { availableSpotNumber: 'x', totalSpotNumber: 1 } } })]) {
      expect(decodeSummary(bad), bad).to.equal(undefined);
    }
  });
});
