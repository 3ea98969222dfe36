import type { EventBus } from '@webcasa/event-bus';
import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { CoreDatabase } from '../db/schema.js';
import type { CoreEnv } from '../http/env.js';
import type { RouteRegistry } from '../http/route.js';
import type { SecretBox } from '../settings/secrets.js';
import type { SettingsStore } from '../settings/settings-store.js';
import type { WsHub } from '../ws/index.js';
import type { SitesLogger } from './logger.js';
import { registerSiteRoutes, registerSiteSockets } from './routes.js';
import { SitesService } from './service.js';
import type { SitesCoreApi } from './types.js';
import './events.js';

export type { AccessLogEntry } from './access-log.js';
export {
  CaddyAdminClient,
  CaddyRejectedError,
  CaddyUnavailableError,
  parseAdminAddress,
} from './caddy-client.js';
export {
  type CaddyConfigOptions,
  type CaddyJson,
  configMarker,
  generateCaddyConfig,
} from './caddy-config.js';
export type { DomainCertificate } from './certificates.js';
export { type SitesLogger, silentLogger } from './logger.js';
export type { SiteRecord } from './model.js';
export { registerSiteRoutes, registerSiteSockets } from './routes.js';
export { SitesService, type SitesServiceOptions } from './service.js';
export { CADDY_ENV, CADDY_SETTINGS_KEY } from './settings.js';
export type * from './types.js';
export { LB_POLICIES, SITE_KINDS, TLS_MODES } from './types.js';
export { parseDomain, parseUpstream, siteInputSchema, sitePatchSchema } from './validation.js';

export interface CreateSitesOptions {
  db: Kysely<CoreDatabase>;
  secrets: SecretBox;
  bus: EventBus;
  logger: SitesLogger;
  dataDir: string;
  settings: SettingsStore;
  /** Where `WEBCASA_CADDY*` are read. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** How often the Caddy admin endpoint is checked. Default 10 s. */
  pollMs?: number;
  /** Timings of the managed caddy's supervisor (tests make them short). */
  supervisor?: { startupTimeoutMs?: number; checkEveryMs?: number; maxBackoffMs?: number };
}

/** The sites feature, wired into the panel with three calls. */
export interface Sites {
  readonly service: SitesService;
  /** For the plugin context: `core: { ...core, ...sites.api }`. */
  readonly api: SitesCoreApi;
  /** Start, adopt or connect to Caddy and apply the database's sites (never throws because of Caddy). */
  start(): Promise<void>;
  /** Stop the managed Caddy (an external one is left alone). */
  stop(): Promise<void>;
  registerRoutes(app: Hono<CoreEnv>, registry?: RouteRegistry): void;
  /** `/ws/sites/:id/access-log` on the panel's WebSocket hub. */
  registerSockets(hub: WsHub): () => void;
}

/**
 * Create the sites feature: site model, Caddy management and REST API.
 *
 * @example
 * const sites = createSites({ db: db.core, secrets, bus, logger: log, dataDir, settings });
 * sites.registerRoutes(app, registry);
 * await sites.start();            // after the database is open
 * // … on shutdown:
 * await sites.stop();
 */
export function createSites(options: CreateSitesOptions): Sites {
  const service = new SitesService({ ...options, env: options.env ?? process.env });
  return {
    service,
    api: service.coreApi(),
    start: () => service.start(),
    stop: () => service.stop(),
    registerRoutes: (app, registry) => registerSiteRoutes(app, registry, { service }),
    registerSockets: (hub) => registerSiteSockets(hub, service),
  };
}
