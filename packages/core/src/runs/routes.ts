import type { Hono } from 'hono';
import { z } from 'zod';
import { badRequest, conflict, notFound } from '../errors.js';
import type { CoreEnv } from '../http/env.js';
import { defineRoute, type RouteRegistry } from '../http/route.js';
import type { WsHub } from '../ws/hub.js';
import { isEnded, type RunManager } from './run-manager.js';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;

const runInfoSchema = z.object({
  id: z.string(),
  plugin: z.string(),
  title: z.string(),
  status: z.enum(STATUSES),
  progress: z.number(),
  message: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  createdBy: z.string().nullable(),
});

const runId = z.string().min(1).max(100);
const idParams = z.object({ id: runId });

const listQuery = z.object({
  plugin: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,39}$/, 'must be a plugin id')
    .optional(),
  status: z.enum(STATUSES).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number from 1 to 500')
    .transform(Number)
    .pipe(z.number().int().min(1).max(500))
    .optional(),
  before: runId.optional(),
});

const logQuery = z.object({ format: z.enum(['text', 'ndjson']).default('text') });

export interface RunRoutesDeps {
  runs: RunManager;
}

/**
 * The runs REST API: list, inspect, download the log of and cancel any run.
 * Live logs and progress are on `/ws/runs/:id` (see `registerRunSocket`).
 *
 * @example
 * registerRunRoutes(app, registry, { runs });
 * // GET  /api/runs?plugin=docker&status=running&limit=20&before=run_…  → { runs, next }
 * // GET  /api/runs/run_abc…                                             → RunInfo
 * // GET  /api/runs/run_abc…/log?format=ndjson                           → attachment
 * // POST /api/runs/run_abc…/cancel                                      → RunInfo (operator+)
 */
export function registerRunRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry | undefined,
  { runs }: RunRoutesDeps,
): void {
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/runs',
      summary: 'List runs, newest first',
      tag: 'runs',
      access: 'user',
      permission: 'core:runs',
      query: listQuery,
      responses: {
        200: {
          description: '`next` is the `before` value for the following page, or null on the last page',
          schema: z.object({ runs: z.array(runInfoSchema), next: z.string().nullable() }),
        },
      },
    },
    async (c, { query }) => {
      const limit = query.limit ?? 50;
      if (query.before !== undefined && !(await runs.get(query.before))) {
        throw badRequest(`query.before: no run with id "${query.before}"`, 'query.before');
      }
      const list = await runs.list({ ...query, limit });
      const next = list.length === limit ? list[list.length - 1]!.id : null;
      return c.json({ runs: list, next });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/runs/:id',
      summary: 'Get a run',
      tag: 'runs',
      access: 'user',
      permission: 'core:runs',
      params: idParams,
      responses: {
        200: { description: 'The run', schema: runInfoSchema },
        404: { description: 'No such run' },
      },
    },
    async (c, { params }) => {
      const run = await runs.get(params.id);
      if (!run) throw notFound(`run ${params.id} not found`);
      return c.json(run);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/runs/:id/log',
      summary: "Download a run's log as text or NDJSON",
      tag: 'runs',
      access: 'user',
      permission: 'core:runs',
      params: idParams,
      query: logQuery,
      responses: { 200: { description: 'The log, as an attachment' }, 404: { description: 'No such run' } },
    },
    async (c, { params, query }) => {
      const run = await runs.get(params.id);
      if (!run) throw notFound(`run ${params.id} not found`);
      const body = await runs.exportLog(run.id, query.format);
      const safeId = run.id.replace(/[^A-Za-z0-9_-]/g, '_');
      const [ext, type] =
        query.format === 'ndjson' ? ['ndjson', 'application/x-ndjson'] : ['log', 'text/plain'];
      return c.body(body, 200, {
        'Content-Type': `${type}; charset=utf-8`,
        'Content-Disposition': `attachment; filename="${safeId}.${ext}"`,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/runs/:id/cancel',
      summary: 'Cancel a running run',
      tag: 'runs',
      access: 'operator',
      permission: 'core:runs',
      params: idParams,
      responses: {
        200: { description: 'The run, now cancelled', schema: runInfoSchema },
        404: { description: 'No such run' },
        409: { description: 'The run has already ended' },
      },
    },
    async (c, { params }) => {
      const run = await runs.get(params.id);
      if (!run) throw notFound(`run ${params.id} not found`);
      const user = c.get('user');
      const cancelled = !isEnded(run.status) && (await runs.cancel(run.id, `cancelled by ${user.username}`));
      const after = (await runs.get(run.id)) ?? run;
      if (!cancelled) throw conflict(`run ${run.id} has already ended (${after.status})`);
      return c.json(after);
    },
  );
}

/** Close code sent by `/ws/runs/:id` for an unknown run (4000–4999 are for applications). */
export const RUN_NOT_FOUND_CLOSE_CODE = 4404;

/**
 * Stream a run over `/ws/runs/:id`: the latest stored lines, the current status, then live
 * `log`/`progress` messages (JSON, as `RunManager.subscribe` delivers them). After the final
 * `status` the socket closes with 1000; an unknown run closes with 4404.
 *
 * @example
 * registerRunSocket(hub, runs);
 * // browser: new WebSocket(`wss://panel/ws/runs/${id}`).onmessage = (e) => JSON.parse(e.data)
 */
export function registerRunSocket(hub: WsHub, runs: RunManager): () => void {
  return hub.route('/ws/runs/:id', async (socket, { id }) => {
    let closed = false;
    socket.onClose(() => {
      closed = true;
    });
    const stop = await runs.follow(id!, (message) => {
      if (closed) return;
      socket.send(JSON.stringify(message));
      if (message.type === 'status' && isEnded(message.run.status)) socket.close(1000, 'run ended');
    });
    if (!stop) {
      socket.close(RUN_NOT_FOUND_CLOSE_CODE, `run ${id} not found`);
      return;
    }
    socket.onClose(stop);
  });
}
