/**
 * The public shapes of the Sites feature: what the REST API, the CoreAPI
 * (`ctx.core.hosts`, `ctx.core.caddy`) and events carry. Plain, serialisable
 * data only, so the same shapes cross the plugin RPC boundary.
 */

export const SITE_KINDS = ['reverse_proxy', 'static', 'redirect', 'php'] as const;
export type SiteKind = (typeof SITE_KINDS)[number];

/**
 * - `auto`: Caddy's ACME (Let's Encrypt / ZeroSSL); the domain must resolve to this machine.
 * - `internal`: Caddy's local CA, for LAN names and IPs (clients must trust its root).
 * - `off`: plain HTTP on the HTTP port.
 * - `custom`: an uploaded certificate and key (the key is stored encrypted).
 */
export const TLS_MODES = ['auto', 'internal', 'off', 'custom'] as const;
export type TlsMode = (typeof TLS_MODES)[number];

export const LB_POLICIES = ['random', 'round_robin', 'least_conn', 'first', 'ip_hash', 'uri_hash'] as const;
export type LoadBalancingPolicy = (typeof LB_POLICIES)[number];

/** Caddy's active health check of every upstream. */
export interface HealthCheck {
  /** Request path, e.g. `/healthz`. */
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  /** Status an upstream must answer with; any 2xx when absent. */
  expectStatus?: number;
}

/** A basic-auth user as given: the password is hashed (bcrypt) before it is stored. */
export interface BasicAuthUserInput {
  username: string;
  /** Plain text, or a bcrypt hash (`$2a$…`). Leave out on update to keep the stored one. */
  password?: string;
}

/** What creating a site takes (the REST body of `POST /api/sites` and `hosts.create`). */
export interface SiteInput {
  /** A label for lists; defaults to the first domain. */
  name?: string | null;
  /** Hostnames or `*.example.com`; IP addresses only with `tls` `internal` or `off`. */
  domains: string[];
  kind: SiteKind;
  /** Default true. A disabled site keeps its domains but is not served. */
  enabled?: boolean;
  /** Default `auto`. */
  tls?: TlsMode;
  /** Required with `tls: 'custom'`: PEM certificate (chain) and private key. */
  certificate?: { certPem: string; keyPem: string };

  // reverse_proxy
  /** `host:port`, `http://host[:port]`, `https://host[:port]` or `unix:/path.sock`. */
  upstreams?: string[];
  /** Default `round_robin`. */
  loadBalancing?: LoadBalancingPolicy;
  healthCheck?: HealthCheck | null;
  /** Default true: WebSocket upgrades pass through and responses stream unbuffered. */
  websocket?: boolean;
  /** Headers set on requests to the upstreams. */
  upstreamHeaders?: Record<string, string>;

  // static and php
  /** Absolute path of the folder to serve. */
  root?: string;
  /** static: list directories without an index file. Default false. */
  browse?: boolean;
  /** static: serve `/index.html` for paths that are not files (single-page apps). Default false. */
  spa?: boolean;

  // redirect
  /** http(s) URL to redirect to. */
  redirectTo?: string;
  /** 301 when true (default), 302 when false. */
  permanent?: boolean;
  /** Append the request's path and query to `redirectTo`. Default true. */
  preservePath?: boolean;

  // php
  /** PHP-FPM: a unix socket path (`/run/php/php8.2-fpm.sock`) or `host:port`. */
  phpFpm?: string;

  // extras, every kind
  /** Response headers to set. */
  headers?: Record<string, string>;
  basicAuth?: BasicAuthUserInput[];
  /** Only these IPs/CIDRs may connect (403 for others). */
  allow?: string[];
  /** These IPs/CIDRs get 403. */
  deny?: string[];
  /** gzip/zstd responses. Default true. */
  compression?: boolean;
  /** Write a per-site access log (JSON lines) the panel can tail. Default false. */
  accessLog?: boolean;
}

/** `hosts.update` / `PUT /api/sites/:id`: any subset of {@link SiteInput}, merged onto the site. */
export type SitePatch = Partial<SiteInput>;

/** How a site's last change stands with Caddy. */
export type SiteStatus = 'applied' | 'pending' | 'error' | 'disabled';

