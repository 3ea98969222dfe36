import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DEFAULT_BODY_LIMIT_BYTES } from '@webcasa/plugin-sdk';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { type Kysely, sql } from 'kysely';
import { type ActionService, registerActionRoutes } from '../actions/index.js';
import type { AuthService } from '../auth/index.js';
import { auditMiddleware, authMiddleware, csrfMiddleware } from '../auth/index.js';
import type { CoreDatabase } from '../db/schema.js';
import { forbidden, HttpError, notFound, WebcasaError } from '../errors.js';
import { registerLogRoutes } from '../logging/routes.js';
import { type MessageService, registerMessageRoutes } from '../messages/index.js';
import { type MetricsRegistry, pluginRequestMetrics, registerMetricsRoutes } from '../metrics/index.js';
import { type PluginInstaller, registerInstallerRoutes } from '../plugins/installer/index.js';
import type { PluginManager } from '../plugins/manager.js';
import type { RunManager } from '../runs/index.js';
import { registerRunRoutes } from '../runs/index.js';
import type { PluginConfigService } from '../settings/plugin-config.js';
import type { SettingsStore } from '../settings/settings-store.js';
import { requireRole } from './access.js';
import { pluginBodyLimit } from './body-limits.js';
import type { CoreEnv } from './env.js';
import { errorResponse } from './error-handler.js';
import { RouteRegistry } from './route.js';
import { contentType, createShellHandler } from './static.js';

/** A token limited to scopes reaches only plugins it holds a scope of. */
function assertPluginScope(scopes: string[] | undefined, id: string): void {
  if (
    scopes &&
    !scopes.includes('*') &&
    !scopes.some((s) => s === `plugin:${id}` || s.startsWith(`plugin:${id}:`))
  ) {
    throw forbidden(`this token has no scope for plugin ${id}`);
  }
}

/** `/api/plugins/<id>/<rest>`: the plugin and the path its router sees. */
const PLUGIN_ROUTE = /^\/api\/plugins\/([a-z][a-z0-9-]{1,39})(\/.*)?$/;

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

import { registerAuditRoutes } from './routes/audit.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerPluginRoutes } from './routes/plugins.js';
import { registerSettingsRoutes } from './routes/settings.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { registerUserRoutes } from './routes/users.js';

export interface AppDeps {
  version: string;
  /** `<dataDir>/logs`, read by the log API. */
  logsDir: string;
  metrics: MetricsRegistry;
  installer?: PluginInstaller;
  dataDir: string;
  actions: ActionService;
  messages: MessageService;
  startedAt: number;
  db: Kysely<CoreDatabase>;
  auth: AuthService;
  manager: PluginManager;
  config: PluginConfigService;
  settings: SettingsStore;
  runs: RunManager;
  logger: { error(obj: object, msg: string): void };
  /** Origins allowed to call the API from a browser (CORS). Same-origin needs none. */
  corsOrigins?: string[];
  secureCookies?: boolean;
  /** Registers more core routes (e.g. sites) before the plugin dispatch and the shell fallback. */
  extend?: (app: Hono<CoreEnv>, registry: RouteRegistry) => void;
  /** The built web shell to serve (index.html and assets), if any. */
  webRoot?: string;
  /** Largest multipart upload to `POST /api/runs`, in bytes. Default 64 MiB. */
  uploadLimitBytes?: number;
  /** Largest request body the core API accepts, in bytes. Default 1 MiB. */
  bodyLimitBytes?: number;
}

/**
 * The core HTTP app: security middleware, the core API and the dispatch into
 * plugins' routers. Built once per panel; plugins come and go behind
 * `/api/plugins/<id>/` without rebuilding it.
 */
