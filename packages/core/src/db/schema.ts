import type { Generated } from 'kysely';

/** Core tables. Plugins never see these (their Kysely instances are guarded). Times are epoch ms. */
export interface CoreDatabase {
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  settings: SettingsTable;
  plugin_state: PluginStateTable;
  runs: RunsTable;
  run_logs: RunLogsTable;
  sites: SitesTable;
  site_domains: SiteDomainsTable;
  messages: MessagesTable;
  metric_samples: MetricSamplesTable;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  role: 'admin' | 'operator' | 'viewer';
  /** Encrypted TOTP secret (see secrets.ts), null when two-factor is off. */
  totp_secret: string | null;
  totp_enabled: Generated<number>;
  /** JSON array of scrypt hashes of unused recovery codes. */
  recovery_codes: string | null;
  failed_attempts: Generated<number>;
  locked_until: number | null;
  disabled: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the cookie value; the value itself is never stored. */
  id: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  /** SHA-256 of the token; the token is shown once at creation. */
  token_hash: string;
  /** First characters, to tell tokens apart in lists. */
  prefix: string;
  /** JSON array of permission strings, or null for the user's full role. */
  scopes: string | null;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  time: number;
  user_id: number | null;
  username: string | null;
  ip: string | null;
  method: string;
  path: string;
  status: number;
  /** Plugin id when the request went to a plugin's routes. */
  plugin: string | null;
  /** JSON with extra detail (never secrets). */
  detail: string | null;
}

export interface SettingsTable {
  /** `core.<key>` or `plugin.<id>.<key>`. */
  key: string;
  /** JSON text; for secrets, the encrypted envelope. */
  value: string;
  secret: Generated<number>;
  updated_at: number;
}

export interface PluginStateTable {
  id: string;
  enabled: number;
  isolation: string | null;
  updated_at: number;
}

export interface RunsTable {
  id: string;
  plugin: string;
  title: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
  progress: number;
  message: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  created_by: string | null;
}

export interface RunLogsTable {
  run_id: string;
  seq: number;
  time: number;
  level: 'info' | 'warn' | 'error';
  line: string;
}

/** A site Caddy serves (see src/sites). Kind-specific settings and extras are JSON in `options`. */
export interface SitesTable {
  id: Generated<number>;
  name: string | null;
  kind: 'reverse_proxy' | 'static' | 'redirect' | 'php';
  enabled: Generated<number>;
  tls: 'auto' | 'internal' | 'off' | 'custom';
  /** PEM certificate chain of an uploaded certificate (public). */
  tls_cert: string | null;
  /** Its private key, encrypted (see secrets.ts). */
  tls_key: string | null;
  /** JSON of the site's validated settings (see sites/types.ts `SiteOptions`). */
  options: string;
  /** Bumped on every change; the service compares it with what Caddy last accepted. */
  revision: Generated<number>;
  created_at: number;
  updated_at: number;
}

/** Normalised (lower-case, punycode) domain → its site. The key makes a domain belong to one site. */
export interface SiteDomainsTable {
  domain: string;
  site_id: number;
  position: number;
}

export interface MessagesTable {
  id: Generated<number>;
  plugin: string;
  title: string;
  body: string | null;
  /** 0 low, 1 normal, 2 high, 3 urgent. */
  priority: number;
  link: string | null;
  created_at: number;
  read_at: number | null;
  dismissed_at: number | null;
}

/** One plugin's (or `core`'s) metrics during one minute; counters are that minute's increase. */
export interface MetricSamplesTable {
  plugin: string;
  /** Start of the minute, epoch ms. */
  time: number;
  requests: number;
  /** Responses with status >= 500. */
  errors: number;
  /** Responses with status 400-499. */
  client_errors: number;
  /** Latency percentiles of the minute's requests in ms; null without requests. */
  latency_p50: number | null;
  latency_p90: number | null;
  latency_p99: number | null;
  events_emitted: number;
  events_handled: number;
  handler_errors: number;
  runs_started: number;
  runs_failed: number;
}
