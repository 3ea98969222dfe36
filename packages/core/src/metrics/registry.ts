import { BUCKET_COUNT, bucketIndex } from './histogram.js';

/** The host's own counters, and those of anything that is not a known plugin. */
export const CORE_ID = 'core';

/** Names of the per-plugin counters, in the order samples and exports list them. */
export const COUNTER_NAMES = [
  'requests',
  'errors',
  'clientErrors',
  'eventsEmitted',
  'eventsHandled',
  'handlerErrors',
  'runsStarted',
  'runsFailed',
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];

/** One plugin's counters since the registry was created (read-only view). */
export type PluginCounters = { readonly [K in CounterName]: number } & {
  /** Requests per latency bucket (see `LATENCY_BOUNDS_MS`); the last bucket is the overflow. */
  readonly latencyCounts: Readonly<Float64Array>;
  /** Sum of all request durations, in ms. */
  readonly latencySumMs: number;
  /** Slowest request, in ms (0 before the first). */
  readonly latencyMaxMs: number;
};

/** How a run ended, as `RunInfo.status` says; `started` when it began. */
export type RunOutcome = 'started' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/**
 * Per-plugin counters and latency histograms. Recording is O(1) with no
 * allocation once a plugin has its counters; memory is fixed per plugin, and
 * only known plugin ids get counters — anything else counts under `core`.
 */
export interface MetricsRegistry {
  /** When the counters started (epoch ms). */
  readonly since: number;
  /** A request to a plugin's routes ended with `status` after `durationMs`. Status ≥ 500 is an error, 4xx a client error. */
  recordRequest(pluginId: string, status: number, durationMs: number): void;
  /** `source` emitted an event. */
  recordEvent(source: string): void;
  /** A handler registered by `subscriber` was called. */
  recordHandled(subscriber: string): void;
  /** A handler registered by `subscriber` threw or rejected. */
  recordHandlerError(subscriber: string): void;
  /** A run of `pluginId` started or ended. */
  recordRun(pluginId: string, outcome: RunOutcome): void;
  /** The counters of a plugin (or `core`), or undefined when it has none yet. */
  get(id: string): PluginCounters | undefined;
  /** Ids that have counters: `core` first, then plugins in the order they were first seen. */
  ids(): string[];
}

export interface MetricsRegistryOptions {
  /**
   * Whether `id` is a plugin the panel knows; others count under `core`, so a
   * caller cannot create counters for made-up ids. Default: any id.
   * @example isKnown: (id) => manager.manifestOf(id) !== undefined
   */
  isKnown?: (id: string) => boolean;
  /** Hard cap on the number of plugins with counters; later ones count under `core`. Default 1000. */
  maxPlugins?: number;
  /** Clock (epoch ms), for `since`. */
  now?: () => number;
}

class Counters {
  requests = 0;
  errors = 0;
  clientErrors = 0;
  eventsEmitted = 0;
  eventsHandled = 0;
  handlerErrors = 0;
  runsStarted = 0;
  runsFailed = 0;
  readonly latencyCounts = new Float64Array(BUCKET_COUNT);
  latencySumMs = 0;
  latencyMaxMs = 0;
}

class Registry implements MetricsRegistry {
  readonly since: number;
  private readonly byId = new Map<string, Counters>();
  private readonly core = new Counters();
  private readonly isKnown: (id: string) => boolean;
  private readonly maxPlugins: number;

  constructor(options: MetricsRegistryOptions) {
    this.since = (options.now ?? Date.now)();
    this.isKnown = options.isKnown ?? (() => true);
    this.maxPlugins = options.maxPlugins ?? 1000;
    this.byId.set(CORE_ID, this.core);
  }

  private counters(id: string): Counters {
    return this.byId.get(id) ?? this.admit(id);
  }

  // Unknown ids are not remembered (that would grow without bound): they ask again next time,
  // so a plugin installed later gets its own counters from its first request.
  private admit(id: string): Counters {
    if (this.byId.size > this.maxPlugins || !this.isKnown(id)) return this.core;
    const counters = new Counters();
    this.byId.set(id, counters);
    return counters;
  }

  recordRequest(pluginId: string, status: number, durationMs: number): void {
    const c = this.counters(pluginId);
    c.requests++;
    if (status >= 500) c.errors++;
    else if (status >= 400) c.clientErrors++;
    // biome-ignore lint/complexity/useMathMinMax: Math.max(NaN, 0) is NaN; this makes NaN 0.
    const ms = durationMs > 0 ? durationMs : 0;
    c.latencyCounts[bucketIndex(ms)]!++;
    c.latencySumMs += ms;
    if (ms > c.latencyMaxMs) c.latencyMaxMs = ms;
  }

  recordEvent(source: string): void {
    this.counters(source).eventsEmitted++;
  }

  recordHandled(subscriber: string): void {
    this.counters(subscriber).eventsHandled++;
  }

  recordHandlerError(subscriber: string): void {
    this.counters(subscriber).handlerErrors++;
  }

  recordRun(pluginId: string, outcome: RunOutcome): void {
    if (outcome === 'started') this.counters(pluginId).runsStarted++;
    else if (outcome === 'failed') this.counters(pluginId).runsFailed++;
  }

  get(id: string): PluginCounters | undefined {
    return this.byId.get(id);
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }
}

/**
 * Create the metrics registry. Feed it with {@link pluginRequestMetrics},
 * {@link attachBusMetrics} and {@link attachRunMetrics}, or call the
 * `record…` methods directly.
 *
 * @example
 * const metrics = createMetricsRegistry({ isKnown: (id) => manager.manifestOf(id) !== undefined });
 * metrics.recordRequest('docker', 200, 3.2);
 * metrics.get('docker')?.requests; // 1
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): MetricsRegistry {
  return new Registry(options);
}