/** An uploaded certificate as shown (never the key). */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** Names the certificate is valid for. */
  names: string[];
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
}

/** A site as the API returns it. Fields of other kinds are left out. */
export interface Site {
  id: number;
  name: string;
  domains: string[];
  kind: SiteKind;
  enabled: boolean;
  tls: TlsMode;
  certificate: CertificateInfo | null;
  upstreams?: string[];
  loadBalancing?: LoadBalancingPolicy;
  healthCheck?: HealthCheck | null;
  websocket?: boolean;
  upstreamHeaders?: Record<string, string>;
  root?: string;
  browse?: boolean;
  spa?: boolean;
  redirectTo?: string;
  permanent?: boolean;
  preservePath?: boolean;
  phpFpm?: string;
  headers: Record<string, string>;
  /** Usernames only; hashes stay on the server. */
  basicAuth: { username: string }[];
  allow: string[];
  deny: string[];
  compression: boolean;
  accessLog: boolean;
  /** Bumped on every change. */
  revision: number;
  status: SiteStatus;
  createdAt: number;
  updatedAt: number;
}

export type CaddyMode = 'managed' | 'external' | 'off';

/** The outcome of the last attempt to give Caddy the configuration. */
export interface ApplyResult {
  ok: boolean;
  /** Why it ran: `start`, `create`, `update`, `delete`, `reload`, `reconnect`, `drift`. */
  reason: string;
  at: number;
  durationMs: number;
  sites: number;
  /** Caddy's message when it rejected the config, or why it could not be reached. */
  error?: string;
  /** True when Caddy answered and refused the config (false: it was not reachable). */
  rejected?: boolean;
}

/** `GET /api/sites/caddy` and `caddy.status()`. */
export interface CaddyStatus {
  mode: CaddyMode;
  /** Where the mode came from. */
  modeSource: 'env' | 'settings' | 'default';
  /** managed: a caddy binary was found; external: the admin endpoint answered at least once. */
  found: boolean;
  binary: string | null;
  version: string | null;
  /** The admin endpoint answers now. */
  running: boolean;
  /** managed: the caddy process id (also when adopted from an earlier panel run). */
  pid: number | null;
  admin: string | null;
  httpPort: number;
  httpsPort: number;
  /** Listener host; empty means every interface. */
  bind: string;
  /** The database holds changes Caddy does not run yet. */
  pending: boolean;
  lastApply: ApplyResult | null;
  /** Caddy's last refusal of a change, until a later change or reload is accepted. */
  lastRejection: { at: number; reason: string; message: string } | null;
  /** One line for the Sites page. */
  message: string;
  /** How to install Caddy, when it was not found. */
  installHint: string | null;
}

/** The Caddy connection settings (`core.caddy` in the settings store; env wins). */
export interface CaddySettings {
  mode?: CaddyMode;
  /** Admin address: `127.0.0.1:2019`, `unix//path/admin.sock`. */
  admin?: string;
  httpPort?: number;
  httpsPort?: number;
  bind?: string;
  binary?: string;
}

/**
 * What plugins get on `ctx.core` for sites (the seed's CoreAPI host functions).
 * Add to the SDK's `CoreApi`: `interface CoreApi extends SitesCoreApi {}`.
 *
 * @example
 * const site = await ctx.core.hosts.create({
 *   domains: ['app.example.com'], kind: 'reverse_proxy', upstreams: ['127.0.0.1:3000'], tls: 'auto',
 * });
 * await ctx.core.hosts.update(site.id, { upstreams: ['127.0.0.1:3001'] });
 */
export interface SitesCoreApi {
  hosts: {
    list(): Promise<Site[]>;
    get(id: number): Promise<Site | undefined>;
    /** Applies to Caddy before it is stored: Caddy's refusal throws (code `WEBCASA_CADDY_REJECTED`). */
    create(input: SiteInput): Promise<Site>;
    update(id: number, patch: SitePatch): Promise<Site>;
    delete(id: number): Promise<void>;
  };
  caddy: {
    /** Give Caddy the configuration generated from the database again. */
    reload(): Promise<ApplyResult>;
    status(): Promise<CaddyStatus>;
  };
}
