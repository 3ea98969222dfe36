/**
 * The metrics pieces assembled on a core Hono app with real parts: SQLite,
 * the auth service and middleware, the event bus, the runs service. Driven
 * with `app.request` (no socket).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventBus, type EventBus } from '@webcasa/event-bus';
import { Hono } from 'hono';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuthService, authMiddleware, createAuthService } from '../src/auth/index.js';
import { openDatabase, type PanelDatabase } from '../src/db/database.js';
import { notFound } from '../src/errors.js';
import { requireRole } from '../src/http/access.js';
import type { CoreEnv } from '../src/http/env.js';
import { errorResponse } from '../src/http/error-handler.js';
import { openApiDocument, RouteRegistry } from '../src/http/route.js';
import {
  attachBusMetrics,
  attachRunMetrics,
  createMetricsRegistry,
  createMetricsSampler,
  LATENCY_BOUNDS_MS,
  type MetricsRegistry,
  type MetricsSnapshot,
  MINUTE_MS,
  type PluginMetricsInfo,
  pluginRequestMetrics,
  registerMetricsRoutes,
} from '../src/metrics/index.js';
import { createRunManager, type RunManager } from '../src/runs/index.js';
import { createSecretBox } from '../src/settings/secrets.js';

const PASSWORD = 'correct horse battery';
const T0 = Date.UTC(2025, 0, 31, 12, 0, 0);
const PLUGIN_IDS = ['alpha', 'beta', 'gamma'];

let dir: string;
let db: PanelDatabase;
let auth: AuthService;
const tokens = { admin: '', viewer: '', scraper: '', auditor: '' };

let app: Hono<CoreEnv>;
let registry: RouteRegistry;
let metrics: MetricsRegistry;
let bus: EventBus;
let runs: RunManager;
let plugins: PluginMetricsInfo[];
/** The request clock the middleware reads: handlers advance it by `?ms=`. */
let elapsed: number;
/** The wall clock of the routes and the sampler. */
let wall: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-metrics-http-'));
  db = await openDatabase(dir);
  auth = createAuthService({ db: db.core, secrets: createSecretBox(randomBytes(32)), loginRateLimit: false });
  const admin = await auth.createUser({ username: 'admin', password: PASSWORD, role: 'admin' });
  await auth.createUser({ username: 'viewer', password: PASSWORD, role: 'viewer' });
  tokens.admin = (await auth.login({ username: 'admin', password: PASSWORD })).token;
  tokens.viewer = (await auth.login({ username: 'viewer', password: PASSWORD })).token;
  tokens.scraper = (await auth.createToken(admin.id, { name: 'prometheus', scopes: ['core:metrics'] })).token;
  tokens.auditor = (await auth.createToken(admin.id, { name: 'auditor', scopes: ['core:audit'] })).token;
});

afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await db.core.deleteFrom('metric_samples').execute();
  elapsed = 0;
  wall = T0;
  plugins = [
    { id: 'alpha', status: 'running', timings: { setupMs: 12.5, startMs: 0.75 } },
    { id: 'beta', status: 'running', timings: { setupMs: 3, startMs: null } },
    { id: 'gamma', status: 'error', timings: { setupMs: null, startMs: null } },
  ];
  metrics = createMetricsRegistry({ isKnown: (id) => PLUGIN_IDS.includes(id), now: () => wall });
  bus = createEventBus({ onHandlerError: () => {} });
  attachBusMetrics(bus, metrics);
  attachRunMetrics(bus, metrics);
  runs = createRunManager({ db: db.core, bus, logger: pino({ level: 'silent' }) });

  app = new Hono<CoreEnv>();
  app.use(authMiddleware(auth));
  // As in app.ts: the plugin dispatch, with the metrics middleware on that route only.
  const requireUser = requireRole('viewer');
  app.all('/api/plugins/:id/*', pluginRequestMetrics(metrics, { now: () => elapsed }), async (c) => {
    await requireUser(c, async () => {});
    const id = c.req.param('id');
    if (!PLUGIN_IDS.includes(id)) throw notFound(`no plugin with id "${id}"`);
    elapsed += Number(c.req.query('ms') ?? 0);
    return c.json({ plugin: id }, Number(c.req.query('status') ?? 200) as 200);
  });
  registry = new RouteRegistry();
  registerMetricsRoutes(app, registry, {
    metrics,
    db: db.core,
    plugins: () => plugins,
    now: () => wall,
  });
  app.onError((error, c) => errorResponse(error, c));
});

