/**
 * Shapes of the core HTTP API, as documented in docs/api.md and served by
 * `@webcasa/core`. Kept by hand beside the client (the core's OpenAPI document
 * at `/api/openapi.json` is the reference); `api.test.ts` checks them against
 * a real panel. Shapes `@webcasa/plugin-sdk` already declares (the Sites types,
 * roles, runs) are taken from it, type-only, and re-exported.
 */

import type { RunInfo as Run } from '@webcasa/plugin-sdk';
import type { SiteInput as SdkSiteInput } from '@webcasa/plugin-sdk/hosts';
import type { ConfigProperty as ManifestConfigProperty, Role } from '@webcasa/plugin-sdk/manifest';

export type { RunInfo as Run, RunStatus } from '@webcasa/plugin-sdk';
export type {
  ApplyResult,
  CaddySettings,
  CaddyStatus,
  CertificateInfo,
  HealthCheck,
  LoadBalancingPolicy,
  Site,
  SiteKind,
  SiteStatus,
  TlsMode,
} from '@webcasa/plugin-sdk/hosts';
export type { Role } from '@webcasa/plugin-sdk/manifest';

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

/** A row of `GET /api/audit` (not the SDK's `AuditEntry`, which is what a plugin writes). */
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

/** The manifest's settings property, with the JSON Schema keywords the forms check typed out. */
export interface ConfigProperty extends ManifestConfigProperty {
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
}

/** `crashed`: an isolated plugin's process crashed too often and is no longer restarted. */
export type PluginStatus = 'running' | 'disabled' | 'error' | 'crashed';

/** The last crash of an isolated plugin's process. */
export interface CrashInfo {
  at: number;
  /** e.g. `killed by SIGKILL`, `out of memory: …`. */
  reason: string;
  exitCode: number | null;
  signal: string | null;
  /** The process's last stderr lines. */
  stderr: string[];
}

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
  /** Where the plugin runs: in the panel's process or in its own. */
  isolation?: 'in-process' | 'process';
  /** Process id of an isolated plugin's process (panels with isolation). */
  pid?: number | null;
  /** Restarts after crashes since it was last set up (isolated plugins). */
  restarts?: number;
  lastCrash?: CrashInfo | null;
  /** Resident memory of the isolated process, in bytes. */
  memoryRss?: number | null;
  timings: { setupMs: number | null; startMs: number | null };
  manifest: {
    icon?: string;
    category?: string;
    author?: string | { name: string; email?: string; url?: string };
    config?: ConfigSchema;
    [key: string]: unknown;
  };
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

/** Answer of `GET /api/admin/plugins/<id>/config` (not the SDK's `PluginConfig`, a plugin's config API). */
export interface PluginConfig {
  config: Record<string, unknown>;
  schema: ConfigSchema;
  /** Name of the active profile. */
  profile?: string;
}

/** A named set of a plugin's settings; one is active. */
export interface ConfigProfile {
  name: string;
  active: boolean;
}

/** An action of a running plugin, as `GET /api/actions` lists it. */
export interface ActionInfo {
  plugin: string;
  name: string;
  title: string;
  description: string;
  /** Changes something (the UI confirms first). */
  mutating: boolean;
  /** JSON Schema of the input (an object). */
  input: ConfigSchema;
  /** The plugin implements it. */
  available: boolean;
}

