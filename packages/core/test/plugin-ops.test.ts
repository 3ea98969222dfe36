import { defineServerPlugin, PLUGIN_API_VERSION, type PluginContext } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, type Harness, PASSWORD, startHarness } from './helpers.js';

const configSchema = {
  type: 'object',
  properties: {
    host: { type: 'string', default: 'localhost' },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 25 },
    ratio: { type: 'number', default: 0.5 },
    enabled: { type: 'boolean', default: true },
    tags: { type: 'array', items: { type: 'string' }, default: ['a', 'b'] },
    limits: { type: 'object', default: { cpu: 2, memory: '512m' } },
    password: { type: 'string', secret: true },
  },
};

let setups = 0;
let watcherCalls = 0;
let ctxRef: PluginContext | undefined;

let h: Harness;
beforeAll(async () => {
  h = await startHarness([
    {
      // Follows its config itself.
      manifest: { id: 'mailer', name: 'Mailer', version: '1.0.0', engine: '^1.0.0', config: configSchema },
      plugin: defineServerPlugin({
        setup(ctx) {
          ctx.config.watch(() => {
            watcherCalls++;
          });
        },
      }),
    },
    {
      // Has no watcher: the host restarts it on config changes.
      manifest: {
        id: 'worker',
        name: 'Worker',
        version: '1.0.0',
        engine: '^1.0.0',
        config: { type: 'object', properties: { threads: { type: 'integer', default: 1 } } },
        scopes: { 'jobs.run': { minRole: 'admin' } },
        actions: {
          build: {
            title: 'Build the thing',
            input: {
              type: 'object',
              properties: {
                target: { type: 'string', minLength: 1 },
                steps: { type: 'integer', minimum: 1, maximum: 50 },
              },
              required: ['target'],
            },
          },
          inspect: { title: 'Inspect', mutating: false },
          nuke: { title: 'Nuke', scope: 'jobs.run' },
          missing: { title: 'Declared but not implemented' },
        },
      },
      plugin: defineServerPlugin({
        setup(ctx) {
          setups++;
          ctxRef = ctx;
          ctx.actions.handle<{ target: string; steps?: number }>('build', async (input, run) => {
            const steps = input.steps ?? 3;
            for (let i = 1; i <= steps; i++) {
              if (run.signal.aborted) return;
              run.log(`step ${i} of ${steps} for ${input.target}`);
              run.progress(i / steps, `step ${i}`);
              await new Promise((r) => setTimeout(r, steps > 5 ? 100 : 5));
            }
            const uploaded = run.files.map((f) => `${f.field}:${f.name}:${f.size}`);
            await run.artifact('report.txt', `built ${input.target}\n`);
            return { target: input.target, uploaded };
          });
          ctx.actions.handle('inspect', () => ({ threads: 1 }));
          ctx.actions.handle('nuke', () => 'boom');
        },
      }),
    },
  ]);
});
afterAll(() => h.stop());

