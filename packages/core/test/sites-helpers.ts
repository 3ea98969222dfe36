import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import type { CoreEnv } from '../src/http/env.js';
import { RouteRegistry } from '../src/http/route.js';
import { type Panel, type PanelOptions, startPanel } from '../src/server.js';
import { createSecretBox, loadOrCreateKey } from '../src/settings/secrets.js';
import { findCaddyBinary } from '../src/sites/caddy-binary.js';
import { CaddyAdminClient, parseAdminAddress } from '../src/sites/caddy-client.js';
import { type CreateSitesOptions, createSites, type Sites, silentLogger } from '../src/sites/index.js';
import { PASSWORD } from './helpers.js';

/**
 * Test support for the sites feature: a real panel with the sites feature wired
 * (its own wiring until the panel does it), a real caddy on high loopback ports,
 * and HTTP(S) clients that reach Caddy with a given Host / SNI.
 */

/** The caddy binary the integration tests drive (Debian's caddy 2.6). */
export function requireCaddy(): string {
  const binary = findCaddyBinary();
  if (!binary && process.env.WEBCASA_TEST_SKIP_CADDY !== '1') {
    throw new Error(
      'these tests need a real caddy binary on PATH: apt-get install -y caddy ' +
        '(or set WEBCASA_TEST_SKIP_CADDY=1 to skip them)',
    );
  }
  return binary ?? '';
}

export const skipCaddy = !findCaddyBinary() && process.env.WEBCASA_TEST_SKIP_CADDY === '1';

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Hold a port so Caddy cannot bind it. */
export async function occupyPort(port: number): Promise<Server> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(port, '127.0.0.1', r);
  });
  return server;
}

export interface SitesHarness {
  panel: Panel;
  sites: Sites;
  dataDir: string;
  token: string;
  httpPort: number;
  httpsPort: number;
  env: Record<string, string>;
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string },
  ): Promise<{ status: number; body: any }>;
  /** A client for the managed caddy's admin API. */
  admin(): CaddyAdminClient;
  /** Root certificate of Caddy's local CA (TLS internal). */
  rootCa(): string;
  stop(): Promise<void>;
}

export interface SitesHarnessOptions {
  dataDir?: string;
  /** Extra or overriding WEBCASA_CADDY* values. */
  env?: Record<string, string>;
  httpPort?: number;
  httpsPort?: number;
  keep?: boolean;
  pollMs?: number;
  supervisor?: CreateSitesOptions['supervisor'];
  panel?: Partial<PanelOptions>;
}

/** The environment a test panel gets: managed caddy on high loopback ports. */
export async function caddyEnv(options: SitesHarnessOptions = {}): Promise<Record<string, string>> {
  const httpPort = options.httpPort ?? (await freePort());
  const httpsPort = options.httpsPort ?? (await freePort());
  return {
    WEBCASA_CADDY: 'managed',
    WEBCASA_CADDY_HTTP_PORT: String(httpPort),
    WEBCASA_CADDY_HTTPS_PORT: String(httpsPort),
    WEBCASA_CADDY_BIND: '127.0.0.1',
    ...options.env,
  };
}

/** The sites routes' OpenAPI entries per panel (the panel's own registry is internal). */
export const registries = new WeakMap<Panel, RouteRegistry>();

/** Wire the sites feature into a started panel (what the panel's own wiring will do). */
export function wireSites(
  panel: Panel,
  env: Record<string, string>,
  extra: Pick<SitesHarnessOptions, 'pollMs' | 'supervisor'> = {},
): Sites {
  const existing = (panel as Panel & { sites?: Sites }).sites;
  if (existing) return existing;
  registries.set(panel, new RouteRegistry());
  const sites = createSites({
    db: panel.db.core,
    secrets: createSecretBox(loadOrCreateKey(panel.dataDir)),
    bus: panel.bus,
    logger: silentLogger,
    dataDir: panel.dataDir,
    settings: panel.settings,
    env,
    pollMs: extra.pollMs ?? 500,
    supervisor: { startupTimeoutMs: 15_000, checkEveryMs: 300, maxBackoffMs: 2_000, ...extra.supervisor },
  });
  sites.registerRoutes(panel.app as unknown as Hono<CoreEnv>, registries.get(panel));
  return sites;
}