/** A file a run produced. */
export interface RunArtifact {
  name: string;
  bytes: number;
  /** Download URL (same origin). */
  url: string;
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

export type Priority = 'low' | 'normal' | 'high' | 'urgent';

/** A message a plugin sent with `ctx.notify`. Read state is shared by every user. */
export interface Message {
  id: number;
  plugin: string;
  title: string;
  body: string | null;
  priority: Priority;
  /** A path in the panel, e.g. `/p/backup/jobs/3`. */
  link: string | null;
  createdAt: number;
  readAt: number | null;
}

export interface MessageQuery {
  minPriority?: Priority;
  plugin?: string;
  unread?: boolean;
  limit?: number;
  before?: number;
}

/** One log line: every field of the JSON line, `time` in epoch ms, `level` as a label. */
export interface LogEntry {
  time: number | null;
  level: string | null;
  msg: string;
  [field: string]: unknown;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface LogQuery {
  /** 1–5000, default 200. */
  lines?: number;
  /** Minimum level. */
  level?: LogLevel;
  /** Epoch ms or ISO 8601. */
  since?: number | string;
  /** Case-insensitive substring of the raw line, or a regular expression with `regex`. */
  q?: string;
  regex?: boolean;
}

export interface LogFileInfo {
  name: string;
  bytes: number;
  modifiedAt: number;
}

export interface LatencyPercentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** One plugin's metrics since the panel started. */
export interface PluginMetrics {
  requests: number;
  errors: number;
  clientErrors: number;
  latencyMs: LatencyPercentiles;
  eventsEmitted: number;
  eventsHandled: number;
  handlerErrors: number;
  runsStarted: number;
  runsFailed: number;
  setupMs: number | null;
  startMs: number | null;
}

export interface MetricsSnapshot {
  time: number;
  since: number;
  plugins: Record<string, PluginMetrics>;
  core: Omit<PluginMetrics, 'setupMs' | 'startMs'> & {
    uptimeMs: number;
    memory: { rssBytes: number; heapUsedBytes: number };
  };
}

export type HistoryMetric =
  | 'requests'
  | 'errors'
  | 'clientErrors'
  | 'latencyP50'
  | 'latencyP90'
  | 'latencyP99'
  | 'eventsEmitted'
  | 'eventsHandled'
  | 'handlerErrors'
  | 'runsStarted'
  | 'runsFailed';

export interface MetricsHistory {
  from: number;
  to: number;
  stepMs: number;
  metrics: HistoryMetric[];
  series: { plugin: string; points: ({ time: number } & Partial<Record<HistoryMetric, number | null>>)[] }[];
}

/**
 * What creating a site takes (`POST /api/sites`); `PUT /api/sites/:id` takes any subset.
 * Differs from the SDK's `SiteInput` on purpose: over REST, `certificate: null` drops an uploaded certificate.
 */
export interface SiteInput extends Omit<SdkSiteInput, 'certificate'> {
  certificate?: SdkSiteInput['certificate'] | null;
}

export interface DomainCertificate {
  domain: string;
  source: 'acme' | 'internal' | 'custom' | 'none';
  present: boolean;
  issuer: string | null;
  notBefore: string | null;
  notAfter: string | null;
  daysLeft: number | null;
  note?: string;
}

export interface AccessLogEntry {
  time: string;
  remoteIp: string | null;
  method: string | null;
  host: string | null;
  uri: string | null;
  proto: string | null;
  status: number | null;
  durationMs: number | null;
  size: number | null;
  userAgent: string | null;
  user: string | null;
}

/** Messages of `/ws/events`. */
export type PanelEvent =
  | { type: 'plugin.enabled' | 'plugin.disabled'; payload: { id: string } }
  | { type: 'plugin.failed'; payload: { id: string; code?: string; message?: string } }
  | {
      type: 'panel.notification';
      payload: {
        /** The stored message's id (panels with the message list). */
        id?: number;
        title: string;
        body?: string;
        priority?: Priority;
        link?: string;
        plugin: string;
      };
      time?: number;
    };

// Run-time plugin installation (issue 6) ---------------------------------------------------------

/** One package of `GET /api/admin/plugins/search`, with what is installed of it. */
export interface PluginSearchResult {
  name: string;
  /** The registry's newest version. */
  version: string;
  description: string;
  keywords: string[];
  date?: string;
  publisher?: string;
  links?: Record<string, string>;
  installed: { id: string; version: string } | null;
}

/** What the admin confirms before an install (`POST /api/admin/plugins/install/preview`). */
export interface InstallPlan {
  id: string;
  packageName: string;
  version: string;
  name: string;
  description: string;
  permissions: string[];
  /** Named permissions its routes check; absent on panels before the shell's installer UI. */
  scopes?: Record<string, { description: string; minRole: string }>;
  engine: string;
  /** Plugin dependencies not installed, id → range. */
  missingDependencies: Record<string, string>;
  /** Reasons it cannot be installed (engine, incompatible dependency versions). */
  problems: string[];
  sha256: string;
  integrity?: string;
  installedVersion?: string;
}

/** A plugin installed at run time, as the panel recorded it. */
export interface InstalledPlugin {
  id: string;
  packageName: string;
  version: string;
  from: 'registry' | 'tarball';
  registry?: string;
  integrity?: string;
  sha256: string;
  installedAt: string;
}

/** The npm registry plugins come from; the token is never sent back. */
export interface RegistrySettings {
  url: string;
  hasToken: boolean;
}

/** `GET /api/admin/plugins/<id>/versions`. */
export interface PluginVersions {
  packageName: string;
  installed: string;
  latest?: string;
  versions: { version: string; deprecated?: string }[];
}

/** What to install: a spec from the registry, or an uploaded `.tgz`. */
export type InstallSource = { spec: string } | { tarball: Blob; name?: string };
