import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { createEventBus, type EventBus } from '@webcasa/event-bus';
import { type Manifest, PLUGIN_API_VERSION, parseManifest, type ServerPlugin } from '@webcasa/plugin-sdk';
import { ActionService } from './actions/index.js';
import { type AuthService, createAuthService } from './auth/index.js';
import { type AttributedAuditEntry, recordPluginAudit } from './auth/plugin-audit.js';
import { openDatabase, type PanelDatabase } from './db/database.js';
import { createApp } from './http/app.js';
import { readCoreSettings } from './http/routes/settings.js';
import type { IsolationLimits } from './isolation/index.js';
import { createLoggers } from './logging/logger.js';
import { registerLogSocket } from './logging/routes.js';
import { MessageService } from './messages/index.js';
import {
  attachBusMetrics,
  attachRunMetrics,
  createMetricsRegistry,
  createMetricsSampler,
} from './metrics/index.js';
import { discoverPlugins } from './plugins/discovery.js';
import { createManagerHost, PluginInstaller } from './plugins/installer/index.js';
import { PluginManager, type PluginSource } from './plugins/manager.js';
import { RunManager, registerRunSocket } from './runs/index.js';
import { PluginConfigService } from './settings/plugin-config.js';
import { createSecretBox, loadOrCreateKey } from './settings/secrets.js';
import { createSettingsStore, type SettingsStore } from './settings/settings-store.js';
import { type CreateSitesOptions, createSites, type Sites } from './sites/index.js';
import { CORE_VERSION } from './version.js';
import { registerEventSocket, WsHub } from './ws/index.js';
import './events.js';

/** A plugin given as code, not as a package (tests, `startTestPanel`). */
export interface InlinePlugin {
  manifest: Manifest | Record<string, unknown>;
  plugin: ServerPlugin | (() => Promise<unknown>);
}

export interface PanelOptions {
  /** Where the database, key file, logs and plugin data live. */
  dataDir: string;
  /** Default 39921; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Plugin package names the distribution ships, resolved from `resolveFrom`. */
  plugins?: string[];
  /** Directory to resolve `plugins` from (the distribution's folder). Default: cwd. */
  resolveFrom?: string;
  /** Plugin package directories given directly. */
  pluginDirs?: string[];
  /** Plugins given as code. */
  inlinePlugins?: InlinePlugin[];
  /** Version of the distribution, shown in /api/info. */
  version?: string;
  setupTimeoutMs?: number;
  logLevel?: string;
  /** Log to stdout too (default true). */
  stdoutLogs?: boolean;
  /** Mark cookies Secure (behind HTTPS). */
  secureCookies?: boolean;
  corsOrigins?: string[];
  /** Environment for settings read from env (`WEBCASA_CADDY*`); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Limits of plugins running in their own process (memory, restarts, timeouts). */
  isolation?: Partial<IsolationLimits>;
  /** Tuning of the Caddy connection (tests use short intervals). */
  sites?: Pick<CreateSitesOptions, 'pollMs' | 'supervisor'>;
  /** The built web shell (a folder with index.html and assets/) to serve at `/`. */
  webRoot?: string;
  /** Called with the one-time setup token when no admin exists yet. Default: printed to stdout. */
  onSetupToken?: (token: string, url: string) => void;
}

export interface Panel {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly db: PanelDatabase;
  readonly bus: EventBus;
  readonly auth: AuthService;
  readonly manager: PluginManager;
  readonly settings: SettingsStore;
  readonly runs: RunManager;
  readonly sites: Sites;
  readonly app: { fetch(request: Request): Response | Promise<Response> };
  stop(): Promise<void>;
}

function inlineSources(inline: InlinePlugin[]): PluginSource[] {
  return inline.map((p) => {
    const manifest = parseManifest(p.manifest, `inline plugin ${(p.manifest as { id?: string }).id ?? '?'}`);
    const plugin = p.plugin;
    return {
      id: manifest.id,
      manifest,
      source: 'inline' as const,
      load: typeof plugin === 'function' ? plugin : async () => plugin,
    };
  });
}

/**
 * Start a panel: open storage, load plugins in dependency order and serve
 * HTTP and WebSocket on `host:port`.
 *
 * @example
 * const panel = await startPanel({ dataDir: '/var/lib/webcasa', plugins: ['@webcasa/plugin-docker'] });
 * console.log(panel.url);
 * await panel.stop();
 */
