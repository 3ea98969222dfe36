import { PLUGIN_API_VERSION, PLUGIN_ID_PATTERN } from '@webcasa/plugin-sdk';
import type { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../../errors.js';
import type { PluginManager } from '../../plugins/manager.js';
import type { PluginConfigService } from '../../settings/plugin-config.js';
import type { CoreEnv } from '../env.js';
import { defineRoute, type RouteRegistry } from '../route.js';

const idParams = z.object({ id: z.string().regex(PLUGIN_ID_PATTERN, 'not a plugin id') });
const cascadeQuery = z.object({
  cascade: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1'),
});

/** Public plugin list for the UI, and admin plugin management. */
export function registerPluginRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry,
  deps: { manager: PluginManager; config: PluginConfigService },
): void {
  const { manager, config } = deps;
  let cachedFor = -1;
  let cachedBody = '';

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/plugins',
      summary: "Running plugins' manifests, for the UI",
      tag: 'plugins',
      access: 'user',
    },
    (c) => {
      // The list changes only when plugins start or stop; serialise it once per change.
      if (cachedFor !== manager.revision) {
        cachedFor = manager.revision;
        cachedBody = JSON.stringify({
          plugins: manager.runningManifests().map((m) => ({
            id: m.id,
            name: m.name,
            version: m.version,
            description: m.description,
            icon: m.icon,
            category: m.category,
            web: m.web,
            events: m.events,
            scopes: m.scopes,
            webModule: manager.webModuleUrl(m.id),
          })),
        });
      }
      return c.body(cachedBody, 200, { 'Content-Type': 'application/json' });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/plugins',
      summary: 'Every plugin with status, errors and load order',
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
    },
    (c) =>
      c.json({ apiVersion: PLUGIN_API_VERSION, plugins: manager.list(), problems: manager.listProblems() }),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/plugins/:id',
      summary: 'One plugin',
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
    },
    (c, { params }) => {
      const info = manager.info(params.id);
      if (!info) throw notFound(`no plugin with id "${params.id}"`);
      return c.json(info);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/admin/plugins/:id/enable',
      summary:
        'Enable and start a plugin without restarting (cascade=true also enables its disabled dependencies)',
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
      query: cascadeQuery,
    },
    async (c, { params, query }) => c.json(await manager.enable(params.id, { cascade: query.cascade })),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/admin/plugins/:id/disable',
      summary: 'Stop and disable a plugin (refused while enabled plugins depend on it, unless cascade=true)',
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
      query: cascadeQuery,
    },
    async (c, { params, query }) => c.json(await manager.disable(params.id, { cascade: query.cascade })),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/plugins/:id/config',
      summary: "A plugin's settings (secrets masked) and their JSON Schema",
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
    },
    async (c, { params }) => {
      const manifest = manager.manifestOf(params.id);
      if (!manifest) throw notFound(`no plugin with id "${params.id}"`);
      return c.json({
        config: await config.getMasked(manifest),
        schema: manifest.config ?? { type: 'object', properties: {} },
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'put',
      path: '/api/admin/plugins/:id/config',
      summary: "Change a plugin's settings; validated against its schema (400 names the field)",
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
      body: z.record(z.string(), z.unknown()),
    },
    async (c, { params, body }) => {
      const manifest = manager.manifestOf(params.id);
      if (!manifest) throw notFound(`no plugin with id "${params.id}"`);
      await config.set(manifest, body);
      return c.json({ config: await config.getMasked(manifest) });
    },
  );
}
