import { type Manifest, PLUGIN_API_VERSION, PLUGIN_ID_PATTERN } from '@webcasa/plugin-sdk';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, notFound } from '../../errors.js';
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

  const manifestOrThrow = (id: string) => {
    const manifest = manager.manifestOf(id);
    if (!manifest) throw notFound(`no plugin with id "${id}"`);
    return manifest;
  };

  /** Store new settings, record what changed (secrets redacted), and apply them. */
  const applyConfig = async (
    c: Context<CoreEnv>,
    id: string,
    write: (manifest: Manifest) => Promise<unknown>,
  ): Promise<Record<string, unknown>> => {
    const manifest = manifestOrThrow(id);
    const before = await config.getMasked(manifest);
    await write(manifest);
    const after = await config.getMasked(manifest);
    const changed: Record<string, { from: unknown; to: unknown }> = {};
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (
        JSON.stringify(before[key]) === JSON.stringify(after[key]) &&
        !manifest.config?.properties[key]?.secret
      )
        continue;
      if (manifest.config?.properties[key]?.secret) {
        changed[key] = { from: '[secret]', to: '[secret]' };
      } else changed[key] = { from: before[key] ?? null, to: after[key] ?? null };
    }
    c.set('auditDetail' as never, { plugin: id, changed } as never);
    // A plugin that does not follow changes itself is restarted to pick them up.
    if (manager.isRunning(id) && !config.hasWatchers(id)) await manager.restart(id);
    return after;
  };

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/plugins/:id/config',
      summary: "A plugin's settings (secrets masked), their JSON Schema and the active profile",
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
    },
    async (c, { params }) => {
      const manifest = manifestOrThrow(params.id);
      const profiles = await config.profiles(manifest);
      return c.json({
        config: await config.getMasked(manifest),
        schema: manifest.config ?? { type: 'object', properties: {} },
        profile: profiles.find((p) => p.active)!.name,
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'put',
      path: '/api/admin/plugins/:id/config',
      summary: "Change a plugin's settings; validated against its schema (400 names the field); applied live",
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
      body: z.record(z.string(), z.unknown()),
    },
    async (c, { params, body }) =>
      c.json({ config: await applyConfig(c, params.id, (m) => config.set(m, body)) }),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/plugins/:id/config.toml',
      summary: "A plugin's settings as TOML (secrets masked)",
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
    },
    async (c, { params }) =>
      c.body(await config.toToml(manifestOrThrow(params.id)), 200, {
        'Content-Type': 'application/toml; charset=utf-8',
        'Content-Disposition': `attachment; filename="${params.id}.toml"`,
      }),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'put',
      path: '/api/admin/plugins/:id/config.toml',
      summary:
        "Replace a plugin's settings from a TOML document (body: application/toml); validated, all or nothing",
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
    },
    async (c, { params }) => {
      const text = await c.req.text();
      if (text.length > 256 * 1024) throw badRequest('body: TOML document too large', 'body');
      return c.json({ config: await applyConfig(c, params.id, (m) => config.fromToml(m, text)) });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/plugins/:id/profiles',
      summary: "A plugin's named settings profiles",
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
    },
    async (c, { params }) => c.json({ profiles: await config.profiles(manifestOrThrow(params.id)) }),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/admin/plugins/:id/profiles',
      summary: 'Create a profile as a copy of the current settings or of another profile',
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
      body: z.object({ name: z.string().min(1).max(40), copyFrom: z.string().min(1).max(40).optional() }),
    },
    async (c, { params, body }) => {
      const manifest = manifestOrThrow(params.id);
      await config.createProfile(manifest, body.name, body.copyFrom);
      return c.json({ profiles: await config.profiles(manifest) }, 201);
    },
  );

  const profileParams = idParams.extend({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'not a profile name'),
  });

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/admin/plugins/:id/profiles/:name/activate',
      summary: "Switch to a profile: its values become the plugin's settings (validated, applied live)",
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: profileParams,
    },
    async (c, { params }) =>
      c.json({ config: await applyConfig(c, params.id, (m) => config.activateProfile(m, params.name)) }),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'delete',
      path: '/api/admin/plugins/:id/profiles/:name',
      summary: 'Delete a profile that is not active',
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: profileParams,
    },
    async (c, { params }) => {
      await config.deleteProfile(manifestOrThrow(params.id), params.name);
      return c.body(null, 204);
    },
  );
  // isolation (issue 7): begin
  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/admin/plugins/:id/isolation',
      summary:
        "Run a plugin in its own process (mode: process) or in the panel's (in-process); switches a running plugin live",
      tag: 'plugins',
      access: 'admin',
      permission: 'core:plugins',
      params: idParams,
      body: z.object({ mode: z.enum(['process', 'in-process']) }),
    },
    async (c, { params, body }) => c.json(await manager.setIsolation(params.id, body.mode)),
  );
  // isolation: end
}
