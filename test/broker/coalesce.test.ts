// Write coalescing: what is written to a socket in one event-loop turn leaves
// in one write, and nothing written before a destroy is lost.
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { coalesceWrites } from '../../broker/coalesce.ts';

interface Pair {
  client: net.Socket;
  /** Everything the server side received so far. */
  received(): Buffer;
  /** Resolves once the server side has received `bytes` bytes in all. */
  until(bytes: number): Promise<void>;
  close(): Promise<void>;
}

async function socketPair(): Promise<Pair> {
  const chunks: Buffer[] = [];
  const waiters: Array<{ bytes: number; done: () => void }> = [];
  const total = () => chunks.reduce((n, c) => n + c.length, 0);
  const server = net.createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      for (const w of waiters.filter((w) => total() >= w.bytes)) w.done();
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  return {
    client,
    received: () => Buffer.concat(chunks),
    until: (bytes) => (total() >= bytes ? Promise.resolve() : new Promise((done) => waiters.push({ bytes, done }))),
    close: async () => {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Counts the writes a socket hands to the operating system (one _write or _writev each). */
function countWrites(socket: net.Socket): { calls: number; chunks: number } {
  const counts = { calls: 0, chunks: 0 };
  const target = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (chunks: unknown[], cb: unknown) => void };
  const write = target._write.bind(socket);
  const writev = target._writev.bind(socket);
  target._write = (...args) => {
    counts.calls++;
    counts.chunks++;
    write(...args);
  };
  target._writev = (chunks, cb) => {
    counts.calls++;
    counts.chunks += chunks.length;
    writev(chunks, cb);
  };
  return counts;
}

describe('broker: write coalescing', () => {
  let pair: Pair;
  beforeEach(async () => {
    pair = await socketPair();
  });
  afterEach(() => pair.close());

  it('hands the writes of one turn to the socket as one write, in order', async () => {
    const counts = countWrites(pair.client);
    coalesceWrites(pair.client);
    for (let i = 0; i < 5; i++) pair.client.write(Buffer.from(`p${i};`));
    await pair.until(15);
    expect(counts).to.deep.equal({ calls: 1, chunks: 5 });
    expect(pair.received().toString()).to.equal('p0;p1;p2;p3;p4;');
  });

  it('without it, each write is its own call (what coalescing saves)', async () => {
    const counts = countWrites(pair.client);
    for (let i = 0; i < 5; i++) pair.client.write(Buffer.from(`p${i};`));
    await pair.until(15);
    expect(counts.calls).to.be.greaterThan(1);
  });

  it('writes of later turns leave in later writes, each turn together', async () => {
    const counts = countWrites(pair.client);
    coalesceWrites(pair.client);
    pair.client.write('a');
    pair.client.write('b');
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    pair.client.write('c');
    pair.client.write('d');
    await pair.until(4);
    expect(pair.received().toString()).to.equal('abcd');
    expect(counts).to.deep.equal({ calls: 2, chunks: 4 });
  });

  /** Runs `body` with a second coalesced pair beside `pair`, write counts for both, and closes it. */
  async function withTwo(body: (other: Pair, counts: Array<{ calls: number; chunks: number }>) => Promise<void>): Promise<void> {
    const other = await socketPair();
    try {
      const counts = [countWrites(pair.client), countWrites(other.client)];
      coalesceWrites(pair.client);
      coalesceWrites(other.client);
      await body(other, counts);
    } finally {
      await other.close();
    }
  }

  it('flushes every socket written in a turn by the end of that turn', () =>
    withTwo(async (other, counts) => {
      pair.client.write('a');
      other.client.write('b');
      pair.client.write('c');
      other.client.write('d');
      // An immediate queued after the writes runs after their flush.
      await new Promise((resolve) => setImmediate(resolve));
      expect(counts).to.deep.equal([{ calls: 1, chunks: 2 }, { calls: 1, chunks: 2 }]);
      await Promise.all([pair.until(2), other.until(2)]);
      expect([pair.received().toString(), other.received().toString()]).to.deep.equal(['ac', 'bd']);
    }));

  it('in a long turn (a reconnect storm), what was written early leaves once another socket writes 2 ms later, not at the end of the turn', () =>
    withTwo(async (other, counts) => {
      pair.client.write('early');
      const started = performance.now();
      while (performance.now() - started < 3) {
        // The turn goes on: handling the rest of the storm.
      }
      other.client.write('late');
      expect(counts[0].calls, 'the early write left within the turn').to.equal(1);
      expect(counts[1].calls, 'the late one waits for the end of the turn').to.equal(0);
      await Promise.all([pair.until(5), other.until(4)]);
      expect(counts[1].calls).to.equal(1);
    }));

  it('still sends what was written just before a destroy', async () => {
    coalesceWrites(pair.client);
    pair.client.write('last words');
    pair.client.destroy();
    await pair.until(10);
    expect(pair.received().toString()).to.equal('last words');
  });

  it('calls the write callbacks and reports the end as usual', async () => {
    coalesceWrites(pair.client);
    const done: string[] = [];
    pair.client.write('x', () => done.push('x'));
    pair.client.end('y', () => done.push('end'));
    await pair.until(2);
    await new Promise((resolve) => pair.client.once('close', resolve));
    expect(done).to.deep.equal(['x', 'end']);
    expect(pair.received().toString()).to.equal('xy');
  });

  it('is applied once, and leaves streams that are not sockets alone', () => {
    const before = pair.client.write;
    coalesceWrites(pair.client);
    const once = pair.client.write;
    coalesceWrites(pair.client);
    expect(once).to.not.equal(before);
    expect(pair.client.write).to.equal(once);
    const other = new PassThrough();
    const write = other.write;
    coalesceWrites(other);
    expect(other.write).to.equal(write);
  });
});
