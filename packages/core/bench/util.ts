/** Run-once cleanups, last added first; each runs even if an earlier one throws. */
export class Cleanup {
  readonly #tasks: (() => unknown)[] = [];

  add(task: () => unknown): void {
    this.#tasks.push(task);
  }

  async run(): Promise<void> {
    // Bounded: each task is removed before it runs.
    while (this.#tasks.length > 0) {
      const task = this.#tasks.pop()!;
      try {
        await task();
      } catch (error) {
        console.error('bench cleanup failed:', error);
      }
    }
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
