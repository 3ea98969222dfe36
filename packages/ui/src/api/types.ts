/**
 * Shapes of the core HTTP API, as documented in docs/api.md and served by
 * `@webcasa/core`. Kept by hand beside the client (the core's OpenAPI document
 * at `/api/openapi.json` is the reference); `api.test.ts` checks them against
 * a real panel.
 */

export type Role = 'viewer' | 'operator' | 'admin';
export type Mode = 'novice' | 'advanced';
export type Locale = 'en' | 'zh-CN';

export interface SessionUser {
  id: number;
  username: string;
  role: Role;
}

/** Answer of `POST /api/auth/login` and `POST /api/auth/setup`. */
export interface SessionAnswer {
  token: string;
  csrfToken: string;
  expiresAt: number;
  user: SessionUser;
}

/** Answer of `GET /api/auth/me`. */
export interface Me {
  user: SessionUser;
  via: 'session' | 'token';
  scopes: string[] | null;
  csrfToken: string | null;
  totpEnabled: boolean;
}

export interface LoginBody {
  username: string;
  password: string;
  totp?: string;
  recoveryCode?: string;
}

export interface SetupBody {
  setupToken: string;
  username: string;
  password: string;
}

export interface User {
  id: number;
  username: string;
  role: Role;
  disabled: boolean;
  totpEnabled: boolean;
  lockedUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface ApiToken {
  id: number;
  userId: number;
  username: string;
  name: string;
  prefix: string;
  scopes: string[] | null;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
}

/** `POST /api/tokens` answers the secret once, in `token`. */
export interface CreatedToken extends ApiToken {
  token: string;
}

export interface AuditEntry {
  id: number;
  time: number;
  userId: number | null;
  username: string | null;
  ip: string | null;
  method: string;
  path: string;
  status: number;
  plugin: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditQuery {
  user?: string;
  method?: string;
  path?: string;
  status?: number;
  from?: number | string;
  to?: number | string;
  limit?: number;
  before?: number;
}

export interface CoreSettings {
  panelName: string;
  publicUrl: string | null;
  defaultMode: Mode;
  locale: Locale;
}

export interface Info {
  version: string;
  pluginApiVersion: string;
  node: string;
  uptimeSeconds: number;
}

export interface MenuEntry {
  path: string;
  label: string;
  icon?: string;
  group: string;
  order: number;
}

export interface WebRouteEntry {
  path: string;
  title?: string;
}

/** One running plugin as `GET /api/plugins` lists it, for the UI. */
export interface PluginSummary {
  id: string;
  name: string;
  version: string;
  description: string;
  icon: string;
  category: string;
  web: { routes: WebRouteEntry[]; menu: MenuEntry[] };
  events: string[];
  scopes: Record<string, { description: string; minRole: Role }>;
  /**
   * URL of the plugin's prebuilt web module (`/api/plugins/<id>/assets/<file>?v=<version>`)
   * for plugins installed at run time; null when it has none. Absent on panels older than the shell.
   */
  webModule?: string | null;
}

/** JSON Schema of a plugin's settings, with the `secret` and `advanced` additions. */
export interface ConfigSchema {
  type?: 'object';
  properties: Record<string, ConfigProperty>;
  required?: string[];
  additionalProperties?: boolean;
}

export interface ConfigProperty {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  secret?: boolean;
  advanced?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: { type?: string; enum?: unknown[] };
  minItems?: number;
  maxItems?: number;
  [keyword: string]: unknown;
}

export type PluginStatus = 'running' | 'disabled' | 'error';

/** One plugin as `GET /api/admin/plugins` lists it. */
export interface PluginInfo {
  id: string;
  name: string;
  version: string;
  description: string;
  packageName: string | null;
  source: 'distribution' | 'dir' | 'installed' | 'inline';
  status: PluginStatus;
  enabled: boolean;
  error: { code: string; message: string; at: number } | null;
  loadOrder: number | null;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  dependents: string[];
  permissions: string[];
  isolation: 'in-process' | 'process';
  timings: { setupMs: number | null; startMs: number | null };
  manifest: { icon?: string; category?: string; config?: ConfigSchema; [key: string]: unknown };
}

export interface PluginProblem {
  id: string;
  code: string;
  message: string;
  packageName?: string;
}

export interface AdminPluginList {
  apiVersion: string;
  plugins: PluginInfo[];
  problems: PluginProblem[];
}

export interface PluginConfig {
  config: Record<string, unknown>;
  schema: ConfigSchema;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface Run {
  id: string;
  plugin: string;
  title: string;
  status: RunStatus;
  progress: number;
  message: string | null;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  createdBy: string | null;
}

export interface RunLogLine {
  seq: number;
  time: number;
  level: 'info' | 'warn' | 'error';
  line: string;
}

/** Messages of `/ws/runs/:id`. */
export type RunMessage =
  | ({ type: 'log' } & RunLogLine)
  | { type: 'status'; run: Run }
  | { type: 'progress'; progress: number; message: string | null };

/** Messages of `/ws/events`. */
export type PanelEvent =
  | { type: 'plugin.enabled' | 'plugin.disabled'; payload: { id: string } }
  | { type: 'plugin.failed'; payload: { id: string; code?: string; message?: string } }
  | {
      type: 'panel.notification';
      payload: {
        title: string;
        body?: string;
        priority?: 'low' | 'normal' | 'high' | 'urgent';
        link?: string;
        plugin: string;
      };
    };
