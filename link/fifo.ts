// A queue for the hot paths of brokers and links.

/**
 * A first-in first-out queue whose shift costs O(1) (Array#shift on a queue tens of thousands
 * long costs O(n) each). The brokers' message bus (broker/emitter.ts) and the pacing of a
 * process's links (pacer.ts) queue on it.
 */
export class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): number {
    this.items.push(item);
    return this.length;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    // Drop the consumed part once it is half the array.
    if (this.head > 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
