import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineServerPlugin, type PluginContext } from '@webcasa/plugin-sdk';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { InlinePlugin } from '../src/server.js';
import { eventually, type Harness, startHarness } from './helpers.js';

function manifest(id: string, extra: Record<string, unknown> = {}) {
  return { id, name: id, version: '1.0.0', engine: '^1.0.0', ...extra };
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** A plugin that registers one of everything, and counts what reaches it. */
function busyPlugin(
  id: string,
  counters: { events: number; ticks: number; setups: number; stops: number },
  extra: Record<string, unknown> = {},
): InlinePlugin {
  return {
    manifest: manifest(id, extra),
    plugin: defineServerPlugin({
      setup(ctx) {
        counters.setups++;
        ctx.router.get('/hello', (c) => c.json({ hello: c.get('user').username, plugin: ctx.id }));
        ctx.ws.route('/echo', (socket) => socket.onMessage((m) => socket.send(`echo:${m}`)));
        ctx.events.on('test.ping' as never, () => {
          counters.events++;
        });
        ctx.schedule.every(20, () => {
          counters.ticks++;
        });
        ctx.provide({ whoami: () => id });
      },
      stop() {
        counters.stops++;
      },
    }),
  };
}

function wsConnect(url: string, token: string): Promise<{ socket?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url.replace('http', 'ws'), {
      headers: { authorization: `Bearer ${token}` },
    });
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    socket.once('error', () => resolve({ status: -1 }));
  });
}

