// Applies decideRetained to every retained publish under the root, one at a
// time per topic so two publishes cannot both pass against the same old value.
// In memory the guard keeps its own copy of the retained payloads (it sees
// every store); with Redis it reads the shared store, where other brokers
// write too.
import type { Topics } from '../../contract/index.ts';
import type { RetainedStore } from '../aedes.ts';
import { decideRetained, type RetainedDecision } from './order.ts';

export interface RetainedGuard {
  /**
   * Decides on a retained publish. When the decision is `store`, call
   * `release()` once the message is stored (or failed); until then later
   * publishes on the topic wait.
   */
  admit(topic: string, payload: Buffer): Promise<{ decision: RetainedDecision; release: () => void }>;
  /** Retained messages under the root (for health). */
  count(): Promise<number>;
}

class TopicQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Resolves when earlier holders of `topic` released it; call the returned function to release. */
  async acquire(topic: string): Promise<() => void> {
    const previous = this.#tails.get(topic) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(topic, tail);
    await previous;
    return () => {
      release();
      if (this.#tails.get(topic) === tail) this.#tails.delete(topic);
    };
  }
}

async function readRetained(store: RetainedStore, topic: string): Promise<Buffer | undefined> {
  for await (const packet of store.createRetainedStream(topic)) {
    if (packet.topic === topic) return Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
  }
  return undefined;
}

/** What the memory guard hands back: it holds nothing, so there is nothing to release. */
const NOTHING_HELD = (): void => undefined;

/** The guard over Aedes' in-memory store: a mirror of the retained payloads answers at once. */
export function memoryGuard(topics: Topics): RetainedGuard {
  const mirror = new Map<string, Buffer>();
  const prefix = `${topics.root}/`;
  return {
    async admit(topic, payload) {
      const decision = decideRetained(topics, topic, payload, mirror.get(topic));
      if (decision === 'store') {
        if (payload.length === 0) mirror.delete(topic);
        else mirror.set(topic, payload);
      }
      return { decision, release: NOTHING_HELD };
    },
    async count() {
      let n = 0;
      for (const topic of mirror.keys()) if (topic.startsWith(prefix)) n += 1;
      return n;
    },
  };
}

/** The guard over a shared store (Redis): reads the current value, holds the topic until stored. */
export function sharedGuard(topics: Topics, store: () => RetainedStore): RetainedGuard {
  const queue = new TopicQueue();
  return {
    async admit(topic, payload) {
      const release = await queue.acquire(topic);
      try {
        const decision = decideRetained(topics, topic, payload, await readRetained(store(), topic));
        if (decision !== 'store') release();
        return { decision, release };
      } catch (error) {
        release();
        throw error;
      }
    },
    async count() {
      let n = 0;
      for await (const _ of store().createRetainedStream(`${topics.root}/#`)) n += 1;
      return n;
    },
  };
}
