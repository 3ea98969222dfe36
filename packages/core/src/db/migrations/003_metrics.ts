import type { Kysely } from 'kysely';

/** Per-minute metric samples of each plugin (and `core`), kept for 7 days by the sampler. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('metric_samples')
    .addColumn('plugin', 'text', (c) => c.notNull())
    .addColumn('time', 'integer', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('client_errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('latency_p50', 'real')
    .addColumn('latency_p90', 'real')
    .addColumn('latency_p99', 'real')
    .addColumn('events_emitted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('events_handled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('handler_errors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('runs_started', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('runs_failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('metric_samples_pk', ['plugin', 'time'])
    .execute();
  // Pruning deletes by time alone.
  await db.schema.createIndex('metric_samples_time').on('metric_samples').column('time').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('metric_samples').ifExists().execute();
}
