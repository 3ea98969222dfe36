import type { Hono } from 'hono';
import { z } from 'zod';
import type { SettingsStore } from '../../settings/settings-store.js';
import type { CoreEnv } from '../env.js';
import { defineRoute, type RouteRegistry } from '../route.js';

const fields = {
  panelName: z.string().trim().min(1).max(60),
  publicUrl: z.url().nullable(),
  defaultMode: z.enum(['novice', 'advanced']),
  locale: z.enum(['en', 'zh-CN']),
};

/** The panel's own settings, stored as `core.<key>`. */
export const coreSettingsSchema = z.object({
  panelName: fields.panelName.default('Web.Casa'),
  publicUrl: fields.publicUrl.default(null),
  defaultMode: fields.defaultMode.default('novice'),
  locale: fields.locale.default('en'),
});

// No defaults here: a patch must never reset the fields it leaves out.
const coreSettingsPatch = z.object(fields).partial().strict();

export type CoreSettings = z.output<typeof coreSettingsSchema>;

export async function readCoreSettings(store: SettingsStore): Promise<CoreSettings> {
  const raw: Record<string, unknown> = {};
  for (const entry of await store.list('core.')) raw[entry.key.slice(5)] = entry.value;
  const parsed = coreSettingsSchema.safeParse(raw);
  // Stored values that no longer validate (an older version wrote them) fall back to defaults.
  return parsed.success ? parsed.data : coreSettingsSchema.parse({});
}

export function registerSettingsRoutes(app: Hono<CoreEnv>, registry: RouteRegistry, deps: { settings: SettingsStore }): void {
  defineRoute(
    app,
    registry,
    { method: 'get', path: '/api/settings', summary: 'Panel settings every user may read', tag: 'settings', access: 'user' },
    async (c) => c.json(await readCoreSettings(deps.settings)),
  );
  defineRoute(
    app,
    registry,
    {
      method: 'patch',
      path: '/api/admin/settings',
      summary: 'Change panel settings (atomically: all fields or none)',
      tag: 'settings',
      access: 'admin',
      body: coreSettingsPatch,
    },
    async (c, { body }) => {
      const entries = Object.entries(body)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => ({ key: `core.${key}`, value }));
      await deps.settings.setMany(entries);
      return c.json(await readCoreSettings(deps.settings));
    },
  );
}