describe('plugin config: validation, protected fields, TOML, profiles, live apply', () => {
  it('refuses an invalid config naming the field and keeps the old one', async () => {
    const ok = await h.call('PUT', '/api/admin/plugins/mailer/config', { port: 2525 });
    expect(ok.status).toBe(200);
    const bad = await h.call('PUT', '/api/admin/plugins/mailer/config', { port: 70000, host: 'changed' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('body.port');
    const now = await h.call('GET', '/api/admin/plugins/mailer/config');
    expect(now.body.config).toMatchObject({ port: 2525, host: 'localhost' });
  });

  it('refuses writes to protected fields', async () => {
    for (const field of ['id', 'entry', 'version']) {
      const res = await h.call('PUT', '/api/admin/plugins/mailer/config', { [field]: 'evil' });
      expect(res.status).toBe(400);
      expect(res.body.error.field).toBe(`body.${field}`);
      expect(res.body.error.message).toContain('protected');
    }
    const toml = await h.call('PUT', '/api/admin/plugins/mailer/config.toml', 'id = "other"\n', {
      headers: { 'content-type': 'application/toml' },
    });
    expect(toml.status).toBe(400);
    expect(toml.body.error.field).toBe('body.id');
  });

  it('round-trips the default config of every plugin through TOML, secrets masked and kept', async () => {
    await h.call('PUT', '/api/admin/plugins/mailer/config', { password: 's3cret-value-xyz' });
    for (const id of ['mailer', 'worker']) {
      const before = (await h.call('GET', `/api/admin/plugins/${id}/config`)).body.config;
      const exported = await h.call('GET', `/api/admin/plugins/${id}/config.toml`);
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-type')).toContain('application/toml');
      expect(exported.body).not.toContain('s3cret-value-xyz');
      const imported = await h.call('PUT', `/api/admin/plugins/${id}/config.toml`, exported.body, {
        headers: { 'content-type': 'application/toml' },
      });
      expect(imported.status, `${id}: ${JSON.stringify(imported.body)}`).toBe(200);
      expect(imported.body.config).toEqual(before);
    }
    expect((await h.call('GET', '/api/admin/plugins/mailer/config.toml')).body).toMatch(
      /\[limits\]|limits = /,
    );
  });

  it('answers broken TOML with 400 naming the body, changing nothing', async () => {
    const res = await h.call('PUT', '/api/admin/plugins/mailer/config.toml', 'port = = 3', {
      headers: { 'content-type': 'application/toml' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('body');
    expect(res.body.error.message).toContain('TOML');
  });

  it('creates, copies, switches and deletes profiles', async () => {
    await h.call('PUT', '/api/admin/plugins/mailer/config', { host: 'prod.mail', port: 587 });
    const created = await h.call('POST', '/api/admin/plugins/mailer/profiles', { name: 'staging' });
    expect(created.status).toBe(201);
    expect(created.body.profiles).toEqual([
      { name: 'default', active: true },
      { name: 'staging', active: false },
    ]);
    expect((await h.call('POST', '/api/admin/plugins/mailer/profiles', { name: 'staging' })).status).toBe(
      409,
    );
    expect(
      (await h.call('POST', '/api/admin/plugins/mailer/profiles', { name: 'Bad Name!' })).body.error.field,
    ).toBe('body.name');

    const switched = await h.call('POST', '/api/admin/plugins/mailer/profiles/staging/activate');
    expect(switched.status).toBe(200);
    expect(switched.body.config).toMatchObject({ host: 'prod.mail', port: 587 });
    await h.call('PUT', '/api/admin/plugins/mailer/config', { host: 'staging.mail' });
    const back = await h.call('POST', '/api/admin/plugins/mailer/profiles/default/activate');
    expect(back.body.config.host).toBe('prod.mail');
    const again = await h.call('POST', '/api/admin/plugins/mailer/profiles/staging/activate');
    expect(again.body.config.host).toBe('staging.mail');
    const copy = await h.call('POST', '/api/admin/plugins/mailer/profiles', {
      name: 'copy',
      copyFrom: 'default',
    });
    expect(copy.status).toBe(201);

    expect((await h.call('DELETE', '/api/admin/plugins/mailer/profiles/staging')).status).toBe(409);
    expect((await h.call('DELETE', '/api/admin/plugins/mailer/profiles/copy')).status).toBe(204);
    expect((await h.call('DELETE', '/api/admin/plugins/mailer/profiles/ghost')).status).toBe(404);
    expect((await h.call('GET', '/api/admin/plugins/mailer/config')).body.profile).toBe('staging');
  });

  it('applies a change through the plugin watcher, or by restarting a plugin that has none', async () => {
    const calls = watcherCalls;
    await h.call('PUT', '/api/admin/plugins/mailer/config', { port: 2626 });
    expect(watcherCalls).toBe(calls + 1);
    const before = setups;
    const res = await h.call('PUT', '/api/admin/plugins/worker/config', { threads: 4 });
    expect(res.status).toBe(200);
    expect(setups).toBe(before + 1);
    expect(await ctxRef!.config.get('threads')).toBe(4);
  });

  it('records every config change in the audit log with a diff, secrets redacted', async () => {
    await h.call('PUT', '/api/admin/plugins/mailer/config', { port: 2727, password: 'another-secret-1' });
    const audit = await h.call('GET', '/api/admin/audit?path=/api/admin/plugins/mailer/config&limit=1');
    const detail = audit.body.items[0].detail;
    expect(detail.changed.port).toEqual({ from: 2626, to: 2727 });
    expect(detail.changed.password).toEqual({ from: '[secret]', to: '[secret]' });
    expect(JSON.stringify(audit.body)).not.toContain('another-secret-1');
  });
});

describe('actions as runs', () => {
  it('lists actions with their input schemas', async () => {
    const res = await h.call('GET', '/api/actions');
    const names = res.body.actions.map(
      (a: { plugin: string; name: string; available: boolean }) => `${a.plugin}/${a.name}:${a.available}`,
    );
    expect(names.sort()).toEqual([
      'worker/build:true',
      'worker/inspect:true',
      'worker/missing:false',
      'worker/nuke:true',
    ]);
  });

  it('validates the input against the declared schema, naming the field', async () => {
    const missing = await h.call('POST', '/api/runs', { plugin: 'worker', action: 'build', input: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.field).toBe('body.input.target');
    const wrong = await h.call('POST', '/api/runs', {
      plugin: 'worker',
      action: 'build',
      input: { target: 'x', steps: 500 },
    });
    expect(wrong.body.error.field).toBe('body.input.steps');
    expect((await h.call('POST', '/api/runs', { plugin: 'worker', action: 'nope' })).status).toBe(404);
    expect((await h.call('POST', '/api/runs', { plugin: 'ghost', action: 'build' })).status).toBe(404);
    expect((await h.call('POST', '/api/runs', { plugin: 'worker', action: 'missing' })).status).toBe(404);
    expect((await h.call('POST', '/api/runs', { plugin: 'WORKER', action: 'build' })).body.error.field).toBe(
      'body.plugin',
    );
  });

  it('checks roles: viewers run read-only actions only; scoped actions need their role', async () => {
    await h.panel.auth.createUser({ username: 'viewer1', password: PASSWORD, role: 'viewer' });
    await h.panel.auth.createUser({ username: 'operator1', password: PASSWORD, role: 'operator' });
    const viewer = await h.login('viewer1', PASSWORD);
    const operator = await h.login('operator1', PASSWORD);
    expect(
      (await h.call('POST', '/api/runs', { plugin: 'worker', action: 'inspect' }, { token: viewer })).status,
    ).toBe(202);
    expect(
      (
        await h.call(
          'POST',
          '/api/runs',
          { plugin: 'worker', action: 'build', input: { target: 'x' } },
          { token: viewer },
        )
      ).status,
    ).toBe(403);
    expect(
      (await h.call('POST', '/api/runs', { plugin: 'worker', action: 'nuke' }, { token: operator })).status,
    ).toBe(403);
    expect((await h.call('POST', '/api/runs', { plugin: 'worker', action: 'nuke' })).status).toBe(202);
  });

  it('streams progress over WebSocket and saves the result and artifacts', async () => {
    const started = await h.call('POST', '/api/runs', {
      plugin: 'worker',
      action: 'build',
      input: { target: 'site', steps: 3 },
    });
    expect(started.status).toBe(202);
    const id = started.body.id;
    const socket = new WebSocket(`${h.panel.url.replace('http', 'ws')}/ws/runs/${id}`, {
      headers: { authorization: `Bearer ${h.token}` },
    });
    const messages: { type: string; line?: string; progress?: number; run?: { status: string } }[] = [];
    socket.on('message', (d) => messages.push(JSON.parse(String(d))));
    await new Promise((r) => socket.once('close', r));
    expect(messages.filter((m) => m.type === 'log').map((m) => m.line)).toEqual([
      'step 1 of 3 for site',
      'step 2 of 3 for site',
      'step 3 of 3 for site',
    ]);
    expect(messages.at(-1)).toMatchObject({ type: 'status', run: { status: 'succeeded' } });
    const artifacts = await h.call('GET', `/api/runs/${id}/artifacts`);
    expect(artifacts.body.artifacts.map((a: { name: string }) => a.name)).toEqual([
      'report.txt',
      'result.json',
    ]);
    const result = await h.call('GET', `/api/runs/${id}/artifacts/result.json`);
    expect(result.body).toEqual({ target: 'site', uploaded: [] });
    expect((await h.call('GET', `/api/runs/${id}/artifacts/..%2Fsecret`)).status).toBe(400);
  });

  it('can be cancelled while it runs', async () => {
    const started = await h.call('POST', '/api/runs', {
      plugin: 'worker',
      action: 'build',
      input: { target: 'slow', steps: 40 },
    });
    await eventually(async () => (await h.call('GET', `/api/runs/${started.body.id}`)).body.progress > 0);
    const cancelled = await h.call('POST', `/api/runs/${started.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    const run = await h.call('GET', `/api/runs/${started.body.id}`);
    expect(run.body.status).toBe('cancelled');
    expect(run.body.progress).toBeLessThan(1);
  });

  it('accepts input files as multipart/form-data', async () => {
    const form = new FormData();
    form.set('plugin', 'worker');
    form.set('action', 'build');
    form.set('input', JSON.stringify({ target: 'upload', steps: 1 }));
    form.set('site', new Blob(['hello world']), 'site.tar');
    const res = await fetch(`${h.panel.url}/api/runs`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${h.token}` },
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await eventually(async () => (await h.call('GET', `/api/runs/${id}`)).body.status === 'succeeded');
    const result = await h.call('GET', `/api/runs/${id}/artifacts/result.json`);
    expect(result.body.uploaded).toEqual(['site:site.tar:11']);
  });
});

describe('messages', () => {
  it('stores notifications, pushes them live, filters, and tracks read and dismissed', async () => {
    const socket = new WebSocket(`${h.panel.url.replace('http', 'ws')}/ws/events`, {
      headers: { authorization: `Bearer ${h.token}` },
    });
    const live: { type: string; payload: { title: string } }[] = [];
    socket.on('message', (d) => live.push(JSON.parse(String(d))));
    await new Promise((r) => socket.once('open', r));
    await ctxRef!.notify({ title: 'disk almost full', priority: 'high', link: '/p/monitor' });
    await ctxRef!.notify({ title: 'backup done', priority: 'low' });
    await eventually(() => live.length >= 2);
    expect(live.map((m) => m.payload.title)).toEqual(['disk almost full', 'backup done']);
    socket.close();

    const all = await h.call('GET', '/api/messages');
    expect(all.body.unread).toBe(2);
    expect(all.body.items.map((m: { title: string }) => m.title)).toEqual([
      'backup done',
      'disk almost full',
    ]);
    const high = await h.call('GET', '/api/messages?minPriority=high');
    expect(high.body.items).toHaveLength(1);
    expect(high.body.items[0]).toMatchObject({ plugin: 'worker', priority: 'high', link: '/p/monitor' });
    expect((await h.call('GET', '/api/messages?minPriority=extreme')).body.error.field).toBe(
      'query.minPriority',
    );

    await h.call('POST', `/api/messages/${high.body.items[0].id}/read`);
    expect(
      (await h.call('GET', '/api/messages?unread=true')).body.items.map((m: { title: string }) => m.title),
    ).toEqual(['backup done']);
    await h.call('POST', '/api/messages/read-all');
    expect((await h.call('GET', '/api/messages')).body.unread).toBe(0);
    await h.call('DELETE', `/api/messages/${high.body.items[0].id}`);
    expect((await h.call('GET', '/api/messages')).body.items).toHaveLength(1);
    expect((await h.call('DELETE', '/api/messages/99999')).status).toBe(404);
  });
});

describe('health', () => {
  it('answers liveness, readiness with plugin states, and admin info', async () => {
    expect((await h.call('GET', '/api/health', undefined, { token: '' })).body).toEqual({ status: 'ok' });
    const ready = await h.call('GET', '/api/ready', undefined, { token: '' });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', database: 'ok', plugins: { running: 2 } });
    const info = await h.call('GET', '/api/admin/info');
    expect(info.body).toMatchObject({
      pluginApiVersion: PLUGIN_API_VERSION,
      node: process.version,
      pid: process.pid,
    });
    expect(info.body.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });
});
