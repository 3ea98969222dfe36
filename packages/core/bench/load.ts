import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

export interface LoadJob {
  port: number;
  path: string;
  headers?: Record<string, string>;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  statuses: Record<string, number>;
  errors: number;
  /** Event-loop utilisation of the load generator's thread while measuring (near 1 = it, not the server, is the limit). */
  generatorElu: number;
  /** Event-loop utilisation of this (the server's) thread while measuring. */
  serverElu: number;
}

/**
 * The load generator: a worker thread (load-worker.mjs) driving N keep-alive
 * connections, one request in flight on each. Servers under test run on this
 * thread; the generator on its own, so with 2 cores each gets one.
 */
export class LoadGenerator {
  readonly #worker = new Worker(new URL('./load-worker.mjs', import.meta.url));

  async run(job: LoadJob): Promise<LoadResult> {
    const elu0 = performance.eventLoopUtilization();
    let settle!: { resolve: (v: unknown) => void; reject: (e: Error) => void };
    const reply = new Promise((resolve, reject) => {
      settle = { resolve, reject };
    });
    const onMessage = (m: unknown) => settle.resolve(m);
    const onError = (e: Error) => settle.reject(e);
    this.#worker.once('message', onMessage);
    this.#worker.once('error', onError);
    const timer = setTimeout(
      () => settle.reject(new Error('load generator did not answer in time')),
      job.warmupMs + job.durationMs + 15_000,
    );
    this.#worker.postMessage(job);
    try {
      const answer = (await reply) as
        | { ok: true; result: Omit<LoadResult, 'serverElu'> }
        | { ok: false; error: string };
      if (!answer.ok) throw new Error(`load generator failed: ${answer.error}`);
      // The server thread's utilisation over warm-up + measurement (close enough: warm-up is the same load).
      const serverElu = performance.eventLoopUtilization(elu0).utilization;
      return { ...answer.result, serverElu };
    } finally {
      clearTimeout(timer);
      this.#worker.off('message', onMessage);
      this.#worker.off('error', onError);
    }
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
