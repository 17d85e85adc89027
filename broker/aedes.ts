// Aedes with one more hook: a publish middleware that runs before anything
// is stored or delivered. Aedes' own hooks cannot drop a publish quietly
// (an authorizePublish error closes the publisher's connection) and run only
// for client publishes, not for what the broker publishes itself (bridged
// messages, wills). Every publish, from any source, passes `broker.publish`,
// so the middleware sits there.
import { Aedes, type AedesOptions, type Client, type PublishPacket } from 'aedes';

export type PublishDone = (error?: Error) => void;

/**
 * Decides what happens to a publish: call `next(done)` to let it go on (store,
 * deliver; `done` is called when that finished), or call `done()` alone to drop
 * it (a QoS 1/2 publisher still gets its acknowledgement).
 */
export type PublishMiddleware = (packet: PublishPacket, client: Client | null, next: (done: PublishDone) => void, done: PublishDone) => void;

type BasePublish = (this: Aedes, packet: PublishPacket, client: Client | null, done: PublishDone) => void;
const basePublish = Aedes.prototype.publish as unknown as BasePublish;
const noop: PublishDone = () => {};

export class ParkingAedes extends Aedes {
  readonly #middleware: PublishMiddleware;

  constructor(options: AedesOptions, middleware: PublishMiddleware) {
    super(options);
    this.#middleware = middleware;
  }

  override publish(packet: PublishPacket, clientOrDone?: Client | null | PublishDone, maybeDone?: PublishDone): void {
    const client = typeof clientOrDone === 'function' ? null : (clientOrDone ?? null);
    const done = (typeof clientOrDone === 'function' ? clientOrDone : maybeDone) ?? noop;
    this.#middleware(packet, client, (after) => basePublish.call(this, packet, client, after), done);
  }
}

/** The persistence Aedes uses (not in its typings). */
export interface RetainedStore {
  createRetainedStream(pattern: string): AsyncIterable<PublishPacket>;
}

export function persistenceOf(aedes: Aedes): RetainedStore & { destroy?: () => unknown } {
  return (aedes as unknown as { persistence: RetainedStore & { destroy?: () => unknown } }).persistence;
}
