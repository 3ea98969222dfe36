import type { EventHandler, EventType, PayloadOf, Unsubscribe, WildcardPattern } from '@webcasa/event-bus';
import type { Hono } from 'hono';
import type { Kysely, Migration } from 'kysely';
import type { SitesCoreApi } from './hosts.js';
import type { Manifest, Role } from './manifest.js';

/**
 * Every service on the plugin context is asynchronous and passes plain,
 * serialisable data, so the same context can be served to a plugin running in
 * its own process over RPC. Keep it that way when adding services.
 */

/** The user a request is made by, as plugins see it (set on Hono's context as `user`). */
export interface RequestUser {
  id: number;
  username: string;
  role: Role;
  /** `session` for the browser, `token` for API tokens. */
  via: 'session' | 'token';
  /** Permission strings an API token was limited to, if any. */
  scopes?: string[];
}

/** Hono environment of a plugin's router: `c.get('user')` is the caller. */
export interface PluginEnv {
  Variables: {
    user: RequestUser;
    requestId: string;
  };
}

export interface PluginLogger {
  trace(msg: string, data?: Record<string, unknown>): void;
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): PluginLogger;
}

/** The plugin's view of the event bus: emits are stamped with the plugin id. */
export interface PluginEvents {
  on<T extends EventType>(type: T, handler: EventHandler<T>): Unsubscribe;
  on(pattern: WildcardPattern, handler: EventHandler): Unsubscribe;
  once<T extends EventType>(type: T, handler: EventHandler<T>): Unsubscribe;
  once(pattern: WildcardPattern, handler: EventHandler): Unsubscribe;
  off(typeOrPattern: string, handler: EventHandler<any>): void;
  emit<T extends EventType>(type: T, payload: PayloadOf<T>): boolean;
  emitAsync<T extends EventType>(
    type: T,
    payload: PayloadOf<T>,
  ): Promise<{ handled: number; failed: number }>;
}

export interface PluginConfig<C extends Record<string, unknown> = Record<string, unknown>> {
  /** The whole config with defaults applied; secret fields decrypted. */
  get(): Promise<C>;
  get<K extends keyof C & string>(key: K): Promise<C[K]>;
  /** Validate against the manifest's schema and store. Throws a validation error naming the field. */
  set(patch: Partial<C>): Promise<C>;
  /** Called after every successful change (from the UI, the API or `set`). */
  watch(listener: (config: C) => void | Promise<void>): Unsubscribe;
}

/** What a run's function is given. */
export interface RunContext {
  readonly id: string;
  /** Aborted when the run is cancelled or the plugin stops. */
  readonly signal: AbortSignal;
  log(line: string, level?: 'info' | 'warn' | 'error'): void;
  /** Progress from 0 to 1, with an optional short message. */
  progress(fraction: number, message?: string): void;
}

/** What an action's handler gets: a run, plus the files sent with the request and a place for results. */
export interface ActionRun extends RunContext {
  /** Files uploaded with the request (multipart), saved for this run. */
  readonly files: { field: string; name: string; path: string; size: number }[];
  /** Save a file the caller can download: `GET /api/runs/<id>/artifacts/<name>`. */
  artifact(name: string, data: string | Uint8Array): Promise<void>;
}

/** Handles one action declared in the manifest; what it returns is saved as the `result.json` artifact. */
export type ActionHandler<Input = any> = (input: Input, run: ActionRun) => unknown | Promise<unknown>;

