import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventBus } from '@webcasa/event-bus';
import type { RequestUser, Role, RunInfo } from '@webcasa/plugin-sdk';
import { Hono } from 'hono';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type PanelDatabase } from '../db/database.js';
import type { CoreEnv } from '../http/env.js';
import { errorResponse } from '../http/error-handler.js';
import { RouteRegistry } from '../http/route.js';
import { createRunManager, type RunManager, registerRunRoutes } from './index.js';

let dir: string;
let db: PanelDatabase;
let runs: RunManager;
let app: Hono<CoreEnv>;
let registry: RouteRegistry;

// The role of the caller, per request, through a header only this test understands.
function makeApp(): Hono<CoreEnv> {
  const a = new Hono<CoreEnv>();
  a.use(async (c, next) => {
    const role = c.req.header('x-test-role') as Role | undefined;
    if (role) {
      const user: RequestUser = { id: 1, username: `${role}-user`, role, via: 'session' };
      c.set('user', user);
    }
    await next();
  });
  a.onError((error, c) => errorResponse(error, c));
  registry = new RouteRegistry();
  registerRunRoutes(a, registry, { runs });
  return a;
}

const as = (role: Role | undefined, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: {
    ...(role ? { 'x-test-role': role } : {}),
    ...(init.headers as Record<string, string> | undefined),
  },
});

async function json<T = any>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

function holdingRun(plugin = 'docker', title = 'Hold') {
  return runs.start(plugin, title, async (run) => {
    run.log('waiting');
    await new Promise((r) => run.signal.addEventListener('abort', r));
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-run-routes-'));
  db = await openDatabase(dir);
  runs = createRunManager({
    db: db.core,
    bus: createEventBus(),
    logger: pino({ level: 'silent' }),
    limits: { cancelGraceMs: 200 },
  });
  await runs.init();
  app = makeApp();
});

afterEach(async () => {
  await runs.shutdown();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runs REST API', () => {
  it('needs a signed-in user', async () => {
    const res = await app.request('/api/runs', as(undefined));
    expect(res.status).toBe(401);
    expect((await json(res)).error.code).toBe('WEBCASA_UNAUTHORIZED');
  });

  it('lists runs with filters and a cursor for the next page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { id } = await runs.start(i < 3 ? 'docker' : 'backup', `job ${i}`, async () => {});
      await runs.wait(id);
      ids.push(id);
    }
    const first = await json<{ runs: RunInfo[]; next: string | null }>(
      await app.request('/api/runs?limit=2', as('viewer')),
    );
    expect(first.runs.map((r) => r.title)).toEqual(['job 4', 'job 3']);
    expect(first.next).toBe(ids[3]);
    const second = await json(await app.request(`/api/runs?limit=2&before=${first.next}`, as('viewer')));
    expect(second.runs.map((r: RunInfo) => r.title)).toEqual(['job 2', 'job 1']);
    const docker = await json(await app.request('/api/runs?plugin=docker&status=succeeded', as('viewer')));
    expect(docker.runs.map((r: RunInfo) => r.title)).toEqual(['job 2', 'job 1', 'job 0']);
    expect(docker.next).toBeNull();
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=501', 'query.limit'],
    ['limit=ten', 'query.limit'],
    ['status=done', 'query.status'],
    ['plugin=Not%20An%20Id', 'query.plugin'],
    ['before=run_missing', 'query.before'],
  ])('answers a bad %s with 400 naming %s', async (query, field) => {
    const res = await app.request(`/api/runs?${query}`, as('viewer'));
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.field).toBe(field);
    expect(body.error.message).toContain(field);
  });

  it('gets one run, and 404s an unknown id by name', async () => {
    const { id } = await holdingRun();
    const res = await app.request(`/api/runs/${id}`, as('viewer'));
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id, plugin: 'docker', title: 'Hold', status: 'running' });
    const missing = await app.request('/api/runs/run_nosuchrunaaaaaaa', as('viewer'));
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.message).toBe('run run_nosuchrunaaaaaaa not found');
  });

  it('downloads the log as a text or NDJSON attachment', async () => {
    const { id } = await runs.start('docker', 'Logs', async (run) => {
      run.log('hello');
      run.log('uh oh', 'error');
    });
    await runs.wait(id);
    const text = await app.request(`/api/runs/${id}/log`, as('viewer'));
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(text.headers.get('content-disposition')).toBe(`attachment; filename="${id}.log"`);
    expect(
      (await text.text())
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^\S+ /, '')),
    ).toEqual(['INFO  hello', 'ERROR uh oh']);

    const nd = await app.request(`/api/runs/${id}/log?format=ndjson`, as('viewer'));
    expect(nd.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(nd.headers.get('content-disposition')).toBe(`attachment; filename="${id}.ndjson"`);
    const rows = (await nd.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.seq, r.level, r.line])).toEqual([
      [1, 'info', 'hello'],
      [2, 'error', 'uh oh'],
    ]);

    const bad = await app.request(`/api/runs/${id}/log?format=pdf`, as('viewer'));
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.field).toBe('query.format');
    expect((await app.request('/api/runs/run_nope/log', as('viewer'))).status).toBe(404);
  });

  it('cancels for operators, 403 for viewers, 409 once ended, 404 when unknown', async () => {
    const { id } = await holdingRun();
    const viewer = await app.request(`/api/runs/${id}/cancel`, as('viewer', { method: 'POST' }));
    expect(viewer.status).toBe(403);
    expect((await runs.get(id))?.status).toBe('running');

    const res = await app.request(`/api/runs/${id}/cancel`, as('operator', { method: 'POST' }));
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id, status: 'cancelled', error: 'cancelled by operator-user' });

    const again = await app.request(`/api/runs/${id}/cancel`, as('admin', { method: 'POST' }));
    expect(again.status).toBe(409);
    expect((await json(again)).error.message).toMatch(/already ended \(cancelled\)/);

    expect((await app.request('/api/runs/run_nope/cancel', as('admin', { method: 'POST' }))).status).toBe(
      404,
    );
  });

  it('registers every route for the OpenAPI document', () => {
    expect(registry.routes.map((r) => `${r.method} ${r.path} ${r.access}`)).toEqual([
      'get /api/runs user',
      'get /api/runs/:id user',
      'get /api/runs/:id/log user',
      'post /api/runs/:id/cancel operator',
    ]);
  });
});
