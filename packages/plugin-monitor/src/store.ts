import { type Generated, type Kysely, type Migration, sql } from 'kysely';
import { average, peaks } from './metrics.js';
import type { RuleState, StateChange } from './rules.js';
import type { Metrics } from './types.js';

/** The plugin's tables (all named `plugin_monitor_*`). */
export interface MonitorDatabase {
  /**
   * One row per minute: the average of that minute's samples, as JSON `{ metric: value }`;
   * `min_data`/`max_data` hold the lowest/highest sample only of metrics where it differs from
   * the average (null or a missing key: equal to the average), so a steady metric costs nothing.
   */
  plugin_monitor_minute: { ts: number; data: string; min_data: string | null; max_data: string | null };
  /**
   * One row per hour for history older than `rollupAfterDays`: the average of its minutes in
   * `data`, the lowest and highest value of the hour in `min_data`/`max_data` (rows from before
   * migration 004 got min = max = average).
   */
  plugin_monitor_hourly: { ts: number; data: string; min_data: string | null; max_data: string | null };
  plugin_monitor_rules: {
    id: Generated<number>;
    name: string;
    metric: string;
    comparison: string;
    threshold: number;
    duration_seconds: number;
    hysteresis: number;
    enabled: number;
    created_at: number;
  };
  /**
   * The alert engine's state per rule, written on transitions only (pending began or ended,
   * fired, resolved), so a restart neither fires a firing alert again nor forgets a pending
   * duration. `rule_key` is the condition the state belongs to (see `ruleKey`).
   */
  plugin_monitor_rule_state: {
    rule_id: number;
    rule_key: string;
    pending_since: number | null;
    firing: number;
    fired_at: number | null;
    last_value: number | null;
    updated_at: number;
  };
  plugin_monitor_alerts: {
    id: Generated<number>;
    rule_id: number;
    rule_name: string;
    metric: string;
    kind: string;
    value: number;
    at: number;
  };
}

/** A migration that adds one nullable text column. */
const addColumn = (table: string, column: string): Migration => ({
  async up(db) {
    await db.schema.alterTable(table).addColumn(column, 'text').execute();
  },
});

