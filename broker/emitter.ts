// Aedes' message bus (mqemitter) with a bounded stack. mqemitter delivers at
// most `concurrency` messages at once and queues the rest; when a delivery
// ends it starts the next queued one in the same stack, so a long queue of
// deliveries that end synchronously recurses once per message. A burst of
// 10,000 publishes arriving together (a fleet's pending publishes, moved onto
// the standby in the same 100 ms after a crash) overflowed the stack and
// killed the broker ("Maximum call stack size exceeded" in qlobber). Upstream
// knows it (mcollina/mqemitter#204, open); the fix its maintainer asks for is
// this one: past a depth, go on in a fresh stack (setImmediate), only then.
// The delivery's slot stays taken meanwhile, so what is emitted in the
// meantime queues behind it: the order of messages is kept. The queue itself
// becomes a Fifo (O(1) shift) instead of an array.
import { createRequire } from 'node:module';
import { Fifo } from '../link/fifo.ts';

const require = createRequire(import.meta.url);

/** Nested deliveries in one stack before the next one starts in a fresh stack. */
export const MAX_DEPTH = 200;

interface Queue {
  push(item: unknown): unknown;
  shift(): unknown;
  readonly length: number;
}

interface Emitter {
  current: number;
  _doing: boolean;
  _do(message: unknown, callback: unknown): unknown;
  _messageQueue: Queue;
  _messageCallbacks: Queue;
}

function fifoOf(queue: Queue): Fifo<unknown> {
  const fifo = new Fifo<unknown>();
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) fifo.push(item);
  return fifo;
}

/** Makes `mq` start a delivery in a fresh stack once MAX_DEPTH deliveries are nested, and queue in a Fifo. Returns it. */
export function boundStack<T>(mq: T): T {
  const emitter = mq as unknown as Emitter;
  emitter._messageQueue = fifoOf(emitter._messageQueue);
  emitter._messageCallbacks = fifoOf(emitter._messageCallbacks);
  const deliver = emitter._do;
  let depth = 0;
  emitter._do = function (this: Emitter, message: unknown, callback: unknown) {
    if (depth < MAX_DEPTH) {
      depth += 1;
      try {
        return deliver.call(this, message, callback);
      } finally {
        depth -= 1;
      }
    }
    this._doing = true;
    this.current += 1;
    setImmediate(() => {
      this.current -= 1;
      deliver.call(this, message, callback);
    });
    return this;
  };
  return mq;
}

/** Aedes' default in-process bus, as Aedes makes it, with the bounded stack. */
export function memoryEmitter(concurrency: number): unknown {
  const mqemitter = require('mqemitter') as (options: Record<string, unknown>) => unknown;
  // Aedes' default emitter matches `a/+` on `a/` too [MQTT-4.7.1-3]; keep that.
  return boundStack(mqemitter({ concurrency, matchEmptyLevels: true }));
}
