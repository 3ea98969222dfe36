import type { MiddlewareHandler } from 'hono';
import { WebcasaError } from '../errors.js';
import { CORE_ID, type MetricsRegistry } from './registry.js';

export interface RequestMetricsOptions {
  /** Monotonic clock in ms, injectable for tests. Default `performance.now()`. */
  now?: () => number;
}

/**
 * Hono middleware for the plugin dispatch route `/api/plugins/:id/*`: records
 * each request's status and duration under the `:id` plugin. The duration runs
 * until the response is ready (headers), not until a streamed body ends.
 * Requests the core refuses before the plugin (401, 403, 404 for a plugin that
 * is not running) count too, as client errors.
 *
 * @example
 * app.all('/api/plugins/:id/*', pluginRequestMetrics(metrics), dispatchToPlugin);
 */
export function pluginRequestMetrics(
  metrics: MetricsRegistry,
  options: RequestMetricsOptions = {},
): MiddlewareHandler {
  const now = options.now ?? (() => performance.now());
  return async (c, next) => {
    const began = now();
    try {
      await next();
    } catch (error) {
      // Only reached when no onError handler turned the error into a response.
      const status = error instanceof WebcasaError ? error.status : 500;
      metrics.recordRequest(c.req.param('id') ?? CORE_ID, status, now() - began);
      throw error;
    }
    metrics.recordRequest(c.req.param('id') ?? CORE_ID, c.res.status, now() - began);
  };
}
