/** Options of {@link SlidingWindowLimiter}. */
export interface RateLimitOptions {
  /** Attempts allowed per window (default 10). */
  limit?: number;
  /** Window length in ms (default 60 000). */
  windowMs?: number;
  /** Most keys kept in memory; the least recently used are dropped past it (default 10 000). */
  maxKeys?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

/** The answer of {@link SlidingWindowLimiter.hit}. */
export interface RateLimitResult {
  allowed: boolean;
  /** Attempts left in the current window after this one. */
  remaining: number;
  /** When refused: ms until the oldest attempt leaves the window. */
  retryAfterMs: number;
}

/**
 * An in-memory sliding-window limiter: at most `limit` attempts per key in any
 * `windowMs`. It keeps the times of the last `limit` attempts per key (a sliding
 * log, exact at window edges, unlike fixed buckets) and holds at most `maxKeys`
 * keys, so a flood of distinct keys (spoofed or many IPs) cannot grow memory.
 *
 * @example
 * const limiter = new SlidingWindowLimiter({ limit: 10, windowMs: 60_000 });
 * const result = limiter.hit(ip);
 * if (!result.allowed) throw tooManyRequests('slow down', result.retryAfterMs / 1000);
 */
export class SlidingWindowLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly #now: () => number;
  /** key → attempt times, oldest first. Map order doubles as least-recently-used order. */
  readonly #attempts = new Map<string, number[]>();

  constructor(options: RateLimitOptions = {}) {
    this.limit = options.limit ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.#now = options.now ?? Date.now;
    if (!(this.limit >= 1) || !(this.windowMs > 0) || !(this.maxKeys >= 1)) {
      throw new RangeError('rate limit: limit, windowMs and maxKeys must be positive');
    }
  }

  /** Count one attempt for `key`; refused attempts are not counted. */
  hit(key: string): RateLimitResult {
    const now = this.#now();
    const times = this.#recent(key, now);
    if (times.length >= this.limit) {
      this.#touch(key, times);
      return { allowed: false, remaining: 0, retryAfterMs: Math.max(1, times[0]! + this.windowMs - now) };
    }
    times.push(now);
    this.#touch(key, times);
    return { allowed: true, remaining: this.limit - times.length, retryAfterMs: 0 };
  }

  /** Whether `key` could make an attempt now, without counting one. */
  check(key: string): RateLimitResult {
    const now = this.#now();
    const times = this.#recent(key, now);
    if (times.length >= this.limit) {
      return { allowed: false, remaining: 0, retryAfterMs: Math.max(1, times[0]! + this.windowMs - now) };
    }
    return { allowed: true, remaining: this.limit - times.length, retryAfterMs: 0 };
  }

  /** Forget a key (e.g. after a successful login, if the caller wants that). */
  reset(key: string): void {
    this.#attempts.delete(key);
  }

  /** Keys currently held (for tests and metrics). */
  get size(): number {
    return this.#attempts.size;
  }

  #recent(key: string, now: number): number[] {
    const times = this.#attempts.get(key) ?? [];
    let drop = 0;
    while (drop < times.length && times[drop]! <= now - this.windowMs) drop++;
    if (drop) times.splice(0, drop);
    return times;
  }

  #touch(key: string, times: number[]): void {
    this.#attempts.delete(key);
    if (times.length === 0) return;
    this.#attempts.set(key, times);
    if (this.#attempts.size > this.maxKeys) this.#evict();
  }

  #evict(): void {
    // Map order is least-recently-used first: those keys are the stalest.
    while (this.#attempts.size > this.maxKeys) {
      const oldest = this.#attempts.keys().next().value as string;
      this.#attempts.delete(oldest);
    }
  }
}
