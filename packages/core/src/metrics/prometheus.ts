import { BUCKET_COUNT, LATENCY_BOUNDS_MS } from './histogram.js';
import { CORE_ID, type CounterName, type MetricsRegistry } from './registry.js';
import { type PluginMetricsInfo, reportedPluginIds } from './snapshot.js';

/** Content type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value in the text format: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function num(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

// The bucket bounds in seconds, printed once: 6 significant digits keep `le` short.
const LE = LATENCY_BOUNDS_MS.map((ms) => String(Number((ms / 1000).toPrecision(6))));

const COUNTERS: { name: string; counter: CounterName; help: string }[] = [
  {
    name: 'webcasa_plugin_http_requests_total',
    counter: 'requests',
    help: "Requests to the plugin's routes under /api/plugins/<id>/.",
  },
  {
    name: 'webcasa_plugin_http_server_errors_total',
    counter: 'errors',
    help: 'Responses of the plugin with status 500 or above.',
  },
  {
    name: 'webcasa_plugin_http_client_errors_total',
    counter: 'clientErrors',
    help: 'Responses of the plugin with status 400 to 499 (including refused requests).',
  },
  {
    name: 'webcasa_plugin_events_emitted_total',
    counter: 'eventsEmitted',
    help: 'Events the plugin emitted on the event bus.',
  },
  {
    name: 'webcasa_plugin_events_handled_total',
    counter: 'eventsHandled',
    help: "Calls of the plugin's event handlers.",
  },
  {
    name: 'webcasa_plugin_event_handler_errors_total',
    counter: 'handlerErrors',
    help: "Calls of the plugin's event handlers that threw or rejected.",
  },
  { name: 'webcasa_plugin_runs_started_total', counter: 'runsStarted', help: 'Runs the plugin started.' },
  {
    name: 'webcasa_plugin_runs_failed_total',
    counter: 'runsFailed',
    help: 'Runs of the plugin that failed.',
  },
];

/**
 * Render every plugin's metrics (and the core's, as `plugin="core"`) in the
 * Prometheus text exposition format 0.0.4. Only known plugin ids appear as
 * label values, so the number of series is bounded by the number of plugins.
 *
 * @example
 * c.body(renderPrometheus(metrics, manager.list()), 200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE });
 */
export function renderPrometheus(
  metrics: MetricsRegistry,
  plugins: readonly PluginMetricsInfo[],
  now: number = Date.now(),
): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) => {
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
  };
  const label = (id: string) => `plugin="${escapeLabelValue(id)}"`;
  const ids = [...reportedPluginIds(metrics, plugins), CORE_ID];

  family('webcasa_plugin_up', 'gauge', 'Whether the plugin is running (1) or not (0).');
  for (const p of plugins) {
    if (p.id !== CORE_ID) lines.push(`webcasa_plugin_up{${label(p.id)}} ${p.status === 'running' ? 1 : 0}`);
  }

  for (const { name, counter, help } of COUNTERS) {
    family(name, 'counter', help);
    for (const id of ids) lines.push(`${name}{${label(id)}} ${num(metrics.get(id)?.[counter] ?? 0)}`);
  }

  const histogram = 'webcasa_plugin_http_request_duration_seconds';
  family(histogram, 'histogram', "Time until the plugin's response was ready, in seconds.");
  for (const id of ids) {
    const c = metrics.get(id);
    const l = label(id);
    let cumulative = 0;
    for (let i = 0; i < BUCKET_COUNT - 1; i++) {
      cumulative += c?.latencyCounts[i] ?? 0;
      lines.push(`${histogram}_bucket{${l},le="${LE[i]}"} ${num(cumulative)}`);
    }
    lines.push(`${histogram}_bucket{${l},le="+Inf"} ${num(c?.requests ?? 0)}`);
    lines.push(`${histogram}_sum{${l}} ${num((c?.latencySumMs ?? 0) / 1000)}`);
    lines.push(`${histogram}_count{${l}} ${num(c?.requests ?? 0)}`);
  }

  family('webcasa_plugin_setup_seconds', 'gauge', "How long the plugin's setup took at its last start.");
  for (const p of plugins) {
    if (p.timings?.setupMs != null)
      lines.push(`webcasa_plugin_setup_seconds{${label(p.id)}} ${num(p.timings.setupMs / 1000)}`);
  }
  family('webcasa_plugin_start_seconds', 'gauge', "How long the plugin's start took at its last start.");
  for (const p of plugins) {
    if (p.timings?.startMs != null)
      lines.push(`webcasa_plugin_start_seconds{${label(p.id)}} ${num(p.timings.startMs / 1000)}`);
  }

  const memory = process.memoryUsage();
  family('process_resident_memory_bytes', 'gauge', 'Resident memory of the panel process, in bytes.');
  lines.push(`process_resident_memory_bytes ${num(memory.rss)}`);
  family('nodejs_heap_size_used_bytes', 'gauge', 'JavaScript heap in use, in bytes.');
  lines.push(`nodejs_heap_size_used_bytes ${num(memory.heapUsed)}`);
  family(
    'process_start_time_seconds',
    'gauge',
    'When the panel process started, in seconds since the epoch.',
  );
  lines.push(`process_start_time_seconds ${num(Math.round(now / 1000 - process.uptime()))}`);
  return `${lines.join('\n')}\n`;
}
