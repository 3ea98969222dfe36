import { PLUGIN_ID_PATTERN } from '@webcasa/plugin-sdk';
import type { Hono } from 'hono';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import type { CoreDatabase, MetricSamplesTable } from '../db/schema.js';
import { badRequest } from '../errors.js';
import type { CoreEnv } from '../http/env.js';
import { queryInt, queryTime } from '../http/query.js';
import { defineRoute, type RouteRegistry } from '../http/route.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';
import type { MetricsRegistry } from './registry.js';
import { MINUTE_MS } from './sampler.js';
import { metricsSnapshot, type PluginMetricsInfo } from './snapshot.js';

/** The permission a token limited to scopes needs for every metrics route. */
export const METRICS_PERMISSION = 'core:metrics';

/** History metrics → their column; counters add up over a step, percentiles take the worst minute. */
const HISTORY_COLUMNS = {
  requests: 'requests',
  errors: 'errors',
  clientErrors: 'client_errors',
  latencyP50: 'latency_p50',
  latencyP90: 'latency_p90',
  latencyP99: 'latency_p99',
  eventsEmitted: 'events_emitted',
  eventsHandled: 'events_handled',
  handlerErrors: 'handler_errors',
  runsStarted: 'runs_started',
  runsFailed: 'runs_failed',
} as const satisfies Record<string, keyof MetricSamplesTable>;

export type HistoryMetric = keyof typeof HISTORY_COLUMNS;
export const HISTORY_METRICS = Object.keys(HISTORY_COLUMNS) as HistoryMetric[];

const DEFAULT_RANGE_MS = 24 * 60 * MINUTE_MS;
const DEFAULT_POINTS = 360;
const MAX_POINTS = 1440;

const historyQuery = z.object({
  plugin: z.string().regex(PLUGIN_ID_PATTERN, 'must be a plugin id, or core').optional(),
  metric: z
    .enum(HISTORY_METRICS as [HistoryMetric, ...HistoryMetric[]], {
      error: `must be one of ${HISTORY_METRICS.join(', ')}`,
    })
    .optional(),
  from: queryTime.optional(),
  to: queryTime.optional(),
  points: queryInt(1, MAX_POINTS).optional(),
});

/** One point of a history series: the step's start and the selected metrics. */
export type HistoryPoint = { time: number } & Partial<Record<HistoryMetric, number | null>>;

/** The answer of `GET /api/admin/metrics/history`. */
export interface MetricsHistory {
  from: number;
  to: number;
  stepMs: number;
  metrics: HistoryMetric[];
  series: { plugin: string; points: HistoryPoint[] }[];
}

export interface MetricsRoutesOptions {
  metrics: MetricsRegistry;
  db: Kysely<CoreDatabase>;
  /** Every plugin with its status and timings: `() => manager.list()`. */
  plugins: () => readonly PluginMetricsInfo[];
  /** Clock (epoch ms), injectable for tests. */
  now?: () => number;
}

/**
 * The metrics routes, for admins (a token limited to scopes needs `core:metrics`):
 * - `GET /api/admin/metrics`: every plugin's counters, latency percentiles and timings, and the core's;
 * - `GET /api/admin/metrics/history?plugin=&metric=&from=&to=&points=`: the per-minute samples,
 *   merged into at most `points` steps (counters summed, percentiles the worst minute);
 * - `GET /metrics`: the same in the Prometheus text format, for scrapers.
 *
 * @example
 * registerMetricsRoutes(app, registry, { metrics, db: db.core, plugins: () => manager.list() });
 */
export function registerMetricsRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry | undefined,
  options: MetricsRoutesOptions,
): void {
  const { metrics, db, plugins } = options;
  const now = options.now ?? (() => Date.now());

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/metrics',
      summary: "Every plugin's metrics since the panel started",
      tag: 'metrics',
      access: 'admin',
      permission: METRICS_PERMISSION,
    },
    (c) => c.json(metricsSnapshot(metrics, plugins(), now())),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/metrics/history',
      summary: 'Per-minute metric samples of the last 7 days',
      tag: 'metrics',
      access: 'admin',
      permission: METRICS_PERMISSION,
      query: historyQuery,
    },
    async (c, { query }) => {
      const to = query.to ?? now();
      const from = query.from ?? to - DEFAULT_RANGE_MS;
      if (from >= to) throw badRequest('query.from: must be before to', 'query.from');
      const selected = query.metric ? [query.metric] : HISTORY_METRICS;
      // Steps are whole minutes counted from the minute `from` falls in, so there are at most `points`.
      const origin = Math.floor(from / MINUTE_MS) * MINUTE_MS;
      const points = query.points ?? DEFAULT_POINTS;
      const stepMs = Math.max(1, Math.ceil((to - origin) / points / MINUTE_MS)) * MINUTE_MS;
      const step = sql<number>`${sql.lit(origin)} + ((time - ${sql.lit(origin)}) / ${sql.lit(stepMs)}) * ${sql.lit(stepMs)}`;
      let q = db
        .selectFrom('metric_samples')
        .select(['plugin', step.as('step')])
        .select(
          selected.map((name) => {
            const column = sql.ref(HISTORY_COLUMNS[name]);
            return (
              name.startsWith('latency') ? sql<number | null>`max(${column})` : sql<number>`sum(${column})`
            ).as(name);
          }),
        )
        .where('time', '>=', from)
        .where('time', '<', to)
        .groupBy(['plugin', 'step'])
        .orderBy('plugin')
        .orderBy('step');
      if (query.plugin !== undefined) q = q.where('plugin', '=', query.plugin);
      const rows = (await q.execute()) as unknown as (Record<string, number | null> & {
        plugin: string;
        step: number;
      })[];
      const byPlugin = new Map<string, HistoryPoint[]>();
      if (query.plugin !== undefined) byPlugin.set(query.plugin, []);
      for (const row of rows) {
        const point: HistoryPoint = { time: row.step };
        for (const name of selected) point[name] = row[name] ?? null;
        let list = byPlugin.get(row.plugin);
        if (!list) {
          list = [];
          byPlugin.set(row.plugin, list);
        }
        list.push(point);
      }
      const body: MetricsHistory = {
        from,
        to,
        stepMs,
        metrics: selected,
        series: [...byPlugin].map(([plugin, list]) => ({ plugin, points: list })),
      };
      return c.json(body);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/metrics',
      summary: 'Metrics in the Prometheus text format',
      tag: 'metrics',
      access: 'admin',
      permission: METRICS_PERMISSION,
      responses: { 200: { description: 'Prometheus text exposition format 0.0.4' } },
    },
    (c) =>
      c.body(renderPrometheus(metrics, plugins(), now()), 200, {
        'Content-Type': PROMETHEUS_CONTENT_TYPE,
        'Cache-Control': 'no-store',
      }),
  );
}
