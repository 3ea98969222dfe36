import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type PanelDatabase } from './database.js';

let dir: string;
let db: PanelDatabase;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-db-'));
  db = await openDatabase(dir);
  const now = Date.now();
  await db.core
    .insertInto('users')
    .values({
      username: 'root',
      password_hash: 'secret-hash',
      role: 'admin',
      created_at: now,
      updated_at: now,
    })
    .execute();
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const itemsMigration = {
  '001_items': {
    async up(k: any) {
      await k.schema
        .createTable('plugin_demo_items')
        .addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement())
        .addColumn('name', 'text', (c: any) => c.notNull())
        .execute();
      await k.schema.createIndex('plugin_demo_items_name').on('plugin_demo_items').column('name').execute();
    },
  },
};

describe('openDatabase', () => {
  it('uses WAL and applies core migrations', async () => {
    expect(db.shared.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = await db.core.introspection.getTables();
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['users', 'sessions', 'settings', 'runs']),
    );
  });

  it('plugin migrations are recorded per plugin and run once', async () => {
    const first = await db.migratePlugin('demo', itemsMigration);
    expect(first.applied).toEqual(['001_items']);
    const second = await db.migratePlugin('demo', itemsMigration);
    expect(second.applied).toEqual([]);
    const pdb = db.forPlugin('demo');
    await pdb.insertInto('plugin_demo_items').values({ name: 'a' }).execute();
    const rows = await pdb.selectFrom('plugin_demo_items').selectAll().execute();
    expect(rows).toEqual([{ id: 1, name: 'a' }]);
  });

  it('a downgraded plugin whose applied migration is gone warns instead of failing', async () => {
    await db.migratePlugin('demo', {
      ...itemsMigration,
      '002_extra': {
        async up(k: any) {
          await k.schema.alterTable('plugin_demo_items').addColumn('x', 'text').execute();
        },
      },
    });
    const result = await db.migratePlugin('demo', itemsMigration);
    expect(result.missing).toEqual(['002_extra']);
  });
});

describe('migration failures', () => {
  it('roll back the whole batch: no table of a half-applied migration remains', async () => {
    await expect(
      db.migratePlugin('demo', {
        '001_ok': {
          async up(k: any) {
            await k.schema.createTable('plugin_demo_first').addColumn('id', 'integer').execute();
          },
        },
        '002_broken': {
          async up(k: any) {
            await k.schema.createTable('plugin_demo_second').addColumn('id', 'integer').execute();
            await k.schema.createTable('plugin_demo_second').addColumn('id', 'integer').execute();
          },
        },
      }),
    ).rejects.toThrow(/002_broken failed/);
    const tables = (await db.core.introspection.getTables()).map((t) => t.name);
    expect(tables).not.toContain('plugin_demo_first');
    expect(tables).not.toContain('plugin_demo_second');
    const applied = await db.forPlugin('demo').selectFrom('plugin_demo_migrations').select('name').execute();
    expect(applied).toEqual([]);
  });
});

describe('plugin table guard', () => {
  beforeEach(async () => {
    await db.migratePlugin('demo', itemsMigration);
  });

  it('refuses a plugin reading core tables through the query builder', async () => {
    const pdb = db.forPlugin('demo');
    await expect(pdb.selectFrom('users').selectAll().execute()).rejects.toThrow(/outside its own tables/);
    await expect(
      pdb
        .selectFrom('plugin_demo_items')
        .innerJoin('users', 'users.id', 'plugin_demo_items.id')
        .selectAll()
        .execute(),
    ).rejects.toThrow(/users/);
  });

  it('refuses raw SQL that reaches users, however it is phrased', async () => {
    const pdb = db.forPlugin('demo');
    const attempts = [
      sql`select * from users`,
      sql`select password_hash from "users"`,
      sql`select * from plugin_demo_items where name in (select password_hash from users)`,
      sql`with u as (select * from users) select * from u`,
      sql`select * from main.users`,
      sql`insert into plugin_demo_items (name) select password_hash from users`,
      sql`update users set role = 'admin'`,
      sql`delete from sessions`,
      sql`delete from users`,
      sql`delete from main.settings`,
      sql`create table plugin_demo_copy as select * from users`,
      sql`create view plugin_demo_v as select * from users`,
      sql`create trigger plugin_demo_t after insert on plugin_demo_items begin delete from users; end`,
      sql`attach database ${join(dir, 'webcasa.db')} as other`,
      sql`pragma table_info(users)`,
      sql`drop table users`,
      sql`alter table users add column x text`,
      sql`create index plugin_demo_idx on users(username)`,
      sql`insert into sqlite_master values ('table','x','x',0,'')`,
      sql`update sqlite_sequence set seq = 100 where name = 'users'`,
    ];
    for (const attempt of attempts) {
      await expect(attempt.execute(pdb), attempt.compile(pdb).sql).rejects.toThrow(/plugin demo/);
    }
    // And the core data is untouched.
    const users = await db.core.selectFrom('users').selectAll().execute();
    expect(users).toHaveLength(1);
    expect(users[0]!.role).toBe('admin');
  });

  it("refuses another plugin reaching this plugin's tables", async () => {
    const other = db.forPlugin('other');
    await expect(other.selectFrom('plugin_demo_items').selectAll().execute()).rejects.toThrow(/plugin other/);
  });

  it('allows raw SQL and transactions on its own tables', async () => {
    const pdb = db.forPlugin('demo');
    await sql`insert into plugin_demo_items (name) values (${'gone'})`.execute(pdb);
    await sql`delete from plugin_demo_items`.execute(pdb);
    await sql`insert into plugin_demo_items (name) values (${'raw'})`.execute(pdb);
    await pdb.transaction().execute(async (trx) => {
      await trx.insertInto('plugin_demo_items').values({ name: 'in-trx' }).execute();
    });
    const { rows } = await sql<{ n: number }>`select count(*) as n from plugin_demo_items`.execute(pdb);
    expect(rows[0]!.n).toBe(2);
  });

  it('a failed transaction rolls back and releases the connection for others', async () => {
    const pdb = db.forPlugin('demo');
    await expect(
      pdb.transaction().execute(async (trx) => {
        await trx.insertInto('plugin_demo_items').values({ name: 'lost' }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await pdb.selectFrom('plugin_demo_items').selectAll().execute()).toEqual([]);
    expect(await db.core.selectFrom('users').select('username').execute()).toEqual([{ username: 'root' }]);
  });

  it('keeps the database file free of plugin-visible secrets only by guard, not by luck', () => {
    // Sanity: the secret really is in the file, so the refusals above are meaningful.
    db.shared.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(join(dir, 'webcasa.db')).includes('secret-hash')).toBe(true);
  });
});
