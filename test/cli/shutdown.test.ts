import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { createShutdown } from '../../cli/index.ts';

function setup(options: { timeoutMs?: number } = {}) {
  const signals = new EventEmitter();
  const forced: number[] = [];
  const errors: string[] = [];
  const logger = { info: () => {}, error: (_obj: unknown, msg?: string) => void errors.push(msg ?? '') };
  const shutdown = createShutdown({ signals, logger: logger as never, forceExit: (code) => void forced.push(code), ...options });
  return { signals, forced, errors, shutdown };
}

describe('createShutdown', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`on ${signal} runs the cleanups, last registered first, awaiting each, then resolves 0`, async () => {
      const { signals, shutdown } = setup();
      const order: string[] = [];
      shutdown.onShutdown(async () => {
        await Promise.resolve();
        order.push('first registered');
      });
      shutdown.onShutdown(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        order.push('second registered');
      });
      signals.emit(signal);
      expect(await shutdown.done).to.equal(0);
      expect(order).to.deep.equal(['second registered', 'first registered']);
    });
  }

  it('does nothing before a signal', async () => {
    const { shutdown } = setup();
    let ran = false;
    shutdown.onShutdown(() => void (ran = true));
    const result = await Promise.race([shutdown.done, new Promise((resolve) => setImmediate(() => resolve('pending')))]);
    expect(result).to.equal('pending');
    expect(ran).to.equal(false);
  });

  it('a failing cleanup is logged, the others still run, and the code is 1', async () => {
    const { signals, shutdown, errors } = setup();
    let ran = false;
    shutdown.onShutdown(() => void (ran = true));
    shutdown.onShutdown(() => {
      throw new Error('boom');
    });
    signals.emit('SIGTERM');
    expect(await shutdown.done).to.equal(1);
    expect(ran).to.equal(true);
    expect(errors).to.deep.equal(['cleanup failed']);
  });

  it('a second signal while cleaning up forces exit 130', async () => {
    const { signals, shutdown, forced } = setup();
    let release: () => void = () => {};
    shutdown.onShutdown(() => new Promise<void>((resolve) => (release = resolve)));
    signals.emit('SIGINT');
    expect(forced).to.deep.equal([]);
    signals.emit('SIGINT');
    expect(forced).to.deep.equal([130]);
    release();
    expect(await shutdown.done).to.equal(0);
  });

  it('cleanups that take too long end with code 1', async () => {
    const { signals, shutdown, errors } = setup({ timeoutMs: 10 });
    shutdown.onShutdown(() => new Promise(() => {}));
    signals.emit('SIGTERM');
    expect(await shutdown.done).to.equal(1);
    expect(errors).to.deep.equal(['cleanup took too long']);
  });

  it('shutdown() starts it without a signal, once; listeners are removed afterwards', async () => {
    const { signals, shutdown } = setup();
    let runs = 0;
    shutdown.onShutdown(() => void runs++);
    expect(signals.listenerCount('SIGINT')).to.equal(1);
    const [a, b] = await Promise.all([shutdown.shutdown('failed'), shutdown.shutdown('again')]);
    expect([a, b, runs]).to.deep.equal([0, 0, 1]);
    expect(signals.listenerCount('SIGINT')).to.equal(0);
    expect(signals.listenerCount('SIGTERM')).to.equal(0);
    expect(() => shutdown.onShutdown(() => {})).to.throw(/already shutting down/);
  });
});
