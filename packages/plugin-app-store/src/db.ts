import type { PluginMigrations } from '@webcasa/plugin-sdk';
import type { Kysely } from 'kysely';

/**
 * The plugin's tables. The id `app-store` has a hyphen, so the table guard's prefix is
 * `plugin_app-store_` (docs/plugins/database.md); Kysely quotes the names.
 */
export const SOURCES = 'plugin_app-store_sources';
export const INSTALLED = 'plugin_app-store_installed';

export interface SourceRow {
  id: number;
  name: string;
  kind: 'git' | 'local';
  /** The git URL, or the absolute path of a local folder. */
  location: string;
  branch: string | null;
  last_sync_at: number | null;
  last_sync_ok: number | null;
  last_error: string | null;
  last_commit: string | null;
  created_at: number;
}

export type InstalledStatus = 'installing' | 'running' | 'stopped' | 'updating' | 'error' | 'uninstalling';

export interface InstalledRow {
  /** The app's id (one install per app id, as in Runtipi). */
  id: string;
  source_id: number;
  name: string;
  version: string;
  tipi_version: number;
  stack: string;
  status: InstalledStatus;
  /** JSON: the form's values by env variable (random ones as generated). */
  form_values: string;
  domain: string | null;
  tls: string;
  port: number;
  publish: 'all' | 'loopback';
  site_id: number | null;
  /** JSON: safety rule ids the operator accepted for this app. */
  accepted_risks: string;
  /** The compose file last deployed successfully (rollback target). */
  compose: string | null;
  last_error: string | null;
  installed_at: number;
  updated_at: number;
}

export interface AppStoreDatabase {
  'plugin_app-store_sources': SourceRow;
  'plugin_app-store_installed': InstalledRow;
}

export const migrations: PluginMigrations = {
  '001_initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable(SOURCES)
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('location', 'text', (c) => c.notNull().unique())
        .addColumn('branch', 'text')
        .addColumn('last_sync_at', 'integer')
        .addColumn('last_sync_ok', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_commit', 'text')
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable(INSTALLED)
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('source_id', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('tipi_version', 'integer', (c) => c.notNull())
        .addColumn('stack', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('form_values', 'text', (c) => c.notNull())
        .addColumn('domain', 'text')
        .addColumn('tls', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('publish', 'text', (c) => c.notNull())
        .addColumn('site_id', 'integer')
        .addColumn('accepted_risks', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('compose', 'text')
        .addColumn('last_error', 'text')
        .addColumn('installed_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
    },
  },
};
