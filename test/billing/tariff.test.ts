import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DEFAULT_TARIFF, parseTariff, TariffError, validateTariff } from '../../billing/index.ts';

const valid = () => ({
  id: 'mall',
  currency: 'IDR',
  graceMinutes: 10,
  firstPeriod: { minutes: 60, price: 5000 },
  increment: { minutes: 60, price: 4000 },
  lostTicketFee: 50000,
});

function problemsOf(input: unknown): string[] {
  try {
    validateTariff(input);
  } catch (err) {
    expect(err).to.be.instanceOf(TariffError);
    return (err as TariffError).problems.map((p) => p.field);
  }
  throw new Error('expected the tariff to be refused');
}

describe('billing: tariffs', function () {
  it('fills in what may be left out: name, minor digits, no cap, no overnight rate', function () {
    const t = validateTariff(valid());
    expect(t).to.deep.include({ name: 'mall', minorDigits: 0, dailyMax: null, overnight: null });
    expect(validateTariff({ ...valid(), currency: 'EUR' }).minorDigits).to.equal(2);
  });

  it('names each bad field, and lists them all in one message', function () {
    const input = { ...valid(), graceMinutes: -1, increment: { minutes: 0, price: 1.5 }, currency: 'idr' };
    expect(problemsOf(input)).to.have.members(['graceMinutes', 'increment.minutes', 'increment.price', 'currency']);
    expect(() => validateTariff(input, 'tariff mall')).to.throw(/^tariff mall: .*graceMinutes must be an integer 0-1440 minutes, got -1.*increment\.minutes.*increment\.price must be an integer.*got 1\.5/);
  });

  it('refuses unknown fields, so a typo is not silently ignored', function () {
    const { graceMinutes, ...rest } = valid();
    expect(problemsOf({ ...rest, graceMinute: graceMinutes })).to.have.members(['graceMinute', 'graceMinutes']);
    expect(problemsOf({ ...valid(), firstPeriod: { minutes: 60, price: 5000, prise: 1 } })).to.deep.equal(['firstPeriod.prise']);
  });

  it('checks the overnight rate: local times, a UTC offset, a window of some length', function () {
    const overnight = (o: object) => ({ ...valid(), overnight: { from: '22:00', to: '06:00', utcOffset: '+07:00', price: 20000, ...o } });
    expect(validateTariff(overnight({})).overnight).to.deep.equal({ from: '22:00', to: '06:00', utcOffset: '+07:00', price: 20000 });
    expect(problemsOf(overnight({ from: '24:00' }))).to.deep.equal(['overnight.from']);
    expect(problemsOf(overnight({ to: '22:00' }))).to.deep.equal(['overnight.to']);
    expect(problemsOf(overnight({ utcOffset: '+15:00' }))).to.deep.equal(['overnight.utcOffset']);
    expect(problemsOf(overnight({ utcOffset: 7 }))).to.deep.equal(['overnight.utcOffset']);
  });

  it('requires integer amounts (minor units), never floats, and a positive cap', function () {
    expect(problemsOf({ ...valid(), lostTicketFee: 500.5 })).to.deep.equal(['lostTicketFee']);
    expect(problemsOf({ ...valid(), dailyMax: 0 })).to.deep.equal(['dailyMax']);
    expect(problemsOf({ ...valid(), firstPeriod: { minutes: 60, price: '5000' } })).to.deep.equal(['firstPeriod.price']);
    expect(problemsOf({ ...valid(), id: 'bad id' })).to.deep.equal(['id']);
  });

  it('reads JSON text and says when it is not JSON', function () {
    expect(parseTariff(JSON.stringify(valid())).id).to.equal('mall');
    expect(() => parseTariff('{"id":', 'tariff.json')).to.throw(TariffError, /^tariff\.json: \(tariff\) is not JSON/);
    expect(problemsOf([1, 2])).to.deep.equal(['(tariff)']);
  });

  it('ships a valid default tariff: IDR, 10 min grace, Rp5.000 first hour, Rp4.000 per started hour, Rp40.000 a day, Rp50.000 lost ticket', function () {
    const file = JSON.parse(readFileSync(new URL('../../billing/tariffs/default.json', import.meta.url), 'utf8'));
    expect(validateTariff(file)).to.deep.equal(DEFAULT_TARIFF);
    expect(DEFAULT_TARIFF).to.deep.include({ currency: 'IDR', graceMinutes: 10, dailyMax: 40000, lostTicketFee: 50000, overnight: null });
    expect(DEFAULT_TARIFF.firstPeriod).to.deep.equal({ minutes: 60, price: 5000 });
    expect(DEFAULT_TARIFF.increment).to.deep.equal({ minutes: 60, price: 4000 });
    expect(Object.isFrozen(DEFAULT_TARIFF.firstPeriod)).to.equal(true);
    const example = JSON.parse(readFileSync(new URL('../../billing/tariffs/overnight-example.json', import.meta.url), 'utf8'));
    expect(validateTariff(example).overnight).to.include({ from: '22:00', to: '06:00' });
  });
});
