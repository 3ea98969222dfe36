import type { Kysely } from 'kysely';
import type { CoreDatabase } from '../db/schema.js';
import type { SecretBox } from './secrets.js';

export interface SettingEntry {
  key: string;
  value: unknown;
  secret: boolean;
}

/**
 * The settings KV (`core.<key>`, `plugin.<id>.<key>`). Values are JSON; secret
 * values are encrypted before they reach SQLite. Reads come from a cache that
 * every write updates, so hot paths (plugin config reads) never wait on the
 * database lock. Writes of several keys are one transaction: a crash leaves
 * either all old or all new values.
 */
export interface SettingsStore {
  get(key: string): Promise<unknown>;
  /** Every entry whose key starts with `prefix`, decrypted. */
  list(prefix: string): Promise<SettingEntry[]>;
  set(key: string, value: unknown, options?: { secret?: boolean }): Promise<void>;
  /** Write several keys atomically; `undefined` values delete the key. */
  setMany(entries: { key: string; value: unknown; secret?: boolean }[]): Promise<void>;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<void>;
}

export function createSettingsStore(db: Kysely<CoreDatabase>, secrets: SecretBox): SettingsStore {
  let cache: Map<string, SettingEntry> | undefined;

  async function load(): Promise<Map<string, SettingEntry>> {
    if (cache) return cache;
    const rows = await db.selectFrom('settings').select(['key', 'value', 'secret']).execute();
    const next = new Map<string, SettingEntry>();
    for (const row of rows) {
      const text = row.secret ? secrets.decrypt(row.value) : row.value;
      next.set(row.key, { key: row.key, value: JSON.parse(text), secret: row.secret === 1 });
    }
    cache ??= next;
    return cache;
  }

  async function setMany(entries: { key: string; value: unknown; secret?: boolean }[]): Promise<void> {
    const map = await load();
    const now = Date.now();
    await db.transaction().execute(async (trx) => {
      for (const { key, value, secret } of entries) {
        if (value === undefined) {
          await trx.deleteFrom('settings').where('key', '=', key).execute();
          continue;
        }
        const text = JSON.stringify(value);
        const stored = secret ? secrets.encrypt(text) : text;
        await trx
          .insertInto('settings')
          .values({ key, value: stored, secret: secret ? 1 : 0, updated_at: now })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: stored, secret: secret ? 1 : 0, updated_at: now }))
          .execute();
      }
    });
    // Only after the commit: a failed transaction leaves the cache as the database is.
    for (const { key, value, secret } of entries) {
      if (value === undefined) map.delete(key);
      else map.set(key, { key, value: structuredClone(value), secret: !!secret });
    }
  }

  return {
    async get(key) {
      const entry = (await load()).get(key);
      return entry === undefined ? undefined : structuredClone(entry.value);
    },
    async list(prefix) {
      const out: SettingEntry[] = [];
      for (const entry of (await load()).values()) {
        if (entry.key.startsWith(prefix)) out.push({ ...entry, value: structuredClone(entry.value) });
      }
      return out.sort((a, b) => a.key.localeCompare(b.key));
    },
    set: (key, value, options) => setMany([{ key, value, secret: options?.secret }]),
    setMany,
    async delete(key) {
      await setMany([{ key, value: undefined }]);
    },
    async deletePrefix(prefix) {
      const keys = (await this.list(prefix)).map((e) => e.key);
      if (keys.length) await setMany(keys.map((key) => ({ key, value: undefined })));
    },
  };
}
