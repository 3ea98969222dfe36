import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';

/** Names of a plugin's tables (`plugin_<id>_*`). */
export function pluginTables(db: Database.Database, pluginId: string): string[] {
  const prefix = `plugin_${pluginId}_`;
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[]
  )
    .map((r) => r.name)
    .filter((name) => name.startsWith(prefix));
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Write every `plugin_<id>_*` table (its `CREATE` statement and rows) to
 * `<dataDir>/backups/plugins/<id>-<time>.json`. Returns the file, or
 * undefined when the plugin has no tables.
 */
export function backupPluginTables(
  db: Database.Database,
  dataDir: string,
  pluginId: string,
): string | undefined {
  const tables = pluginTables(db, pluginId);
  if (tables.length === 0) return undefined;
  const dump = {
    plugin: pluginId,
    createdAt: new Date().toISOString(),
    tables: tables.map((name) => ({
      name,
      sql: (db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(name) as { sql: string }).sql,
      rows: db.prepare(`SELECT * FROM ${quote(name)}`).all(),
    })),
  };
  const dir = join(dataDir, 'backups', 'plugins');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${pluginId}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  // Temp file + rename: a crash mid-write never leaves a truncated backup under the real name.
  const tmp = `${file}.tmp`;
  writeFileSync(
    tmp,
    JSON.stringify(dump, (_k, v) => (Buffer.isBuffer(v) ? v.toString('base64') : v)),
    { mode: 0o600 },
  );
  renameSync(tmp, file);
  return file;
}

/** Drop every `plugin_<id>_*` table in one transaction. */
export function dropPluginTables(db: Database.Database, pluginId: string): string[] {
  const tables = pluginTables(db, pluginId);
  db.transaction(() => {
    for (const name of tables) db.prepare(`DROP TABLE IF EXISTS ${quote(name)}`).run();
  })();
  return tables;
}
