import { type Kysely, sql } from 'kysely';

/**
 * Sites (issue 4): one row per site, its domains in `site_domains` so a
 * domain can belong to one site only (the primary key enforces it).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sites')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text')
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('reverse_proxy', 'static', 'redirect', 'php')`),
    )
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('tls', 'text', (c) => c.notNull().check(sql`tls in ('auto', 'internal', 'off', 'custom')`))
    .addColumn('tls_cert', 'text')
    .addColumn('tls_key', 'text')
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('site_domains')
    .addColumn('domain', 'text', (c) => c.primaryKey())
    .addColumn('site_id', 'integer', (c) => c.notNull().references('sites.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('site_domains_site').on('site_domains').column('site_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('site_domains').ifExists().execute();
  await db.schema.dropTable('sites').ifExists().execute();
}
