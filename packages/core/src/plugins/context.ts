import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBus, ScopedEventBus } from '@webcasa/event-bus';
import type {
  ActionHandler,
  CoreApi,
  Manifest,
  NotifyMessage,
  PluginContext,
  PluginEnv,
  PluginLogger,
  PluginMigrations,
  PluginRuns,
  PluginSocket,
  RequestUser,
} from '@webcasa/plugin-sdk';
import { Hono, type MiddlewareHandler } from 'hono';
import { bindAudit } from '../auth/plugin-audit.js';
import type { PanelDatabase } from '../db/database.js';
import { forbidden, PluginError, unauthorized } from '../errors.js';
import { roleAtLeast } from '../http/access.js';
import type { PluginConfigService } from '../settings/plugin-config.js';

/** What the host gives the context factory. Structural, so tests can pass real pieces directly. */
export interface ContextDeps {
  dataDir: string;
  db: PanelDatabase;
  bus: EventBus;
  config: PluginConfigService;
  runs: { forPlugin(pluginId: string): PluginRuns };
  ws: {
    route(
      pattern: string,
      handler: (socket: PluginSocket, params: Record<string, string>) => void | Promise<void>,
      owner: string,
    ): () => void;
  };
  pluginLogger(pluginId: string): PluginLogger;
  actions: { register(pluginId: string, name: string, handler: ActionHandler): () => void };
  core: CoreApi;
  notify(pluginId: string, message: NotifyMessage): Promise<void>;
  /** The service a running plugin provided, if any. */
  serviceOf(pluginId: string): object | undefined;
}

/**
 * Everything one activation of a plugin registered. Tearing it down removes
 * the plugin from the panel: routes (the router is dropped), WebSocket routes,
 * event handlers (the bus scope), timers, config watchers and its service.
 */
export class PluginRuntime {
  readonly abort = new AbortController();
  readonly router = new Hono<PluginEnv>();
  readonly events: ScopedEventBus;
  readonly timers = new Set<ReturnType<typeof setTimeout>>();
  readonly wsRoutes: (() => void)[] = [];
  /** Undo functions for everything else registered (config watchers, action handlers). */
  readonly disposers: (() => void)[] = [];
  service: object | undefined;
  private dispatcher: Hono<{ Bindings: DispatchEnv }> | undefined;

  constructor(
    readonly manifest: Manifest,
    bus: EventBus,
    private readonly onError: (error: unknown, c: import('hono').Context) => Response,
  ) {
    this.events = bus.scope(manifest.id);
  }

  /** The plugin's routes behind `/api/plugins/<id>`, built on first use (after setup). */
  fetch(request: Request, env: DispatchEnv): Response | Promise<Response> {
    if (!this.dispatcher) {
      const app = new Hono<{ Bindings: DispatchEnv }>().basePath(`/api/plugins/${this.manifest.id}`);
      app.use(async (c, next) => {
        (c as unknown as import('hono').Context<PluginEnv>).set('user', c.env.user);
        (c as unknown as import('hono').Context<PluginEnv>).set('requestId', c.env.requestId);
        await next();
      });
      app.onError((error, c) => this.onError(error, c));
      app.route('/', this.router as unknown as Hono<{ Bindings: DispatchEnv }>);
      this.dispatcher = app;
    }
    return this.dispatcher.fetch(request, env);
  }

  teardown(): void {
    this.abort.abort(
      new PluginError('WEBCASA_PLUGIN_STOPPED', this.manifest.id, `plugin ${this.manifest.id} stopped`),
    );
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const off of this.wsRoutes.splice(0)) off();
    for (const off of this.disposers.splice(0)) off();
    this.events.dispose();
    this.service = undefined;
    this.dispatcher = undefined;
  }
}

export interface DispatchEnv {
  user: RequestUser;
  requestId: string;
  /** Node's request/response, so helpers like getConnInfo keep working inside plugins. */
  incoming?: unknown;
  outgoing?: unknown;
}

