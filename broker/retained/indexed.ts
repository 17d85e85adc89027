// Aedes' in-memory persistence with its retained messages indexed by topic
// level. The stock one tests every retained topic against each new
// subscription: O(retained) per SUBSCRIBE. A fleet reconnecting at once (each
// device subscribing to `$SYS/+/leaving`) then costs fleet × retained topic
// matches, seconds of CPU at a few thousand devices, while the standby must
// answer them fast. Here a subscription walks only the trie branches its
// filter can match. Everything else is the stock persistence.
//
// A subscription matching many retained messages (the bridge's, ingest's, a
// signage display's `parking/#`: every slot and device status at a site) gets
// them at most PER_TURN at a time, yielding to the event loop in between.
// Aedes' delivery of a retained stream runs on promises and stream callbacks,
// which never let the event loop turn: 20,000 retained messages to one
// subscriber stopped a broker for 2.5 s, and the devices it served left it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface RetainedPacket {
  topic: string;
  payload: Buffer;
}

type AsyncPersistenceClass = new (options?: Record<string, unknown>) => {
  storeRetained(packet: RetainedPacket): Promise<void>;
  createRetainedStream(pattern: string): Iterable<RetainedPacket> | AsyncIterable<RetainedPacket>;
  createRetainedStreamCombi(patterns: readonly string[]): Iterable<RetainedPacket> | AsyncIterable<RetainedPacket>;
};

/** Retained messages sent to one subscription in one turn of the event loop at most. */
export const PER_TURN = 256;

/** `items`, yielding to the event loop after every `perTurn`. */
export async function* paced<T>(items: Iterable<T>, perTurn = PER_TURN): AsyncGenerator<T> {
  let n = 0;
  for (const item of items) {
    yield item;
    if (++n % perTurn === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as AsyncPersistenceClass;
const { CallBackPersistence } = require('aedes-persistence/callBackPersistence.js') as {
  CallBackPersistence: new (factory: (options: Record<string, unknown>) => unknown, options?: Record<string, unknown>) => unknown;
};

interface Node {
  children: Map<string, Node>;
  packet?: RetainedPacket;
}

const node = (): Node => ({ children: new Map() });

/** Retained messages in a trie of topic levels. Pure. */
export class RetainedIndex {
  private readonly root = node();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Stores `packet` as the topic's retained message; an empty payload removes it. */
  store(packet: RetainedPacket): void {
    const levels = packet.topic.split('/');
    if (packet.payload.length === 0) {
      this.remove(this.root, levels, 0);
      return;
    }
    let at = this.root;
    for (const level of levels) {
      let next = at.children.get(level);
      if (!next) at.children.set(level, (next = node()));
      at = next;
    }
    if (!at.packet) this.count += 1;
    at.packet = packet;
  }

  private remove(at: Node, levels: readonly string[], depth: number): boolean {
    if (depth === levels.length) {
      if (at.packet) this.count -= 1;
      at.packet = undefined;
    } else {
      const child = at.children.get(levels[depth]);
      if (child && this.remove(child, levels, depth + 1)) at.children.delete(levels[depth]);
    }
    return !at.packet && at.children.size === 0;
  }

  /** Retained messages whose topic matches `filter` (MQTT wildcards; `$` topics only by a filter that names their first level). */
  *match(filter: string): Generator<RetainedPacket> {
    yield* this.walk(this.root, filter.split('/'), 0);
  }

  private *walk(at: Node, levels: readonly string[], depth: number): Generator<RetainedPacket> {
    if (depth === levels.length) {
      if (at.packet) yield at.packet;
      return;
    }
    const level = levels[depth];
    const skipSystem = (name: string) => depth === 0 && name.startsWith('$');
    if (level === '#') {
      // `a/#` matches `a` too.
      if (at.packet && depth > 0) yield at.packet;
      for (const [name, child] of at.children) if (!skipSystem(name)) yield* this.all(child);
      return;
    }
    if (level === '+') {
      for (const [name, child] of at.children) if (!skipSystem(name)) yield* this.walk(child, levels, depth + 1);
      return;
    }
    const child = at.children.get(level);
    if (child) yield* this.walk(child, levels, depth + 1);
  }

  private *all(at: Node): Generator<RetainedPacket> {
    if (at.packet) yield at.packet;
    for (const child of at.children.values()) yield* this.all(child);
  }
}

class IndexedMemoryPersistence extends MemoryPersistence {
  readonly #index = new RetainedIndex();

  override async storeRetained(pkt: RetainedPacket): Promise<void> {
    await super.storeRetained(pkt);
    this.#index.store({ ...pkt });
  }

  override createRetainedStream(pattern: string): AsyncIterable<RetainedPacket> {
    return paced(this.#index.match(pattern));
  }

  override createRetainedStreamCombi(patterns: readonly string[]): AsyncIterable<RetainedPacket> {
    const index = this.#index;
    return paced((function* () {
      const seen = new Set<string>();
      for (const pattern of patterns) {
        for (const packet of index.match(pattern)) {
          if (seen.has(packet.topic)) continue;
          seen.add(packet.topic);
          yield packet;
        }
      }
    })());
  }
}

/** Aedes' in-memory persistence, with retained messages found by an index (the `persistence` option). */
export function indexedMemoryPersistence(options: Record<string, unknown> = {}): unknown {
  return new CallBackPersistence((o) => new IndexedMemoryPersistence(o), options);
}