afterEach(async () => {
  await runs.shutdown();
});

/** GET `path` with a bearer token; `''` for anonymous. */
async function call(path: string, token: string = tokens.admin) {
  const res = await app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, text, headers: res.headers };
}

async function snapshot(): Promise<MetricsSnapshot> {
  const res = await call('/api/admin/metrics');
  expect(res.status).toBe(200);
  return res.body;
}

// ---- a small parser of the Prometheus text format, strict enough to fail on mistakes ----

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  name: string;
  help: string;
  type?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`);
  return Number(text);
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
  let at = 0;
  while (at < text.length) {
    pair.lastIndex = at;
    const m = pair.exec(text);
    if (!m) throw new Error(`bad labels {${text}} at ${at}`);
    if (m[1]! in labels) throw new Error(`label ${m[1]} twice`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
    at = pair.lastIndex;
  }
  return labels;
}

/** Parse and check: HELP then TYPE before a family's samples, families not interleaved, histograms consistent. */
function parsePrometheus(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('must end with a newline');
  const families = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, , name, ...help] = line.split(' ');
      if (!name || !NAME.test(name)) throw new Error(`bad HELP: ${line}`);
      if (families.has(name)) throw new Error(`family ${name} appears twice`);
      current = { name, help: help.join(' '), samples: [] };
      families.set(name, current);
    } else if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!current || current.name !== name || current.type || current.samples.length > 0)
        throw new Error(`TYPE of ${name} not right after its HELP`);
      if (!TYPES.has(type!)) throw new Error(`bad type ${type}`);
      current.type = type;
    } else if (!line.startsWith('#')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`bad sample line: ${line}`);
      const name = m[1]!;
      const base = current?.type === 'histogram' ? name.replace(/_(bucket|sum|count)$/, '') : name;
      if (!current?.type || base !== current.name) throw new Error(`sample ${name} outside its family`);
      current.samples.push({ name, labels: parseLabels(m[2] ?? ''), value: parseValue(m[3]!) });
    }
  }
  for (const family of families.values()) {
    if (!family.type) throw new Error(`family ${family.name} has no TYPE`);
    if (family.type !== 'histogram') continue;
    const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
    for (const s of family.samples) {
      const { le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      const entry = series.get(key) ?? { buckets: [] };
      series.set(key, entry);
      if (s.name.endsWith('_bucket')) entry.buckets.push([parseValue(le!), s.value]);
      else if (s.name.endsWith('_sum')) entry.sum = s.value;
      else entry.count = s.value;
    }
    for (const [key, { buckets, sum, count }] of series) {
      for (let i = 1; i < buckets.length; i++) {
        if (!(buckets[i]![0] > buckets[i - 1]![0])) throw new Error(`${key}: le not increasing`);
        if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${key}: bucket counts decrease`);
      }
      if (buckets.at(-1)?.[0] !== Number.POSITIVE_INFINITY) throw new Error(`${key}: no +Inf bucket`);
      if (buckets.at(-1)![1] !== count) throw new Error(`${key}: +Inf bucket is not the count`);
      if (sum === undefined) throw new Error(`${key}: no _sum`);
    }
  }
  return families;
}

const sampleValue = (
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string>,
  name = family,
) =>
  families
    .get(family)
    ?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;

describe('the Prometheus test parser', () => {
  const ok =
    '# HELP x_total X.\n# TYPE x_total counter\nx_total{plugin="a"} 1\n' +
    '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n';

  it('accepts well-formed text and refuses each kind of mistake', () => {
    expect(parsePrometheus(ok).get('h')?.samples).toHaveLength(4);
    const broken = [
      ok.replace('# TYPE x_total counter\n', ''), // no TYPE
      `x_total 1\n${ok}`, // a sample before its HELP/TYPE
      ok.replace('h_bucket{le="+Inf"} 2', 'h_bucket{le="+Inf"} 0'), // counts decrease
      ok.replace('h_count 2', 'h_count 5'), // +Inf is not the count
      ok.replace('plugin="a"', 'plugin="a"b"'), // bad escaping
      ok.replace('x_total{plugin="a"} 1', 'x_total{plugin="a"} one'), // bad value
      ok.trimEnd(), // no final newline
    ];
    for (const text of broken) expect(() => parsePrometheus(text), text).toThrow();
  });
});

