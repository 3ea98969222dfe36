/**
 * Throughput of authenticated `GET /api/plugins` on a real panel against a bare
 * Hono hello route on @hono/node-server, in the same process, driven by the
 * same load generator, alternating rounds so machine noise hits both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { defineServerPlugin, type ManifestInput } from '@webcasa/plugin-sdk';
import { Hono } from 'hono';
import { type InlinePlugin, type Panel, startPanel } from '../src/server.js';
import type { LoadGenerator, LoadResult } from './load.js';
import { type Cleanup, median } from './util.js';

export interface HttpBenchOptions {
  rounds: number;
  connections: number;
  warmupMs: number;
  durationMs: number;
  /** Also measure the panel's public GET /api/health (no auth, no DB): splits middleware cost from auth cost. */
  health: boolean;
}

export interface HttpCase {
  case: string;
  rounds: LoadResult[];
  median: { rps: number; p50Ms: number; p99Ms: number; generatorElu: number; serverElu: number };
}

const PASSWORD = 'bench-password-long-enough';

/** A few plugins with realistic manifests, so the list the route builds is not trivial. */
export function benchPlugins(count = 8): InlinePlugin[] {
  const plugins: InlinePlugin[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `bench-${String(i).padStart(2, '0')}`;
    const manifest: ManifestInput = {
      id,
      name: `Bench plugin ${i}`,
      version: `1.${i}.0`,
      description: `Plugin number ${i}, with web routes, a menu entry, events and scopes like a real one.`,
      icon: 'container',
      category: 'containers',
      engine: '^1.0.0',
      dependencies: i > 1 ? { 'bench-01': '^1.0.0' } : {},
      events: [`${id}.item.created`, `${id}.item.deleted`],
      scopes: {
        read: { description: 'See items', minRole: 'viewer' },
        write: { description: 'Change items', minRole: 'operator' },
      },
      web: {
        routes: [
          { path: '/', title: 'Overview' },
          { path: '/items/:id', title: 'Item' },
        ],
        menu: [{ path: '/', label: `Bench ${i}`, icon: 'box', group: 'plugins', order: 100 + i }],
      },
    };
    plugins.push({
      manifest,
      plugin: defineServerPlugin({
        setup(ctx) {
          ctx.router.get('/ping', (c) => c.text('pong'));
        },
      }),
    });
  }
  return plugins;
}

