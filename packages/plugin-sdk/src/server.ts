import type { PluginContext } from './context.js';
import { PLUGIN_API_VERSION } from './version.js';

/** Marker the host checks before it trusts an imported server entry. */
export const SERVER_PLUGIN_MARKER = '@webcasa/server-plugin' as const;

export interface ServerPluginDefinition<
  Config extends Record<string, unknown> = Record<string, unknown>,
  DB = any,
> {
  /** Register routes, event handlers, migrations and services. Runs in dependency order. */
  setup(ctx: PluginContext<Config, DB>): void | Promise<void>;
  /** Begin background work, after every plugin's setup. */
  start?(): void | Promise<void>;
  /** Stop background work. Routes, handlers, timers and services are removed by the host. */
  stop?(): void | Promise<void>;
  /** Clean up outside the plugin's own tables and data dir before it is uninstalled. */
  uninstall?(): void | Promise<void>;
}

export interface ServerPlugin<Config extends Record<string, unknown> = Record<string, unknown>, DB = any>
  extends ServerPluginDefinition<Config, DB> {
  readonly $$type: typeof SERVER_PLUGIN_MARKER;
  /** The plugin API version the plugin was compiled against. */
  readonly apiVersion: string;
}

/**
 * Define a plugin's server entry; export it as the module's default.
 *
 * @example
 * export default defineServerPlugin({
 *   async setup(ctx) {
 *     ctx.router.get('/hello', (c) => c.json({ hello: c.get('user').username }));
 *   },
 * });
 */
export function defineServerPlugin<
  Config extends Record<string, unknown> = Record<string, unknown>,
  DB = any,
>(definition: ServerPluginDefinition<Config, DB>): ServerPlugin<Config, DB> {
  if (typeof definition?.setup !== 'function') {
    throw new TypeError('defineServerPlugin: setup(ctx) is required');
  }
  return Object.freeze({ ...definition, $$type: SERVER_PLUGIN_MARKER, apiVersion: PLUGIN_API_VERSION });
}

/** Whether a module's default export is a server plugin made by defineServerPlugin. */
export function isServerPlugin(value: unknown): value is ServerPlugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as ServerPlugin).$$type === SERVER_PLUGIN_MARKER &&
    typeof (value as ServerPlugin).setup === 'function'
  );
}