describe('metrics over HTTP', () => {
  it('lets admins and core:metrics tokens in, and refuses everyone else', async () => {
    for (const path of ['/api/admin/metrics', '/api/admin/metrics/history', '/metrics']) {
      expect((await call(path, '')).status, `${path} anonymous`).toBe(401);
      expect((await call(path, tokens.viewer)).status, `${path} viewer`).toBe(403);
      expect((await call(path, tokens.admin)).status, `${path} admin`).toBe(200);
      expect((await call(path, tokens.scraper)).status, `${path} core:metrics token`).toBe(200);
      const other = await call(path, tokens.auditor);
      expect(other.status, `${path} core:audit token`).toBe(403);
      expect(other.body.error.code).toBe('WEBCASA_FORBIDDEN');
    }
  });

  it('lists the routes in the OpenAPI document with their permission and query', () => {
    const doc = openApiDocument(registry, { version: '0.0.0' }) as { paths: Record<string, any> };
    for (const path of ['/api/admin/metrics', '/api/admin/metrics/history', '/metrics']) {
      expect(doc.paths[path]?.get).toMatchObject({
        'x-webcasa-access': 'admin',
        'x-webcasa-permission': 'core:metrics',
      });
    }
    const names = doc.paths['/api/admin/metrics/history'].get.parameters.map((p: { name: string }) => p.name);
    expect(names.sort()).toEqual(['from', 'metric', 'plugin', 'points', 'to']);
  });

  it('counts requests and estimates latency percentiles from known durations', async () => {
    for (let ms = 1; ms <= 100; ms++) {
      expect((await call(`/api/plugins/alpha/work?ms=${ms}`)).status).toBe(200);
    }
    const { plugins: byId } = await snapshot();
    const alpha = byId.alpha!;
    expect(alpha.requests).toBe(100);
    expect(alpha.errors).toBe(0);
    // Buckets are √2 apart: 50 ms lies in (45.25, 64], 90 ms in (64, 90.51], 99 ms in (90.51, 128].
    // Estimates are rounded to the microsecond, so one may sit a hair above its bucket's bound.
    const bucketOf = (ms: number) => LATENCY_BOUNDS_MS.findIndex((b) => ms <= b + 0.001);
    for (const [estimate, truth] of [
      [alpha.latencyMs.p50, 50],
      [alpha.latencyMs.p90, 90],
      [alpha.latencyMs.p99, 99],
    ] as const) {
      expect(bucketOf(estimate!), `estimate ${estimate} for ${truth} ms`).toBe(bucketOf(truth));
    }
    expect(alpha.latencyMs.p99).toBeLessThanOrEqual(100);
    expect(byId.beta).toMatchObject({ requests: 0, latencyMs: { p50: null, p90: null, p99: null } });
  });

  it('counts 5xx as errors and 4xx (including refused requests) as client errors', async () => {
    for (const status of [200, 500, 502, 503, 404, 409]) await call(`/api/plugins/beta/x?status=${status}`);
    await call('/api/plugins/beta/x', ''); // anonymous: 401 before the plugin
    await call('/api/plugins/nobody/x'); // not a plugin: 404, counted under core
    const snap = await snapshot();
    expect(snap.plugins.beta).toMatchObject({ requests: 7, errors: 3, clientErrors: 3 });
    expect(snap.plugins).not.toHaveProperty('nobody');
    expect(snap.core).toMatchObject({ requests: 1, clientErrors: 1 });
  });

  it('attributes events emitted, handled and failed handlers to the right plugin', async () => {
    const alpha = bus.scope('alpha') as unknown as { emit(type: string, payload: unknown): boolean };
    (bus.scope('beta') as unknown as { on(p: string, h: () => void): void }).on('alpha.*', () => {});
    (bus.scope('gamma') as unknown as { on(p: string, h: () => void): void }).on('alpha.job.done', () => {
      throw new Error('gamma fails');
    });
    for (let i = 0; i < 3; i++) alpha.emit('alpha.job.done', { i });
    alpha.emit('alpha.job.queued', {});
    const snap = await snapshot();
    expect(snap.plugins.alpha).toMatchObject({ eventsEmitted: 4, eventsHandled: 0, handlerErrors: 0 });
    expect(snap.plugins.beta).toMatchObject({ eventsEmitted: 0, eventsHandled: 4, handlerErrors: 0 });
    expect(snap.plugins.gamma).toMatchObject({ eventsEmitted: 0, eventsHandled: 3, handlerErrors: 3 });
  });

  it('counts runs started and failed from the runs service', async () => {
    const ok = await runs.start('alpha', 'works', async () => {});
    const bad = await runs.start('alpha', 'breaks', async () => {
      throw new Error('nope');
    });
    const other = await runs.start('beta', 'works', async () => {});
    for (const { id } of [ok, bad, other]) await runs.wait(id);
    const snap = await snapshot();
    expect(snap.plugins.alpha).toMatchObject({ runsStarted: 2, runsFailed: 1 });
    expect(snap.plugins.beta).toMatchObject({ runsStarted: 1, runsFailed: 0 });
    // The runs service's own events are the core's.
    expect(snap.core.eventsEmitted).toBe(0);
  });

  it('reports setup and start times and process figures', async () => {
    wall = T0 + 90_000;
    const snap = await snapshot();
    expect(snap.plugins.alpha).toMatchObject({ setupMs: 12.5, startMs: 0.75 });
    expect(snap.plugins.beta).toMatchObject({ setupMs: 3, startMs: null });
    expect(snap.plugins.gamma).toMatchObject({ setupMs: null, startMs: null, requests: 0 });
    expect(snap).toMatchObject({ time: T0 + 90_000, since: T0 });
    expect(snap.core.uptimeMs).toBe(90_000);
    expect(snap.core.memory.heapUsedBytes).toBeGreaterThan(0);
  });
});

