import { defineServerPlugin } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness([
    {
      manifest: { id: 'demo', name: 'Demo', version: '1.0.0', engine: '^1.0.0' },
      plugin: defineServerPlugin({
        setup(ctx) {
          ctx.router.get('/page', (c) => c.json({ ok: true }));
        },
      }),
    },
  ]);
});
afterAll(() => h.stop());

describe('security headers', () => {
  for (const [label, path] of [
    ['a public core route', '/api/health'],
    ['an authenticated core route', '/api/plugins'],
    ["a plugin's route", '/api/plugins/demo/page'],
    ['a 404', '/api/nope'],
  ] as const) {
    it(`are on ${label}`, async () => {
      const res = await h.call('GET', path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  }

  it('echoes a caller-supplied request id (bounded length)', async () => {
    const res = await h.call('GET', '/api/health', undefined, { headers: { 'x-request-id': 'trace-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    const long = await h.call('GET', '/api/health', undefined, {
      headers: { 'x-request-id': 'x'.repeat(500) },
    });
    expect(long.headers.get('x-request-id')).toHaveLength(64);
  });

  it('serves the cached plugin list fresh after a plugin is disabled', async () => {
    expect((await h.call('GET', '/api/plugins')).body.plugins).toHaveLength(1);
    await h.call('POST', '/api/admin/plugins/demo/disable');
    expect((await h.call('GET', '/api/plugins')).body.plugins).toHaveLength(0);
    await h.call('POST', '/api/admin/plugins/demo/enable');
    const list = await h.call('GET', '/api/plugins');
    expect(list.body.plugins.map((p: { id: string }) => p.id)).toEqual(['demo']);
    expect(list.headers.get('content-type')).toContain('application/json');
  });
});
