import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { SiteRecord } from './model.js';
import { parsePhpFpm, parseUpstream } from './validation.js';

/** Caddy's JSON config, as generated (plain data). */
export type CaddyJson = Record<string, any>;

export interface CaddyConfigOptions {
  httpPort: number;
  httpsPort: number;
  /** Listener host for both servers; empty means every interface. */
  bind: string;
  /** The `admin` object, kept verbatim (it must keep the address the panel talks to). Null omits it. */
  admin: Record<string, unknown> | null;
  /** `storage` object kept verbatim (external Caddy), when `storageDir` is not given. */
  storage?: Record<string, unknown> | null;
  /** Certificates, the local CA and locks go here (file_system storage). */
  storageDir?: string | null;
  /** Per-site access logs are written here as `site-<id>.access.log`. */
  logDir: string;
  /** Caddy's own log (managed mode); stderr when absent. */
  caddyLogFile?: string | null;
}

/** Servers the generator writes (HTTPS sites, and plain-HTTP sites plus HTTP→HTTPS redirects). */
export const HTTPS_SERVER = 'webcasa_https';
export const HTTP_SERVER = 'webcasa_http';

/** Prefix of the `@id` on `apps.http` that fingerprints the generated config (drift detection). */
export const MARKER_PREFIX = 'webcasa-';

/** Name of a site's access logger (`http.log.access.<name>`). */
export function accessLoggerName(siteId: number): string {
  return `webcasa_site_${siteId}`;
}

/** Where a site's access log is written. */
export function accessLogFile(logDir: string, siteId: number): string {
  return join(logDir, `site-${siteId}.access.log`);
}

function listenAddress(bind: string, port: number): string {
  return `${isIP(bind) === 6 ? `[${bind}]` : bind}:${port}`;
}

const forbidden = (ranges: string[], negate: boolean) => ({
  match: [negate ? { not: [{ remote_ip: { ranges } }] } : { remote_ip: { ranges } }],
  handle: [{ handler: 'static_response', status_code: 403, body: 'Forbidden' }],
  terminal: true,
});

function reverseProxyRoutes(site: SiteRecord): CaddyJson[] {
  const o = site.options;
  const upstreams = (o.upstreams ?? []).map((u) => parseUpstream(u));
  const tls = upstreams.some((u) => typeof u !== 'string' && u.tls);
  const handler: CaddyJson = {
    handler: 'reverse_proxy',
    upstreams: upstreams.flatMap((u) => (typeof u === 'string' ? [] : [{ dial: u.dial }])),
  };
  if (upstreams.length > 1 || o.loadBalancing !== 'round_robin') {
    handler.load_balancing = { selection_policy: { policy: o.loadBalancing ?? 'round_robin' } };
  }
  if (o.healthCheck) {
    const active: CaddyJson = {
      uri: o.healthCheck.path,
      interval: `${o.healthCheck.intervalSeconds}s`,
      timeout: `${o.healthCheck.timeoutSeconds}s`,
    };
    if (o.healthCheck.expectStatus) active.expect_status = o.healthCheck.expectStatus;
    handler.health_checks = { active };
  }
  const headers = Object.entries(o.upstreamHeaders ?? {});
  if (headers.length) {
    handler.headers = { request: { set: Object.fromEntries(headers.map(([k, v]) => [k, [v]])) } };
  }
  if (tls) handler.transport = { protocol: 'http', tls: {} };
  const routes: CaddyJson[] = [];
  if (o.websocket === false) {
    routes.push({
      match: [{ header_regexp: { Upgrade: { pattern: '(?i)^websocket$' } } }],
      handle: [
        { handler: 'static_response', status_code: 403, body: 'WebSockets are disabled for this site' },
      ],
      terminal: true,
    });
  } else {
    // Stream responses as they come (server-sent events, long polls); WebSockets pass through anyway.
    handler.flush_interval = -1;
  }
  routes.push({ handle: [handler] });
  return routes;
}

function staticRoutes(site: SiteRecord): CaddyJson[] {
  const o = site.options;
  const root = o.root!;
  const routes: CaddyJson[] = [{ handle: [{ handler: 'vars', root }] }];
  if (o.spa) {
    routes.push({
      match: [
        { file: { root, try_files: ['{http.request.uri.path}', '{http.request.uri.path}/', '/index.html'] } },
      ],
      handle: [{ handler: 'rewrite', uri: '{http.matchers.file.relative}' }],
    });
  }
  const fileServer: CaddyJson = { handler: 'file_server', root };
  if (o.browse) fileServer.browse = {};
  routes.push({ handle: [fileServer] });
  return routes;
}

function redirectRoutes(site: SiteRecord): CaddyJson[] {
  const o = site.options;
  const target =
    o.preservePath === false ? o.redirectTo! : `${o.redirectTo!.replace(/\/$/, '')}{http.request.uri}`;
  return [
    {
      handle: [
        {
          handler: 'static_response',
          status_code: o.permanent === false ? 302 : 301,
          headers: { Location: [target] },
        },
      ],
    },
  ];
}