/** The baseline: bare Hono on @hono/node-server. `/plugins` answers a fixed body (set once the panel's is known). */
async function startBareHono(): Promise<{
  port: number;
  setPluginsBody(body: unknown): void;
  close(): Promise<void>;
}> {
  const app = new Hono();
  let pluginsBody: unknown = {};
  app.get('/hello', (c) => c.json({ hello: 'world' }));
  // Same payload as the panel's GET /api/plugins (stringified per request, like the panel): separates payload cost from the panel's own.
  app.get('/plugins', (c) => c.json(pluginsBody as object));
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s as Server),
    ) as Server;
    s.once('error', reject);
  });
  return {
    port: (server.address() as AddressInfo).port,
    setPluginsBody: (body) => {
      pluginsBody = structuredClone(body);
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function startBenchPanel(cleanup: Cleanup): Promise<{ panel: Panel; token: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-bench-'));
  cleanup.add(() => rmSync(dataDir, { recursive: true, force: true }));
  const panel = await startPanel({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    stdoutLogs: false,
    logLevel: 'warn',
    onSetupToken: () => {},
    inlinePlugins: benchPlugins(),
  });
  cleanup.add(() => panel.stop());
  await panel.auth.createUser({ username: 'admin', password: PASSWORD, role: 'admin' });
  const res = await fetch(`${panel.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 200 || !body.token)
    throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
  return { panel, token: body.token };
}

/** One request through fetch, to check the route answers what we think before loading it. */
async function check(
  url: string,
  headers: Record<string, string>,
  expect: (body: any) => boolean,
): Promise<{ bytes: number; body: unknown }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  if (res.status !== 200 || !expect(body))
    throw new Error(`${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return { bytes: Buffer.byteLength(text), body };
}

function summarise(name: string, rounds: LoadResult[]): HttpCase {
  return {
    case: name,
    rounds,
    median: {
      rps: median(rounds.map((r) => r.rps)),
      p50Ms: median(rounds.map((r) => r.p50Ms)),
      p99Ms: median(rounds.map((r) => r.p99Ms)),
      generatorElu: median(rounds.map((r) => r.generatorElu)),
      serverElu: median(rounds.map((r) => r.serverElu)),
    },
  };
}

export async function runHttpBench(
  load: LoadGenerator,
  options: HttpBenchOptions,
  cleanup: Cleanup,
  emit: (line: Record<string, unknown>) => void,
): Promise<{
  cases: HttpCase[];
  /** GET /api/plugins over bare hono /hello: the goal's ratio. */
  ratio: number;
  /** GET /api/plugins over bare hono serving the same body: the panel's own overhead, payload excluded. */
  samePayloadRatio: number;
  healthRatio?: number;
  bodyBytes: Record<string, number>;
}> {
  const hono = await startBareHono();
  cleanup.add(() => hono.close());
  const { panel, token } = await startBenchPanel(cleanup);
  const auth = { authorization: `Bearer ${token}` };

  const plugins = await check(
    `${panel.url}/api/plugins`,
    auth,
    (b) => Array.isArray(b?.plugins) && b.plugins.length === 8,
  );
  hono.setPluginsBody(plugins.body);
  const bodyBytes = {
    hello: (await check(`http://127.0.0.1:${hono.port}/hello`, {}, (b) => b?.hello === 'world')).bytes,
    plugins: plugins.bytes,
    honoPlugins: (await check(`http://127.0.0.1:${hono.port}/plugins`, {}, (b) => b?.plugins?.length === 8))
      .bytes,
    health: (await check(`${panel.url}/api/health`, {}, (b) => b?.status === 'ok')).bytes,
  };

  const BASE = 'bare hono GET /hello';
  const SAME = 'bare hono GET /plugins (same body)';
  const PLUGINS = 'panel GET /api/plugins (bearer)';
  const HEALTH = 'panel GET /api/health (public)';
  const targets = [
    { name: BASE, port: hono.port, path: '/hello', headers: {} },
    { name: SAME, port: hono.port, path: '/plugins', headers: {} },
    { name: PLUGINS, port: panel.port, path: '/api/plugins', headers: auth },
    ...(options.health ? [{ name: HEALTH, port: panel.port, path: '/api/health', headers: {} }] : []),
  ];
  const results = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
  for (let round = 1; round <= options.rounds; round++) {
    // Alternate the order each round, so neither side always runs first (or right after the other).
    const order = round % 2 === 1 ? targets : [...targets].reverse();
    for (const t of order) {
      const r = await load.run({
        port: t.port,
        path: t.path,
        headers: t.headers,
        connections: options.connections,
        warmupMs: options.warmupMs,
        durationMs: options.durationMs,
      });
      if (r.non2xx > 0 || r.errors > 0 || r.requests === 0) {
        throw new Error(
          `${t.name}: ${r.requests} requests, ${r.non2xx} non-2xx ${JSON.stringify(r.statuses)}, ${r.errors} errors`,
        );
      }
      results.get(t.name)!.push(r);
      emit({
        bench: 'core-http',
        case: t.name,
        round,
        rps: Math.round(r.rps),
        p50Ms: round3(r.p50Ms),
        p99Ms: round3(r.p99Ms),
        requests: r.requests,
        connections: options.connections,
        generatorElu: round3(r.generatorElu),
        serverElu: round3(r.serverElu),
      });
    }
  }
  const cases = targets.map((t) => summarise(t.name, results.get(t.name)!));
  const rps = (name: string) => cases.find((c) => c.case === name)?.median.rps ?? Number.NaN;
  return {
    cases,
    ratio: rps(PLUGINS) / rps(BASE),
    samePayloadRatio: rps(PLUGINS) / rps(SAME),
    healthRatio: options.health ? rps(HEALTH) / rps(BASE) : undefined,
    bodyBytes,
  };
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Load one route of a bench panel (bearer-authenticated), for profiling (bench/profile.ts). */
export async function runProfileLoad(
  load: LoadGenerator,
  path: string,
  durationMs: number,
  cleanup: Cleanup,
  hooks: { measuring?: () => unknown } = {},
): Promise<LoadResult> {
  const { panel, token } = await startBenchPanel(cleanup);
  // Warm the route up first (JIT), then profile the measured run only.
  await load.run({
    port: panel.port,
    path,
    headers: { authorization: `Bearer ${token}` },
    connections: 32,
    warmupMs: 0,
    durationMs: 1000,
  });
  await hooks.measuring?.();
  return load.run({
    port: panel.port,
    path,
    headers: { authorization: `Bearer ${token}` },
    connections: 32,
    warmupMs: 0,
    durationMs,
  });
}