describe('plugin manager', () => {
  it('serves a plugin route with the caller as user, and lists running plugins for the UI', async () => {
    const counters = { events: 0, ticks: 0, setups: 0, stops: 0 };
    h = await startHarness([
      busyPlugin('alpha', counters, { web: { menu: [{ path: '/', label: 'Alpha' }] } }),
    ]);
    const res = await h.call('GET', '/api/plugins/alpha/hello');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ hello: 'admin', plugin: 'alpha' });
    const list = await h.call('GET', '/api/plugins');
    expect(list.body.plugins.map((p: { id: string }) => p.id)).toEqual(['alpha']);
    expect(list.body.plugins[0].web.menu[0]).toMatchObject({ label: 'Alpha', path: '/' });
    expect((await h.call('GET', '/api/plugins/alpha/hello', undefined, { token: '' })).status).toBe(401);
  });

  it('disable removes every route, WebSocket route, event handler, timer and service; enable brings them back', async () => {
    const counters = { events: 0, ticks: 0, setups: 0, stops: 0 };
    h = await startHarness([busyPlugin('alpha', counters)]);
    const { socket } = await wsConnect(`${h.panel.url}/ws/plugins/alpha/echo`, h.token);
    expect(socket).toBeDefined();
    const closed = new Promise<number>((r) => socket!.once('close', (code) => r(code)));
    h.panel.bus.emit('test.ping' as never, {} as never);
    expect(counters.events).toBe(1);
    await eventually(() => counters.ticks > 0);

    const off = await h.call('POST', '/api/admin/plugins/alpha/disable');
    expect(off.status).toBe(200);
    expect(off.body.status).toBe('disabled');
    expect(counters.stops).toBe(1);
    expect(await closed).toBe(1001);

    expect((await h.call('GET', '/api/plugins/alpha/hello')).status).toBe(404);
    expect((await wsConnect(`${h.panel.url}/ws/plugins/alpha/echo`, h.token)).status).toBe(404);
    h.panel.bus.emit('test.ping' as never, {} as never);
    expect(counters.events).toBe(1);
    expect(h.panel.bus.listenerCount('test.ping')).toBe(0);
    const ticks = counters.ticks;
    await new Promise((r) => setTimeout(r, 120));
    expect(counters.ticks).toBe(ticks);
    expect((await h.call('GET', '/api/plugins')).body.plugins).toEqual([]);

    const on = await h.call('POST', '/api/admin/plugins/alpha/enable');
    expect(on.status).toBe(200);
    expect(on.body.status).toBe('running');
    expect(counters.setups).toBe(2);
    expect((await h.call('GET', '/api/plugins/alpha/hello')).status).toBe(200);
    h.panel.bus.emit('test.ping' as never, {} as never);
    expect(counters.events).toBe(2);
  });

  it('a plugin whose setup throws is marked error with its message; the others keep working', async () => {
    const counters = { events: 0, ticks: 0, setups: 0, stops: 0 };
    h = await startHarness([
      {
        manifest: manifest('broken'),
        plugin: defineServerPlugin({
          setup() {
            throw new Error('cannot reach the moon');
          },
        }),
      },
      busyPlugin('alpha', counters),
    ]);
    const list = await h.call('GET', '/api/admin/plugins');
    const broken = list.body.plugins.find((p: { id: string }) => p.id === 'broken');
    expect(broken.status).toBe('error');
    expect(broken.error.message).toContain('cannot reach the moon');
    expect(broken.error.message).toContain('broken');
    expect((await h.call('GET', '/api/plugins/alpha/hello')).status).toBe(200);
    expect((await h.call('GET', '/api/plugins/broken/anything')).status).toBe(404);
    expect((await h.call('GET', '/api/health')).status).toBe(200);
  });

  it('a plugin whose setup hangs is stopped by the timeout, its half-registered routes removed', async () => {
    h = await startHarness(
      [
        {
          manifest: manifest('sleepy'),
          plugin: defineServerPlugin({
            async setup(ctx) {
              ctx.router.get('/x', (c) => c.text('should never answer'));
              await new Promise(() => {});
            },
          }),
        },
        {
          manifest: manifest('fine'),
          plugin: defineServerPlugin({
            setup(ctx) {
              ctx.router.get('/ok', (c) => c.text('ok'));
            },
          }),
        },
      ],
      { setupTimeoutMs: 300 },
    );
    const info = (await h.call('GET', '/api/admin/plugins/sleepy')).body;
    expect(info.status).toBe('error');
    expect(info.error.code).toBe('WEBCASA_PLUGIN_TIMEOUT');
    expect(info.error.message).toMatch(/sleepy: setup did not finish within 300 ms/);
    expect((await h.call('GET', '/api/plugins/sleepy/x')).status).toBe(404);
    expect((await h.call('GET', '/api/plugins/fine/ok')).status).toBe(200);
  });

  it('sets up in dependency order, stops in reverse, and shares services only along declared dependencies', async () => {
    const events: string[] = [];
    const mk = (
      id: string,
      deps: Record<string, string> = {},
      body?: (ctx: PluginContext) => Promise<void>,
    ): InlinePlugin => ({
      manifest: manifest(id, { dependencies: deps }),
      plugin: defineServerPlugin({
        async setup(ctx) {
          events.push(`setup:${id}`);
          ctx.provide({ name: id });
          await body?.(ctx);
        },
        start() {
          events.push(`start:${id}`);
        },
        stop() {
          events.push(`stop:${id}`);
        },
      }),
    });
    let seen: unknown;
    let refused: unknown;
    h = await startHarness([
      mk('web', { api: '^1.0.0' }, async (ctx) => {
        seen = await ctx.use('api');
        refused = await ctx.use('store').catch((e: Error) => e.message);
      }),
      mk('api', { store: '^1.0.0' }),
      mk('store'),
    ]);
    expect(events).toEqual([
      'setup:store',
      'setup:api',
      'setup:web',
      'start:store',
      'start:api',
      'start:web',
    ]);
    expect(seen).toEqual({ name: 'api' });
    expect(refused).toMatch(/web used "store" without declaring it/);
    const order = (await h.call('GET', '/api/admin/plugins')).body.plugins.map(
      (p: { id: string; loadOrder: number }) => [p.id, p.loadOrder],
    );
    expect(order).toEqual([
      ['store', 0],
      ['api', 1],
      ['web', 2],
    ]);
    events.length = 0;
    await h.stop();
    h = undefined;
    expect(events).toEqual(['stop:web', 'stop:api', 'stop:store']);
  });

  it('refuses to disable a plugin others need, naming them; cascade disables them too', async () => {
    const c1 = { events: 0, ticks: 0, setups: 0, stops: 0 };
    const c2 = { events: 0, ticks: 0, setups: 0, stops: 0 };
    h = await startHarness([
      busyPlugin('base', c1),
      busyPlugin('child', c2, { dependencies: { base: '^1.0.0' } }),
    ]);
    const refused = await h.call('POST', '/api/admin/plugins/base/disable');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('WEBCASA_PLUGIN_HAS_DEPENDENTS');
    expect(refused.body.error.message).toContain('child');
    expect((await h.call('GET', '/api/plugins/base/hello')).status).toBe(200);

    const cascaded = await h.call('POST', '/api/admin/plugins/base/disable?cascade=true');
    expect(cascaded.status).toBe(200);
    const statuses = (await h.call('GET', '/api/admin/plugins')).body.plugins.map(
      (p: { id: string; status: string }) => `${p.id}:${p.status}`,
    );
    expect(statuses.sort()).toEqual(['base:disabled', 'child:disabled']);
    expect(c2.stops).toBe(1);

    const needsBase = await h.call('POST', '/api/admin/plugins/child/enable');
    expect(needsBase.status).toBe(409);
    expect(needsBase.body.error.message).toContain('base');
    const both = await h.call('POST', '/api/admin/plugins/child/enable?cascade=1');
    expect(both.status).toBe(200);
    expect(both.body.status).toBe('running');
    expect((await h.call('GET', '/api/plugins/base/hello')).status).toBe(200);
  });

  it('remembers disabled plugins across a restart', async () => {
    const counters = { events: 0, ticks: 0, setups: 0, stops: 0 };
    h = await startHarness([busyPlugin('alpha', counters)], { keep: true });
    await h.call('POST', '/api/admin/plugins/alpha/disable');
    const dataDir = h.dataDir;
    await h.stop();
    h = await startHarness([busyPlugin('alpha', counters)], { dataDir });
    const info = (await h.call('GET', '/api/admin/plugins/alpha')).body;
    expect(info.status).toBe('disabled');
    expect(counters.setups).toBe(1);
  });

  it('reports unresolvable plugins with their reason and still starts the rest', async () => {
    h = await startHarness([
      {
        manifest: manifest('orphan', { dependencies: { ghost: '^1.0.0' } }),
        plugin: defineServerPlugin({ setup() {} }),
      },
      {
        manifest: manifest('grandchild', { dependencies: { orphan: '^1.0.0' } }),
        plugin: defineServerPlugin({ setup() {} }),
      },
      { manifest: manifest('future', { engine: '^2.0.0' }), plugin: defineServerPlugin({ setup() {} }) },
      { manifest: manifest('ok'), plugin: defineServerPlugin({ setup() {} }) },
    ]);
    const byId = Object.fromEntries(
      (await h.call('GET', '/api/admin/plugins')).body.plugins.map((p: { id: string }) => [p.id, p]),
    );
    expect(byId.ok.status).toBe('running');
    expect(byId.orphan.status).toBe('error');
    expect(byId.orphan.error.message).toContain('ghost');
    expect(byId.grandchild.status).toBe('error');
    expect(byId.grandchild.error.message).toContain('orphan');
    expect(byId.future.error.code).toBe('WEBCASA_PLUGIN_ENGINE');
  });

  it("a plugin's database cannot reach core tables, even through raw SQL", async () => {
    let outcome: unknown;
    h = await startHarness([
      {
        manifest: manifest('snoop'),
        plugin: defineServerPlugin({
          async setup(ctx) {
            await ctx.migrate({
              '001': {
                up: async (db) =>
                  void (await db.schema.createTable('plugin_snoop_notes').addColumn('t', 'text').execute()),
              },
            });
            await ctx.db.insertInto('plugin_snoop_notes').values({ t: 'mine' }).execute();
            outcome = await sql`select password_hash from users`.execute(ctx.db).then(
              () => 'read users!',
              (e: Error) => e.message,
            );
          },
        }),
      },
    ]);
    expect(outcome).toMatch(/plugin snoop: table "users" is outside its own tables/);
    expect((await h.call('GET', '/api/admin/plugins/snoop')).body.status).toBe('running');
  });

  it('validates plugin config against its schema and keeps secrets encrypted at rest', async () => {
    const seen: unknown[] = [];
    h = await startHarness([
      {
        manifest: manifest('mailer', {
          config: {
            type: 'object',
            properties: {
              host: { type: 'string', default: 'localhost' },
              port: { type: 'integer', minimum: 1, maximum: 65535, default: 25 },
              password: { type: 'string', secret: true },
            },
          },
        }),
        plugin: defineServerPlugin({
          setup(ctx) {
            ctx.config.watch((c) => void seen.push(c));
            ctx.router.get('/config', async (c) => c.json(await ctx.config.get()));
          },
        }),
      },
    ]);
    expect((await h.call('GET', '/api/plugins/mailer/config')).body).toEqual({ host: 'localhost', port: 25 });
    const bad = await h.call('PUT', '/api/admin/plugins/mailer/config', { port: 'twenty' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('body.port');
    const unknown = await h.call('PUT', '/api/admin/plugins/mailer/config', { colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.field).toBe('body.colour');

    const secret = 'hunter2-very-secret-value';
    const ok = await h.call('PUT', '/api/admin/plugins/mailer/config', { port: 2525, password: secret });
    expect(ok.status).toBe(200);
    expect(ok.body.config.password).not.toBe(secret);
    expect((await h.call('GET', '/api/plugins/mailer/config')).body).toEqual({
      host: 'localhost',
      port: 2525,
      password: secret,
    });
    expect(seen).toHaveLength(1);
    // Sending the mask back keeps the stored secret.
    await h.call('PUT', '/api/admin/plugins/mailer/config', {
      password: ok.body.config.password,
      host: 'smtp.local',
    });
    expect((await h.call('GET', '/api/plugins/mailer/config')).body.password).toBe(secret);

    h.panel.db.shared.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of ['webcasa.db', 'webcasa.db-wal']) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(h.dataDir, file));
      } catch {
        continue;
      }
      expect(bytes.includes(secret)).toBe(false);
    }
  });
});