/** Build the context a plugin's setup receives. Every service is async and passes plain data. */
export function createPluginContext(
  manifest: Manifest,
  runtime: PluginRuntime,
  deps: ContextDeps,
): PluginContext {
  const id = manifest.id;
  const dataDir = join(deps.dataDir, 'plugins', id);
  mkdirSync(dataDir, { recursive: true });
  const logger = deps.pluginLogger(id);
  const declared = new Set([
    ...Object.keys(manifest.dependencies),
    ...Object.keys(manifest.optionalDependencies),
  ]);

  const runSafely = async (what: string, fn: () => void | Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      logger.error(`${what} failed`, { error: error instanceof Error ? error.message : String(error) });
    }
  };

  const ctx: PluginContext = {
    id,
    manifest,
    db: deps.db.forPlugin(id),
    async migrate(migrations: PluginMigrations) {
      const result = await deps.db.migratePlugin(id, migrations);
      if (result.missing.length > 0) {
        logger.warn('applied migrations are missing from this version (downgrade?); continuing', {
          missing: result.missing,
        });
      }
      if (result.applied.length > 0) logger.info('migrations applied', { applied: result.applied });
    },
    router: runtime.router,
    ws: {
      route(path, handler) {
        if (!path.startsWith('/'))
          throw new PluginError('WEBCASA_PLUGIN_WS_PATH', id, `ws route "${path}" must start with /`);
        runtime.wsRoutes.push(deps.ws.route(`/ws/plugins/${id}${path}`, (socket) => handler(socket), id));
      },
    },
    events: runtime.events,
    logger,
    dataDir,
    config: {
      get: (async (key?: string) => {
        const config = await deps.config.get(manifest);
        return key === undefined ? config : config[key];
      }) as PluginContext['config']['get'],
      set: (patch) => deps.config.set(manifest, patch as Record<string, unknown>),
      watch(listener) {
        const off = deps.config.watch(id, listener as (c: Record<string, unknown>) => void);
        runtime.disposers.push(off);
        return off;
      },
    },
    runs: deps.runs.forPlugin(id),
    actions: {
      handle(name, handler) {
        runtime.disposers.push(deps.actions.register(id, name, handler as ActionHandler));
      },
    },
    notify: (message) => deps.notify(id, message),
    core: guardCore(deps.core, manifest),
    provide(api) {
      if (runtime.service)
        throw new PluginError('WEBCASA_PLUGIN_SERVICE', id, `plugin ${id} already provided a service`);
      runtime.service = api;
    },
    async use(depId) {
      if (!declared.has(depId)) {
        throw new PluginError(
          'WEBCASA_PLUGIN_UNDECLARED_DEPENDENCY',
          id,
          `plugin ${id} used "${depId}" without declaring it in dependencies or optionalDependencies`,
        );
      }
      const service = deps.serviceOf(depId);
      if (!service) {
        throw new PluginError(
          'WEBCASA_PLUGIN_SERVICE_UNAVAILABLE',
          id,
          `plugin ${depId} is not running or provides no service`,
        );
      }
      return service as never;
    },
    schedule: {
      every(ms, fn) {
        const timer = setInterval(() => void runSafely('scheduled task', fn), Math.max(10, ms));
        timer.unref?.();
        runtime.timers.add(timer);
        return () => {
          clearInterval(timer);
          runtime.timers.delete(timer);
        };
      },
      after(ms, fn) {
        const timer = setTimeout(
          () => {
            runtime.timers.delete(timer);
            void runSafely('scheduled task', fn);
          },
          Math.max(0, ms),
        );
        timer.unref?.();
        runtime.timers.add(timer);
        return () => {
          clearTimeout(timer);
          runtime.timers.delete(timer);
        };
      },
    },
    signal: runtime.abort.signal,
    requireScope(scope) {
      const def = manifest.scopes[scope];
      if (!def) {
        throw new PluginError(
          'WEBCASA_PLUGIN_SCOPE_UNDECLARED',
          id,
          `plugin ${id} checks scope "${scope}" that its manifest does not declare`,
        );
      }
      const permission = `plugin:${id}:${scope}`;
      const guard: MiddlewareHandler<PluginEnv> = async (c, next) => {
        const user = c.get('user');
        if (!user) throw unauthorized();
        if (!roleAtLeast(user.role, def.minRole))
          throw forbidden(`this needs the ${def.minRole} role (${permission})`);
        if (user.scopes && !user.scopes.includes(permission) && !user.scopes.includes('*')) {
          throw forbidden(`this token is not allowed ${permission}`);
        }
        await next();
      };
      return guard;
    },
  };
  return ctx;
}

/**
 * The CoreAPI as one plugin sees it: changing sites or reloading Caddy needs
 * the `hosts` permission in its manifest; reading does not.
 */
function guardCore(host: CoreApi, manifest: Manifest): CoreApi {
  const core: CoreApi = { ...host, audit: bindAudit(host.audit, manifest.id) };
  if (manifest.permissions.includes('hosts')) return core;
  const refuse = (what: string) => async (): Promise<never> => {
    throw new PluginError(
      'WEBCASA_PLUGIN_PERMISSION',
      manifest.id,
      `plugin ${manifest.id} may not ${what}: its manifest does not ask for the "hosts" permission`,
    );
  };
  return {
    ...core,
    hosts: {
      list: () => core.hosts.list(),
      get: (id) => core.hosts.get(id),
      create: refuse('create sites'),
      update: refuse('change sites'),
      delete: refuse('delete sites'),
    },
    caddy: { status: () => core.caddy.status(), reload: refuse('reload Caddy') },
  };
}
