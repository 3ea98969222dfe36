import { describe, expect, it } from 'vitest';
import {
  type CaddyConfigOptions,
  configMarker,
  generateCaddyConfig,
  HTTP_SERVER,
  HTTPS_SERVER,
} from './caddy-config.js';
import type { SiteOptions, SiteRecord } from './model.js';

const options: CaddyConfigOptions = {
  httpPort: 8080,
  httpsPort: 8443,
  bind: '127.0.0.1',
  admin: { listen: 'unix//tmp/admin.sock', config: { persist: false } },
  storageDir: '/var/lib/webcasa/caddy/data',
  logDir: '/var/lib/webcasa/caddy/logs',
};

let nextId = 1;
function site(
  partial: Partial<Omit<SiteRecord, 'options'>> & { options?: Partial<SiteOptions> },
): SiteRecord {
  const id = partial.id ?? nextId++;
  return {
    id,
    name: null,
    domains: [`site${id}.example.com`],
    kind: 'reverse_proxy',
    enabled: true,
    tls: 'off',
    certificate: null,
    revision: 1,
    createdAt: 0,
    updatedAt: 0,
    ...partial,
    options: {
      upstreams: ['127.0.0.1:3000'],
      loadBalancing: 'round_robin',
      healthCheck: null,
      websocket: true,
      upstreamHeaders: {},
      headers: {},
      basicAuth: [],
      allow: [],
      deny: [],
      compression: false,
      accessLog: false,
      ...partial.options,
    },
  };
}

/** The subroute handlers of the route matching `host` on `server`. */
function routeFor(config: any, server: string, host: string): any[] {
  const route = config.apps.http.servers[server].routes.find((r: any) => r.match?.[0]?.host?.includes(host));
  if (!route) throw new Error(`no route for ${host} on ${server}`);
  return route.handle[0].routes;
}

function handlers(routes: any[]): any[] {
  return routes.flatMap((r) => r.handle);
}

