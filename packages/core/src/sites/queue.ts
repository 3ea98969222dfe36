/**
 * Runs tasks one at a time, in the order they were queued. Every change to
 * sites and every apply to Caddy goes through one queue, so the config Caddy
 * runs is always generated from the last committed state.
 *
 * @example
 * const queue = new SerialQueue();
 * await Promise.all([queue.run(a), queue.run(b)]); // b starts after a settles
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Tasks queued or running. */
  get size(): number {
    return this.waiting;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(task).finally(() => {
      this.waiting--;
    });
    // A failed task must not stop the ones queued after it.
    this.tail = result.catch(() => {});
    return result;
  }

  /** Resolves when everything queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => {});
  }
}
