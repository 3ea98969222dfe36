import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import manifest from '../manifest.json' with { type: 'json' };
import { createFakeSource, createMonitorPlugin, type MonitorHandle } from '../src/server.js';
import { startSmtpServer, startWebhookServer } from './servers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// A fixed start on an hour boundary, so roll-up hours are predictable.
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

let t: TestPanel;
let handle!: MonitorHandle;
// Route tests run two months earlier; their rows are gone (retention) before the history test looks.
let clock = T0 - 60 * DAY;
const fake = createFakeSource({ cpu: 10 });

beforeAll(async () => {
  const plugin = createMonitorPlugin({
    source: fake,
    now: () => clock,
    onReady: (h) => {
      handle = h;
    },
  });
  t = await startTestPanel({ plugins: [{ manifest, plugin }] });
  // Keep the background timer out of the way: tests drive sampling through the handle.
  const res = await t.client.put('/api/admin/plugins/monitor/config', {
    sampleIntervalSeconds: 60,
    liveIntervalSeconds: 1,
  });
  expect(res.status).toBe(200);
});
afterAll(() => t?.stop());

describe('routes', () => {
  it('answers the latest sample on /current', async () => {
    fake.cpu = 42;
    await handle.collect();
    const res = await t.client.get('/api/plugins/monitor/current');
    expect(res.status).toBe(200);
    expect(res.body.ts).toBe(clock);
    expect(res.body.cpu).toEqual({ total: 42, cores: [42, 42] });
    expect(res.body.metrics).toMatchObject({
      'cpu.total': 42,
      'cpu.core.1': 42,
      'net.eth0.rx': 5000,
      'disk./.used_pct': 40,
    });
    expect(res.body.memory.usedPct).toBe(40);
    expect(res.body.containers).toEqual([]);
  });

  it('lists metric names', async () => {
    const res = await t.client.get('/api/plugins/monitor/metrics');
    expect(res.body.items).toContain('load.15');
    expect(res.body.items).toContain('diskio.vda.write');
  });

  it('validates history queries and names the field', async () => {
    const missing = await t.client.get('/api/plugins/monitor/history?range=1h');
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'MONITOR_BAD_REQUEST', field: 'query.metric' });
    const range = await t.client.get('/api/plugins/monitor/history?metric=cpu.total&range=2y');
    expect(range.status).toBe(400);
    expect(range.body.error.field).toBe('query.range');
    expect(range.body.error.message).toContain('1h, 24h, 7d, 30d');
    const name = await t.client.get('/api/plugins/monitor/history?metric=cpu%20total');
    expect(name.body.error.field).toBe('query.metric');
  });

  it('creates, lists, updates and deletes rules; validates them; viewers only read', async () => {
    const bad = await t.client.post('/api/plugins/monitor/rules', {
      name: 'x',
      metric: 'cpu.total',
      comparison: '>',
      threshold: 'high',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('body.threshold');
    const cmp = await t.client.post('/api/plugins/monitor/rules', {
      name: 'x',
      metric: 'cpu.total',
      comparison: '!=',
      threshold: 1,
    });
    expect(cmp.body.error.field).toBe('body.comparison');

    const created = await t.client.post('/api/plugins/monitor/rules', {
      name: 'Load',
      metric: 'load.1',
      comparison: '>',
      threshold: 4,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Load',
      durationSeconds: 60,
      hysteresis: 0,
      enabled: true,
      state: 'ok',
    });
    const id = created.body.id;

    const updated = await t.client.put(`/api/plugins/monitor/rules/${id}`, {
      ...created.body,
      threshold: 8,
      enabled: false,
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ threshold: 8, enabled: false });

    const viewer = await t.clientAs('viewer');
    expect(
      (await viewer.get('/api/plugins/monitor/rules')).body.items.map((r: { id: number }) => r.id),
    ).toContain(id);
    const denied = await viewer.post('/api/plugins/monitor/rules', {
      name: 'v',
      metric: 'cpu.total',
      comparison: '>',
      threshold: 1,
    });
    expect(denied.status).toBe(403);

    expect((await t.client.delete(`/api/plugins/monitor/rules/${id}`)).status).toBe(204);
    expect((await t.client.delete(`/api/plugins/monitor/rules/${id}`)).status).toBe(404);
    expect((await t.client.put('/api/plugins/monitor/rules/abc', created.body)).status).toBe(404);
  });
});