/** What Caddyfile's `php_fastcgi` expands to, plus a file server for the other files. */
function phpRoutes(site: SiteRecord): CaddyJson[] {
  const o = site.options;
  const root = o.root!;
  const dial = parsePhpFpm(o.phpFpm!);
  return [
    { handle: [{ handler: 'vars', root }] },
    {
      match: [{ file: { root, try_files: ['{http.request.uri.path}/index.php'] }, not: [{ path: ['*/'] }] }],
      handle: [
        {
          handler: 'static_response',
          status_code: 308,
          headers: { Location: ['{http.request.orig_uri.path}/'] },
        },
      ],
    },
    {
      match: [
        {
          file: {
            root,
            try_files: ['{http.request.uri.path}', '{http.request.uri.path}/index.php', 'index.php'],
            split_path: ['.php'],
          },
        },
      ],
      handle: [{ handler: 'rewrite', uri: '{http.matchers.file.relative}' }],
    },
    {
      match: [{ path: ['*.php'] }],
      handle: [
        {
          handler: 'reverse_proxy',
          transport: { protocol: 'fastcgi', split_path: ['.php'], root },
          upstreams: [{ dial: typeof dial === 'string' ? dial : '' }],
        },
      ],
    },
    { handle: [{ handler: 'file_server', root }] },
  ];
}

/** The handlers of one site, in order: IP filters, headers, basic auth, compression, the kind. */
export function siteRoutes(site: SiteRecord): CaddyJson[] {
  const o = site.options;
  const routes: CaddyJson[] = [];
  if (o.deny.length) routes.push(forbidden(o.deny, false));
  if (o.allow.length) routes.push(forbidden(o.allow, true));
  const headers = Object.entries(o.headers);
  if (headers.length) {
    routes.push({
      handle: [
        {
          handler: 'headers',
          response: { set: Object.fromEntries(headers.map(([k, v]) => [k, [v]])) },
        },
      ],
    });
  }
  if (o.basicAuth.length) {
    routes.push({
      handle: [
        {
          handler: 'authentication',
          providers: {
            http_basic: {
              // Caddy 2.6 wants the bcrypt hash base64-encoded; later versions still accept that.
              accounts: o.basicAuth.map((u) => ({
                username: u.username,
                password: Buffer.from(u.hash).toString('base64'),
              })),
              hash: { algorithm: 'bcrypt' },
              realm: 'restricted',
            },
          },
        },
      ],
    });
  }
  if (o.compression) {
    routes.push({
      handle: [{ handler: 'encode', encodings: { gzip: {}, zstd: {} }, prefer: ['zstd', 'gzip'] }],
    });
  }
  switch (site.kind) {
    case 'reverse_proxy':
      routes.push(...reverseProxyRoutes(site));
      break;
    case 'static':
      routes.push(...staticRoutes(site));
      break;
    case 'redirect':
      routes.push(...redirectRoutes(site));
      break;
    case 'php':
      routes.push(...phpRoutes(site));
      break;
  }
  return routes;
}

interface HostRoute {
  hosts: string[];
  wildcard: boolean;
  route: CaddyJson;
}

function hostRoutes(site: SiteRecord): HostRoute[] {
  const handle = [{ handler: 'subroute', routes: siteRoutes(site) }];
  const exact = site.domains.filter((d) => !d.startsWith('*.'));
  const wild = site.domains.filter((d) => d.startsWith('*.'));
  const out: HostRoute[] = [];
  for (const [hosts, wildcard] of [
    [exact, false],
    [wild, true],
  ] as const) {
    if (hosts.length === 0) continue;
    out.push({ hosts, wildcard, route: { match: [{ host: [...hosts] }], handle, terminal: true } });
  }
  return out;
}

/** Exact hosts first, then wildcards from the most specific: Caddy tries routes in order. */
function ordered(routes: HostRoute[]): CaddyJson[] {
  const depth = (r: HostRoute) => Math.max(...r.hosts.map((h) => h.split('.').length));
  return [
    ...routes.filter((r) => !r.wildcard),
    ...routes.filter((r) => r.wildcard).sort((a, b) => depth(b) - depth(a)),
  ].map((r) => r.route);
}

const notFoundRoute = {
  handle: [{ handler: 'static_response', status_code: 404, body: 'No site is configured for this address.' }],
};

function loggerNames(sites: SiteRecord[], port: number, defaultPort: number): Record<string, string> {
  const names: Record<string, string> = {};
  for (const site of sites) {
    if (!site.options.accessLog) continue;
    for (const domain of site.domains) {
      // Caddy 2.6 looks the Host header up as sent, port included when it is not the default.
      names[domain] = accessLoggerName(site.id);
      if (port !== defaultPort) {
        names[`${isIP(domain) === 6 ? `[${domain}]` : domain}:${port}`] = accessLoggerName(site.id);
      }
    }
  }
  return names;
}

