import type { Generated, Kysely, Migration } from 'kysely';
import { average } from './metrics.js';
import type { Metrics } from './types.js';

/** The plugin's tables (all named `plugin_monitor_*`). */
export interface MonitorDatabase {
  /** One row per minute: the average of that minute's samples, as JSON `{ metric: value }`. */
  plugin_monitor_minute: { ts: number; data: string };
  /** One row per hour for history older than `rollupAfterDays`: the average of its minutes. */
  plugin_monitor_hourly: { ts: number; data: string };
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
};

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Rows handled per statement while rolling up, so one pass never holds the shared connection long. */
const BATCH = 2_000;

export async function writeMinute(db: Kysely<MonitorDatabase>, ts: number, metrics: Metrics): Promise<void> {
  await db
    .insertInto('plugin_monitor_minute')
    .values({ ts, data: JSON.stringify(metrics) })
    .onConflict((oc) => oc.column('ts').doUpdateSet({ data: JSON.stringify(metrics) }))
    .execute();
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
      .select(['ts', 'data'])
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
    const hours = new Map<number, Metrics[]>();
    for (const r of complete) {
      const h = Math.floor(r.ts / HOUR) * HOUR;
      const list = hours.get(h) ?? [];
      list.push(JSON.parse(r.data) as Metrics);
      hours.set(h, list);
    }
    const maxTs = complete.at(-1)?.ts ?? 0;
    await db.transaction().execute(async (trx) => {
      for (const [h, list] of hours) {
        const existing = await trx
          .selectFrom('plugin_monitor_hourly')
          .select('data')
          .where('ts', '=', h)
          .executeTakeFirst();
        // An hour rolled up in two passes: weight the earlier average as one more minute list.
        const all = existing ? [JSON.parse(existing.data) as Metrics, ...list] : list;
        const data = JSON.stringify(average(all));
        await trx
          .insertInto('plugin_monitor_hourly')
          .values({ ts: h, data })
          .onConflict((oc) => oc.column('ts').doUpdateSet({ data }))
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

/**
 * Points `[ts, value]` of one metric from `from` to now, from both tables, averaged into at
 * most `maxPoints` buckets so a 30-day chart stays small.
 */
export async function history(
  db: Kysely<MonitorDatabase>,
  metric: string,
  from: number,
  to: number,
  maxPoints = 720,
): Promise<{ points: [number, number][]; step: number }> {
  const [hourly, minute] = await Promise.all([
    db
      .selectFrom('plugin_monitor_hourly')
      .select(['ts', 'data'])
      .where('ts', '>=', from - HOUR)
      .where('ts', '<=', to)
      .orderBy('ts')
      .execute(),
    db
      .selectFrom('plugin_monitor_minute')
      .select(['ts', 'data'])
      .where('ts', '>=', from)
      .where('ts', '<=', to)
      .orderBy('ts')
      .execute(),
  ]);
  const raw: [number, number][] = [];
  for (const r of [...hourly.filter((h) => h.ts + HOUR > from), ...minute]) {
    const v = (JSON.parse(r.data) as Metrics)[metric];
    if (typeof v === 'number') raw.push([r.ts, v]);
  }
  raw.sort((a, b) => a[0] - b[0]);
  const step = Math.max(60_000, Math.ceil((to - from) / maxPoints / 60_000) * 60_000);
  if (raw.length <= maxPoints) return { points: raw, step: 60_000 };
  const buckets = new Map<number, { sum: number; n: number }>();
  for (const [ts, v] of raw) {
    const b = Math.floor(ts / step) * step;
    const cur = buckets.get(b) ?? { sum: 0, n: 0 };
    cur.sum += v;
    cur.n++;
    buckets.set(b, cur);
  }
  const points = [...buckets].map(
    ([ts, { sum, n }]) => [ts, Math.round((sum / n) * 1000) / 1000] as [number, number],
  );
  return { points, step };
}

export { DAY, HOUR };