describe('metrics history', () => {
  /** Three sampled minutes: alpha gets 1, 2 and 3 requests; beta 10 events in minute 2. */
  async function sampleThreeMinutes(): Promise<void> {
    const sampler = createMetricsSampler({ metrics, db: db.core, plugins: () => plugins, now: () => wall });
    for (let minute = 0; minute < 3; minute++) {
      for (let i = 0; i <= minute; i++) await call(`/api/plugins/alpha/x?ms=${10 * (minute + 1)}`);
      if (minute === 1) for (let i = 0; i < 10; i++) (bus.scope('beta') as any).emit('beta.tick', {});
      wall = T0 + (minute + 1) * MINUTE_MS + 100;
      await sampler.sample();
    }
  }

  it('answers one point per minute for a plugin and a metric, within from and to', async () => {
    await sampleThreeMinutes();
    const res = await call(
      `/api/admin/metrics/history?plugin=alpha&metric=requests&from=${T0}&to=${T0 + 3 * MINUTE_MS}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      from: T0,
      to: T0 + 3 * MINUTE_MS,
      stepMs: MINUTE_MS,
      metrics: ['requests'],
    });
    expect(res.body.series).toEqual([
      {
        plugin: 'alpha',
        points: [
          { time: T0, requests: 1 },
          { time: T0 + MINUTE_MS, requests: 2 },
          { time: T0 + 2 * MINUTE_MS, requests: 3 },
        ],
      },
    ]);
    const later = await call(
      `/api/admin/metrics/history?plugin=alpha&metric=requests&from=${T0 + MINUTE_MS}&to=${T0 + 2 * MINUTE_MS}`,
    );
    expect(later.body.series[0].points).toEqual([{ time: T0 + MINUTE_MS, requests: 2 }]);
  });

  it('gives every metric of every plugin when neither is named, with per-minute percentiles', async () => {
    await sampleThreeMinutes();
    const res = await call(`/api/admin/metrics/history?from=${T0}&to=${T0 + 3 * MINUTE_MS}`);
    expect(res.status).toBe(200);
    expect(res.body.series.map((s: { plugin: string }) => s.plugin)).toEqual(['alpha', 'beta', 'core']);
    const beta = res.body.series[1].points;
    expect(beta.map((p: { eventsEmitted: number }) => p.eventsEmitted)).toEqual([0, 10, 0]);
    const alpha = res.body.series[0].points;
    expect(Object.keys(alpha[0]).sort()).toEqual(
      [
        'time',
        'requests',
        'errors',
        'clientErrors',
        'latencyP50',
        'latencyP90',
        'latencyP99',
        'eventsEmitted',
        'eventsHandled',
        'handlerErrors',
        'runsStarted',
        'runsFailed',
      ].sort(),
    );
    // Minute 2's requests all took 20 ms: its p50 lies in (16, 22.6].
    expect(alpha[1].latencyP50).toBeGreaterThan(16);
    expect(alpha[1].latencyP50).toBeLessThanOrEqual(20);
    expect(res.body.series[2].points[0]).toMatchObject({ requests: 0, latencyP50: null });
  });

  it('merges minutes into at most `points` steps: counters add up, percentiles take the worst', async () => {
    await sampleThreeMinutes();
    const res = await call(
      `/api/admin/metrics/history?plugin=alpha&from=${T0}&to=${T0 + 3 * MINUTE_MS}&points=2`,
    );
    expect(res.body.stepMs).toBe(2 * MINUTE_MS);
    const points = res.body.series[0].points;
    expect(points).toHaveLength(2);
    expect(points.map((p: { requests: number }) => p.requests)).toEqual([3, 3]);
    expect(points[0].latencyP99).toBeGreaterThan(16); // minute 2 (20 ms) is the worst of the first step
    const one = await call(
      `/api/admin/metrics/history?plugin=alpha&metric=requests&from=${T0}&to=${T0 + 3 * MINUTE_MS}&points=1`,
    );
    expect(one.body.series[0].points).toEqual([{ time: T0, requests: 6 }]);
  });

  it('answers an empty series for a plugin without samples', async () => {
    const res = await call('/api/admin/metrics/history?plugin=gamma&metric=requests');
    expect(res.status).toBe(200);
    expect(res.body.series).toEqual([{ plugin: 'gamma', points: [] }]);
    expect(res.body.to - res.body.from).toBe(24 * 60 * MINUTE_MS);
  });

  it('refuses bad queries with 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['metric=bogus', 'query.metric'],
      ['plugin=Not_An_Id', 'query.plugin'],
      ['from=yesterday', 'query.from'],
      ['to=soon', 'query.to'],
      ['points=0', 'query.points'],
      ['points=100000', 'query.points'],
      [`from=${T0}&to=${T0 - 1}`, 'query.from'],
    ];
    for (const [query, field] of cases) {
      const res = await call(`/api/admin/metrics/history?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error, query).toMatchObject({ code: 'WEBCASA_BAD_REQUEST', field });
      expect(res.body.error.message, query).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    }
  });
});