describe('history', () => {
  it('writes one row per minute, rolls up to hours after 7 days and deletes after 30 days', async () => {
    // Three hours of samples, two per minute: cpu = the hour's index * 10 + (0 or 2).
    clock = T0;
    for (let m = 0; m < 180; m++) {
      for (const s of [0, 30]) {
        clock = T0 + m * MIN + s * 1000;
        fake.cpu = Math.floor(m / 60) * 10 + (s === 0 ? 0 : 2);
        await handle.collect();
      }
    }
    await handle.flush();

    const hour = await t.client.get('/api/plugins/monitor/history?metric=cpu.total&range=1h');
    expect(hour.status).toBe(200);
    // the last hour: minutes 120..179, each the average of 20 and 22
    expect(hour.body.points).toHaveLength(60);
    expect(hour.body.points.every(([, v]: [number, number]) => v === 21)).toBe(true);
    expect(hour.body.points[0][0]).toBe(T0 + 120 * MIN);

    const day = await t.client.get('/api/plugins/monitor/history?metric=cpu.total&range=24h');
    expect(day.body.points).toHaveLength(180);

    // Nothing is old enough yet.
    let result = await handle.maintain();
    expect(result.rolledUpMinutes).toBe(0);

    // 8 days later the minutes are rolled into three hourly averages.
    clock = T0 + 8 * DAY;
    result = await handle.maintain();
    expect(result).toMatchObject({ rolledUpMinutes: 180, hoursWritten: 3, deletedHours: 0 });
    const storage = await t.client.get('/api/plugins/monitor/storage');
    expect(storage.body).toMatchObject({
      minute: { rows: 0, oldest: null },
      hourly: { rows: 3, oldest: T0 },
    });
    const month = await t.client.get('/api/plugins/monitor/history?metric=cpu.total&range=30d');
    expect(month.body.points).toEqual([
      [T0, 1],
      [T0 + HOUR, 11],
      [T0 + 2 * HOUR, 21],
    ]);
    expect(
      (await t.client.get('/api/plugins/monitor/history?metric=cpu.total&range=7d')).body.points,
    ).toEqual([]);

    // After 30 days they are gone.
    clock = T0 + 31 * DAY;
    result = await handle.maintain();
    expect(result.deletedHours).toBe(3);
    expect(
      (await t.client.get('/api/plugins/monitor/history?metric=cpu.total&range=30d')).body.points,
    ).toEqual([]);
  });

  it('follows configured retention', async () => {
    clock = T0 + 40 * DAY;
    for (let m = 0; m < 5; m++) {
      clock = T0 + 40 * DAY + m * MIN;
      await handle.collect();
    }
    await handle.flush();
    await t.client.put('/api/admin/plugins/monitor/config', { rollupAfterDays: 1, retentionDays: 2 });
    clock = T0 + 41 * DAY + 2 * HOUR;
    expect((await handle.maintain()).rolledUpMinutes).toBe(5);
    clock = T0 + 43 * DAY;
    expect((await handle.maintain()).deletedHours).toBe(1);
    await t.client.put('/api/admin/plugins/monitor/config', { rollupAfterDays: null, retentionDays: null });
  });
});

