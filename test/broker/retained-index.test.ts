import { expect } from 'chai';
import { RetainedIndex } from '../../broker/retained/indexed.ts';

const packet = (topic: string, payload = 'x') => ({ topic, payload: Buffer.from(payload) });
const topics = (index: RetainedIndex, filter: string) => [...index.match(filter)].map((p) => p.topic).sort();

describe('broker: retained messages indexed by topic level', () => {
  const index = new RetainedIndex();
  before(() => {
    for (const t of ['parking/a/slot/B1/01', 'parking/a/slot/B1/02', 'parking/a/slot/B2/01', 'parking/b/slot/B1/01', 'parking/a', 'parking/a/', '$SYS/b1/heartbeat', 'x']) index.store(packet(t));
  });

  it('finds exact topics, + and # like an MQTT broker (a/# matches a; + matches an empty level)', () => {
    expect(topics(index, 'parking/a/slot/B1/01')).to.deep.equal(['parking/a/slot/B1/01']);
    expect(topics(index, 'parking/+/slot/B1/01')).to.deep.equal(['parking/a/slot/B1/01', 'parking/b/slot/B1/01']);
    expect(topics(index, 'parking/a/#')).to.deep.equal(['parking/a', 'parking/a/', 'parking/a/slot/B1/01', 'parking/a/slot/B1/02', 'parking/a/slot/B2/01']);
    expect(topics(index, 'parking/a/+')).to.deep.equal(['parking/a/']);
    expect(topics(index, 'parking/a/slot/+/01')).to.deep.equal(['parking/a/slot/B1/01', 'parking/a/slot/B2/01']);
    expect(topics(index, 'nothing/#')).to.deep.equal([]);
  });

  it('keeps $ topics from filters that start with a wildcard [MQTT-4.7.2-1]', () => {
    expect(topics(index, '#')).to.not.include('$SYS/b1/heartbeat');
    expect(topics(index, '+/b1/heartbeat')).to.deep.equal([]);
    expect(topics(index, '$SYS/+/heartbeat')).to.deep.equal(['$SYS/b1/heartbeat']);
    expect(topics(index, '#')).to.have.length(7);
  });

  it('replaces a topic on a new message and removes it on an empty payload, pruning empty branches', () => {
    const own = new RetainedIndex();
    own.store(packet('a/b/c', 'one'));
    own.store(packet('a/b/c', 'two'));
    expect(own.size).to.equal(1);
    expect([...own.match('a/b/c')][0].payload.toString()).to.equal('two');
    own.store(packet('a/b/c', ''));
    expect(own.size).to.equal(0);
    expect([...own.match('#')]).to.deep.equal([]);
    own.store(packet('a/b/c', ''));
    expect(own.size).to.equal(0);
  });
});