export const migrations: Record<string, Migration> = {
  '001_history': {
    async up(db) {
      for (const table of ['plugin_monitor_minute', 'plugin_monitor_hourly']) {
        await db.schema
          .createTable(table)
          .addColumn('ts', 'integer', (c) => c.primaryKey())
          .addColumn('data', 'text', (c) => c.notNull())
          .execute();
      }
    },
  },
  '002_rules': {
    async up(db) {
      await db.schema
        .createTable('plugin_monitor_rules')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('comparison', 'text', (c) => c.notNull())
        .addColumn('threshold', 'real', (c) => c.notNull())
        .addColumn('duration_seconds', 'integer', (c) => c.notNull())
        .addColumn('hysteresis', 'real', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('plugin_monitor_alerts')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('rule_id', 'integer', (c) => c.notNull())
        .addColumn('rule_name', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'real', (c) => c.notNull())
        .addColumn('at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('plugin_monitor_alerts_at')
        .on('plugin_monitor_alerts')
        .column('at')
        .execute();
    },
  },
  '003_rule_state': {
    async up(db) {
      await db.schema
        .createTable('plugin_monitor_rule_state')
        .addColumn('rule_id', 'integer', (c) => c.primaryKey())
        .addColumn('rule_key', 'text', (c) => c.notNull())
        .addColumn('pending_since', 'integer')
        .addColumn('firing', 'integer', (c) => c.notNull())
        .addColumn('fired_at', 'integer')
        .addColumn('last_value', 'real')
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  // Peaks: one column per migration, so a migration that fails halfway can simply run again.
  '004_minute_min': addColumn('plugin_monitor_minute', 'min_data'),
  '005_minute_max': addColumn('plugin_monitor_minute', 'max_data'),
  '006_hourly_min': addColumn('plugin_monitor_hourly', 'min_data'),
  '007_hourly_max': addColumn('plugin_monitor_hourly', 'max_data'),
  '008_hourly_peaks_of_old_rows': {
    async up(db) {
      // Hours rolled up before peaks were kept: min = max = average, the best that is known.
      await (db as Kysely<MonitorDatabase>)
        .updateTable('plugin_monitor_hourly')
        .set({ min_data: sql<string>`data`, max_data: sql<string>`data` })
        .where('min_data', 'is', null)
        .execute();
    },
  },
};

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Rows handled per statement while rolling up, so one pass never holds the shared connection long. */
const BATCH = 2_000;

/** Only the keys of `extreme` whose value differs from the average (JSON, or null when none do). */
function deviations(avg: Metrics, extreme: Metrics): string | null {
  const out: Metrics = {};
  let any = false;
  for (const [k, v] of Object.entries(extreme)) {
    if (avg[k] !== v) {
      out[k] = v;
      any = true;
    }
  }
  return any ? JSON.stringify(out) : null;
}

/** Writes one minute from its samples: their average, and their lowest and highest values. */
export async function writeMinute(
  db: Kysely<MonitorDatabase>,
  ts: number,
  samples: Metrics[],
): Promise<void> {
  const avg = average(samples);
  const { min, max } = peaks(samples.map((m) => ({ avg: m })));
  const row = { data: JSON.stringify(avg), min_data: deviations(avg, min), max_data: deviations(avg, max) };
  await db
    .insertInto('plugin_monitor_minute')
    .values({ ts, ...row })
    .onConflict((oc) => oc.column('ts').doUpdateSet(row))
    .execute();
}

/** A stored row's average, lowest and highest values (missing peaks: equal to the average). */
function readRow(r: { data: string; min_data: string | null; max_data: string | null }): {
  avg: Metrics;
  min: Metrics;
  max: Metrics;
} {
  const avg = JSON.parse(r.data) as Metrics;
  return {
    avg,
    min: { ...avg, ...(r.min_data ? (JSON.parse(r.min_data) as Metrics) : {}) },
    max: { ...avg, ...(r.max_data ? (JSON.parse(r.max_data) as Metrics) : {}) },
  };
}

/** Saves the engine's state changes in one transaction (deleting the state of dropped rules). */
export async function saveRuleStates(
  db: Kysely<MonitorDatabase>,
  changes: StateChange[],
  keyOf: (ruleId: number) => string | undefined,
  now: number,
): Promise<void> {
  if (changes.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const { ruleId, state } of changes) {
      const key = keyOf(ruleId);
      if (!state || key === undefined) {
        await trx.deleteFrom('plugin_monitor_rule_state').where('rule_id', '=', ruleId).execute();
        continue;
      }
      const row = {
        rule_key: key,
        pending_since: state.pendingSince,
        firing: state.firing ? 1 : 0,
        fired_at: state.firedAt,
        last_value: state.lastValue,
        updated_at: now,
      };
      await trx
        .insertInto('plugin_monitor_rule_state')
        .values({ rule_id: ruleId, ...row })
        .onConflict((oc) => oc.column('rule_id').doUpdateSet(row))
        .execute();
    }
  });
}

/** The saved states whose condition still matches the rule's (`keyOf`); stale ones are skipped. */
export async function loadRuleStates(
  db: Kysely<MonitorDatabase>,
  keyOf: (ruleId: number) => string | undefined,
): Promise<StateChange[]> {
  const rows = await db.selectFrom('plugin_monitor_rule_state').selectAll().execute();
  return rows
    .filter((r) => keyOf(r.rule_id) === r.rule_key)
    .map((r) => ({
      ruleId: r.rule_id,
      state: {
        pendingSince: r.pending_since,
        firing: r.firing === 1,
        firedAt: r.fired_at,
        lastValue: r.last_value,
      } satisfies RuleState,
    }));
}

export interface MaintenanceResult {
  rolledUpMinutes: number;
  hoursWritten: number;
  deletedHours: number;
  deletedMinutes: number;
}

/**
 * Rolls per-minute rows older than `rollupAfterDays` into hourly averages and deletes history
 * older than `retentionDays`. Only whole hours before the cut-off are rolled up. Bounded: at
 * most 200 batches per call; the next call continues.
 */
export async function maintain(
  db: Kysely<MonitorDatabase>,
  now: number,
  options: { rollupAfterDays: number; retentionDays: number },
): Promise<MaintenanceResult> {
  const result: MaintenanceResult = {
    rolledUpMinutes: 0,
    hoursWritten: 0,
    deletedHours: 0,
    deletedMinutes: 0,
  };
  const keepFrom = now - options.retentionDays * DAY;
  const rollupBefore = Math.floor((now - options.rollupAfterDays * DAY) / HOUR) * HOUR;

  const oldMinutes = await db
    .deleteFrom('plugin_monitor_minute')
    .where('ts', '<', keepFrom)
    .executeTakeFirst();
  result.deletedMinutes = Number(oldMinutes.numDeletedRows);

  for (let pass = 0; pass < 200; pass++) {
    const rows = await db
      .selectFrom('plugin_monitor_minute')
      .select(['ts', 'data', 'min_data', 'max_data'])
      .where('ts', '<', rollupBefore)
      .orderBy('ts')
      .limit(BATCH)
      .execute();
    if (rows.length === 0) break;
    // Only hours whose minutes are all in this batch, unless the batch holds a single hour.
    const lastHour = Math.floor((rows.at(-1)?.ts ?? 0) / HOUR) * HOUR;
    const firstHour = Math.floor((rows[0]?.ts ?? 0) / HOUR) * HOUR;
    const complete =
      rows.length < BATCH || firstHour === lastHour ? rows : rows.filter((r) => r.ts < lastHour);
    const hours = new Map<number, ReturnType<typeof readRow>[]>();
    for (const r of complete) {
      const h = Math.floor(r.ts / HOUR) * HOUR;
      const list = hours.get(h) ?? [];
      list.push(readRow(r));
      hours.set(h, list);
    }
    const maxTs = complete.at(-1)?.ts ?? 0;
    await db.transaction().execute(async (trx) => {
      for (const [h, list] of hours) {
        const existing = await trx
          .selectFrom('plugin_monitor_hourly')
          .select(['data', 'min_data', 'max_data'])
          .where('ts', '=', h)
          .executeTakeFirst();
        // An hour rolled up in two passes: weight the earlier average as one more minute list.
        const all = existing ? [readRow(existing), ...list] : list;
        const { min, max } = peaks(all);
        const row = {
          data: JSON.stringify(average(all.map((m) => m.avg))),
          min_data: JSON.stringify(min),
          max_data: JSON.stringify(max),
        };
        await trx
          .insertInto('plugin_monitor_hourly')
          .values({ ts: h, ...row })
          .onConflict((oc) => oc.column('ts').doUpdateSet(row))
          .execute();
      }
      await trx.deleteFrom('plugin_monitor_minute').where('ts', '<=', maxTs).execute();
    });
    result.rolledUpMinutes += complete.length;
    result.hoursWritten += hours.size;
  }

  const oldHours = await db.deleteFrom('plugin_monitor_hourly').where('ts', '<', keepFrom).executeTakeFirst();
  result.deletedHours = Number(oldHours.numDeletedRows);
  return result;
}

/** Which value of each point history answers: the average, the lowest, the highest, or all three. */
export type Aggregate = 'avg' | 'min' | 'max' | 'all';

export interface HistoryResult {
  /** `[ts, value]` of the requested aggregate (`all`: the average). */
  points: [number, number][];
  /** With `all`: `[ts, lowest]` and `[ts, highest]`, aligned with `points`. */
  min?: [number, number][];
  max?: [number, number][];
  step: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Points of one metric from `from` to `to`, from both tables, merged into at most `maxPoints`
 * buckets so a 30-day chart stays small: a bucket's average is the mean of its rows' averages,
 * its lowest the lowest of their minimums and its highest the highest of their maximums, so a
 * short spike survives both the hourly roll-up and the bucketing.
 */
export async function history(
  db: Kysely<MonitorDatabase>,
  metric: string,
  from: number,
  to: number,
  options: { maxPoints?: number; agg?: Aggregate } = {},
): Promise<HistoryResult> {
  const maxPoints = options.maxPoints ?? 720;
  const agg = options.agg ?? 'avg';
  const columns = ['ts', 'data', 'min_data', 'max_data'] as const;
  const [hourly, minute] = await Promise.all([
    db
      .selectFrom('plugin_monitor_hourly')
      .select(columns)
      .where('ts', '>=', from - HOUR)
      .where('ts', '<=', to)
      .orderBy('ts')
      .execute(),
    db
      .selectFrom('plugin_monitor_minute')
      .select(columns)
      .where('ts', '>=', from)
      .where('ts', '<=', to)
      .orderBy('ts')
      .execute(),
  ]);
  const raw: { ts: number; avg: number; min: number; max: number }[] = [];
  for (const r of [...hourly.filter((h) => h.ts + HOUR > from), ...minute]) {
    const row = readRow(r);
    const v = row.avg[metric];
    if (typeof v !== 'number') continue;
    raw.push({ ts: r.ts, avg: v, min: row.min[metric] ?? v, max: row.max[metric] ?? v });
  }
  raw.sort((a, b) => a.ts - b.ts);
  let step = 60_000;
  let merged = raw;
  if (raw.length > maxPoints) {
    step = Math.max(60_000, Math.ceil((to - from) / maxPoints / 60_000) * 60_000);
    const buckets = new Map<number, { sum: number; n: number; min: number; max: number }>();
    for (const p of raw) {
      const b = Math.floor(p.ts / step) * step;
      const cur = buckets.get(b) ?? { sum: 0, n: 0, min: p.min, max: p.max };
      cur.sum += p.avg;
      cur.n++;
      cur.min = Math.min(cur.min, p.min);
      cur.max = Math.max(cur.max, p.max);
      buckets.set(b, cur);
    }
    merged = [...buckets].map(([ts, b]) => ({ ts, avg: round3(b.sum / b.n), min: b.min, max: b.max }));
  }
  const pick = (key: 'avg' | 'min' | 'max') => merged.map((p) => [p.ts, p[key]] as [number, number]);
  if (agg === 'all') return { points: pick('avg'), min: pick('min'), max: pick('max'), step };
  return { points: pick(agg), step };
}

export { DAY, HOUR };
