import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, type PanelDatabase } from '../db/database.js';
import * as migration from '../db/migrations/003_metrics.js';
import { createMetricsRegistry, type MetricsRegistry } from './registry.js';
import {
  createMetricsSampler,
  DEFAULT_RETENTION_MS,
  type MetricsSamplerOptions,
  MINUTE_MS,
} from './sampler.js';
import type { PluginMetricsInfo } from './snapshot.js';

let dir: string;
let db: PanelDatabase;
let metrics: MetricsRegistry;
let clock: number;
let plugins: PluginMetricsInfo[];
const T0 = Date.UTC(2025, 0, 31, 12, 0, 0);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-metrics-'));
  db = await openDatabase(dir);
  metrics = createMetricsRegistry({ isKnown: (id) => ['alpha', 'beta', 'gamma'].includes(id) });
  clock = T0;
  plugins = [
    { id: 'alpha', status: 'running' },
    { id: 'beta', status: 'running' },
    { id: 'gamma', status: 'disabled' },
  ];
});

afterEach(async () => {
  vi.useRealTimers();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

function sampler(options: Partial<MetricsSamplerOptions> = {}) {
  return createMetricsSampler({ metrics, db: db.core, plugins: () => plugins, now: () => clock, ...options });
}

const rows = () =>
  db.core.selectFrom('metric_samples').selectAll().orderBy('time').orderBy('plugin').execute();

describe('metrics sampler', () => {
  it('writes one row per running plugin (and core) per minute, with that minute’s increase', async () => {
    const s = sampler();
    for (let i = 0; i < 5; i++) metrics.recordRequest('alpha', 200, 4);
    metrics.recordRequest('alpha', 500, 100);
    metrics.recordEvent('beta');
    clock = T0 + MINUTE_MS + 100; // just after the first minute ended
    expect(await s.sample()).toBe(3);
    metrics.recordRequest('alpha', 404, 1);
    clock = T0 + 2 * MINUTE_MS + 100;
    expect(await s.sample()).toBe(3);
    const all = await rows();
    expect(all.map((r) => [r.time - T0, r.plugin])).toEqual([
      [0, 'alpha'],
      [0, 'beta'],
      [0, 'core'],
      [MINUTE_MS, 'alpha'],
      [MINUTE_MS, 'beta'],
      [MINUTE_MS, 'core'],
    ]);
    expect(all[0]).toMatchObject({ requests: 6, errors: 1, client_errors: 0, events_emitted: 0 });
    expect(all[0]!.latency_p50).toBeGreaterThan(2.82);
    expect(all[0]!.latency_p50).toBeLessThanOrEqual(4);
    expect(all[0]!.latency_p99).toBeGreaterThan(90.5);
    expect(all[0]!.latency_p99).toBeLessThanOrEqual(100);
    expect(all[1]).toMatchObject({ requests: 0, events_emitted: 1, latency_p50: null });
    expect(all[3]).toMatchObject({ requests: 1, errors: 0, client_errors: 1 });
    expect(all[3]!.latency_p50).toBeLessThanOrEqual(1);
    expect(all[4]).toMatchObject({ requests: 0, events_emitted: 0 });
  });

  it('writes a plugin that is not running only for minutes it counted something', async () => {
    const s = sampler();
    clock = T0 + MINUTE_MS + 100;
    await s.sample();
    metrics.recordHandled('gamma');
    clock = T0 + 2 * MINUTE_MS + 100;
    await s.sample();
    const gamma = (await rows()).filter((r) => r.plugin === 'gamma');
    expect(gamma.map((r) => [r.time - T0, r.events_handled])).toEqual([[MINUTE_MS, 1]]);
  });

  it('adds to the row when a minute is written twice (a restart within it)', async () => {
    metrics.recordRequest('alpha', 200, 2);
    clock = T0 + 30_000;
    await sampler().stop(); // the unfinished minute T0
    const restarted = createMetricsRegistry({ isKnown: () => true });
    restarted.recordRequest('alpha', 503, 50);
    clock = T0 + MINUTE_MS + 100;
    await sampler({ metrics: restarted }).sample();
    const alpha = (await rows()).filter((r) => r.plugin === 'alpha');
    expect(alpha).toHaveLength(1);
    expect(alpha[0]).toMatchObject({ time: T0, requests: 2, errors: 1 });
    expect(alpha[0]!.latency_p50).toBeGreaterThan(45);
  });

  it('prunes samples older than the retention (7 days by default)', async () => {
    expect(DEFAULT_RETENTION_MS).toBe(7 * 24 * 60 * 60_000);
    const s = sampler();
    clock = T0 + MINUTE_MS + 100;
    await s.sample();
    clock = T0 + DEFAULT_RETENTION_MS; // T0's rows are now exactly 7 days old: kept
    await s.sample();
    expect(new Set((await rows()).map((r) => r.time))).toEqual(
      new Set([T0, T0 + DEFAULT_RETENTION_MS - MINUTE_MS]),
    );
    clock = T0 + DEFAULT_RETENTION_MS + MINUTE_MS + 100;
    await s.sample();
    const times = new Set((await rows()).map((r) => r.time));
    expect(times.has(T0)).toBe(false);
    expect(times.size).toBe(2);
  });

  it('honours a shorter retention', async () => {
    const s = sampler({ retentionMs: 3 * MINUTE_MS });
    for (let m = 1; m <= 5; m++) {
      clock = T0 + m * MINUTE_MS + 100;
      await s.sample();
    }
    // At T0 + 5 min + 100 ms, minutes starting 3 minutes ago or less remain.
    expect(new Set((await rows()).map((r) => r.time - T0))).toEqual(
      new Set([3, 4].map((m) => m * MINUTE_MS)),
    );
  });

  it('keeps the counts of a failed write for the next sample', async () => {
    const errors: unknown[] = [];
    const s = sampler({ onError: (e) => errors.push(e) });
    metrics.recordRequest('alpha', 200, 1);
    await migration.down(db.core);
    clock = T0 + MINUTE_MS + 100;
    await expect(s.sample()).rejects.toThrow(/metric_samples/);
    await migration.up(db.core);
    metrics.recordRequest('alpha', 200, 1);
    clock = T0 + 2 * MINUTE_MS + 100;
    await s.sample();
    const alpha = (await rows()).filter((r) => r.plugin === 'alpha');
    expect(alpha.map((r) => [r.time - T0, r.requests])).toEqual([[MINUTE_MS, 2]]);
  });

  it('writes more rows than one INSERT holds', async () => {
    const many = createMetricsRegistry();
    for (let i = 0; i < 800; i++) many.recordEvent(`p-${i}`);
    clock = T0 + MINUTE_MS + 100;
    expect(await sampler({ metrics: many }).sample()).toBe(803); // 800, core, and the running alpha and beta
    expect(await rows()).toHaveLength(803);
  });

  it('samples on its own at every minute boundary until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(T0 + 10_000);
    const s = createMetricsSampler({ metrics, db: db.core, plugins: () => plugins });
    s.start();
    metrics.recordRequest('alpha', 200, 1);
    await vi.advanceTimersByTimeAsync(3 * MINUTE_MS);
    const alpha = (await rows()).filter((r) => r.plugin === 'alpha');
    expect(alpha.map((r) => r.time - T0)).toEqual([0, MINUTE_MS, 2 * MINUTE_MS]);
    expect(alpha.map((r) => r.requests)).toEqual([1, 0, 0]);
    await s.stop();
    const after = (await rows()).length;
    await vi.advanceTimersByTimeAsync(5 * MINUTE_MS);
    expect((await rows()).length).toBe(after);
  });
});