/**
 * Caddy's JSON config for `sites` — a pure function of its inputs. Enabled
 * sites with TLS `off` are served on the HTTP port; the others on the HTTPS
 * port, with HTTP→HTTPS redirects generated here (Caddy's own would assume
 * port 443). `apps.http["@id"]` fingerprints the result, so the panel can ask
 * Caddy whether this exact config is live (`GET /id/<marker>`).
 *
 * @example
 * const config = generateCaddyConfig(records, { httpPort: 80, httpsPort: 443, bind: '', admin, logDir });
 * await client.load(config);
 */
export function generateCaddyConfig(sites: readonly SiteRecord[], options: CaddyConfigOptions): CaddyJson {
  const enabled = [...sites].filter((s) => s.enabled).sort((a, b) => a.id - b.id);
  const secure = enabled.filter((s) => s.tls !== 'off');
  const plain = enabled.filter((s) => s.tls === 'off');
  const servers: CaddyJson = {};

  if (secure.length) {
    const custom = secure.filter((s) => s.tls === 'custom').flatMap((s) => s.domains);
    const server: CaddyJson = {
      listen: [listenAddress(options.bind, options.httpsPort)],
      routes: [...ordered(secure.flatMap(hostRoutes)), notFoundRoute],
      automatic_https: { disable_redirects: true },
    };
    if (custom.length) server.automatic_https.skip_certificates = custom;
    const names = loggerNames(secure, options.httpsPort, 443);
    if (Object.keys(names).length) server.logs = { logger_names: names, skip_unmapped_hosts: true };
    servers[HTTPS_SERVER] = server;
  }
  if (enabled.length) {
    const routes = ordered(plain.flatMap(hostRoutes));
    const redirectHosts = secure.flatMap((s) => s.domains);
    if (redirectHosts.length) {
      const port = options.httpsPort === 443 ? '' : `:${options.httpsPort}`;
      routes.push({
        match: [{ host: redirectHosts }],
        handle: [
          {
            handler: 'static_response',
            status_code: 308,
            headers: { Location: [`https://{http.request.host}${port}{http.request.uri}`] },
          },
        ],
        terminal: true,
      });
    }
    routes.push(notFoundRoute);
    const server: CaddyJson = { listen: [listenAddress(options.bind, options.httpPort)], routes };
    const names = loggerNames(plain, options.httpPort, 80);
    if (Object.keys(names).length) server.logs = { logger_names: names, skip_unmapped_hosts: true };
    servers[HTTP_SERVER] = server;
  }

  const config: CaddyJson = {};
  if (options.admin) config.admin = structuredClone(options.admin);
  if (options.storageDir) config.storage = { module: 'file_system', root: options.storageDir };
  else if (options.storage) config.storage = structuredClone(options.storage);

  const logs: CaddyJson = { default: { exclude: ['http.log.access'] } };
  if (options.caddyLogFile) {
    logs.default.writer = { output: 'file', filename: options.caddyLogFile, roll_size_mb: 10, roll_keep: 3 };
  }
  for (const site of enabled) {
    if (!site.options.accessLog) continue;
    const name = accessLoggerName(site.id);
    logs[name] = {
      writer: {
        output: 'file',
        filename: accessLogFile(options.logDir, site.id),
        roll_size_mb: 10,
        roll_keep: 3,
      },
      encoder: { format: 'json' },
      include: [`http.log.access.${name}`],
    };
  }
  config.logging = { logs };

  const apps: CaddyJson = {
    http: { http_port: options.httpPort, https_port: options.httpsPort, grace_period: '5s', servers },
    // Never touch the system trust store; clients are told to trust the root themselves.
    pki: { certificate_authorities: { local: { install_trust: false } } },
  };
  const internal = secure.filter((s) => s.tls === 'internal').flatMap((s) => s.domains);
  const loaded = secure.filter((s) => s.tls === 'custom' && s.certificate);
  if (internal.length || loaded.length) {
    const tls: CaddyJson = {};
    if (internal.length) {
      tls.automation = { policies: [{ subjects: internal, issuers: [{ module: 'internal' }] }] };
    }
    if (loaded.length) {
      tls.certificates = {
        load_pem: loaded.map((s) => ({
          certificate: s.certificate!.certPem,
          key: s.certificate!.keyPem,
          tags: [`webcasa_site_${s.id}`],
        })),
      };
    }
    apps.tls = tls;
  }
  config.apps = apps;
  apps.http['@id'] = configMarkerOf(config);
  return config;
}

/** The fingerprint of a config without its marker. */
function configMarkerOf(config: CaddyJson): string {
  const hash = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 20);
  return `${MARKER_PREFIX}${hash}`;
}

/** The marker `generateCaddyConfig` put on a config. */
export function configMarker(config: CaddyJson): string {
  return config.apps?.http?.['@id'] as string;
}
