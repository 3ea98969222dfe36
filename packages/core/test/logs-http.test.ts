/**
 * The log endpoints and sockets over a real server: a real panel (startHarness) for auth, users,
 * the plugin and its logger; the log routes on a Hono app with the real auth middleware and the
 * WsHub, listening on 127.0.0.1:0 (app.ts does not wire them in yet).
 */
import { symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { defineServerPlugin, type PluginLogger } from '@webcasa/plugin-sdk';
import { Hono } from 'hono';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { authMiddleware } from '../src/auth/index.js';
import type { CoreEnv } from '../src/http/env.js';
import { errorResponse } from '../src/http/error-handler.js';
import { RouteRegistry } from '../src/http/route.js';
import { createLogTail, type LogTail, registerLogRoutes, registerLogSocket } from '../src/logging/index.js';
import { WsHub } from '../src/ws/index.js';
import { type Harness, PASSWORD, startHarness } from './helpers.js';

let h: Harness;
let demoLog: PluginLogger;
let hub: WsHub;
let tail: LogTail;
let server: Server;
let base: string;
let viewer: string;
let operator: string;
let scoped: string;
let offSocket: () => void;
const registry = new RouteRegistry();

beforeAll(async () => {
  h = await startHarness(
    [
      {
        manifest: { id: 'demo', name: 'Demo', version: '1.0.0', engine: '^1.0.0' },
        plugin: defineServerPlugin({
          setup(ctx) {
            demoLog = ctx.logger;
          },
        }),
      },
    ],
    { logLevel: 'trace' },
  );
  const logsDir = join(h.dataDir, 'logs');
  const hasPlugin = (id: string) => h.panel.manager.manifestOf(id) !== undefined;
  const app = new Hono<CoreEnv>();
  app.use(authMiddleware(h.panel.auth));
  app.onError((error, c) => errorResponse(error, c));
  registerLogRoutes(app, registry, { logsDir, hasPlugin });
  hub = new WsHub({
    authenticate: (req) => h.panel.auth.authenticateRequest(req),
    logger: pino({ level: 'silent' }),
  });
  tail = createLogTail({ pollMs: 200 });
  offSocket = registerLogSocket(hub, { logsDir, hasPlugin, tail });
  server = createAdaptorServer({ fetch: app.fetch }) as Server;
  hub.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  await h.panel.auth.createUser({ username: 'viewer', password: PASSWORD, role: 'viewer' });
  await h.panel.auth.createUser({ username: 'operator', password: PASSWORD, role: 'operator' });
  viewer = await h.login('viewer', PASSWORD);
  operator = await h.login('operator', PASSWORD);
  const admin = (await h.panel.auth.listUsers()).find((u) => u.username === 'admin')!;
  scoped = (await h.panel.auth.createToken(admin.id, { name: 'plugins only', scopes: ['core:plugins'] }))
    .token;
}, 30_000);

afterAll(async () => {
  offSocket?.();
  await hub?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h?.stop();
});

async function get(path: string, token = h.token) {
  const res = await fetch(`http://${base}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, headers: res.headers };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('GET /api/admin/plugins/:id/logs', () => {
  it('returns the last lines of the plugin log, newest last, with every field', async () => {
    for (let i = 0; i < 30; i++) demoLog.info(`hello ${i}`, { n: i });
    demoLog.warn('disk almost full', { disk: '/dev/sda1' });
    demoLog.error('pull failed', { image: 'nginx:1.27' });
    const res = await get('/api/admin/plugins/demo/logs?lines=3');
    expect(res.status).toBe(200);
    expect(res.body.truncated).toBe(true);
    expect(res.body.lines.map((l: { msg: string }) => l.msg)).toEqual([
      'hello 29',
      'disk almost full',
      'pull failed',
    ]);
    const last = res.body.lines[2];
    expect(last).toMatchObject({ level: 'error', plugin: 'demo', image: 'nginx:1.27' });
    expect(Math.abs(last.time - Date.now())).toBeLessThan(60_000);
  });

  it('filters by level (any case), since, substring and regex', async () => {
    const warnUp = await get('/api/admin/plugins/demo/logs?level=WARN&lines=5000');
    expect(warnUp.body.lines.map((l: { level: string }) => l.level)).toEqual(['warn', 'error']);

    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await get(`/api/admin/plugins/demo/logs?since=${future}`)).body).toEqual({
      lines: [],
      truncated: false,
    });
    const recent = await get(`/api/admin/plugins/demo/logs?since=${Date.now() - 60_000}&lines=5000`);
    expect(recent.body.lines.length).toBeGreaterThanOrEqual(32);

    const sub = await get('/api/admin/plugins/demo/logs?q=HELLO%202&lines=5000');
    expect(sub.body.lines.map((l: { msg: string }) => l.msg)).toEqual([
      'hello 2',
      ...Array.from({ length: 10 }, (_, i) => `hello ${20 + i}`),
    ]);

    const re = await get(
      `/api/admin/plugins/demo/logs?regex=true&q=${encodeURIComponent('"n":(7|1[0-2])[,}]')}`,
    );
    expect(re.body.lines.map((l: { n: number }) => l.n)).toEqual([7, 10, 11, 12]);
  });

  it('stops a ReDoS pattern within its time limit, and answers other requests meanwhile', async () => {
    for (let i = 0; i < 20; i++) demoLog.info(`${'a'.repeat(40)}b`);
    const began = Date.now();
    const slow = get(`/api/admin/plugins/demo/logs?regex=1&q=${encodeURIComponent('(a+)+$')}`);
    await new Promise((r) => setTimeout(r, 200));
    const t = Date.now();
    const other = await get('/api/admin/plugins/demo/logs?lines=1');
    expect(other.status).toBe(200);
    expect(Date.now() - t).toBeLessThan(500);
    const res = await slow;
    const took = Date.now() - began;
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'WEBCASA_LOG_SEARCH_TIMEOUT', field: 'query.q' });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(2000); // the limit is 1 s
    expect((await get('/api/admin/plugins/demo/logs?lines=1')).status).toBe(200);
  });

  it('refuses bad input with 400 naming the field, and unknown plugins with 404', async () => {
    const cases: [string, string][] = [
      ['lines=0', 'query.lines'],
      ['lines=5001', 'query.lines'],
      ['lines=ten', 'query.lines'],
      ['level=loud', 'query.level'],
      ['since=yesterday', 'query.since'],
      ['regex=maybe', 'query.regex'],
      ['regex=true&q=(unclosed', 'query.q'],
      [`q=${'x'.repeat(501)}`, 'query.q'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`/api/admin/plugins/demo/logs?${query}`);
      expect({ query, status: res.status, field: res.body.error?.field }).toEqual({
        query,
        status: 400,
        field,
      });
    }
    expect((await get('/api/admin/plugins/Not_An_Id/logs')).body.error.field).toBe('params.id');
    expect((await get('/api/admin/plugins/nope/logs')).status).toBe(404);
    expect((await get('/api/admin/plugins/core/logs')).status).toBe(404);
  });

  it('is for admins only', async () => {
    expect((await get('/api/admin/plugins/demo/logs', '')).status).toBe(401);
    for (const token of [viewer, operator, scoped]) {
      const res = await get('/api/admin/plugins/demo/logs', token);
      expect(res.status).toBe(403);
      expect((await get('/api/admin/logs/files', token)).status).toBe(403);
    }
  });
});

describe('log files and downloads', () => {
  it('lists the files and streams one as an attachment, refusing other files', async () => {
    const logsDir = join(h.dataDir, 'logs');
    writeFileSync(join(logsDir, 'demo.log.1'), '{"level":"info","time":1,"msg":"rotated"}\n');
    symlinkSync('/etc/passwd', join(logsDir, 'demo.log.2'));
    const files = await get('/api/admin/plugins/demo/logs/files');
    expect(files.status).toBe(200);
    expect(files.body.items.map((f: { name: string }) => f.name)).toEqual(['demo.log', 'demo.log.1']);
    expect(files.body.items[1]).toEqual({ name: 'demo.log.1', bytes: 42, modifiedAt: expect.any(Number) });

    const dl = await get('/api/admin/plugins/demo/logs/download?file=demo.log.1');
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-disposition')).toBe('attachment; filename="demo.log.1"');
    expect(dl.body).toEqual({ level: 'info', time: 1, msg: 'rotated' });

    // The reader goes on into the rotated file.
    const all = await get('/api/admin/plugins/demo/logs?lines=5000');
    expect(all.body.lines[0].msg).toBe('rotated');

    for (const file of ['../core.log', 'core.log', 'demo.log.0', '%2e%2e%2fdemo.log']) {
      const res = await get(`/api/admin/plugins/demo/logs/download?file=${file}`);
      expect({ file, status: res.status, field: res.body.error?.field }).toEqual({
        file,
        status: 400,
        field: 'query.file',
      });
    }
    expect((await get('/api/admin/plugins/demo/logs/download?file=demo.log.2')).status).toBe(404); // a symlink
    expect((await get('/api/admin/plugins/demo/logs/download?file=demo.log.3')).status).toBe(404);
    expect((await get('/api/admin/plugins/demo/logs/download')).body.error.field).toBe('query.file');
  });

  it('serves the core log the same way', async () => {
    const res = await get('/api/admin/logs?q=pull%20failed');
    expect(res.status).toBe(200);
    // Plugin lines reach the core log too, tagged with the plugin.
    expect(res.body.lines).toEqual([expect.objectContaining({ msg: 'pull failed', plugin: 'demo' })]);
    const files = await get('/api/admin/logs/files');
    expect(files.body.items[0].name).toBe('core.log');
    const dl = await get('/api/admin/logs/download?file=core.log');
    expect(dl.status).toBe(200);
    expect(String(dl.body)).toContain('pull failed');
    expect((await get('/api/admin/logs/download?file=demo.log')).status).toBe(400);
  });

  it('lists the routes in the OpenAPI registry as admin routes with core:logs', () => {
    const logs = registry.routes.filter((r) => r.tag === 'logs');
    expect(logs.map((r) => r.path).sort()).toEqual([
      '/api/admin/logs',
      '/api/admin/logs/download',
      '/api/admin/logs/files',
      '/api/admin/plugins/:id/logs',
      '/api/admin/plugins/:id/logs/download',
      '/api/admin/plugins/:id/logs/files',
    ]);
    expect(logs.every((r) => r.access === 'admin' && r.permission === 'core:logs')).toBe(true);
  });
});

interface Tail {
  ws: WebSocket;
  lines: { msg: string; level: string }[];
  closed: Promise<number>;
}

function connect(path: string, token = h.token): Tail {
  const ws = new WebSocket(`ws://${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const lines: Tail['lines'] = [];
  ws.on('message', (data) => lines.push(JSON.parse(data.toString())));
  ws.on('error', () => {});
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return { ws, lines, closed };
}

describe('WS /ws/admin/plugins/:id/logs', () => {
  it('100 concurrent tails on one plugin share one follower and all receive every new line', async () => {
    demoLog.info('before the tails');
    const tails = Array.from({ length: 100 }, () => connect('/ws/admin/plugins/demo/logs'));
    try {
      // The backlog arrives once a socket is subscribed; its last line is the newest one.
      await until(() => tails.every((t) => t.lines.at(-1)?.msg === 'before the tails'), 15_000);
      expect(tails[0]!.lines.length).toBeGreaterThan(10);
      expect(tails[0]!.lines.length).toBeLessThanOrEqual(100);
      expect(tail.followed).toBe(1);
      expect(tail.subscribers(join(h.dataDir, 'logs', 'demo.log'))).toBe(100);
      const backlog = tails.map((t) => t.lines.length);

      for (let i = 0; i < 20; i++) demoLog.info(`live ${i}`);
      const expected = Array.from({ length: 20 }, (_, i) => `live ${i}`);
      await until(() => tails.every((t, k) => t.lines.length === backlog[k]! + 20), 10_000);
      for (const [k, t] of tails.entries())
        expect(t.lines.slice(backlog[k]).map((l) => l.msg)).toEqual(expected);
    } finally {
      for (const t of tails) t.ws.close();
      await Promise.all(tails.map((t) => t.closed));
    }
    await until(() => tail.followed === 0);
  }, 40_000);

  it('applies level and q to the backlog and to live lines', async () => {
    const t = connect('/ws/admin/plugins/demo/logs?level=warn&q=DISK');
    try {
      await until(() => t.lines.length === 1);
      expect(t.lines[0]!.msg).toBe('disk almost full');
      demoLog.error('disk gone');
      demoLog.error('other trouble');
      demoLog.info('disk fine');
      demoLog.warn('disk slow');
      await until(() => t.lines.length === 3);
      await new Promise((r) => setTimeout(r, 100));
      expect(t.lines.map((l) => l.msg)).toEqual(['disk almost full', 'disk gone', 'disk slow']);
    } finally {
      t.ws.close();
    }
  });

  it('follows the core log at /ws/admin/logs', async () => {
    const t = connect('/ws/admin/logs?q=core%20tail%20check');
    try {
      await new Promise<void>((resolve) => t.ws.once('open', () => resolve()));
      // Give the backlog (empty) a moment, then a plugin line reaches core.log too.
      await new Promise((r) => setTimeout(r, 100));
      demoLog.info('core tail check');
      await until(() => t.lines.length === 1);
      expect(t.lines[0]).toMatchObject({ msg: 'core tail check', plugin: 'demo' });
    } finally {
      t.ws.close();
    }
  });

  it('closes with 4403 for non-admins, 4404 for unknown plugins, 4400 for a bad level', async () => {
    expect(await connect('/ws/admin/plugins/demo/logs', viewer).closed).toBe(4403);
    expect(await connect('/ws/admin/plugins/demo/logs', operator).closed).toBe(4403);
    expect(await connect('/ws/admin/plugins/demo/logs', scoped).closed).toBe(4403);
    expect(await connect('/ws/admin/plugins/nope/logs').closed).toBe(4404);
    expect(await connect('/ws/admin/plugins/core/logs').closed).toBe(4404);
    expect(await connect('/ws/admin/plugins/demo/logs?level=loud').closed).toBe(4400);
    expect(tail.followed).toBe(0);
  });
});
