import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely';
import { WebcasaError } from '../errors.js';
import { coreMigrations } from './migrations/index.js';
import type { CoreDatabase } from './schema.js';
import { SharedSqlite } from './shared-sqlite.js';
import { createTableGuard } from './table-guard.js';

export interface PanelDatabase {
  /** The shared connection; close it through `close()`. */
  readonly shared: SharedSqlite;
  /** The core's unrestricted Kysely instance. */
  readonly core: Kysely<CoreDatabase>;
  /** A Kysely instance that can reach only `plugin_<id>_*` tables. */
  forPlugin(pluginId: string): Kysely<any>;
  /** Apply a plugin's pending migrations, recorded in `plugin_<id>_migrations`. */
  migratePlugin(pluginId: string, migrations: Record<string, Migration>): Promise<MigrationSummary>;
  close(): Promise<void>;
}

export interface MigrationSummary {
  applied: string[];
  /** Names recorded as applied whose code is gone (a downgrade): a warning, not a failure. */
  missing: string[];
}

class StaticMigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

function assertMigrated(owner: string, result: MigrationResultSet): string[] {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    throw new WebcasaError(
      'WEBCASA_MIGRATION_FAILED',
      `${owner}: migration ${failed ?? '(unknown)'} failed: ${(result.error as Error).message ?? result.error}`,
    );
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Open (creating if needed) `<dataDir>/webcasa.db` in WAL mode and apply core migrations.
 */
export async function openDatabase(dataDir: string): Promise<PanelDatabase> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'webcasa.db');
  const shared = new SharedSqlite(file);
  // The database holds password hashes and encrypted secrets: owner only.
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, 0o600);
    } catch {
      // -wal/-shm appear with the first write; SQLite gives them the main file's mode.
    }
  }
  const core = new Kysely<CoreDatabase>({ dialect: shared.dialect('core') });
  const migrator = new Migrator({
    db: core,
    provider: new StaticMigrationProvider(coreMigrations),
    migrationTableName: 'webcasa_migrations',
    migrationLockTableName: 'webcasa_migrations_lock',
    // Migrations from parallel branches may land out of name order.
    allowUnorderedMigrations: true,
  });
  assertMigrated('core', await migrator.migrateToLatest());

  const pluginDbs = new Map<string, Kysely<any>>();
  function forPlugin(pluginId: string): Kysely<any> {
    let db = pluginDbs.get(pluginId);
    if (!db) {
      db = new Kysely<any>({
        dialect: shared.dialect(`plugin ${pluginId}`, createTableGuard(shared.db, pluginId)),
      });
      pluginDbs.set(pluginId, db);
    }
    return db;
  }

  return {
    shared,
    core,
    forPlugin,
    async migratePlugin(pluginId, migrations) {
      const db = forPlugin(pluginId);
      const known = await db.schema
        .createTable(`plugin_${pluginId}_migrations`)
        .ifNotExists()
        .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
        .execute()
        .then(() => db.selectFrom(`plugin_${pluginId}_migrations`).select('name').execute());
      const missing = known.map((r) => r.name as string).filter((name) => !(name in migrations));
      // Kysely refuses to run when an applied migration is gone (a downgrade);
      // standing in a no-op for it keeps the record and applies only what is new.
      const provided: Record<string, Migration> = {};
      for (const name of missing) provided[name] = noop;
      Object.assign(provided, migrations);
      const migrator = new Migrator({
        db,
        provider: new StaticMigrationProvider(provided),
        migrationTableName: `plugin_${pluginId}_migrations`,
        migrationLockTableName: `plugin_${pluginId}_migrations_lock`,
        allowUnorderedMigrations: true,
      });
      const applied = assertMigrated(`plugin ${pluginId}`, await migrator.migrateToLatest());
      shared.clearStatements();
      return { applied, missing };
    },
    async close() {
      await Promise.all([...pluginDbs.values()].map((db) => db.destroy()));
      await core.destroy();
      shared.close();
    },
  };
}

const noop: Migration = { async up() {} };
