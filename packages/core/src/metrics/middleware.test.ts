import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { errorResponse } from '../http/error-handler.js';
import { bucketIndex } from './histogram.js';
import { pluginRequestMetrics } from './middleware.js';
import { createMetricsRegistry } from './registry.js';

function appWith(onError: 'json' | 'rethrow') {
  const metrics = createMetricsRegistry({ isKnown: (id) => id === 'alpha' || id === 'beta' });
  let clock = 0;
  const app = new Hono();
  app.all('/api/plugins/:id/*', pluginRequestMetrics(metrics, { now: () => clock }), async (c) => {
    clock += Number(c.req.query('ms') ?? 0);
    const status = Number(c.req.query('status') ?? 200);
    if (c.req.query('throw') === 'http') throw new HttpError(status, 'WEBCASA_TEST', 'refused');
    if (c.req.query('throw') === 'bug') throw new Error('plugin bug');
    return c.text('ok', status as 200);
  });
  app.get('/api/other', (c) => c.text('not a plugin route'));
  app.onError((error, c) => {
    if (onError === 'rethrow') throw error;
    return errorResponse(error, c);
  });
  return { app, metrics };
}

describe('pluginRequestMetrics', () => {
  it('records status and duration under the plugin in the path', async () => {
    const { app, metrics } = appWith('json');
    expect((await app.request('/api/plugins/alpha/x?ms=12')).status).toBe(200);
    await app.request('/api/plugins/alpha/x?status=404&ms=1');
    await app.request('/api/plugins/beta/deep/path?status=503&ms=700');
    await app.request('/api/other');
    const alpha = metrics.get('alpha')!;
    expect(alpha).toMatchObject({
      requests: 2,
      errors: 0,
      clientErrors: 1,
      latencySumMs: 13,
      latencyMaxMs: 12,
    });
    expect(alpha.latencyCounts[bucketIndex(12)]).toBe(1);
    expect(metrics.get('beta')).toMatchObject({ requests: 1, errors: 1, latencyMaxMs: 700 });
    expect(metrics.get('core')?.requests).toBe(0);
  });

  it('sees the status onError gave a thrown error', async () => {
    const { app, metrics } = appWith('json');
    expect((await app.request('/api/plugins/alpha/x?throw=http&status=403')).status).toBe(403);
    expect((await app.request('/api/plugins/alpha/x?throw=bug')).status).toBe(500);
    expect(metrics.get('alpha')).toMatchObject({ requests: 2, errors: 1, clientErrors: 1 });
  });

  it('counts unknown plugin ids under core', async () => {
    const { app, metrics } = appWith('json');
    await app.request('/api/plugins/nobody/x?status=404');
    expect(metrics.ids()).not.toContain('nobody');
    expect(metrics.get('core')).toMatchObject({ requests: 1, clientErrors: 1 });
  });

  it('records a request whose error escapes every handler, and rethrows it', async () => {
    const { app, metrics } = appWith('rethrow');
    await expect(app.request('/api/plugins/alpha/x?throw=bug&ms=3')).rejects.toThrow('plugin bug');
    await expect(app.request('/api/plugins/alpha/x?throw=http&status=429')).rejects.toThrow('refused');
    expect(metrics.get('alpha')).toMatchObject({ requests: 2, errors: 1, clientErrors: 1, latencySumMs: 3 });
  });
});
