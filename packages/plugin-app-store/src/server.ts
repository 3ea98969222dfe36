import { defineServerPlugin, type PluginContext } from '@webcasa/plugin-sdk';
import { AppManager } from './apps/manager.js';
import { Catalog } from './catalog.js';
import { type AppStoreDatabase, migrations } from './db.js';
import type {} from './docker-api.js';
import { registerRoutes } from './routes.js';
import { Sources } from './sources/manager.js';
import { SyncSchedule } from './sources/schedule.js';

export { AppManager } from './apps/manager.js';
export { Catalog } from './catalog.js';
export { dynamicToCompose, environmentMap } from './compose/dynamic.js';
export { composeYaml, renderDoc, substitute } from './compose/render.js';
export { yamlToCompose } from './compose/yaml.js';
export { randomValue } from './forms/random.js';
export { checkField, validateForm } from './forms/validate.js';
export { type AppProblem, buildCompose, readApp, readStore, type StoreApp } from './store/read-app.js';

declare module '@webcasa/event-bus' {
  interface WebcasaEvents {
    'app-store.app.installed': { id: string; version: string; domain: string | null };
    'app-store.app.updated': { id: string; from: string; to: string };
    'app-store.app.uninstalled': { id: string; deletedData: boolean };
    'app-store.source.synced': { id: number; ok: boolean; apps: number; error: string | null };
  }
}

/** The settings, as declared in manifest.json `config`. */
export type AppStoreConfig = {
  syncIntervalHours: number;
  gitTimeoutSeconds: number;
  keepBackups: number;
};

export default defineServerPlugin({
  async setup(context) {
    const ctx = context as PluginContext<AppStoreConfig, AppStoreDatabase>;
    await ctx.migrate(migrations);
    const docker = await ctx.use('docker');
    const catalog = new Catalog();
    const sources = new Sources(
      ctx.db,
      catalog,
      ctx.dataDir,
      async () => ((await ctx.config.get('gitTimeoutSeconds')) ?? 120) * 1000,
    );
    await sources.loadAll();
    const apps = new AppManager(ctx as never, docker, catalog);

    // Git stores are fetched daily (or as configured); local folders are re-read with them.
    // The interval follows the setting: a change replans the timer without a restart.
    const schedule = new SyncSchedule(
      (ms, fn) => ctx.schedule.every(ms, fn),
      async () => {
        for (const view of await sources.syncAll()) {
          if (view.lastError)
            ctx.logger.warn('app store sync failed', { source: view.id, error: view.lastError });
        }
      },
    );
    schedule.plan((await ctx.config.get('syncIntervalHours')) ?? 24);
    ctx.config.watch((config) => {
      const before = schedule.state.intervalHours;
      schedule.plan(config.syncIntervalHours ?? 24);
      if (schedule.state.intervalHours !== before)
        ctx.logger.info('store sync interval changed', { hours: schedule.state.intervalHours });
    });
    registerRoutes(ctx as PluginContext, ctx.router, { catalog, sources, apps, schedule });
  },
});
