// The link's own queue of QoS 1/2 publishes not yet acknowledged by any broker.
// Entries stay, in order, until a PUBACK (or PUBCOMP) arrives from whichever
// connection carried them; when a connection dies its entries become unsent
// and go out again, in order, on the next one. Pure bookkeeping, no I/O.

export type QoS = 0 | 1 | 2;

export interface OutboxEntry {
  readonly id: number;
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly queuedAt: number;
  /** The connection it was last sent on; undefined while unsent. */
  sentOn: number | undefined;
  /** How many times it was handed to a connection. */
  sends: number;
}

export class OutboxFullError extends Error {
  override readonly name = 'OutboxFullError';
}

export class Outbox {
  private readonly entries = new Map<number, OutboxEntry>();
  private nextId = 1;

  constructor(readonly limit = 100_000) {}

  get size(): number {
    return this.entries.size;
  }

  add(topic: string, payload: Buffer, qos: QoS, retain: boolean, now: number): OutboxEntry {
    if (this.entries.size >= this.limit) throw new OutboxFullError(`${this.entries.size} publishes are waiting for a broker (limit ${this.limit})`);
    const entry: OutboxEntry = { id: this.nextId++, topic, payload, qos, retain, queuedAt: now, sentOn: undefined, sends: 0 };
    this.entries.set(entry.id, entry);
    return entry;
  }

  /**
   * Adds entries ahead of every waiting one (they are older: publishes acknowledged by a broker
   * that was lost, sent again), in the order given.
   */
  prepend(items: ReadonlyArray<Pick<OutboxEntry, 'topic' | 'payload' | 'qos' | 'retain'>>, now: number): OutboxEntry[] {
    // Not held to the limit: these were in the queue a moment ago, and the window bounds them.
    const added: OutboxEntry[] = items.map((item) => ({ id: this.nextId++, topic: item.topic, payload: item.payload, qos: item.qos, retain: item.retain, queuedAt: now, sentOn: undefined, sends: 0 }));
    const rest = [...this.entries.values()];
    this.entries.clear();
    for (const entry of [...added, ...rest]) this.entries.set(entry.id, entry);
    return added;
  }

  /** Acknowledged: removed. False when it was already gone (a duplicate ack). */
  ack(id: number): boolean {
    return this.entries.delete(id);
  }

  has(id: number): boolean {
    return this.entries.has(id);
  }

  markSent(entry: OutboxEntry, connection: number): void {
    entry.sentOn = connection;
    entry.sends += 1;
  }

  /** The connection died: what it carried is unsent again. Returns how many. */
  connectionLost(connection: number): number {
    let n = 0;
    for (const entry of this.entries.values()) {
      if (entry.sentOn === connection) {
        entry.sentOn = undefined;
        n += 1;
      }
    }
    return n;
  }

  /** Every waiting entry, oldest first. */
  all(): OutboxEntry[] {
    return [...this.entries.values()];
  }

  /** Entries not carried by `connection`, oldest first: what a new connection must send. */
  notOn(connection: number): OutboxEntry[] {
    return this.all().filter((entry) => entry.sentOn !== connection);
  }

  /** Removes and returns every entry (the link is closing). */
  drain(): OutboxEntry[] {
    const all = this.all();
    this.entries.clear();
    return all;
  }

  oldestAgeMs(now: number): number {
    const first = this.entries.values().next();
    return first.done ? 0 : now - first.value.queuedAt;
  }
}
