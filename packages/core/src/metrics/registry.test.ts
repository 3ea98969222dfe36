import { describe, expect, it } from 'vitest';
import { bucketIndex } from './histogram.js';
import { CORE_ID, createMetricsRegistry } from './registry.js';
import { metricsSnapshot } from './snapshot.js';

describe('metrics registry', () => {
  it('counts requests, 5xx as errors and 4xx as client errors, per plugin', () => {
    const metrics = createMetricsRegistry();
    for (const status of [200, 201, 204, 301, 400, 404, 429, 500, 502, 503])
      metrics.recordRequest('alpha', status, 1);
    metrics.recordRequest('beta', 200, 1);
    expect(metrics.get('alpha')).toMatchObject({ requests: 10, errors: 3, clientErrors: 3 });
    expect(metrics.get('beta')).toMatchObject({ requests: 1, errors: 0, clientErrors: 0 });
    expect(metrics.get(CORE_ID)).toMatchObject({ requests: 0 });
  });

  it('keeps each request in its latency bucket, with the sum and the maximum', () => {
    const metrics = createMetricsRegistry();
    metrics.recordRequest('alpha', 200, 3);
    metrics.recordRequest('alpha', 200, 3);
    metrics.recordRequest('alpha', 200, 250);
    metrics.recordRequest('alpha', 200, Number.NaN);
    const c = metrics.get('alpha')!;
    expect(c.latencyCounts[bucketIndex(3)]).toBe(2);
    expect(c.latencyCounts[bucketIndex(250)]).toBe(1);
    expect(c.latencyCounts[0]).toBe(1);
    expect(c.latencySumMs).toBe(256);
    expect(c.latencyMaxMs).toBe(250);
    expect([...c.latencyCounts].reduce((a, b) => a + b)).toBe(c.requests);
  });

  it('counts events emitted, handled, handler errors and runs started and failed', () => {
    const metrics = createMetricsRegistry();
    metrics.recordEvent('alpha');
    metrics.recordEvent('alpha');
    metrics.recordHandled('beta');
    metrics.recordHandlerError('beta');
    metrics.recordRun('alpha', 'started');
    metrics.recordRun('alpha', 'started');
    metrics.recordRun('alpha', 'failed');
    metrics.recordRun('alpha', 'succeeded');
    metrics.recordRun('alpha', 'cancelled');
    expect(metrics.get('alpha')).toMatchObject({ eventsEmitted: 2, runsStarted: 2, runsFailed: 1 });
    expect(metrics.get('beta')).toMatchObject({ eventsHandled: 1, handlerErrors: 1, eventsEmitted: 0 });
  });

  it('counts ids that are not known plugins under core, without remembering them', () => {
    const known = new Set(['alpha']);
    const metrics = createMetricsRegistry({ isKnown: (id) => known.has(id) });
    for (let i = 0; i < 100; i++) metrics.recordRequest(`made-up-${i}`, 404, 1);
    metrics.recordEvent('system');
    metrics.recordRequest('alpha', 200, 1);
    expect(metrics.ids().sort()).toEqual(['alpha', 'core']);
    expect(metrics.get(CORE_ID)).toMatchObject({ requests: 100, clientErrors: 100, eventsEmitted: 1 });
    // A plugin installed later gets its own counters from then on.
    known.add('late');
    metrics.recordRequest('late', 200, 1);
    expect(metrics.get('late')?.requests).toBe(1);
  });

  it('never holds counters for more than maxPlugins plugins', () => {
    const metrics = createMetricsRegistry({ maxPlugins: 3 });
    for (let i = 0; i < 10; i++) metrics.recordEvent(`p-${i}`);
    expect(metrics.ids()).toEqual(['core', 'p-0', 'p-1', 'p-2']);
    expect(metrics.get(CORE_ID)?.eventsEmitted).toBe(7);
  });

  it('snapshots every known plugin (zeros when idle) with its timings, and the core', () => {
    const metrics = createMetricsRegistry({ now: () => 1000 });
    metrics.recordRequest('alpha', 500, 2);
    const snap = metricsSnapshot(
      metrics,
      [
        { id: 'alpha', status: 'running', timings: { setupMs: 1.5, startMs: 0.25 } },
        { id: 'idle', status: 'disabled', timings: { setupMs: null, startMs: null } },
      ],
      61_000,
    );
    expect(snap.since).toBe(1000);
    expect(snap.time).toBe(61_000);
    expect(snap.plugins.alpha).toMatchObject({ requests: 1, errors: 1, setupMs: 1.5, startMs: 0.25 });
    expect(snap.plugins.alpha!.latencyMs.p50).toBeGreaterThan(Math.SQRT2);
    expect(snap.plugins.alpha!.latencyMs.p50).toBeLessThanOrEqual(2);
    expect(snap.plugins.idle).toMatchObject({
      requests: 0,
      latencyMs: { p50: null, p90: null, p99: null },
      setupMs: null,
    });
    expect(snap.core.uptimeMs).toBe(60_000);
    expect(snap.core.memory.rssBytes).toBeGreaterThan(0);
    expect(Object.keys(snap.plugins)).not.toContain('core');
  });
});
