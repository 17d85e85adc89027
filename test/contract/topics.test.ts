import { expect } from 'chai';
import { Topics, idProblem } from '../../contract/index.ts';

describe('contract: topics and ids', function () {
  const t = new Topics();

  it('builds and parses every topic kind', function () {
    const cases = [
      [t.slot('mall-1', 'B1', 's07'), { kind: 'slot', lot: 'mall-1', level: 'B1', slot: 's07' }],
      [t.deviceStatus('mall-1', 'pi-1'), { kind: 'deviceStatus', lot: 'mall-1', device: 'pi-1' }],
      [t.gateEvent('mall-1', 'g1'), { kind: 'gateEvent', lot: 'mall-1', gate: 'g1' }],
      [t.gateDisplay('mall-1', 'g1'), { kind: 'gateDisplay', lot: 'mall-1', gate: 'g1' }],
      [t.availability('mall-1'), { kind: 'availability', lot: 'mall-1' }],
      [t.levelAvailability('mall-1', 'B1'), { kind: 'levelAvailability', lot: 'mall-1', level: 'B1' }],
      [t.forecast('mall-1'), { kind: 'forecast', lot: 'mall-1' }],
      [t.forecast('mall-1', 'B1'), { kind: 'forecast', lot: 'mall-1', level: 'B1' }],
      [t.alarm('mall-1', 'lot-full'), { kind: 'alarm', lot: 'mall-1', alarm: 'lot-full' }],
    ] as const;
    for (const [topic, parsed] of cases) expect(t.parse(topic), topic).to.deep.equal(parsed);
    expect(t.slot('a', 'b', 'c')).to.equal('parking/a/slot/b/c');
  });

  it('refuses malformed ids, other roots and extra levels', function () {
    for (const topic of ['parking/mall 1/slot/B1/1', 'parking/m/slot/B1', 'parking/m/slot/B1/1/x', 'other/m/slot/B1/1', `parking/${'x'.repeat(33)}/availability`, 'parking/m/gate/g/open', 'parking/m/alarm', 'parking/m/alarm/a/b', 'parking/m/forecast/B1/x']) {
      expect(t.parse(topic), topic).to.equal(undefined);
    }
  });

  it('supports a multi-level root', function () {
    const city = new Topics('city/parking');
    expect(city.parse('city/parking/l/slot/1/2')).to.deep.equal({ kind: 'slot', lot: 'l', level: '1', slot: '2' });
    expect(city.filters.slots).to.equal('city/parking/+/slot/+/+');
  });

  it('explains a bad id', function () {
    expect(idProblem('lot', 'ok_id-1')).to.equal(undefined);
    expect(idProblem('lot', '')).to.match(/1-32/);
    expect(idProblem('slot', 'a/b')).to.match(/only A-Z/);
  });
});