/** A real panel with sites and a managed caddy, an admin signed in. */
export async function startSitesHarness(options: SitesHarnessOptions = {}): Promise<SitesHarness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'webcasa-sites-'));
  const env = await caddyEnv(options);
  const panel = await startPanel({
    stdoutLogs: false,
    logLevel: 'fatal',
    onSetupToken: () => {},
    ...options.panel,
    dataDir,
    port: 0,
    env,
    sites: {
      pollMs: options.pollMs ?? 500,
      supervisor: { startupTimeoutMs: 15_000, checkEveryMs: 300, maxBackoffMs: 2_000, ...options.supervisor },
    },
  });
  const sites = wireSites(panel, env, options);
  let ownsSites = !(panel as Panel & { sites?: Sites }).sites;
  try {
    if (ownsSites) await sites.start();
  } catch (error) {
    await panel.stop();
    throw error;
  }
  async function call(method: string, path: string, body?: unknown, opts: { token?: string } = {}) {
    const headers: Record<string, string> = {};
    const token = opts.token ?? harness.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(panel.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, body: parsed as any };
  }
  const harness: SitesHarness = {
    panel,
    sites,
    dataDir,
    token: '',
    env,
    httpPort: Number(env.WEBCASA_CADDY_HTTP_PORT),
    httpsPort: Number(env.WEBCASA_CADDY_HTTPS_PORT),
    call,
    admin: () =>
      new CaddyAdminClient(
        parseAdminAddress(env.WEBCASA_CADDY_ADMIN ?? `unix/${join(dataDir, 'caddy', 'admin.sock')}`),
      ),
    rootCa: () =>
      readFileSync(join(dataDir, 'caddy', 'data', 'pki', 'authorities', 'local', 'root.crt'), 'utf8'),
    async stop() {
      if (ownsSites) await sites.stop();
      ownsSites = false;
      await panel.stop();
      if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if ((await panel.auth.listUsers()).length === 0) {
    await panel.auth.createUser({ username: 'admin', password: PASSWORD, role: 'admin' });
  }
  const login = await call(
    'POST',
    '/api/auth/login',
    { username: 'admin', password: PASSWORD },
    { token: '' },
  );
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  harness.token = login.body.token;
  return harness;
}

export interface Fetched {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A request to Caddy on 127.0.0.1:`port` as if for `host`: the Host header, and
 * for HTTPS the SNI name, with `ca` as the only trusted root.
 */
export function fetchVia(
  port: number,
  host: string,
  path = '/',
  options: {
    https?: boolean;
    ca?: string | Buffer;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const common = {
      host: '127.0.0.1',
      port,
      path,
      method: 'GET',
      agent: false as const,
      headers: { host: port === 80 || port === 443 ? host : `${host}:${port}`, ...options.headers },
    };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    };
    const req = options.https
      ? httpsRequest(
          {
            ...common,
            servername: /^[\d.]+$/.test(host) ? undefined : host,
            ca: options.ca,
            rejectUnauthorized: true,
          },
          onResponse,
        )
      : httpRequest(common, onResponse);
    req.setTimeout(options.timeoutMs ?? 5_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Retry `fn` until it resolves (bounded by `ms`); the last error is thrown. */
export async function retry<T>(fn: () => Promise<T>, ms = 10_000, everyMs = 100): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try {
      return await fn();
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
  throw last ?? new Error('retry: out of time');
}

/** A local HTTP backend that answers with what it saw. */
export async function startBackend(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const { createServer: createHttpServer } = await import('node:http');
  const server = createHttpServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ backend: name, path: req.url, host: req.headers.host, headers: req.headers }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
