// The broker's event-loop watch: a stop long enough for devices to leave is logged, a short one is not.
import { expect } from 'chai';
import { watchStalls } from '../../broker/stalls.ts';
import { blockEventLoop } from '../helpers/block.ts';

describe('broker: event-loop stalls', function () {
  this.timeout(10_000);

  it('warns with how long the loop stopped when it stopped 250 ms or more, and says nothing of short stops', async () => {
    const warnings: Array<{ delayMs: number }> = [];
    const logger = { warn: (obj: object) => void warnings.push(obj as { delayMs: number }) };
    const stop = watchStalls(logger as never, 250);
    try {
      blockEventLoop(60);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // one check (once a second): no event marks it
      expect(warnings, 'a 60 ms stop').to.deep.equal([]);
      blockEventLoop(400);
      const deadline = Date.now() + 3000;
      while (warnings.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(warnings).to.have.length(1);
      expect(warnings[0].delayMs).to.be.within(350, 1000);
    } finally {
      stop();
    }
  });

  it('is off with a threshold of 0 or without a logger', () => {
    expect(watchStalls(undefined)).to.be.a('function');
    expect(watchStalls({ warn: () => expect.fail('no warning expected') } as never, 0)).to.be.a('function');
  });
});
