// The publish middleware: drops publishes the hooks refused, then lets a
// retained publish under the root through only when the retained guard says
// it is newer than what is stored.
import type { Logger } from '../log/index.ts';
import type { PublishMiddleware } from './aedes.ts';
import type { RefusalCounters } from './auth/hooks.ts';
import type { RetainedGuard } from './retained/guard.ts';

export interface PipelineDeps {
  root: string;
  refused: WeakSet<object>;
  guard: RetainedGuard;
  counters: RefusalCounters;
  logger?: Pick<Logger, 'debug' | 'error'>;
}

export function publishPipeline(deps: PipelineDeps): PublishMiddleware {
  const prefix = `${deps.root}/`;
  return (packet, _client, next, done) => {
    if (deps.refused.has(packet)) {
      deps.refused.delete(packet);
      return done();
    }
    if (!packet.retain || !packet.topic.startsWith(prefix)) return next(done);
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    deps.guard.admit(packet.topic, payload).then(
      ({ decision, release }) => {
        if (decision !== 'store') {
          deps.counters[decision] += 1;
          deps.logger?.debug({ topic: packet.topic, decision }, 'retained publish not stored');
          return done();
        }
        next((error) => {
          release();
          done(error);
        });
      },
      (error: unknown) => {
        // The store could not be read (Redis down): deliver rather than lose the update.
        deps.logger?.error({ err: error, topic: packet.topic }, 'retained guard failed; publishing without the order check');
        next(done);
      },
    );
  };
}