export interface PluginActions {
  /** Implement an action declared in the manifest's `actions` (call in setup). */
  handle<Input = any>(name: string, handler: ActionHandler<Input>): void;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface RunInfo {
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

export interface PluginRuns {
  /** Start a long job. It runs in the background; the returned id can be watched over `/ws/runs/<id>`. */
  start(
    title: string,
    fn: (run: RunContext) => Promise<void>,
    options?: { createdBy?: string },
  ): Promise<{ id: string }>;
  get(id: string): Promise<RunInfo | undefined>;
  list(options?: { limit?: number }): Promise<RunInfo[]>;
  cancel(id: string): Promise<boolean>;
  /** Resolves when the run has ended, with its final state. */
  wait(id: string): Promise<RunInfo>;
}

export interface NotifyMessage {
  title: string;
  body?: string;
  priority?: 'low' | 'normal' | 'high' | 'urgent';
  link?: string;
}

/** A WebSocket connection as a plugin handler sees it. Messages are strings. */
export interface PluginSocket {
  readonly user: RequestUser;
  readonly path: string;
  readonly query: Record<string, string>;
  /**
   * The client's IP address, as the audit log records it for HTTP requests: the peer's
   * address, or behind a proxy on this machine the last `X-Forwarded-For` entry. `null` when
   * unknown. Plugin API 1.2.
   */
  readonly ip: string | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onMessage(listener: (data: string) => void): void;
  onClose(listener: () => void): void;
}

export interface PluginWs {
  /** Accept WebSocket connections at `/ws/plugins/<id><path>`. */
  route(path: string, handler: (socket: PluginSocket) => void | Promise<void>): void;
}

export interface PluginSchedule {
  /** Run `fn` every `ms` milliseconds until the plugin stops. Errors are logged, never thrown. */
  every(ms: number, fn: () => void | Promise<void>): Unsubscribe;
  /** Run `fn` once after `ms` milliseconds, unless the plugin stops first. */
  after(ms: number, fn: () => void | Promise<void>): Unsubscribe;
}

/**
 * The host functions plugins may call: panel info and settings, and the sites
 * behind Caddy (`hosts`, `caddy`; a plugin needs the `hosts` permission to change them).
 */
export interface CoreApi extends SitesCoreApi {
  /** Host package version and plugin API version. */
  info(): Promise<{ version: string; pluginApiVersion: string }>;
  /** Read a global panel setting (not another plugin's). */
  setting(key: string): Promise<unknown>;
  /**
   * Write an entry into the panel's audit log, attributed to this plugin, for
   * what happens outside an HTTP request the core already records (a terminal
   * session opened or closed, a scheduled job deleting data). Shown on the
   * Audit page as method `EVENT` with path `/plugins/<id>/<action>`.
   */
  audit(entry: AuditEntry): Promise<void>;
}

/** One audit log entry written by a plugin (`ctx.core.audit`). */
export interface AuditEntry {
  /** What happened, dotted, e.g. `terminal.opened` (max 200 characters). */
  action: string;
  /** Who did it, if a user did. */
  user?: { id: number; username: string } | null;
  /** The client address, if known. */
  ip?: string | null;
  /** Outcome as an HTTP-like status (default 200). */
  status?: number;
  /** Small, non-secret details (stored as JSON, max 4 KB). */
  detail?: Record<string, unknown>;
}

/** Augment this interface to type what `use('<id>')` returns. */
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation
export interface PluginServices {}

export type ServiceOf<Id extends string> = Id extends keyof PluginServices ? PluginServices[Id] : unknown;

/** Migrations for one plugin, by name; applied in name order and recorded per plugin. */
export type PluginMigrations = Record<string, Migration>;

export interface PluginContext<Config extends Record<string, unknown> = Record<string, unknown>, DB = any> {
  readonly id: string;
  readonly manifest: Manifest;
  /** Can reach only tables named `plugin_<id>_*`; anything else throws. */
  readonly db: Kysely<DB>;
  /** Apply pending migrations (call in setup). */
  migrate(migrations: PluginMigrations): Promise<void>;
  /** Mounted at `/api/plugins/<id>/`. */
  readonly router: Hono<PluginEnv>;
  readonly ws: PluginWs;
  readonly events: PluginEvents;
  readonly logger: PluginLogger;
  /** `<dataDir>/plugins/<id>/`, created before setup. */
  readonly dataDir: string;
  readonly config: PluginConfig<Config>;
  readonly runs: PluginRuns;
  /** Implement the actions the manifest declares. */
  readonly actions: PluginActions;
  notify(message: NotifyMessage): Promise<void>;
  readonly core: CoreApi;
  /** Offer a service to plugins that declare a dependency on this one. */
  provide(api: object): void;
  /** Use a dependency's service. Only declared dependencies are reachable. */
  use<Id extends string>(pluginId: Id): Promise<ServiceOf<Id>>;
  readonly schedule: PluginSchedule;
  /** Aborted when the plugin is stopped or disabled. */
  readonly signal: AbortSignal;
  /**
   * Route guard for a permission this plugin declared in `scopes`.
   *
   * @example
   * ctx.router.post('/restart', ctx.requireScope('containers.write'), (c) => …)
   */
  requireScope(scope: string): import('hono').MiddlewareHandler<PluginEnv>;
}
