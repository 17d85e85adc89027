import { expect } from 'chai';
import { PER_TURN, RetainedIndex, indexedMemoryPersistence } from '../../broker/retained/indexed.ts';

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

describe('broker: retained messages to a wide subscription', () => {
  it('go out a few hundred at a time, letting the event loop turn in between (20,000 at once stopped a broker for seconds)', async () => {
    const persistence = indexedMemoryPersistence() as {
      storeRetained(packet: { topic: string; payload: Buffer; retain: boolean; qos: number; cmd: string }): Promise<void>;
      createRetainedStreamCombi(patterns: string[]): NodeJS.ReadableStream;
    };
    const total = 3 * PER_TURN + 10;
    for (let i = 0; i < total; i++) await persistence.storeRetained({ cmd: 'publish', topic: `parking/a/slot/B1/${i}`, payload: Buffer.from('1'), retain: true, qos: 1 });
    const stream = persistence.createRetainedStreamCombi(['parking/#']);
    let received = 0;
    const atTurns: number[] = [];
    const watch = () => {
      atTurns.push(received);
      if (received < total) setImmediate(watch);
    };
    setImmediate(watch);
    await new Promise<void>((resolve, reject) => {
      stream.on('data', () => (received += 1));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
    expect(received).to.equal(total);
    const during = atTurns.filter((n) => n > 0 && n < total);
    expect(during.length, `turns of the event loop during the stream (counts seen: ${atTurns.join(', ')})`).to.be.at.least(3);
    expect(Math.max(...during.map((n, i) => n - (i ? during[i - 1] : 0)))).to.be.at.most(PER_TURN + 16);
  });
});