describe('alerts', () => {
  it('fires after the duration, does not flap inside the hysteresis, resolves, and notifies every channel', async () => {
    const hook = await startWebhookServer();
    const smtp = await startSmtpServer();
    try {
      const cfg = await t.client.put('/api/admin/plugins/monitor/config', {
        webhookUrl: hook.url,
        smtpHost: '127.0.0.1',
        smtpPort: smtp.port,
        smtpUser: 'alerts',
        smtpPassword: 'pw',
        smtpFrom: 'panel@test.local',
        smtpTo: 'ops@test.local, oncall@test.local',
      });
      expect(cfg.status).toBe(200);
      const events: string[] = [];
      const offFired = t.panel.bus.on('monitor.alert.fired', (e) => {
        events.push(`fired:${e.payload.value}`);
      });
      const offResolved = t.panel.bus.on('monitor.alert.resolved', (e) => {
        events.push(`resolved:${e.payload.value}`);
      });
      const rule = await t.client.post('/api/plugins/monitor/rules', {
        name: 'CPU high',
        metric: 'cpu.total',
        comparison: '>',
        threshold: 80,
        durationSeconds: 60,
        hysteresis: 10,
      });
      expect(rule.status).toBe(201);

      const start = T0 + 100 * DAY;
      const feed = async (sec: number, cpu: number) => {
        clock = start + sec * 1000;
        fake.cpu = cpu;
        await handle.collect();
        await handle.idle();
      };
      await feed(0, 95);
      await feed(30, 95);
      expect(events).toEqual([]);
      const pending = await t.client.get('/api/plugins/monitor/rules');
      expect(pending.body.items.find((r: { id: number }) => r.id === rule.body.id).state).toBe('pending');
      await feed(60, 96);
      expect(events).toEqual(['fired:96']);
      // Below the threshold but inside the hysteresis band, then above again: no new events.
      await feed(65, 75);
      await feed(70, 85);
      await feed(75, 71);
      expect(events).toEqual(['fired:96']);
      await feed(80, 60);
      expect(events).toEqual(['fired:96', 'resolved:60']);

      await hook.waitFor(2);
      expect(hook.received.map((r) => r.body.event)).toEqual([
        'monitor.alert.fired',
        'monitor.alert.resolved',
      ]);
      expect(hook.received[0]?.body.alert).toMatchObject({
        name: 'CPU high',
        metric: 'cpu.total',
        value: 96,
        threshold: 80,
      });

      expect(smtp.messages).toHaveLength(2);
      expect(smtp.messages[0]).toMatchObject({
        from: 'panel@test.local',
        to: ['ops@test.local', 'oncall@test.local'],
        auth: '\0alerts\0pw',
      });
      expect(smtp.messages[0]?.data).toContain('Subject: Web.Casa: [fired] CPU high');
      expect(smtp.messages[1]?.data).toContain('[resolved] CPU high');

      const messages = await t.client.get('/api/messages?plugin=monitor');
      const titles = messages.body.items.map((m: { title: string }) => m.title);
      expect(titles).toContain('[fired] CPU high');
      expect(titles).toContain('[resolved] CPU high');

      const history = await t.client.get('/api/plugins/monitor/alerts');
      expect(history.body.items.slice(0, 2).map((a: { kind: string }) => a.kind)).toEqual([
        'resolved',
        'fired',
      ]);
      offFired();
      offResolved();
      await t.client.delete(`/api/plugins/monitor/rules/${rule.body.id}`);
    } finally {
      await hook.close();
      await smtp.close();
    }
  });

  it('sends test notifications from the route and the action, and reports failures', async () => {
    const hook = await startWebhookServer();
    const smtp = await startSmtpServer();
    const broken = await startWebhookServer(500);
    try {
      await t.client.put('/api/admin/plugins/monitor/config', { webhookUrl: hook.url, smtpPort: smtp.port });
      const res = await t.client.post('/api/plugins/monitor/notifications/test', { channel: 'all' });
      expect(res.status).toBe(200);
      expect(res.body.results).toEqual({ panel: 'sent', webhook: 'sent', email: 'sent' });
      expect(hook.received[0]?.body.event).toBe('monitor.alert.test');
      expect(smtp.messages[0]?.data).toContain('[test] Test notification');

      const bad = await t.client.post('/api/plugins/monitor/notifications/test', { channel: 'sms' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('body.channel');

      const started = await t.client.post('/api/runs', {
        plugin: 'monitor',
        action: 'test-notification',
        input: { channel: 'webhook' },
      });
      expect(started.status).toBe(202);
      const ok = await t.panel.runs.wait(started.body.id);
      expect(ok.status).toBe('succeeded');
      expect(hook.received).toHaveLength(2);

      await t.client.put('/api/admin/plugins/monitor/config', { webhookUrl: broken.url });
      const failed = await t.client.post('/api/runs', {
        plugin: 'monitor',
        action: 'test-notification',
        input: { channel: 'webhook' },
      });
      const run = await t.panel.runs.wait(failed.body.id);
      expect(run.status).toBe('failed');
      expect(run.error).toContain('HTTP 500');

      const none = await t.client.put('/api/admin/plugins/monitor/config', {
        webhookUrl: null,
        smtpHost: null,
      });
      expect(none.status).toBe(200);
      const skipped = await t.client.post('/api/plugins/monitor/notifications/test', {});
      expect(skipped.body.results).toEqual({
        panel: 'sent',
        webhook: 'not configured',
        email: 'not configured',
      });
    } finally {
      await hook.close();
      await smtp.close();
      await broken.close();
    }
  });
});

describe('live view', () => {
  it('samples fast only while someone watches', async () => {
    expect(handle.live()).toEqual({ sockets: 0, running: false });
    const before = fake.calls;
    const socket = await t.client.ws('/ws/plugins/monitor/live');
    const first = JSON.parse(await socket.next());
    expect(first.type).toBe('sample');
    const second = JSON.parse(await socket.next(3000));
    expect(second.sample.metrics['cpu.total']).toBe(fake.cpu);
    expect(handle.live()).toEqual({ sockets: 1, running: true });
    expect(fake.calls).toBeGreaterThan(before);

    await socket.close();
    for (let i = 0; i < 50 && handle.live().sockets > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(handle.live()).toEqual({ sockets: 0, running: false });
    const after = fake.calls;
    await new Promise((r) => setTimeout(r, 2500));
    expect(fake.calls).toBe(after);
  });
});