export async function startPanel(options: PanelOptions): Promise<Panel> {
  const startedAt = Date.now();
  const dataDir = resolve(options.dataDir);
  // Owner only: the data dir holds the database, the key file and logs.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(join(dataDir, 'plugins'), { recursive: true });
  const loggers = createLoggers({ dataDir, level: options.logLevel, stdout: options.stdoutLogs ?? true });
  const log = loggers.root;
  const secrets = createSecretBox(loadOrCreateKey(dataDir));
  const db = await openDatabase(dataDir);
  const bus = createEventBus({
    onHandlerError: (f) =>
      log.error(
        { event: f.event.type, subscriber: f.subscriber, err: f.error },
        `event handler of ${f.subscriber} failed`,
      ),
  });
  // Metrics count per known plugin; anything else is `core` (no unbounded labels).
  let knownPlugin: (id: string) => boolean = () => false;
  const metrics = createMetricsRegistry({ isKnown: (id) => knownPlugin(id) });
  attachBusMetrics(bus, metrics);
  attachRunMetrics(bus, metrics);
  const settings = createSettingsStore(db.core, secrets);
  const config = new PluginConfigService(settings);
  const auth = createAuthService({ db: db.core, secrets });
  const runs = new RunManager({ db: db.core, bus, logger: log });
  await runs.init();
  const hub = new WsHub({ authenticate: (req) => auth.authenticateRequest(req), logger: log });
  registerRunSocket(hub, runs);
  registerEventSocket(hub, bus);

  const messages = new MessageService(db.core, bus);
  const sites = createSites({
    ...options.sites,
    db: db.core,
    secrets,
    bus,
    logger: log,
    dataDir,
    settings,
    env: options.env ?? process.env,
  });
  sites.registerSockets(hub);
  // The manager is created below; actions look plugins up through it lazily.
  let managerRef: PluginManager | undefined;
  const actions = new ActionService({
    dataDir,
    manifestOf: (id) => managerRef?.manifestOf(id),
    isRunning: (id) => managerRef?.isRunning(id) ?? false,
    runsFor: (id) => runs.forPlugin(id),
  });

  const manager = new PluginManager(
    {
      actions,
      dataDir,
      db,
      bus,
      config,
      runs,
      ws: hub,
      pluginLogger: (id) => loggers.pluginLogger(id),
      core: {
        info: async () => ({
          version: options.version ?? CORE_VERSION,
          pluginApiVersion: PLUGIN_API_VERSION,
        }),
        ...sites.api,
        setting: async (key) =>
          (await readCoreSettings(settings))[key as keyof Awaited<ReturnType<typeof readCoreSettings>>],
        // Unattributed here; each plugin's context binds its own id (bindAudit).
        audit: (entry) => recordPluginAudit(db.core, entry as AttributedAuditEntry),
      },
      notify: async (plugin, message) => {
        await messages.push(plugin, message);
      },
    },
    {
      apiVersion: PLUGIN_API_VERSION,
      setupTimeoutMs: options.setupTimeoutMs,
      isolation: options.isolation,
      logger: log,
      runs,
      ws: hub,
      coreDb: db.core,
    },
  );

  managerRef = manager;
  const installer = new PluginInstaller({
    dataDir,
    host: createManagerHost(manager, PLUGIN_API_VERSION),
    settings,
    sqlite: db.shared.db,
    env: options.env ?? process.env,
    logger: log,
  });
  // Finish or undo an install/update/uninstall a crash interrupted, before discovery reads the packages.
  const recovered = await installer.recover();
  if (recovered.length > 0) {
    await runs.start('core', 'Recovered plugin operations', async (run) => {
      for (const line of recovered) run.log(line);
    });
  }
  knownPlugin = (id) => manager.manifestOf(id) !== undefined;
  const stopLogSocket = registerLogSocket(hub, {
    logsDir: join(dataDir, 'logs'),
    hasPlugin: (id) => manager.manifestOf(id) !== undefined,
  });

  const { app } = createApp({
    version: options.version ?? CORE_VERSION,
    dataDir,
    logsDir: join(dataDir, 'logs'),
    metrics,
    installer,
    actions,
    messages,
    startedAt,
    db: db.core,
    auth,
    manager,
    config,
    settings,
    runs,
    logger: log,
    corsOrigins: options.corsOrigins,
    secureCookies: options.secureCookies,
    webRoot: options.webRoot,
    extend: (app, registry) => sites.registerRoutes(app, registry),
  });
  await sites.start();

  const discovered = discoverPlugins({
    packages: options.plugins ?? [],
    fromDir: options.resolveFrom ?? process.cwd(),
    dirs: options.pluginDirs ?? [],
    installedDir: join(dataDir, 'plugins'),
  });
  const sources: PluginSource[] = [
    ...discovered.plugins.map((p) => ({ ...p, source: p.source })),
    ...inlineSources(options.inlinePlugins ?? []),
  ];
  await manager.load(
    sources,
    discovered.problems.map((p) => ({ packageName: p.packageName, code: p.code, message: p.message })),
  );

  const sampler = createMetricsSampler({
    metrics,
    db: db.core,
    plugins: () => manager.list(),
    onError: (err) => log.warn({ err }, 'metrics sample failed'),
  });
  sampler.start();

  const host = options.host ?? '127.0.0.1';
  const server: ServerType = await new Promise((resolveServer, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 39921, hostname: host }, () =>
      resolveServer(s),
    );
    s.once('error', reject);
  });
  hub.attach(server as import('node:http').Server);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const setupToken = await auth.ensureSetupToken();
  if (setupToken) {
    const announce =
      options.onSetupToken ??
      ((token: string, at: string) => {
        process.stdout.write(
          `\nNo administrator exists yet. Open ${at}/setup and enter this one-time setup token:\n\n    ${token}\n\n` +
            'or create one now with: webcasa admin create --username NAME --password-stdin\n\n',
        );
      });
    announce(setupToken, url);
  }
  // Expired sessions and tokens are refused on use anyway; this keeps the tables small.
  const purge = setInterval(() => {
    auth
      .purgeExpired()
      .catch((error: unknown) => log.warn({ err: error }, 'purging expired sessions failed'));
  }, 60 * 60_000);
  purge.unref();

  log.info({ url, plugins: manager.list().filter((p) => p.status === 'running').length }, 'panel started');
  bus.emit('panel.started', { url });

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    dataDir,
    db,
    bus,
    auth,
    manager,
    settings,
    runs,
    sites,
    app,
    stop() {
      stopped ??= (async () => {
        clearInterval(purge);
        // Sockets first: upgraded connections would otherwise hold the server open.
        await hub.close();
        stopLogSocket();
        await new Promise<void>((r) => {
          server.close(() => r());
          (server as import('node:http').Server).closeAllConnections?.();
        });
        await manager.stopAll();
        await runs.shutdown();
        await sampler.stop();
        await sites.stop();
        await db.close();
        await loggers.close();
      })();
      return stopped;
    },
  };
}
