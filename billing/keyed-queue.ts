// Runs tasks one at a time per key (events of one car at one lot, in arrival order),
// tasks of different keys concurrently.
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private running = 0;

  /** Tasks queued or running. */
  get size(): number {
    return this.running;
  }

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    this.running += 1;
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task).finally(() => {
      this.running -= 1;
    });
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves when every task queued so far has ended. */
  async idle(): Promise<void> {
    while (this.tails.size) await Promise.all(this.tails.values());
  }
}
