import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import manifest from '../manifest.json' with { type: 'json' };
import { createFakeSource, createMonitorPlugin, type MonitorHandle } from '../src/server.js';

// Alert state survives a restart of the plugin (disable → enable on the same database):
// a firing alert does not fire again, a pending duration keeps counting from when it began.
const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);
let t: TestPanel;
let handle: MonitorHandle | null = null;
let clock = T0;
const fake = createFakeSource({ cpu: 10, memPct: 10 });
const events: string[] = [];

beforeAll(async () => {
  const plugin = createMonitorPlugin({
    source: fake,
    now: () => clock,
    onReady: (h) => {
      handle = h;
    },
  });
  t = await startTestPanel({ plugins: [{ manifest, plugin }] });
  expect(
    (await t.client.put('/api/admin/plugins/monitor/config', { sampleIntervalSeconds: 60 })).status,
  ).toBe(200);
  t.panel.bus.on('monitor.alert.fired', (e) => {
    events.push(`fired:${e.payload.name}`);
  });
  t.panel.bus.on('monitor.alert.resolved', (e) => {
    events.push(`resolved:${e.payload.name}`);
  });
});
afterAll(() => t?.stop());

/** One sample at `sec` seconds after T0 with the given CPU and memory, notifications awaited. */
async function feed(sec: number, cpu: number, memPct: number): Promise<void> {
  clock = T0 + sec * 1000;
  fake.cpu = cpu;
  fake.memPct = memPct;
  await handle?.collect();
  await handle?.idle();
}

/** Disable and enable the plugin: a fresh setup (new engine, new handle) on the same tables. */
async function restart(): Promise<void> {
  const before = handle;
  expect((await t.client.post('/api/admin/plugins/monitor/disable')).status).toBe(200);
  expect((await t.client.post('/api/admin/plugins/monitor/enable')).status).toBe(200);
  for (let i = 0; i < 100 && handle === before; i++) await new Promise((r) => setTimeout(r, 20));
  expect(handle).not.toBe(before);
  // Let the sample the plugin takes at start finish, so the next feed is a sample of its own.
  await handle?.collect();
  await handle?.idle();
}

const states = async () => {
  const res = await t.client.get('/api/plugins/monitor/rules');
  return Object.fromEntries(res.body.items.map((r: { name: string; state: string }) => [r.name, r.state]));
};

it('neither fires a firing alert again nor forgets a pending duration across a restart', async () => {
  const rule = (name: string, metric: string, durationSeconds: number) =>
    t.client.post('/api/plugins/monitor/rules', {
      name,
      metric,
      comparison: '>',
      threshold: 80,
      durationSeconds,
      hysteresis: 10,
    });
  expect((await rule('cpu', 'cpu.total', 60)).status).toBe(201);
  expect((await rule('mem', 'mem.used_pct', 120)).status).toBe(201);

  await feed(0, 95, 10);
  await feed(60, 95, 10);
  expect(events).toEqual(['fired:cpu']);
  // Memory starts breaching at 90 s: pending, due to fire at 210 s.
  await feed(90, 95, 95);
  expect(await states()).toEqual({ cpu: 'firing', mem: 'pending' });

  clock = T0 + 150_000; // the sample the plugin takes at start happens at 150 s
  await restart();
  expect(await states()).toEqual({ cpu: 'firing', mem: 'pending' });
  await feed(180, 95, 95);
  expect(events).toEqual(['fired:cpu']);
  // 210 s: 120 s since 90 s. Had the restart forgotten the pending state, it would count from 150 s.
  await feed(210, 95, 95);
  expect(events).toEqual(['fired:cpu', 'fired:mem']);

  await restart();
  await feed(240, 50, 95);
  await feed(270, 50, 95);
  expect(events).toEqual(['fired:cpu', 'fired:mem', 'resolved:cpu']);
  expect(await states()).toEqual({ cpu: 'ok', mem: 'firing' });

  // A state saved for another condition is not taken back: raising the threshold drops it.
  const rules = (await t.client.get('/api/plugins/monitor/rules')).body.items as {
    id: number;
    name: string;
  }[];
  const mem = rules.find((r) => r.name === 'mem') as { id: number };
  const changed = await t.client.put(`/api/plugins/monitor/rules/${mem.id}`, {
    name: 'mem',
    metric: 'mem.used_pct',
    comparison: '>',
    threshold: 99,
    durationSeconds: 120,
    hysteresis: 10,
  });
  expect(changed.body.state).toBe('ok');
  await restart();
  expect(await states()).toEqual({ cpu: 'ok', mem: 'ok' });

  const alerts = await t.client.get('/api/plugins/monitor/alerts');
  expect(
    alerts.body.items.map((a: { kind: string; rule_name: string }) => `${a.kind}:${a.rule_name}`),
  ).toEqual(['resolved:cpu', 'fired:mem', 'fired:cpu']);
});
