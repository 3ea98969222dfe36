import { PLUGIN_API_VERSION } from '@webcasa/plugin-sdk';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { CoreEnv } from '../env.js';
import { defineRoute, openApiDocument, type RouteRegistry } from '../route.js';

export interface SystemDeps {
  version: string;
  startedAt: number;
  dataDir: string;
  /** Whether the database answers; used by readiness. */
  databaseOk(): Promise<boolean>;
  /** Plugin counts by status. */
  pluginStates(): Record<string, number>;
}

/** Liveness, the OpenAPI document and panel info. */
export function registerSystemRoutes(app: Hono<CoreEnv>, registry: RouteRegistry, deps: SystemDeps): void {
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/health',
      summary: 'Liveness: answers 200 while the process serves requests',
      tag: 'system',
      access: 'public',
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
    },
    (c) => c.json({ status: 'ok' as const }),
  );
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/ready',
      summary: 'Readiness: 200 when the database answers (with plugin states), 503 otherwise',
      tag: 'system',
      access: 'public',
    },
    async (c) => {
      const database = await deps.databaseOk().catch(() => false);
      return c.json(
        {
          status: database ? 'ready' : 'not ready',
          database: database ? 'ok' : 'unavailable',
          plugins: deps.pluginStates(),
        },
        database ? 200 : 503,
      );
    },
  );
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/info',
      summary: 'Versions, uptime, process and data directory',
      tag: 'system',
      access: 'admin',
      permission: 'core:info',
    },
    (c) => {
      const memory = process.memoryUsage();
      return c.json({
        version: deps.version,
        pluginApiVersion: PLUGIN_API_VERSION,
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        pid: process.pid,
        uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
        startedAt: deps.startedAt,
        dataDir: deps.dataDir,
        memory: { rss: memory.rss, heapUsed: memory.heapUsed },
        plugins: deps.pluginStates(),
      });
    },
  );
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/openapi.json',
      summary: 'OpenAPI 3.1 document of the core API',
      tag: 'system',
      access: 'public',
    },
    (c) => c.json(openApiDocument(registry, { version: deps.version })),
  );
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/info',
      summary: 'Panel version and plugin API version',
      tag: 'system',
      access: 'user',
    },
    (c) =>
      c.json({
        version: deps.version,
        pluginApiVersion: PLUGIN_API_VERSION,
        node: process.version,
        uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      }),
  );
}
