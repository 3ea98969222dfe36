import type { Insertable, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { CoreDatabase, MetricSamplesTable } from '../db/schema.js';
import { BUCKET_COUNT, estimateQuantile } from './histogram.js';
import {
  CORE_ID,
  COUNTER_NAMES,
  type CounterName,
  type MetricsRegistry,
  type PluginCounters,
} from './registry.js';
import type { PluginMetricsInfo } from './snapshot.js';

export const MINUTE_MS = 60_000;
/** How long samples are kept by default: 7 days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * MINUTE_MS;

/** Rows per INSERT: well under SQLite's limit of bound variables. */
const INSERT_CHUNK = 500;

export interface MetricsSamplerOptions {
  metrics: MetricsRegistry;
  db: Kysely<CoreDatabase>;
  /** Running plugins get a row every minute even when idle (`() => manager.list()`). */
  plugins?: () => readonly PluginMetricsInfo[];
  /** Samples older than this are deleted. Default 7 days. */
  retentionMs?: number;
  /** Clock (epoch ms), injectable for tests. */
  now?: () => number;
  /** A failed write or prune; the sampler carries on. */
  onError?: (error: unknown) => void;
}

/** Writes one `metric_samples` row per plugin per minute and prunes old ones. */
export interface MetricsSampler {
  /** Sample at every minute boundary until `stop()`. The timer does not keep the process alive. */
  start(): void;
  /**
   * Write the increase of every plugin's counters since the last sample under
   * the minute that just ended, then prune. The timer calls it; tests call it
   * with an injected clock. Resolves with the number of rows written.
   */
  sample(): Promise<number>;
  /** Delete samples older than the retention. Resolves with how many. */
  prune(): Promise<number>;
  /** Stop the timer and write what the current, unfinished minute has counted so far. */
  stop(): Promise<void>;
}

type SampleRow = Insertable<MetricSamplesTable>;

/** What was counted when a plugin was last sampled. */
interface Baseline {
  counters: Float64Array;
  latency: Float64Array;
}

function current(c: PluginCounters | undefined): Baseline {
  const counters = new Float64Array(COUNTER_NAMES.length);
  const latency = new Float64Array(BUCKET_COUNT);
  if (c) {
    for (let i = 0; i < COUNTER_NAMES.length; i++) counters[i] = c[COUNTER_NAMES[i]!];
    latency.set(c.latencyCounts);
  }
  return { counters, latency };
}

const minuteStart = (time: number) => Math.floor(time / MINUTE_MS) * MINUTE_MS;

/**
 * Create the per-minute sampler of `metrics` into the `metric_samples` table.
 * Each row holds one minute's increase of a plugin's counters and the latency
 * percentiles of that minute's requests. A second write for the same plugin
 * and minute (a restart within the minute) adds to the row.
 *
 * @example
 * const sampler = createMetricsSampler({ metrics, db: db.core, plugins: () => manager.list() });
 * sampler.start();
 * // at shutdown, before closing the database:
 * await sampler.stop();
 */
export function createMetricsSampler(options: MetricsSamplerOptions): MetricsSampler {
  const { metrics, db } = options;
  const now = options.now ?? (() => Date.now());
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const onError = options.onError ?? (() => {});
  const baselines = new Map<string, Baseline>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  // Samples are written one at a time, so two never read the same baseline.
  let queue: Promise<unknown> = Promise.resolve();

  function serial<T>(work: () => Promise<T>): Promise<T> {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  }

  function rowsFor(time: number): { rows: SampleRow[]; next: Map<string, Baseline> } {
    const active = new Set<string>([CORE_ID]);
    for (const p of options.plugins?.() ?? []) if (p.status === 'running') active.add(p.id);
    const ids = new Set([...active, ...metrics.ids()]);
    const rows: SampleRow[] = [];
    const next = new Map<string, Baseline>();
    const delta = new Float64Array(BUCKET_COUNT);
    for (const id of ids) {
      const c = metrics.get(id);
      const cur = current(c);
      const before = baselines.get(id);
      const d = {} as Record<CounterName, number>;
      let changed = false;
      for (let i = 0; i < COUNTER_NAMES.length; i++) {
        const name = COUNTER_NAMES[i]!;
        d[name] = cur.counters[i]! - (before?.counters[i] ?? 0);
        if (d[name] !== 0) changed = true;
      }
      next.set(id, cur);
      if (!changed && !active.has(id)) continue;
      const row: SampleRow = {
        plugin: id,
        time,
        requests: d.requests,
        errors: d.errors,
        client_errors: d.clientErrors,
        events_emitted: d.eventsEmitted,
        events_handled: d.eventsHandled,
        handler_errors: d.handlerErrors,
        runs_started: d.runsStarted,
        runs_failed: d.runsFailed,
        latency_p50: null,
        latency_p90: null,
        latency_p99: null,
      };
      if (row.requests > 0) {
        for (let i = 0; i < BUCKET_COUNT; i++) delta[i] = cur.latency[i]! - (before?.latency[i] ?? 0);
        // The slowest request ever caps the estimate: the minute's own maximum is not kept.
        row.latency_p50 = estimateQuantile(delta, 0.5, c?.latencyMaxMs);
        row.latency_p90 = estimateQuantile(delta, 0.9, c?.latencyMaxMs);
        row.latency_p99 = estimateQuantile(delta, 0.99, c?.latencyMaxMs);
      }
      rows.push(row);
    }
    return { rows, next };
  }

  // One transaction: a failure leaves nothing written, so the next sample can carry the counts.
  function write(rows: SampleRow[]): Promise<void> {
    return db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await trx
          .insertInto('metric_samples')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .onConflict((oc) =>
            oc.columns(['plugin', 'time']).doUpdateSet({
              requests: sql`requests + excluded.requests`,
              errors: sql`errors + excluded.errors`,
              client_errors: sql`client_errors + excluded.client_errors`,
              events_emitted: sql`events_emitted + excluded.events_emitted`,
              events_handled: sql`events_handled + excluded.events_handled`,
              handler_errors: sql`handler_errors + excluded.handler_errors`,
              runs_started: sql`runs_started + excluded.runs_started`,
              runs_failed: sql`runs_failed + excluded.runs_failed`,
              // Two parts of one minute: the larger percentile (max() of a null is null in SQLite).
              latency_p50: sql`coalesce(max(latency_p50, excluded.latency_p50), latency_p50, excluded.latency_p50)`,
              latency_p90: sql`coalesce(max(latency_p90, excluded.latency_p90), latency_p90, excluded.latency_p90)`,
              latency_p99: sql`coalesce(max(latency_p99, excluded.latency_p99), latency_p99, excluded.latency_p99)`,
            }),
          )
          .execute();
      }
    });
  }

  function sampleAt(time: number): Promise<number> {
    return serial(async () => {
      const { rows, next } = rowsFor(time);
      await write(rows);
      // Only after the write: a failed one leaves its counts for the next sample.
      for (const [id, baseline] of next) baselines.set(id, baseline);
      return rows.length;
    });
  }

  async function prune(): Promise<number> {
    const result = await db
      .deleteFrom('metric_samples')
      .where('time', '<', now() - retentionMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // The minute that just ended: the timer fires just after a boundary, and
  // half a minute back lands in that minute even if the timer drifts.
  const endedMinute = () => minuteStart(now() - MINUTE_MS / 2);

  async function tick(): Promise<void> {
    timer = undefined;
    try {
      await sampleAt(endedMinute());
      await prune();
    } catch (error) {
      onError(error);
    }
    if (running) schedule();
  }

  function schedule(): void {
    const delay = MINUTE_MS - (now() % MINUTE_MS) + 100;
    timer = setTimeout(() => void tick(), delay);
    timer.unref?.();
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    async sample() {
      const written = await sampleAt(endedMinute());
      await prune();
      return written;
    },
    prune,
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      try {
        await sampleAt(minuteStart(now()));
      } catch (error) {
        onError(error);
      }
    },
  };
}
