import { defineServerPlugin, type PluginContext } from '@webcasa/plugin-sdk';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import manifest from '../manifest.json' with { type: 'json' };
import { createFakeSource, createMonitorPlugin, type MonitorHandle } from '../src/server.js';
import { type MonitorDatabase, migrations } from '../src/store.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 4, 1, 0, 0, 0);

// The plugin starts as it was before peaks were kept (migrations 001–003 only, one hour rolled
// up with averages); after a restart it runs the current code and migrations on the same tables.
let phase: 'legacy' | 'current' = 'legacy';
let t: TestPanel;
let handle!: MonitorHandle;
let clock = T0;
const fake = createFakeSource({ cpu: 10 });
const current = createMonitorPlugin({ source: fake, now: () => clock, onReady: (h) => (handle = h) });
const legacyMigrations = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '004'));
const plugin = defineServerPlugin({
  async setup(ctx) {
    if (phase === 'current') return current.setup(ctx as never);
    const c = ctx as unknown as PluginContext<Record<string, never>, MonitorDatabase>;
    await c.migrate(legacyMigrations);
    await (c.db as never as import('kysely').Kysely<{ plugin_monitor_hourly: { ts: number; data: string } }>)
      .insertInto('plugin_monitor_hourly')
      .values({ ts: T0 - HOUR, data: JSON.stringify({ 'cpu.total': 33 }) })
      .execute();
  },
});

beforeAll(async () => {
  t = await startTestPanel({ plugins: [{ manifest, plugin }] });
  phase = 'current';
  // The sample the plugin takes at start lands two days earlier, away from the hours tested.
  clock = T0 - 2 * DAY;
  expect((await t.client.post('/api/admin/plugins/monitor/disable')).status).toBe(200);
  expect((await t.client.post('/api/admin/plugins/monitor/enable')).status).toBe(200);
  expect(handle).toBeDefined();
  await t.client.put('/api/admin/plugins/monitor/config', { sampleIntervalSeconds: 60 });
});
afterAll(() => t?.stop());

const hist = async (query: string) => {
  const res = await t.client.get(`/api/plugins/monitor/history?metric=cpu.total&${query}`);
  expect(res.status).toBe(200);
  return res.body;
};

describe('peaks in the hourly roll-up', () => {
  it('keeps an upgraded hour with min = max = average', async () => {
    clock = T0 + HOUR;
    const all = await hist('range=24h&agg=all');
    expect(all.points).toEqual([[T0 - HOUR, 33]]);
    expect(all.min).toEqual([[T0 - HOUR, 33]]);
    expect(all.max).toEqual([[T0 - HOUR, 33]]);
  });

  it("keeps a spike as the hour's max, also when it lasted only one sample of a minute", async () => {
    // One hour, a sample every 30 s at 20 % CPU, with one sample at 97 % in minute 17
    // and one at 3 % in minute 40.
    for (let m = 0; m < 60; m++) {
      for (const s of [0, 30]) {
        clock = T0 + m * MIN + s * 1000;
        fake.cpu = m === 17 && s === 30 ? 97 : m === 40 && s === 0 ? 3 : 20;
        await handle.collect();
      }
    }
    await handle.flush();
    clock = T0 + 8 * DAY;
    const result = await handle.maintain();
    // 60 minutes of the hour, and the minute of the sample taken at start.
    expect(result).toMatchObject({ rolledUpMinutes: 61, hoursWritten: 2 });

    const all = await hist('range=30d&agg=all');
    const at = (list: [number, number][]) => list.find(([ts]) => ts === T0)?.[1];
    expect(at(all.max)).toBe(97);
    expect(at(all.min)).toBe(3);
    // The average: 58 minutes at 20, one at (20+97)/2 and one at (3+20)/2.
    expect(at(all.points)).toBeCloseTo((58 * 20 + 58.5 + 11.5) / 60, 2);
    expect((await hist('range=30d&agg=max')).points).toEqual(all.max);
    expect((await hist('range=30d&agg=min')).points).toEqual(all.min);
    expect((await hist('range=30d')).agg).toBe('avg');
  });

  it('keeps peaks when many points are merged into one bucket', async () => {
    // 800 minutes (more than the 720 points a chart gets): one spike at minute 500.
    const start = T0 + 9 * DAY;
    for (let m = 0; m < 800; m++) {
      clock = start + m * MIN;
      fake.cpu = m === 500 ? 88 : 15;
      await handle.collect();
    }
    await handle.flush();
    const all = await hist('range=24h&agg=all');
    expect(all.points.length).toBeLessThanOrEqual(720);
    expect(all.step).toBeGreaterThan(MIN);
    expect(Math.max(...all.max.map(([, v]: [number, number]) => v))).toBe(88);
    expect(Math.max(...all.points.map(([, v]: [number, number]) => v))).toBeLessThan(88);
  });

  it('names the field of a bad aggregate', async () => {
    const res = await t.client.get('/api/plugins/monitor/history?metric=cpu.total&agg=median');
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('query.agg');
  });
});
