/**
 * Cost of the per-plugin metrics, as ratios against baselines measured in the
 * same run, in alternating rounds (never absolute timings as pass/fail):
 *
 * 1. `metrics.recordRequest()` vs a call of a function that only stores its
 *    argument (an empty function would be optimised away entirely);
 * 2. a Hono route behind `pluginRequestMetrics` vs the same route without it
 *    (both behind one pass-through global middleware, as in the core app),
 *    requests driven with `app.request` in a loop (no socket).
 *
 *   npx tsx bench/metrics.bench.ts           # ~10 s
 *   npx tsx bench/metrics.bench.ts --quick   # smoke test
 */
import { pathToFileURL } from 'node:url';
import { Hono } from 'hono';
import { createMetricsRegistry } from '../src/metrics/index.js';
import { pluginRequestMetrics } from '../src/metrics/middleware.js';
import { median } from './util.js';

export interface MetricsBenchOptions {
  rounds: number;
  /** recordRequest calls per round. */
  calls: number;
  /** Requests per round. */
  requests: number;
}

export interface MetricsBenchResult {
  recordNs: number;
  baselineCallNs: number;
  /** recordRequest time / baseline call time, median of per-round ratios (lower is better). */
  recordRatio: number;
  withMiddlewareRps: number;
  withoutMiddlewareRps: number;
  /** Throughput with the middleware / without, median of per-round ratios (goal ≥ 0.95). */
  middlewareRatio: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

let sink = 0;
function baselineCall(_id: string, status: number, ms: number): void {
  sink += status + ms;
}

const PLUGINS = ['alpha', 'beta', 'gamma', 'delta'];

/** Total ns of `calls` calls of `fn`, with varying arguments. */
function timeCalls(fn: (id: string, status: number, ms: number) => void, calls: number): number {
  const began = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) fn(PLUGINS[i & 3]!, i % 50 === 0 ? 500 : 200, (i % 997) * 0.25);
  return Number(process.hrtime.bigint() - began);
}

function app(withMetrics: boolean): Hono {
  const metrics = createMetricsRegistry({ isKnown: (id) => PLUGINS.includes(id) });
  const hono = new Hono();
  // The core app always runs global middleware (request id, auth…), so Hono composes
  // handlers either way; without one, the bare route would take Hono's single-handler
  // shortcut and the ratio would measure that shortcut instead of the middleware.
  hono.use(async (_c, next) => {
    await next();
  });
  const handler = (c: import('hono').Context) => c.text('ok');
  if (withMetrics) hono.all('/api/plugins/:id/*', pluginRequestMetrics(metrics), handler);
  else hono.all('/api/plugins/:id/*', handler);
  return hono;
}

/** Total ns of `requests` requests to `hono`. */
async function timeRequests(hono: Hono, requests: number): Promise<number> {
  const began = process.hrtime.bigint();
  for (let i = 0; i < requests; i++) {
    const res = await hono.request(`/api/plugins/${PLUGINS[i & 3]}/items/${i & 15}`);
    if (res.status !== 200) throw new Error(`unexpected status ${res.status}`);
    await res.arrayBuffer();
  }
  return Number(process.hrtime.bigint() - began);
}

/** Chunks per round: the two cases alternate chunk by chunk, so load changes hit both alike. */
const CHUNKS = 10;

export async function runMetricsBench(options: MetricsBenchOptions): Promise<MetricsBenchResult> {
  const metrics = createMetricsRegistry({ isKnown: (id) => PLUGINS.includes(id) });
  const record = (id: string, status: number, ms: number) => metrics.recordRequest(id, status, ms);
  const withApp = app(true);
  const withoutApp = app(false);
  // Warm-up: let both paths be optimised before measuring.
  timeCalls(record, options.calls / 4);
  timeCalls(baselineCall, options.calls / 4);
  await timeRequests(withApp, options.requests / 4);
  await timeRequests(withoutApp, options.requests / 4);

  const recordNs: number[] = [];
  const baseNs: number[] = [];
  const recordRatios: number[] = [];
  const withRps: number[] = [];
  const withoutRps: number[] = [];
  const middlewareRatios: number[] = [];
  const calls = Math.ceil(options.calls / CHUNKS);
  const requests = Math.ceil(options.requests / CHUNKS);
  for (let round = 0; round < options.rounds; round++) {
    let base = 0;
    let rec = 0;
    let without = 0;
    let withM = 0;
    for (let chunk = 0; chunk < CHUNKS; chunk++) {
      base += timeCalls(baselineCall, calls);
      rec += timeCalls(record, calls);
      without += await timeRequests(withoutApp, requests);
      withM += await timeRequests(withApp, requests);
    }
    baseNs.push(base / (calls * CHUNKS));
    recordNs.push(rec / (calls * CHUNKS));
    recordRatios.push(rec / base);
    withoutRps.push((requests * CHUNKS) / (without / 1e9));
    withRps.push((requests * CHUNKS) / (withM / 1e9));
    middlewareRatios.push(without / withM);
  }
  if (sink === -1) console.log(sink); // keeps the baseline's work observable
  return {
    recordNs: median(recordNs),
    baselineCallNs: median(baseNs),
    recordRatio: median(recordRatios),
    withMiddlewareRps: median(withRps),
    withoutMiddlewareRps: median(withoutRps),
    middlewareRatio: median(middlewareRatios),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const options = quick
    ? { rounds: 1, calls: 200_000, requests: 2_000 }
    : { rounds: 9, calls: 3_000_000, requests: 10_000 };
  const r = await runMetricsBench(options);
  console.log(
    JSON.stringify({
      bench: 'core-metrics-record',
      summary: 'metrics.recordRequest() vs a call that only stores its argument, medians',
      recordNs: round3(r.recordNs),
      baselineCallNs: round3(r.baselineCallNs),
      ratio: round3(r.recordRatio),
      ...options,
    }),
  );
  console.log(
    JSON.stringify({
      bench: 'core-metrics-middleware',
      summary: 'Hono plugin route with pluginRequestMetrics vs without, app.request loop, medians',
      withRps: Math.round(r.withMiddlewareRps),
      withoutRps: Math.round(r.withoutMiddlewareRps),
      ratio: round3(r.middlewareRatio),
      goal: 0.95,
      pass: r.middlewareRatio >= 0.95,
      ...options,
    }),
  );
}