describe('GET /metrics', () => {
  it('serves parseable Prometheus text with only known plugins as label values', async () => {
    for (const ms of [1, 5, 5, 200]) await call(`/api/plugins/alpha/x?ms=${ms}`);
    await call('/api/plugins/alpha/x?status=500');
    await call('/api/plugins/not-a-plugin/x');
    (bus.scope('beta') as any).emit('beta.tick', {});
    const res = await call('/metrics', tokens.scraper);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheus(res.text);
    const h = 'webcasa_plugin_http_request_duration_seconds';
    expect(families.get(h)?.type).toBe('histogram');
    expect(families.get('webcasa_plugin_http_requests_total')?.type).toBe('counter');
    expect(sampleValue(families, 'webcasa_plugin_http_requests_total', { plugin: 'alpha' })).toBe(5);
    expect(sampleValue(families, 'webcasa_plugin_http_server_errors_total', { plugin: 'alpha' })).toBe(1);
    expect(sampleValue(families, 'webcasa_plugin_http_requests_total', { plugin: 'core' })).toBe(1);
    expect(sampleValue(families, 'webcasa_plugin_events_emitted_total', { plugin: 'beta' })).toBe(1);
    expect(sampleValue(families, h, { plugin: 'alpha' }, `${h}_count`)).toBe(5);
    expect(sampleValue(families, h, { plugin: 'alpha' }, `${h}_sum`)).toBeCloseTo(0.211, 9);
    expect(sampleValue(families, h, { plugin: 'alpha', le: '0.004' }, `${h}_bucket`)).toBe(2); // 0 and 1 ms
    expect(sampleValue(families, h, { plugin: 'alpha', le: '0.00565685' }, `${h}_bucket`)).toBe(4);
    expect(sampleValue(families, 'webcasa_plugin_up', { plugin: 'gamma' })).toBe(0);
    expect(sampleValue(families, 'webcasa_plugin_setup_seconds', { plugin: 'alpha' })).toBe(0.0125);
    const labelValues = new Set(
      [...families.values()].flatMap((f) => f.samples.map((s) => s.labels.plugin)).filter(Boolean),
    );
    expect([...labelValues].sort()).toEqual(['alpha', 'beta', 'core', 'gamma']);
  });

  it('escapes label values so they parse back unchanged', async () => {
    const odd = 'we"ird\\id\nx';
    plugins.push({ id: odd, status: 'running', timings: { setupMs: 1, startMs: 1 } });
    const families = parsePrometheus((await call('/metrics')).text);
    expect(sampleValue(families, 'webcasa_plugin_up', { plugin: odd })).toBe(1);
  });
});
