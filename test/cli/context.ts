// An in-process context for running the program in tests.
import { EventEmitter } from 'node:events';
import type { CliContext, Components } from '../../cli/index.ts';

export interface TestContext extends CliContext {
  out: string[];
  err: string[];
  signalSource: EventEmitter;
  /** Resolves with stdout once it holds a line matching `pattern`. */
  printed(pattern: RegExp): Promise<string>;
}

export function testContext(env: Record<string, string> = {}, components: Partial<Components> = {}): TestContext {
  const out: string[] = [];
  const err: string[] = [];
  const signalSource = new EventEmitter();
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const line = out.join('').split('\n').find((candidate) => waiter.pattern.test(candidate));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  return {
    env: { PARKING_LOG_LEVEL: 'silent', ...env },
    stdout: { write: (text: string) => (out.push(text), check(), true) },
    stderr: { write: (text: string) => err.push(text) },
    signals: signalSource,
    exitCode: 0,
    components: {
      testbedMongo: async () => {
        throw new Error('no testbed in this test');
      },
      ...components,
    },
    out,
    err,
    signalSource,
    printed: (pattern) =>
      new Promise((resolve) => {
        waiters.push({ pattern, resolve });
        check();
      }),
  };
}