export function createApp(deps: AppDeps): { app: Hono<CoreEnv>; registry: RouteRegistry } {
  const app = new Hono<CoreEnv>();
  const registry = new RouteRegistry();

  app.use(async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 64) || randomUUID();
    c.set('requestId', requestId);
    // Set before next(): setting a header on a finished response makes Hono rebuild it,
    // which costs a copy per request and loses the headers other middleware set.
    c.header('X-Request-Id', requestId);
    await next();
  });
  app.use(secureHeaders({ referrerPolicy: 'same-origin', crossOriginEmbedderPolicy: false }));
  // API answers are data, never documents: the strictest policy. The shell's
  // index.html carries its own policy (static.ts), with hashes of its inline scripts.
  app.use('/api/*', async (c, next) => {
    await next();
    c.res.headers.set('Content-Security-Policy', API_CSP);
  });
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    app.use(
      '/api/*',
      cors({
        origin: deps.corsOrigins,
        credentials: true,
        allowHeaders: ['Content-Type', 'Authorization', 'X-CSRF-Token'],
      }),
    );
  }
  // One middleware per limit in use: the panel's default, and those plugins' manifests set
  // for their routes (`http.bodyLimits`, at most 64 MiB, checked when the manifest is parsed).
  const defaultLimit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const limiters = new Map<number, MiddlewareHandler<CoreEnv>>();
  const limiterOf = (maxSize: number) => {
    let limiter = limiters.get(maxSize);
    if (!limiter) {
      limiter = bodyLimit({
        maxSize,
        onError: () => {
          throw new HttpError(
            413,
            'WEBCASA_BODY_TOO_LARGE',
            `body: request body is too large (at most ${maxSize} bytes)`,
            'body',
          );
        },
      });
      limiters.set(maxSize, limiter);
    }
    return limiter;
  };
  const limitOf = (method: string, path: string): number => {
    const plugin = PLUGIN_ROUTE.exec(path);
    if (!plugin) return defaultLimit;
    const id = plugin[1]!;
    const manifest = deps.manager.isRunning(id) ? deps.manager.manifestOf(id) : undefined;
    return (manifest && pluginBodyLimit(manifest, method, plugin[2] ?? '/')) ?? defaultLimit;
  };
  app.use('/api/*', (c, next) => {
    // Only requests that carry a body pay for the check (it makes the adapter build a full Request).
    const hasBody =
      c.req.header('content-length') !== undefined || c.req.header('transfer-encoding') !== undefined;
    return hasBody ? limiterOf(limitOf(c.req.method, c.req.path))(c, next) : next();
  });
  app.use(authMiddleware(deps.auth));
  // Audit before CSRF, so refused cross-site attempts are recorded too.
  app.use(auditMiddleware(deps.db));
  app.use(csrfMiddleware());

  registerSystemRoutes(app, registry, {
    version: deps.version,
    startedAt: deps.startedAt,
    dataDir: deps.dataDir,
    databaseOk: async () => {
      await sql`select 1`.execute(deps.db);
      return true;
    },
    pluginStates: () => {
      const counts: Record<string, number> = { running: 0, disabled: 0, error: 0 };
      for (const p of deps.manager.list()) counts[p.status] = (counts[p.status] ?? 0) + 1;
      return counts;
    },
  });
  registerAuthRoutes(app, registry, { auth: deps.auth, secureCookies: deps.secureCookies });
  registerUserRoutes(app, registry, { auth: deps.auth });
  registerTokenRoutes(app, registry, { auth: deps.auth });
  registerAuditRoutes(app, registry, { db: deps.db });
  registerSettingsRoutes(app, registry, { settings: deps.settings });
  // Before the plugin routes: `/api/admin/plugins/search` must not be read as a plugin id.
  if (deps.installer) {
    registerInstallerRoutes(app, registry, {
      installer: deps.installer,
      runs: deps.runs,
      settings: deps.settings,
    });
  }
  registerPluginRoutes(app, registry, { manager: deps.manager, config: deps.config });
  registerRunRoutes(app, registry, { runs: deps.runs });
  registerActionRoutes(app, registry, {
    actions: deps.actions,
    runs: deps.runs,
    dataDir: deps.dataDir,
    runningPlugins: () => deps.manager.runningManifests().map((m) => m.id),
  });
  registerMessageRoutes(app, registry, { messages: deps.messages });
  registerMetricsRoutes(app, registry, {
    metrics: deps.metrics,
    db: deps.db,
    plugins: () => deps.manager.list(),
  });
  registerLogRoutes(app, registry, {
    logsDir: deps.logsDir,
    hasPlugin: (id) => deps.manager.manifestOf(id) !== undefined,
  });

  deps.extend?.(app, registry);

  // A run-time plugin's prebuilt web module (and its chunks), for the shell's import().
  app.get('/api/plugins/:id/assets/*', async (c) => {
    await requireRole('viewer')(c, async () => {});
    const id = c.req.param('id');
    assertPluginScope(c.get('user').scopes, id);
    const file = deps.manager.webAssetFile(id, c.req.path.slice(`/api/plugins/${id}/assets`.length));
    if (!file) throw notFound(`no such web asset of plugin ${id}`);
    return c.body(new Uint8Array(await readFile(file)), 200, {
      'Content-Type': contentType(file),
      'Cache-Control': 'no-cache',
    });
  });

  // Plugins' own routes: auth is required; finer checks are the plugin's requireScope().
  const requireUser = requireRole('viewer');
  app.all('/api/plugins/:id/*', pluginRequestMetrics(deps.metrics), async (c) => {
    await requireUser(c, async () => {});
    const id = c.req.param('id');
    // A token limited to scopes reaches only plugins it holds a scope of.
    const scopes = c.get('user').scopes;
    if (
      scopes &&
      !scopes.includes('*') &&
      !scopes.some((s) => s === `plugin:${id}` || s.startsWith(`plugin:${id}:`))
    ) {
      throw forbidden(`this token has no scope for plugin ${id}`);
    }
    const res = await deps.manager.fetch(id, c.req.raw, {
      user: c.get('user'),
      requestId: c.get('requestId'),
      incoming: (c.env as { incoming?: unknown } | undefined)?.incoming,
      outgoing: (c.env as { outgoing?: unknown } | undefined)?.outgoing,
    });
    // The plugin built its own Response, so the core's prepared headers are added here.
    try {
      res.headers.set('X-Request-Id', c.get('requestId'));
      return res;
    } catch {
      // Immutable headers (a proxied fetch() response): copy it.
      const copy = new Response(res.body, res);
      copy.headers.set('X-Request-Id', c.get('requestId'));
      return copy;
    }
  });

  const shell = deps.webRoot ? createShellHandler(deps.webRoot) : undefined;
  app.notFound(async (c) => {
    const page = await shell?.(c);
    return page ?? errorResponse(notFound(`no route for ${c.req.method} ${c.req.path}`), c);
  });
  app.onError((error, c) => {
    if (!(error instanceof WebcasaError) || error.status >= 500) {
      deps.logger.error({ err: error, requestId: c.get('requestId'), path: c.req.path }, 'request failed');
    }
    return errorResponse(error, c);
  });
  return { app, registry };
}
