/**
 * Per-plugin metrics: request counts, errors and latency, events emitted and
 * handled, handler errors, runs, setup and start times; kept per minute for
 * 7 days and exported in the Prometheus text format.
 */

export { attachBusMetrics, attachRunMetrics, type BusMetricsOptions } from './bus-metrics.js';
export { BUCKET_COUNT, bucketIndex, estimateQuantile, LATENCY_BOUNDS_MS } from './histogram.js';
export { pluginRequestMetrics, type RequestMetricsOptions } from './middleware.js';
export { escapeLabelValue, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';
export {
  CORE_ID,
  COUNTER_NAMES,
  type CounterName,
  createMetricsRegistry,
  type MetricsRegistry,
  type MetricsRegistryOptions,
  type PluginCounters,
  type RunOutcome,
} from './registry.js';
export {
  HISTORY_METRICS,
  type HistoryMetric,
  type HistoryPoint,
  METRICS_PERMISSION,
  type MetricsHistory,
  type MetricsRoutesOptions,
  registerMetricsRoutes,
} from './routes.js';
export {
  createMetricsSampler,
  DEFAULT_RETENTION_MS,
  type MetricsSampler,
  type MetricsSamplerOptions,
  MINUTE_MS,
} from './sampler.js';
export {
  type CoreMetrics,
  type LatencyPercentiles,
  latencyPercentiles,
  type MetricsSnapshot,
  metricsSnapshot,
  type PluginMetrics,
  type PluginMetricsInfo,
} from './snapshot.js';
