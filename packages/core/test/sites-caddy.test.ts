import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchVia,
  requireCaddy,
  retry,
  type SitesHarness,
  skipCaddy,
  startBackend,
  startSitesHarness,
} from './sites-helpers.js';

// Sites served through a real caddy (Debian's 2.6) that the panel starts and drives
// through its admin API, on high loopback ports.

describe.skipIf(skipCaddy)('sites through a real caddy', () => {
  let h: SitesHarness;
  let backend: Awaited<ReturnType<typeof startBackend>>;
  let other: Awaited<ReturnType<typeof startBackend>>;
  const www = mkdtempSync(join(tmpdir(), 'webcasa-www-'));

  beforeAll(async () => {
    requireCaddy();
    backend = await startBackend('one');
    other = await startBackend('two');
    writeFileSync(join(www, 'index.html'), '<h1>home</h1>');
    mkdirSync(join(www, 'docs'));
    writeFileSync(join(www, 'docs', 'a.txt'), 'file a');
    h = await startSitesHarness();
  });

  afterAll(async () => {
    await h?.stop();
    await backend?.close();
    await other?.close();
    rmSync(www, { recursive: true, force: true });
  });

  it('reports a managed, running caddy with its version', async () => {
    const res = await h.call('GET', '/api/sites/caddy');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      mode: 'managed',
      found: true,
      running: true,
      httpPort: h.httpPort,
      httpsPort: h.httpsPort,
      bind: '127.0.0.1',
      installHint: null,
    });
    expect(res.body.version).toMatch(/^v?2\./);
    expect(res.body.admin).toMatch(/^unix\/.*admin\.sock$/);
    expect(res.body.pid).toBeGreaterThan(0);
  });

  it('a reverse-proxy site with TLS off answers through Caddy by Host header', async () => {
    const res = await h.call('POST', '/api/sites', {
      domains: ['proxy.test'],
      kind: 'reverse_proxy',
      upstreams: [`127.0.0.1:${backend.port}`],
      upstreamHeaders: { 'X-From-Panel': 'yes' },
      headers: { 'X-Site': 'proxy' },
      tls: 'off',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(Number), domains: ['proxy.test'], status: 'applied' });
    const got = await fetchVia(h.httpPort, 'proxy.test', '/hello?x=1');
    expect(got.status).toBe(200);
    expect(got.headers['x-site']).toBe('proxy');
    const seen = JSON.parse(got.body);
    expect(seen).toMatchObject({ backend: 'one', path: '/hello?x=1', host: `proxy.test:${h.httpPort}` });
    expect(seen.headers['x-from-panel']).toBe('yes');
    // Hosts without a site get a 404, not some other site.
    expect((await fetchVia(h.httpPort, 'unknown.test')).status).toBe(404);
  });

  it('a site with TLS internal answers over HTTPS with a certificate from the local CA, and HTTP redirects', async () => {
    const res = await h.call('POST', '/api/sites', {
      domains: ['secure.test'],
      kind: 'reverse_proxy',
      upstreams: [`http://127.0.0.1:${other.port}`],
      tls: 'internal',
    });
    expect(res.status).toBe(201);
    const ca = await retry(async () => h.rootCa());
    const apiCa = await h.call('GET', '/api/sites/caddy/root-ca');
    expect(apiCa.status).toBe(200);
    expect(apiCa.body).toBe(ca);
    // Caddy issues the certificate in the background right after the load.
    const got = await retry(() => fetchVia(h.httpsPort, 'secure.test', '/tls', { https: true, ca }));
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body)).toMatchObject({ backend: 'two', path: '/tls' });
    // Without trusting the root, the client refuses the certificate.
    await expect(fetchVia(h.httpsPort, 'secure.test', '/', { https: true })).rejects.toThrow(/certificate/);
    const redirect = await fetchVia(h.httpPort, 'secure.test', '/page?q=1');
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe(`https://secure.test:${h.httpsPort}/page?q=1`);
    const certs = await retry(async () => {
      const r = await h.call('GET', `/api/sites/${res.body.id}/certificates`);
      if (!r.body.certificates[0].present) throw new Error('not issued yet');
      return r.body.certificates;
    });
    expect(certs[0]).toMatchObject({ domain: 'secure.test', source: 'internal', present: true });
    expect(certs[0].daysLeft).toBeGreaterThanOrEqual(0);
  });

  it('a static site serves files, lists folders when browsing is on, and falls back to index.html for an SPA', async () => {
    const res = await h.call('POST', '/api/sites', {
      domains: ['static.test'],
      kind: 'static',
      root: www,
      browse: true,
      spa: true,
      tls: 'off',
    });
    expect(res.status).toBe(201);
    expect((await fetchVia(h.httpPort, 'static.test', '/')).body).toBe('<h1>home</h1>');
    expect((await fetchVia(h.httpPort, 'static.test', '/docs/a.txt')).body).toBe('file a');
    const listing = await fetchVia(h.httpPort, 'static.test', '/docs/');
    expect(listing.status).toBe(200);
    expect(listing.body).toContain('a.txt');
    const spa = await fetchVia(h.httpPort, 'static.test', '/app/route/42');
    expect(spa.status).toBe(200);
    expect(spa.body).toBe('<h1>home</h1>');
  });

  it('a redirect site answers 301 (or 302) to the target, keeping the path', async () => {
    const res = await h.call('POST', '/api/sites', {
      domains: ['old.test', 'www.old.test'],
      kind: 'redirect',
      redirectTo: 'https://new.example.com/',
      tls: 'off',
    });
    expect(res.status).toBe(201);
    const got = await fetchVia(h.httpPort, 'www.old.test', '/a/b?c=d');
    expect(got.status).toBe(301);
    expect(got.headers.location).toBe('https://new.example.com/a/b?c=d');
    const upd = await h.call('PUT', `/api/sites/${res.body.id}`, { permanent: false });
    expect(upd.status).toBe(200);
    expect((await fetchVia(h.httpPort, 'old.test', '/')).status).toBe(302);
  });

  it('basic auth: passwords are hashed by caddy, and only the right one passes', async () => {
    const res = await h.call('POST', '/api/sites', {
      domains: ['private.test'],
      kind: 'reverse_proxy',
      upstreams: [`127.0.0.1:${backend.port}`],
      basicAuth: [{ username: 'bob', password: 'hunter2 with spaces' }],
      tls: 'off',
    });
    expect(res.status).toBe(201);
    expect(res.body.basicAuth).toEqual([{ username: 'bob' }]);
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    const auth = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
    expect((await fetchVia(h.httpPort, 'private.test')).status).toBe(401);
    expect(
      (await fetchVia(h.httpPort, 'private.test', '/', { headers: { authorization: auth('bob', 'nope') } }))
        .status,
    ).toBe(401);
    const ok = await fetchVia(h.httpPort, 'private.test', '/', {
      headers: { authorization: auth('bob', 'hunter2 with spaces') },
    });
    expect(ok.status).toBe(200);
    // Changing something else keeps the stored hash.
    const upd = await h.call('PUT', `/api/sites/${res.body.id}`, { headers: { 'X-Changed': '1' } });
    expect(upd.status).toBe(200);
    const again = await fetchVia(h.httpPort, 'private.test', '/', {
      headers: { authorization: auth('bob', 'hunter2 with spaces') },
    });
    expect(again.status).toBe(200);
    expect(again.headers['x-changed']).toBe('1');
  });

  it('an uploaded certificate is served, shown without its key, and its key is stored encrypted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webcasa-cert-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '30',
          '-subj',
          '/CN=custom.test',
          '-addext',
          'subjectAltName=DNS:custom.test',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
      const keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
      const wrong = await h.call('POST', '/api/sites', {
        domains: ['not-covered.test'],
        kind: 'static',
        root: www,
        tls: 'custom',
        certificate: { certPem, keyPem },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.field).toBe('body.domains.0');
      const res = await h.call('POST', '/api/sites', {
        domains: ['custom.test'],
        kind: 'static',
        root: www,
        tls: 'custom',
        certificate: { certPem, keyPem },
      });
      expect(res.status).toBe(201);
      expect(res.body.certificate).toMatchObject({ subject: 'CN=custom.test', names: ['custom.test'] });
      expect(JSON.stringify(res.body)).not.toContain('PRIVATE KEY');
      const row = await h.panel.db.core
        .selectFrom('sites')
        .select(['tls_key'])
        .where('id', '=', res.body.id)
        .executeTakeFirstOrThrow();
      expect(row.tls_key).toMatch(/^wcenc:v1:/);
      const got = await retry(() => fetchVia(h.httpsPort, 'custom.test', '/', { https: true, ca: certPem }));
      expect(got.body).toBe('<h1>home</h1>');
      const generated = await h.call('GET', '/api/sites/caddy/config');
      expect(JSON.stringify(generated.body)).not.toContain('PRIVATE KEY');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Caddy accepts every option the panel offers (extras, php, wildcard, health checks)', async () => {
    const full = await h.call('POST', '/api/sites', {
      name: 'everything',
      domains: ['full.test', '*.full.test'],
      kind: 'reverse_proxy',
      upstreams: [`127.0.0.1:${backend.port}`, `127.0.0.1:${other.port}`],
      loadBalancing: 'first',
      healthCheck: { path: '/health', intervalSeconds: 5, timeoutSeconds: 2, expectStatus: 200 },
      websocket: false,
      upstreamHeaders: { 'X-Up': 'v' },
      headers: { 'X-Frame-Options': 'DENY' },
      allow: ['127.0.0.0/8', '::1'],
      deny: ['10.9.9.9'],
      compression: true,
      accessLog: true,
      tls: 'internal',
    });
    expect(full.status).toBe(201);
    const php = await h.call('POST', '/api/sites', {
      domains: ['php.test'],
      kind: 'php',
      root: www,
      phpFpm: '/run/php/php-fpm.sock',
      tls: 'off',
    });
    expect(php.status).toBe(201);
    // The first upstream answers its health check, so "first" picks it.
    const ca = h.rootCa();
    const got = await retry(() => fetchVia(h.httpsPort, 'full.test', '/x', { https: true, ca }));
    expect(got.headers['x-frame-options']).toBe('DENY');
    expect(JSON.parse(got.body).backend).toBe('one');
    const sub = await retry(() => fetchVia(h.httpsPort, 'a.full.test', '/', { https: true, ca }));
    expect(sub.status).toBe(200);
    const ws = await fetchVia(h.httpsPort, 'full.test', '/socket', {
      https: true,
      ca,
      headers: { upgrade: 'websocket', connection: 'Upgrade' },
    });
    expect(ws.status).toBe(403);
    // Static files of the php site are served; .php would go to PHP-FPM (not running here).
    expect((await fetchVia(h.httpPort, 'php.test', '/docs/a.txt')).body).toBe('file a');
    expect((await fetchVia(h.httpPort, 'php.test', '/index.php')).status).toBe(502);
    // The access log of full.test has the request, readable through the API.
    const log = await retry(async () => {
      const r = await h.call('GET', `/api/sites/${full.body.id}/access-log?lines=10`);
      if (!r.body.entries.some((e: any) => e.uri === '/x')) throw new Error('not logged yet');
      return r.body;
    });
    expect(log.enabled).toBe(true);
    expect(log.entries.find((e: any) => e.uri === '/x')).toMatchObject({ method: 'GET', status: 200 });
  });

  it("Caddy's live config equals what the database generates, and reads back through GET /config/", async () => {
    const live = await h.admin().getConfig();
    expect(live).toEqual(await h.sites.service.generate());
    const list = await h.call('GET', '/api/sites');
    expect(list.status).toBe(200);
    expect(list.body.sites.every((s: any) => s.status === 'applied')).toBe(true);
    const status = await h.call('GET', '/api/sites/caddy');
    expect(status.body).toMatchObject({ pending: false, lastApply: { ok: true } });
  });

  it('deleting a site removes it from Caddy', async () => {
    const res = await h.call('POST', '/api/sites', {
      domains: ['gone.test'],
      kind: 'static',
      root: www,
      tls: 'off',
    });
    expect((await fetchVia(h.httpPort, 'gone.test')).status).toBe(200);
    const del = await h.call('DELETE', `/api/sites/${res.body.id}`);
    expect(del.status).toBe(204);
    expect((await fetchVia(h.httpPort, 'gone.test')).status).toBe(404);
    expect((await h.call('GET', `/api/sites/${res.body.id}`)).status).toBe(404);
  });
});
