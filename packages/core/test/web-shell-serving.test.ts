import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineServerPlugin } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Harness, startHarness } from './helpers.js';

const importMap = '{"imports":{"solid-js":"/assets/vendor/solid.js"}}';
let h: Harness;
let webRoot: string;
let pluginDir: string;

beforeAll(async () => {
  webRoot = mkdtempSync(join(tmpdir(), 'webcasa-webroot-'));
  mkdirSync(join(webRoot, 'assets'));
  writeFileSync(
    join(webRoot, 'index.html'),
    `<!doctype html><html><head><script type="importmap">${importMap}</script><script type="module" src="/assets/app-1a2b.js"></script></head><body></body></html>`,
  );
  writeFileSync(join(webRoot, 'assets/app-1a2b.js'), 'console.log("shell")');
  writeFileSync(join(webRoot, 'favicon.svg'), '<svg/>');
  // A run-time plugin package with a prebuilt web module.
  pluginDir = mkdtempSync(join(tmpdir(), 'webcasa-webplugin-'));
  mkdirSync(join(pluginDir, 'dist/web'), { recursive: true });
  writeFileSync(
    join(pluginDir, 'package.json'),
    JSON.stringify({
      name: 'webcasa-plugin-pages',
      version: '1.2.0',
      type: 'module',
      keywords: ['webcasa-plugin'],
      exports: {
        './manifest': './manifest.json',
        './server': './dist/server.js',
        './web': './dist/web/web.js',
      },
    }),
  );
  writeFileSync(
    join(pluginDir, 'manifest.json'),
    JSON.stringify({
      id: 'pages',
      name: 'Pages',
      version: '1.2.0',
      engine: '^1.0.0',
      web: { routes: [{ path: '/' }] },
    }),
  );
  writeFileSync(
    join(pluginDir, 'dist/server.js'),
    "export default { $$type: '@webcasa/server-plugin', apiVersion: '1.0.0', setup() {} };\n",
  );
  writeFileSync(join(pluginDir, 'dist/web/web.js'), 'export default { routes: [] };\n');
  writeFileSync(join(pluginDir, 'dist/web/chunk-x.js'), 'export const x = 1;\n');
  writeFileSync(join(pluginDir, 'dist/web/chunk-x.js.map'), '{}');
  h = await startHarness(
    [
      {
        manifest: { id: 'other', name: 'Other', version: '1.0.0', engine: '^1.0.0' },
        plugin: defineServerPlugin({ setup() {} }),
      },
    ],
    { webRoot, pluginDirs: [pluginDir] },
  );
});
afterAll(async () => {
  await h.stop();
  rmSync(webRoot, { recursive: true, force: true });
  rmSync(pluginDir, { recursive: true, force: true });
});

async function raw(path: string, init: RequestInit = {}) {
  return fetch(h.panel.url + path, init);
}

describe('serving the web shell', () => {
  it('serves index.html at / and for history routes, no-cache, with a CSP that allows exactly its inline script', async () => {
    for (const path of ['/', '/plugins', '/p/docker/containers/abc']) {
      const res = await raw(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const csp = res.headers.get('content-security-policy')!;
      const hash = createHash('sha256').update(importMap).digest('base64');
      expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-eval');
      expect(await res.text()).toContain('importmap');
    }
  });

  it('serves hashed assets as immutable and other files as no-cache', async () => {
    const asset = await raw('/assets/app-1a2b.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await raw('/favicon.svg');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('answers missing files and traversal attempts with 404, and API paths stay JSON', async () => {
    expect((await raw('/assets/missing-1234.js')).status).toBe(404);
    for (const path of ['/..%2f..%2fetc%2fpasswd', '/assets/..%2F..%2Fpackage.json', '/%00.js']) {
      const res = await raw(path);
      expect([200, 404]).toContain(res.status);
      expect(await res.text()).not.toMatch(/root:|"name"/);
    }
    const api = await raw('/api/nothing');
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('WEBCASA_NOT_FOUND');
  });

  it('lists run-time plugins with their web module URL and serves it to signed-in users only', async () => {
    const list = await h.call('GET', '/api/plugins');
    const byId = Object.fromEntries(list.body.plugins.map((p: { id: string }) => [p.id, p]));
    expect(byId.pages.webModule).toBe('/api/plugins/pages/assets/web.js?v=1.2.0');
    expect(byId.other.webModule).toBeNull();
    const mod = await h.call('GET', '/api/plugins/pages/assets/web.js?v=1.2.0');
    expect(mod.status).toBe(200);
    expect(mod.headers.get('content-type')).toContain('text/javascript');
    expect(mod.body).toContain('export default');
    expect((await h.call('GET', '/api/plugins/pages/assets/chunk-x.js')).status).toBe(200);
    expect((await h.call('GET', '/api/plugins/pages/assets/chunk-x.js.map')).status).toBe(404);
    expect((await h.call('GET', '/api/plugins/pages/assets/%2e%2e/server.js')).status).toBe(404);
    expect((await h.call('GET', '/api/plugins/pages/assets/../manifest.json')).status).toBe(404);
    expect((await h.call('GET', '/api/plugins/pages/assets/%2e%2e%2fmanifest.json')).status).toBe(404);
    expect((await h.call('GET', '/api/plugins/pages/assets/web.js', undefined, { token: '' })).status).toBe(
      401,
    );
    expect((await h.call('GET', '/api/plugins/other/assets/web.js')).status).toBe(404);
  });

  it('pushes plugin changes over /ws/events', async () => {
    const socket = new WebSocket(`${h.panel.url.replace('http', 'ws')}/ws/events`, {
      headers: { authorization: `Bearer ${h.token}` },
    });
    const messages: { type: string; payload: { id: string } }[] = [];
    socket.on('message', (d) => messages.push(JSON.parse(String(d))));
    await new Promise((r) => socket.once('open', r));
    await h.call('POST', '/api/admin/plugins/pages/disable');
    await h.call('POST', '/api/admin/plugins/pages/enable');
    const until = Date.now() + 3000;
    while (messages.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(messages.map((m) => `${m.type}:${m.payload.id}`)).toEqual([
      'plugin.disabled:pages',
      'plugin.enabled:pages',
    ]);
    socket.close();
  });
});
