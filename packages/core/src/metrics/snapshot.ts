import { estimateQuantile } from './histogram.js';
import { CORE_ID, type MetricsRegistry, type PluginCounters } from './registry.js';

/** What the metrics need to know of each plugin: `PluginManager.list()` fits. */
export interface PluginMetricsInfo {
  id: string;
  status: string;
  timings?: { setupMs: number | null; startMs: number | null };
}

/** Latency percentiles in ms (estimated from the histogram), null before the first request. */
export interface LatencyPercentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/** One plugin's metrics since the panel started. */
export interface PluginMetrics {
  requests: number;
  /** Responses with status ≥ 500. */
  errors: number;
  /** Responses with status 400–499. */
  clientErrors: number;
  latencyMs: LatencyPercentiles;
  eventsEmitted: number;
  eventsHandled: number;
  handlerErrors: number;
  runsStarted: number;
  runsFailed: number;
  setupMs: number | null;
  startMs: number | null;
}

/** The host's own counters (and those of ids that are not plugins), with process figures. */
export interface CoreMetrics extends Omit<PluginMetrics, 'setupMs' | 'startMs'> {
  uptimeMs: number;
  memory: { rssBytes: number; heapUsedBytes: number };
}

/** The answer of `GET /api/admin/metrics`. */
export interface MetricsSnapshot {
  /** When it was taken (epoch ms). */
  time: number;
  /** When counting began (epoch ms). */
  since: number;
  plugins: Record<string, PluginMetrics>;
  core: CoreMetrics;
}

const round = (ms: number | null) => (ms === null ? null : Math.round(ms * 1000) / 1000);

/** Percentiles of a counters' histogram, rounded to the microsecond. */
export function latencyPercentiles(c: PluginCounters | undefined): LatencyPercentiles {
  if (!c || c.requests === 0) return { p50: null, p90: null, p99: null };
  return {
    p50: round(estimateQuantile(c.latencyCounts, 0.5, c.latencyMaxMs)),
    p90: round(estimateQuantile(c.latencyCounts, 0.9, c.latencyMaxMs)),
    p99: round(estimateQuantile(c.latencyCounts, 0.99, c.latencyMaxMs)),
  };
}

function counts(c: PluginCounters | undefined): Omit<PluginMetrics, 'setupMs' | 'startMs'> {
  return {
    requests: c?.requests ?? 0,
    errors: c?.errors ?? 0,
    clientErrors: c?.clientErrors ?? 0,
    latencyMs: latencyPercentiles(c),
    eventsEmitted: c?.eventsEmitted ?? 0,
    eventsHandled: c?.eventsHandled ?? 0,
    handlerErrors: c?.handlerErrors ?? 0,
    runsStarted: c?.runsStarted ?? 0,
    runsFailed: c?.runsFailed ?? 0,
  };
}

/**
 * Plugin ids to report: every plugin the panel knows, then those that only
 * have counters (removed since), never `core`.
 */
export function reportedPluginIds(metrics: MetricsRegistry, plugins: readonly PluginMetricsInfo[]): string[] {
  const ids = new Set<string>();
  for (const p of plugins) if (p.id !== CORE_ID) ids.add(p.id);
  for (const id of metrics.ids()) if (id !== CORE_ID) ids.add(id);
  return [...ids];
}

/**
 * The current metrics of every plugin and of the core.
 *
 * @example
 * const snapshot = metricsSnapshot(metrics, manager.list());
 * snapshot.plugins.docker?.latencyMs.p99;
 */
export function metricsSnapshot(
  metrics: MetricsRegistry,
  plugins: readonly PluginMetricsInfo[],
  now: number = Date.now(),
): MetricsSnapshot {
  const info = new Map(plugins.map((p) => [p.id, p]));
  const out: Record<string, PluginMetrics> = {};
  for (const id of reportedPluginIds(metrics, plugins)) {
    const timings = info.get(id)?.timings;
    out[id] = {
      ...counts(metrics.get(id)),
      setupMs: timings?.setupMs ?? null,
      startMs: timings?.startMs ?? null,
    };
  }
  const memory = process.memoryUsage();
  return {
    time: now,
    since: metrics.since,
    plugins: out,
    core: {
      ...counts(metrics.get(CORE_ID)),
      uptimeMs: Math.max(0, now - metrics.since),
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    },
  };
}
