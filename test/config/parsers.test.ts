import { expect } from 'chai';
import { InvalidValue, parsers as p } from '../../config/index.ts';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidValue);
    return (error as Error).message;
  }
  throw new Error('expected the value to be rejected');
}

describe('config parsers', () => {
  it('port accepts 1-65535 and rejects 0, text, signs and out-of-range numbers', () => {
    const port = p.port();
    expect(port('1')).to.equal(1);
    expect(port('65535')).to.equal(65535);
    for (const bad of ['0', '65536', 'abc', '-1', '+80', '80.0', '1e3', '', '123456']) {
      expect(reason(() => port(bad)), bad).to.equal('must be a port number 1-65535');
    }
  });

  it('port accepts 0 only when allowed, and honours a lower maximum', () => {
    const port = p.port({ allowZero: true, max: 65533 });
    expect(port('0')).to.equal(0);
    expect(port('65533')).to.equal(65533);
    expect(reason(() => port('65534'))).to.equal('must be a port number 0-65533');
  });

  it('boolean accepts true/false/1/0/yes/no in any case and nothing else', () => {
    for (const yes of ['true', 'TRUE', '1', 'yes', 'Yes']) expect(p.boolean(yes), yes).to.equal(true);
    for (const no of ['false', 'False', '0', 'no', 'NO']) expect(p.boolean(no), no).to.equal(false);
    for (const bad of ['on', 'off', '2', 'y', '']) expect(reason(() => p.boolean(bad)), bad).to.match(/^must be true or false/);
  });

  it('delayRange takes a number or a low-high range', () => {
    expect(p.delayRange('500')).to.deep.equal([500, 500]);
    expect(p.delayRange('10000-12000')).to.deep.equal([10000, 12000]);
    expect(p.delayRange('0-0')).to.deep.equal([0, 0]);
    expect(reason(() => p.delayRange('12000-10000'))).to.match(/low to high/);
    for (const bad of ['abc', '-5', '1-', '1-2-3', '1.5']) expect(reason(() => p.delayRange(bad)), bad).to.match(/must be milliseconds/);
  });

  it('url checks the scheme and the host', () => {
    const redis = p.url(['redis:', 'rediss:']);
    expect(redis('redis://cache:6379/0')).to.equal('redis://cache:6379/0');
    expect(redis('rediss://user:pw@cache')).to.equal('rediss://user:pw@cache');
    expect(reason(() => redis('http://cache'))).to.equal('must be a URL starting redis:// or rediss://');
    expect(reason(() => redis('cache:6379'))).to.match(/must be a URL/);
  });

  it('urlList splits on commas, trims, keeps order and rejects empty items, bad schemes and repeats', () => {
    const list = p.urlList(['mqtt:', 'mqtts:', 'ws:', 'wss:']);
    expect(list('mqtt://a:1883, wss://b/mqtt')).to.deep.equal(['mqtt://a:1883', 'wss://b/mqtt']);
    expect(reason(() => list('mqtt://a,,mqtt://b'))).to.match(/comma-separated list/);
    expect(reason(() => list('mqtt://a,tcp://b'))).to.match(/^tcp:\/\/b: must be a URL starting mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//);
    expect(reason(() => list('mqtt://a,mqtt://a'))).to.equal('mqtt://a is listed twice');
  });

  it('mongodbUri accepts standard and SRV strings with hosts', () => {
    expect(p.mongodbUri('mongodb://db1:27017,db2:27017/?replicaSet=rs0')).to.match(/^mongodb:/);
    expect(p.mongodbUri('mongodb+srv://user:pw@cluster.example.net/parking')).to.match(/^mongodb\+srv:/);
    expect(reason(() => p.mongodbUri('postgres://db'))).to.equal('must start mongodb:// or mongodb+srv://');
    expect(reason(() => p.mongodbUri('mongodb://'))).to.equal('must name at least one host');
    expect(reason(() => p.mongodbUri('mongodb://a,,b'))).to.equal('must name at least one host');
    expect(reason(() => p.mongodbUri('mongodb+srv://cluster:27017'))).to.match(/one host name without a port/);
  });

  it('databaseName rejects empty, long and reserved characters', () => {
    expect(p.databaseName('parking_test-1')).to.equal('parking_test-1');
    expect(reason(() => p.databaseName(''))).to.equal('must not be empty');
    expect(reason(() => p.databaseName('a'.repeat(64)))).to.equal('must be at most 63 bytes');
    for (const bad of ['a.b', 'a/b', 'a b', 'a$b', 'a"b']) expect(reason(() => p.databaseName(bad)), bad).to.match(/must not contain/);
  });

  it('topicLevel rejects separators, wildcards, $ and empty', () => {
    expect(p.topicLevel('parking-dev')).to.equal('parking-dev');
    for (const bad of ['a/b', 'a+', '#', 'x#y']) expect(reason(() => p.topicLevel(bad)), bad).to.match(/one MQTT topic level/);
    expect(reason(() => p.topicLevel('$SYS'))).to.match(/must not start with \$/);
    expect(reason(() => p.topicLevel(''))).to.equal('must not be empty');
  });

  it('id accepts 1-32 characters of A-Z a-z 0-9 _ -', () => {
    expect(p.id('mall-1_B')).to.equal('mall-1_B');
    for (const bad of ['', 'a'.repeat(33), 'a/b', 'a b', 'ä']) expect(reason(() => p.id(bad)), bad).to.match(/1-32 characters/);
  });

  it('oneOf, integer and positiveNumber', () => {
    expect(p.oneOf(['a', 'b'] as const)('b')).to.equal('b');
    expect(reason(() => p.oneOf(['a', 'b'] as const)('c'))).to.equal('must be one of a, b');
    expect(p.integer(1, 10)('10')).to.equal(10);
    expect(reason(() => p.integer(1, 10)('11'))).to.equal('must be a whole number 1-10');
    expect(reason(() => p.integer(1)('x'))).to.equal('must be a whole number, at least 1');
    expect(p.positiveNumber('0.5')).to.equal(0.5);
    for (const bad of ['0', '-1', 'x', 'Infinity']) expect(reason(() => p.positiveNumber(bad)), bad).to.equal('must be a number above 0');
  });
});
