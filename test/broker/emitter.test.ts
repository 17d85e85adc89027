// The message bus's stack stays bounded when a long queue drains at once.
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { boundStack, memoryEmitter } from '../../broker/emitter.ts';

const require = createRequire(import.meta.url);
const mqemitter = require('mqemitter') as (options: Record<string, unknown>) => Bus;

interface Bus {
  on(topic: string, listener: (message: { topic: string; n?: number }, done: () => void) => void): void;
  emit(message: { topic: string; n?: number }, done?: (error?: Error) => void): void;
}

/** Queues `count` messages behind one held delivery (concurrency 1), then lets them drain at once. */
function drainAfterHold(bus: Bus, count: number): { delivered: number[]; release(): void } {
  const delivered: number[] = [];
  let release = () => {};
  bus.on('hold', (_message, done) => (release = done));
  bus.on('burst', (message, done) => {
    delivered.push(message.n!);
    done();
  });
  bus.emit({ topic: 'hold' });
  for (let n = 0; n < count; n++) bus.emit({ topic: 'burst', n });
  return { delivered, release: () => release() };
}

describe('broker: the message bus drains a long queue without a deep stack', () => {
  it('plain mqemitter overflows the stack on a long synchronous drain (what the guard is for)', () => {
    const { release } = drainAfterHold(mqemitter({ concurrency: 1 }), 50_000);
    expect(release).to.throw(RangeError, /call stack/);
  });

  it('with the guard every queued message is delivered, in order', async () => {
    const bus = boundStack(mqemitter({ concurrency: 1 }));
    const { delivered, release } = drainAfterHold(bus, 50_000);
    release();
    const started = Date.now();
    while (delivered.length < 50_000 && Date.now() - started < 10_000) await new Promise((resolve) => setImmediate(resolve));
    expect(delivered.length).to.equal(50_000);
    expect(delivered.every((n, i) => n === i), 'in order').to.equal(true);
  });

  it('what is emitted while the drain goes on in a fresh stack waits behind it', async () => {
    const bus = boundStack(mqemitter({ concurrency: 1 }));
    const { delivered, release } = drainAfterHold(bus, 5000);
    release();
    bus.emit({ topic: 'burst', n: 5000 });
    const started = Date.now();
    while (delivered.length < 5001 && Date.now() - started < 10_000) await new Promise((resolve) => setImmediate(resolve));
    expect(delivered.every((n, i) => n === i), 'in order').to.equal(true);
  });

  it("the broker's in-process bus is guarded and matches `a/+` on `a/` as Aedes' default does", async () => {
    const bus = memoryEmitter(1) as Bus;
    const got: string[] = [];
    bus.on('a/+', (message, done) => {
      got.push(message.topic);
      done();
    });
    await new Promise<void>((resolve) => bus.emit({ topic: 'a/' }, () => resolve()));
    expect(got).to.deep.equal(['a/']);
    const { release } = drainAfterHold(bus, 50_000);
    expect(release).to.not.throw();
  });
});

describe('link: Fifo', () => {
  it('gives items back in order, with a length, across its compactions', async () => {
    const { Fifo } = await import('../../link/fifo.ts');
    const fifo = new Fifo<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      fifo.push(i);
      if (i % 3 === 0) out.push(fifo.shift()!);
    }
    expect(fifo.length).to.equal(5000 - out.length);
    for (let item = fifo.shift(); item !== undefined; item = fifo.shift()) out.push(item);
    expect(out).to.deep.equal([...Array(5000).keys()]);
    expect(fifo.length).to.equal(0);
    expect(fifo.shift()).to.equal(undefined);
  });
});
