import { PLUGIN_API_VERSION } from './version.js';

export const WEB_PLUGIN_MARKER = '@webcasa/web-plugin' as const;

/** A UI component (a Solid component in the panel shell). Kept structural so the SDK has no UI dependency. */
export type WebComponent<P = Record<string, unknown>> = (props: P) => unknown;

export interface WebRoute {
  /** Path under the plugin's base `/p/<id>`, matching a route in the manifest's `web.routes`. */
  path: string;
  /** Loaded lazily the first time the route is opened (props: see `PluginPageProps` in @webcasa/ui). */
  component: () => Promise<{ default: WebComponent<any> }>;
}

/** Places in the shell that plugins can add to. */
export interface WebSlots {
  /** Cards on the dashboard. */
  dashboardCards?: { id: string; title: string; component: () => Promise<{ default: WebComponent }> }[];
  /** A floating widget on every page (e.g. an assistant). */
  floating?: () => Promise<{ default: WebComponent }>;
  /** A help button beside form fields, keyed by field path. */
  fieldHelp?: WebComponent<{ field: string; plugin: string }>;
}

export interface WebPluginDefinition {
  routes: WebRoute[];
  slots?: WebSlots;
}

export interface WebPlugin extends WebPluginDefinition {
  readonly $$type: typeof WEB_PLUGIN_MARKER;
  readonly apiVersion: string;
}

/**
 * Define a plugin's web entry; export it as the module's default.
 *
 * @example
 * export default defineWebPlugin({
 *   routes: [{ path: '/', component: () => import('./pages/Home.js') }],
 * });
 */
export function defineWebPlugin(definition: WebPluginDefinition): WebPlugin {
  if (!Array.isArray(definition?.routes)) throw new TypeError('defineWebPlugin: routes must be an array');
  return Object.freeze({ ...definition, $$type: WEB_PLUGIN_MARKER, apiVersion: PLUGIN_API_VERSION });
}

export function isWebPlugin(value: unknown): value is WebPlugin {
  return typeof value === 'object' && value !== null && (value as WebPlugin).$$type === WEB_PLUGIN_MARKER;
}
