import { PLUGIN_API_VERSION } from '@webcasa/plugin-sdk';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { CoreEnv } from '../env.js';
import { defineRoute, openApiDocument, type RouteRegistry } from '../route.js';

export interface SystemDeps {
  version: string;
  startedAt: number;
  /** Whether the database answers; used by readiness. */
  databaseOk(): Promise<boolean>;
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
