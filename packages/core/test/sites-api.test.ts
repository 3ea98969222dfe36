import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import type { BusEvent } from '@webcasa/event-bus';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openApiDocument } from '../src/http/route.js';
import { WsHub } from '../src/ws/index.js';
import { PASSWORD } from './helpers.js';
import { registries, type SitesHarness, startSitesHarness } from './sites-helpers.js';

// The REST API and the CoreAPI with Caddy management off: everything is
// editable without Caddy, and bad input is refused naming the field.

describe('sites API without Caddy (WEBCASA_CADDY=off)', () => {
  let h: SitesHarness;
  const events: BusEvent[] = [];

  beforeAll(async () => {
    h = await startSitesHarness({ env: { WEBCASA_CADDY: 'off' } });
    h.panel.bus.on('host.*', (e) => void events.push(e));
  });
  afterAll(() => h?.stop());

  const proxy = { domains: ['app.example.com'], kind: 'reverse_proxy', upstreams: ['127.0.0.1:3000'] };

  it('status says management is off; sites are still created, as pending', async () => {
    const status = await h.call('GET', '/api/sites/caddy');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ mode: 'off', modeSource: 'env', found: false, running: false });
    expect(status.body.message).toMatch(/off/);
    const res = await h.call('POST', '/api/sites', proxy);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'app.example.com',
      domains: ['app.example.com'],
      kind: 'reverse_proxy',
      tls: 'auto',
      enabled: true,
      upstreams: ['127.0.0.1:3000'],
      loadBalancing: 'round_robin',
      websocket: true,
      compression: true,
      accessLog: false,
      status: 'pending',
      revision: 1,
    });
    expect(res.body.root).toBeUndefined();
    const list = await h.call('GET', '/api/sites');
    expect(list.body.sites.map((s: any) => s.id)).toContain(res.body.id);
  });

  it.each([
    [{ ...proxy, domains: ['bad domain'] }, 'body.domains.0', /not a valid domain/],
    [{ ...proxy, domains: ['https://x.example.com'] }, 'body.domains.0', /without http/],
    [{ ...proxy, domains: ['10.1.2.3'] }, 'body.domains.0', /tls "internal" or "off"/],
    [{ ...proxy, upstreams: ['127.0.0.1:99999'] }, 'body.upstreams.0', /between 1 and 65535/],
    [{ ...proxy, upstreams: ['localhost'] }, 'body.upstreams.0', /needs a port/],
    [{ ...proxy, upstreams: undefined }, 'body.upstreams', /required for a reverse_proxy/],
    [{ domains: ['s.example.com'], kind: 'static', root: 'www' }, 'body.root', /absolute/],
    [
      { domains: ['r.example.com'], kind: 'redirect', redirectTo: 'example.com' },
      'body.redirectTo',
      /http\(s\) URL/,
    ],
    [{ ...proxy, kind: 'ftp' }, 'body.kind', /.+/],
    [{ ...proxy, tls: 'custom' }, 'body.certificate', /required with tls "custom"/],
    [{ ...proxy, healthCheck: { path: '/h', intervalSeconds: 0 } }, 'body.healthCheck.intervalSeconds', /.+/],
  ])('400 names the field: %j', async (body, field, message) => {
    const res = await h.call('POST', '/api/sites', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('WEBCASA_BAD_REQUEST');
    expect(res.body.error.field).toBe(field);
    expect(res.body.error.message).toContain(field);
    expect(res.body.error.message).toMatch(message);
  });

  it('409 names a domain another site already has (also after normalising), on create and update', async () => {
    const taken = await h.call('POST', '/api/sites', {
      ...proxy,
      domains: ['new.example.com', 'APP.example.com.'],
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.field).toBe('body.domains.1');
    expect(taken.body.error.message).toContain('"app.example.com"');
    const other = await h.call('POST', '/api/sites', { ...proxy, domains: ['other.example.com'] });
    expect(other.status).toBe(201);
    const upd = await h.call('PUT', `/api/sites/${other.body.id}`, { domains: ['app.example.com'] });
    expect(upd.status).toBe(409);
    expect(upd.body.error.message).toContain('app.example.com');
  });

  it('PUT merges a patch, re-validates the whole, and accepts what GET returned', async () => {
    const created = await h.call('POST', '/api/sites', { ...proxy, domains: ['merge.example.com'] });
    const id = created.body.id;
    const toStatic = await h.call('PUT', `/api/sites/${id}`, { kind: 'static' });
    expect(toStatic.status).toBe(400);
    expect(toStatic.body.error.field).toBe('body.root');
    const ok = await h.call('PUT', `/api/sites/${id}`, { kind: 'static', root: '/srv/merge', spa: true });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      kind: 'static',
      root: '/srv/merge',
      spa: true,
      browse: false,
      revision: 2,
    });
    expect(ok.body.upstreams).toBeUndefined();
    const echoed = await h.call('PUT', `/api/sites/${id}`, { ...ok.body, name: 'Merged' });
    expect(echoed.status).toBe(200);
    expect(echoed.body).toMatchObject({ name: 'Merged', revision: 3, domains: ['merge.example.com'] });
    const badPatch = await h.call('PUT', `/api/sites/${id}`, { upstreams: ['nope'] });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.error.field).toBe('body.upstreams.0');
    const unknown = await h.call('PUT', '/api/sites/999999', { name: 'x' });
    expect(unknown.status).toBe(404);
    expect((await h.call('GET', '/api/sites/abc')).status).toBe(400);
    expect((await h.call('DELETE', '/api/sites/999999')).status).toBe(404);
  });

  it('basic-auth users need a password when new, and keep their hash when left out', async () => {
    const hash = '$2a$14$PH99VFN1l7BnvympAuqcw.6gtO0wcDDNvc6Vv42akR5kve.1tU.IG';
    const created = await h.call('POST', '/api/sites', {
      ...proxy,
      domains: ['auth.example.com'],
      basicAuth: [{ username: 'ann', password: hash }],
    });
    expect(created.status).toBe(201);
    const noPw = await h.call('PUT', `/api/sites/${created.body.id}`, {
      basicAuth: [{ username: 'ann' }, { username: 'bea' }],
    });
    expect(noPw.status).toBe(400);
    expect(noPw.body.error.field).toBe('body.basicAuth.1.password');
    const kept = await h.call('PUT', `/api/sites/${created.body.id}`, { basicAuth: [{ username: 'ann' }] });
    expect(kept.status).toBe(200);
    const record = await h.sites.service.repo.get(created.body.id);
    expect(record?.options.basicAuth).toEqual([{ username: 'ann', hash }]);
  });

  it('anonymous callers get 401; viewers may read but not change; operators may change', async () => {
    expect((await h.call('GET', '/api/sites', undefined, { token: '' })).status).toBe(401);
    await h.panel.auth.createUser({ username: 'vic', password: PASSWORD, role: 'viewer' });
    await h.panel.auth.createUser({ username: 'opal', password: PASSWORD, role: 'operator' });
    const login = async (username: string) =>
      (await h.call('POST', '/api/auth/login', { username, password: PASSWORD }, { token: '' })).body.token;
    const viewer = await login('vic');
    const operator = await login('opal');
    expect((await h.call('GET', '/api/sites', undefined, { token: viewer })).status).toBe(200);
    expect((await h.call('GET', '/api/sites/caddy', undefined, { token: viewer })).status).toBe(200);
    const denied = await h.call(
      'POST',
      '/api/sites',
      { ...proxy, domains: ['v.example.com'] },
      { token: viewer },
    );
    expect(denied.status).toBe(403);
    const allowed = await h.call(
      'POST',
      '/api/sites',
      { ...proxy, domains: ['o.example.com'] },
      { token: operator },
    );
    expect(allowed.status).toBe(201);
    expect((await h.call('GET', '/api/sites/caddy/settings', undefined, { token: operator })).status).toBe(
      403,
    );
  });

  it('emits host.created, host.updated and host.deleted with plain data', async () => {
    events.length = 0;
    const created = await h.call('POST', '/api/sites', { ...proxy, domains: ['events.example.com'] });
    await h.call('PUT', `/api/sites/${created.body.id}`, { upstreams: ['127.0.0.1:4000'] });
    await h.call('DELETE', `/api/sites/${created.body.id}`);
    expect(events.map((e) => e.type)).toEqual(['host.created', 'host.updated', 'host.deleted']);
    expect(events[0]!.payload).toMatchObject({
      site: { id: created.body.id, domains: ['events.example.com'] },
    });
    expect(events[1]!.payload).toMatchObject({
      site: { upstreams: ['127.0.0.1:4000'] },
      previous: { upstreams: ['127.0.0.1:3000'] },
    });
    expect(events[2]!.payload).toEqual({
      id: created.body.id,
      name: 'events.example.com',
      domains: ['events.example.com'],
    });
    expect(() => structuredClone(events.map((e) => e.payload))).not.toThrow();
  });

  it('plugins get the same through the CoreAPI (hosts.*, caddy.status)', async () => {
    const api = h.sites.api;
    const site = await api.hosts.create({
      domains: ['plugin.example.com'],
      kind: 'redirect',
      redirectTo: 'https://example.com',
    });
    expect(site.permanent).toBe(true);
    const updated = await api.hosts.update(site.id, { permanent: false });
    expect(updated.permanent).toBe(false);
    expect((await api.hosts.get(site.id))?.revision).toBe(2);
    expect((await api.hosts.list()).some((s) => s.id === site.id)).toBe(true);
    await expect(api.hosts.create({ domains: ['x'], kind: 'static' } as never)).rejects.toMatchObject({
      status: 400,
      field: 'root',
    });
    await api.hosts.delete(site.id);
    expect(await api.hosts.get(site.id)).toBeUndefined();
    expect((await api.caddy.status()).mode).toBe('off');
    expect((await api.caddy.reload()).ok).toBe(false);
  });

  it('every route is in the OpenAPI document with its access level', async () => {
    const registry = new (await import('../src/http/route.js')).RouteRegistry();
    const { Hono } = await import('hono');
    h.sites.registerRoutes(new Hono() as never, registry);
    const paths = registry.routes.map((r) => `${r.method.toUpperCase()} ${r.path} ${r.access}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'GET /api/sites user',
        'POST /api/sites operator',
        'GET /api/sites/:id user',
        'PUT /api/sites/:id operator',
        'DELETE /api/sites/:id operator',
        'GET /api/sites/caddy user',
      ]),
    );
    expect(registry.routes.every((r) => r.permission === 'core:sites')).toBe(true);
  });

  it('tails the access log over REST and live over WebSocket', async () => {
    const created = await h.call('POST', '/api/sites', {
      ...proxy,
      domains: ['logs.example.com'],
      accessLog: true,
    });
    const id = created.body.id as number;
    const file = h.sites.service.accessLogFile(id);
    mkdirSync(dirname(file), { recursive: true });
    const line = (uri: string, status: number) =>
      `${JSON.stringify({
        level: 'info',
        ts: Date.now() / 1000,
        logger: `http.log.access.webcasa_site_${id}`,
        msg: 'handled request',
        request: { remote_ip: '127.0.0.1', method: 'GET', host: 'logs.example.com', uri, proto: 'HTTP/1.1' },
        duration: 0.0012,
        size: 10,
        status,
      })}\n`;
    appendFileSync(file, line('/one', 200) + line('/two', 404));
    const rest = await h.call('GET', `/api/sites/${id}/access-log?lines=1`);
    expect(rest.status).toBe(200);
    expect(rest.body).toMatchObject({
      enabled: true,
      entries: [{ uri: '/two', status: 404, method: 'GET' }],
    });
    expect((await h.call('GET', `/api/sites/${id}/access-log?lines=zz`)).body.error.field).toBe(
      'query.lines',
    );

    const hub = new WsHub({
      authenticate: async () => ({ id: 1, username: 'admin', role: 'admin', via: 'token' }),
      logger: pino({ level: 'silent' }),
    });
    h.sites.registerSockets(hub);
    const server = createServer();
    hub.attach(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/sites/${id}/access-log`);
      const received = new Promise<any>((resolve, reject) => {
        ws.once('message', (data) => resolve(JSON.parse(String(data))));
        ws.once('error', reject);
      });
      await new Promise((r) => ws.once('open', r));
      await new Promise((r) => setTimeout(r, 100));
      appendFileSync(file, line('/live', 201));
      const message = await received;
      expect(message.entries).toEqual([expect.objectContaining({ uri: '/live', status: 201 })]);
      ws.close();
    } finally {
      await hub.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('connection settings: admins read and change them, the environment wins, bad values are 400', async () => {
    const read = await h.call('GET', '/api/sites/caddy/settings');
    expect(read.status).toBe(200);
    expect(read.body.fromEnv).toEqual(expect.arrayContaining(['mode', 'httpPort', 'httpsPort', 'bind']));
    const bad = await h.call('PUT', '/api/sites/caddy/settings', { httpPort: 70000 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('body.httpPort');
    const badAdmin = await h.call('PUT', '/api/sites/caddy/settings', { admin: 'nowhere' });
    expect(badAdmin.body.error.field).toBe('body.admin');
    const ok = await h.call('PUT', '/api/sites/caddy/settings', { mode: 'external', admin: '127.0.0.1:1' });
    expect(ok.status).toBe(200);
    // WEBCASA_CADDY=off is set for this panel, so the stored mode does not apply.
    expect(ok.body).toMatchObject({ mode: 'off', modeSource: 'env' });
    expect((await h.call('GET', '/api/sites/caddy/settings')).body.settings).toEqual({
      mode: 'external',
      admin: '127.0.0.1:1',
    });
    const cleared = await h.call('PUT', '/api/sites/caddy/settings', { mode: null, admin: null });
    expect(cleared.status).toBe(200);
    expect((await h.call('GET', '/api/sites/caddy/settings')).body.settings).toEqual({});
  });

  it('every sites endpoint answers wrongly typed fields and bad params with 400 naming them, never 500', async () => {
    const registry = registries.get(h.panel);
    if (!registry) return; // the panel wires sites itself; its own bad-input test covers them
    const doc = openApiDocument(registry, { version: 'test' }) as any;
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(methods)) {
        const url = path.replace(/\{(\w+)\}/g, '1');
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (schema) {
          const notJson = await h.call(method.toUpperCase(), url, undefined);
          expect([400, 404], `${method} ${path} no body`).toContain(notJson.status);
          for (const [name, prop] of Object.entries((schema.properties ?? {}) as Record<string, any>)) {
            const type = Array.isArray(prop.type) ? prop.type[0] : prop.type;
            const wrong =
              type === 'string'
                ? { not: 'a string' }
                : type === 'object'
                  ? 12345
                  : type
                    ? 'not-the-right-type'
                    : undefined;
            if (wrong === undefined) continue;
            const res = await h.call(method.toUpperCase(), url, { [name]: wrong });
            expect(res.status, `${method} ${path} body.${name}`).toBe(400);
            const fields = [
              res.body.error.field,
              ...(res.body.error.details?.issues ?? []).map((i: any) => i.field),
            ];
            expect(fields, `${method} ${path} body.${name}`).toContain(`body.${name}`);
            checked++;
          }
        }
        const badId = await h.call(
          method.toUpperCase(),
          path.replace(/\{(\w+)\}/g, '-1'),
          schema ? {} : undefined,
        );
        expect(badId.status, `${method} ${path} bad id`).toBeLessThan(500);
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