describe('generateCaddyConfig', () => {
  it('with no sites binds nothing but keeps admin, storage, logging and the local CA untrusted', () => {
    const config = generateCaddyConfig([], options);
    expect(config.admin).toEqual(options.admin);
    expect(config.storage).toEqual({ module: 'file_system', root: '/var/lib/webcasa/caddy/data' });
    expect(config.apps.http.servers).toEqual({});
    expect(config.apps.http.http_port).toBe(8080);
    expect(config.apps.http.https_port).toBe(8443);
    expect(config.apps.pki.certificate_authorities.local.install_trust).toBe(false);
    expect(config.apps.tls).toBeUndefined();
    expect(config.logging.logs.default).toEqual({ exclude: ['http.log.access'] });
  });

  it('serves a TLS-off reverse proxy on the HTTP port only', () => {
    const s = site({ options: { upstreams: ['127.0.0.1:3000', 'http://app:8080'], compression: true } });
    const config = generateCaddyConfig([s], options);
    expect(Object.keys(config.apps.http.servers)).toEqual([HTTP_SERVER]);
    const server = config.apps.http.servers[HTTP_SERVER];
    expect(server.listen).toEqual(['127.0.0.1:8080']);
    const routes = routeFor(config, HTTP_SERVER, s.domains[0]!);
    const hs = handlers(routes);
    expect(hs[0]).toEqual({ handler: 'encode', encodings: { gzip: {}, zstd: {} }, prefer: ['zstd', 'gzip'] });
    expect(hs[1]).toMatchObject({
      handler: 'reverse_proxy',
      upstreams: [{ dial: '127.0.0.1:3000' }, { dial: 'app:8080' }],
      load_balancing: { selection_policy: { policy: 'round_robin' } },
      flush_interval: -1,
    });
    expect(hs[1].transport).toBeUndefined();
    // The last route of a server answers unknown hosts with 404.
    expect(server.routes.at(-1).handle[0]).toMatchObject({ handler: 'static_response', status_code: 404 });
  });

  it('maps load balancing, health checks, upstream headers, https upstreams and websocket off', () => {
    const s = site({
      options: {
        upstreams: ['https://a.internal:8443', 'https://b.internal:8443'],
        loadBalancing: 'least_conn',
        healthCheck: { path: '/healthz', intervalSeconds: 15, timeoutSeconds: 3, expectStatus: 204 },
        upstreamHeaders: { 'X-Forwarded-Prefix': '/app' },
        websocket: false,
      },
    });
    const routes = routeFor(generateCaddyConfig([s], options), HTTP_SERVER, s.domains[0]!);
    expect(routes[0]).toMatchObject({
      match: [{ header_regexp: { Upgrade: { pattern: '(?i)^websocket$' } } }],
      handle: [{ handler: 'static_response', status_code: 403 }],
      terminal: true,
    });
    const proxy = routes[1].handle[0];
    expect(proxy.load_balancing).toEqual({ selection_policy: { policy: 'least_conn' } });
    expect(proxy.health_checks).toEqual({
      active: { uri: '/healthz', interval: '15s', timeout: '3s', expect_status: 204 },
    });
    expect(proxy.headers).toEqual({ request: { set: { 'X-Forwarded-Prefix': ['/app'] } } });
    expect(proxy.transport).toEqual({ protocol: 'http', tls: {} });
    expect(proxy.flush_interval).toBeUndefined();
  });

  it('serves TLS internal on the HTTPS port with the internal issuer, and redirects HTTP to the HTTPS port', () => {
    const s = site({ tls: 'internal', domains: ['nas.lan', '192.168.1.5'] });
    const config = generateCaddyConfig([s], options);
    const https = config.apps.http.servers[HTTPS_SERVER];
    expect(https.listen).toEqual(['127.0.0.1:8443']);
    expect(https.automatic_https).toEqual({ disable_redirects: true });
    expect(https.routes[0].match).toEqual([{ host: ['nas.lan', '192.168.1.5'] }]);
    expect(config.apps.tls.automation.policies).toEqual([
      { subjects: ['nas.lan', '192.168.1.5'], issuers: [{ module: 'internal' }] },
    ]);
    const http = config.apps.http.servers[HTTP_SERVER];
    expect(http.routes[0]).toEqual({
      match: [{ host: ['nas.lan', '192.168.1.5'] }],
      handle: [
        {
          handler: 'static_response',
          status_code: 308,
          headers: { Location: ['https://{http.request.host}:8443{http.request.uri}'] },
        },
      ],
      terminal: true,
    });
  });

  it('leaves TLS auto to ACME (no policy) and omits the port from redirects on 443', () => {
    const s = site({ tls: 'auto', domains: ['app.example.com'] });
    const config = generateCaddyConfig([s], { ...options, httpPort: 80, httpsPort: 443, bind: '' });
    expect(config.apps.tls).toBeUndefined();
    expect(config.apps.http.servers[HTTPS_SERVER].listen).toEqual([':443']);
    expect(config.apps.http.servers[HTTP_SERVER].listen).toEqual([':80']);
    expect(config.apps.http.servers[HTTP_SERVER].routes[0].handle[0].headers.Location).toEqual([
      'https://{http.request.host}{http.request.uri}',
    ]);
  });

  it('loads an uploaded certificate and keeps Caddy from managing those names', () => {
    const s = site({ id: 42, tls: 'custom', certificate: { certPem: 'CERT', keyPem: 'KEY' } });
    const config = generateCaddyConfig([s], options);
    expect(config.apps.tls.certificates.load_pem).toEqual([
      { certificate: 'CERT', key: 'KEY', tags: ['webcasa_site_42'] },
    ]);
    expect(config.apps.http.servers[HTTPS_SERVER].automatic_https.skip_certificates).toEqual(s.domains);
    expect(config.apps.tls.automation).toBeUndefined();
  });

  it('serves static folders with browsing and an SPA fallback', () => {
    const s = site({ kind: 'static', options: { root: '/srv/www', browse: true, spa: true } });
    const routes = routeFor(generateCaddyConfig([s], options), HTTP_SERVER, s.domains[0]!);
    expect(routes).toEqual([
      { handle: [{ handler: 'vars', root: '/srv/www' }] },
      {
        match: [
          {
            file: {
              root: '/srv/www',
              try_files: ['{http.request.uri.path}', '{http.request.uri.path}/', '/index.html'],
            },
          },
        ],
        handle: [{ handler: 'rewrite', uri: '{http.matchers.file.relative}' }],
      },
      { handle: [{ handler: 'file_server', root: '/srv/www', browse: {} }] },
    ]);
    const plain = site({ kind: 'static', options: { root: '/srv/www' } });
    const plainRoutes = routeFor(generateCaddyConfig([plain], options), HTTP_SERVER, plain.domains[0]!);
    expect(plainRoutes.at(-1)).toEqual({ handle: [{ handler: 'file_server', root: '/srv/www' }] });
    expect(plainRoutes).toHaveLength(2);
  });

  it('redirects permanently with the path by default, temporarily and exactly when asked', () => {
    const a = site({
      kind: 'redirect',
      options: { redirectTo: 'https://new.example.com/', permanent: true },
    });
    const b = site({
      kind: 'redirect',
      options: { redirectTo: 'https://new.example.com/landing', permanent: false, preservePath: false },
    });
    const config = generateCaddyConfig([a, b], options);
    expect(handlers(routeFor(config, HTTP_SERVER, a.domains[0]!))).toEqual([
      {
        handler: 'static_response',
        status_code: 301,
        headers: { Location: ['https://new.example.com{http.request.uri}'] },
      },
    ]);
    expect(handlers(routeFor(config, HTTP_SERVER, b.domains[0]!))[0]).toMatchObject({
      status_code: 302,
      headers: { Location: ['https://new.example.com/landing'] },
    });
  });

  it('expands php like php_fastcgi, with the FPM socket as upstream', () => {
    const s = site({ kind: 'php', options: { root: '/srv/php', phpFpm: '/run/php/fpm.sock' } });
    const routes = routeFor(generateCaddyConfig([s], options), HTTP_SERVER, s.domains[0]!);
    const fastcgi = routes.find((r: any) => r.match?.[0]?.path)!;
    expect(fastcgi).toEqual({
      match: [{ path: ['*.php'] }],
      handle: [
        {
          handler: 'reverse_proxy',
          transport: { protocol: 'fastcgi', split_path: ['.php'], root: '/srv/php' },
          upstreams: [{ dial: 'unix//run/php/fpm.sock' }],
        },
      ],
    });
    expect(routes.at(-1)).toEqual({ handle: [{ handler: 'file_server', root: '/srv/php' }] });
  });

  it('puts IP filters, headers, basic auth and compression before the site, in that order', () => {
    const hash = '$2a$14$PH99VFN1l7BnvympAuqcw.6gtO0wcDDNvc6Vv42akR5kve.1tU.IG';
    const s = site({
      options: {
        deny: ['10.0.0.9'],
        allow: ['10.0.0.0/8'],
        headers: { 'X-Frame-Options': 'DENY' },
        basicAuth: [{ username: 'bob', hash }],
        compression: true,
      },
    });
    const routes = routeFor(generateCaddyConfig([s], options), HTTP_SERVER, s.domains[0]!);
    expect(routes[0]).toMatchObject({ match: [{ remote_ip: { ranges: ['10.0.0.9'] } }], terminal: true });
    expect(routes[1]).toMatchObject({ match: [{ not: [{ remote_ip: { ranges: ['10.0.0.0/8'] } }] }] });
    expect(routes[2].handle[0]).toEqual({
      handler: 'headers',
      response: { set: { 'X-Frame-Options': ['DENY'] } },
    });
    expect(routes[3].handle[0].providers.http_basic.accounts).toEqual([
      { username: 'bob', password: Buffer.from(hash).toString('base64') },
    ]);
    expect(routes[4].handle[0].handler).toBe('encode');
    expect(routes[5].handle[0].handler).toBe('reverse_proxy');
  });

  it('writes access logs per site, mapping hosts with and without the port', () => {
    const s = site({ id: 7, domains: ['log.example.com'], options: { accessLog: true } });
    const quiet = site({ id: 8 });
    const config = generateCaddyConfig([s, quiet], options);
    expect(config.apps.http.servers[HTTP_SERVER].logs).toEqual({
      logger_names: { 'log.example.com': 'webcasa_site_7', 'log.example.com:8080': 'webcasa_site_7' },
      skip_unmapped_hosts: true,
    });
    expect(config.logging.logs.webcasa_site_7).toEqual({
      writer: {
        output: 'file',
        filename: '/var/lib/webcasa/caddy/logs/site-7.access.log',
        roll_size_mb: 10,
        roll_keep: 3,
      },
      encoder: { format: 'json' },
      include: ['http.log.access.webcasa_site_7'],
    });
    expect(config.logging.logs.webcasa_site_8).toBeUndefined();
  });

  it('leaves out disabled sites, and orders exact hosts before wildcards, deepest wildcard first', () => {
    const wild = site({ tls: 'internal', domains: ['*.example.com'] });
    const deeper = site({ tls: 'internal', domains: ['*.dev.example.com'] });
    const exact = site({ tls: 'internal', domains: ['a.example.com'] });
    const off = site({ tls: 'internal', domains: ['gone.example.com'], enabled: false });
    const config = generateCaddyConfig([wild, deeper, exact, off], options);
    const hosts = config.apps.http.servers[HTTPS_SERVER].routes
      .filter((r: any) => r.match)
      .map((r: any) => r.match[0].host[0]);
    expect(hosts).toEqual(['a.example.com', '*.dev.example.com', '*.example.com']);
    expect(JSON.stringify(config)).not.toContain('gone.example.com');
  });

  it('marks the config with a fingerprint that follows its content', () => {
    const s = site({ id: 100 });
    const a = generateCaddyConfig([s], options);
    const b = generateCaddyConfig([structuredClone(s)], options);
    expect(configMarker(a)).toMatch(/^webcasa-[0-9a-f]{20}$/);
    expect(configMarker(a)).toBe(configMarker(b));
    const changed = generateCaddyConfig(
      [{ ...s, options: { ...s.options, upstreams: ['127.0.0.1:1'] } }],
      options,
    );
    expect(configMarker(changed)).not.toBe(configMarker(a));
  });

  it("keeps an external Caddy's storage and brackets IPv6 listeners", () => {
    const config = generateCaddyConfig([site({})], {
      ...options,
      storageDir: null,
      storage: { module: 'file_system', root: '/var/lib/caddy' },
      bind: '::1',
    });
    expect(config.storage).toEqual({ module: 'file_system', root: '/var/lib/caddy' });
    expect(config.apps.http.servers[HTTP_SERVER].listen).toEqual(['[::1]:8080']);
  });
});
