import { type Kysely, sql } from 'kysely';
import type { CoreDatabase } from '../db/schema.js';
import { conflict } from '../errors.js';
import type { SecretBox } from '../settings/secrets.js';
import type { SiteDraft, SiteOptions, SiteRecord } from './model.js';

type SiteRow = {
  id: number;
  name: string | null;
  kind: SiteRecord['kind'];
  enabled: number;
  tls: SiteRecord['tls'];
  tls_cert: string | null;
  tls_key: string | null;
  options: string;
  revision: number;
  created_at: number;
  updated_at: number;
};

/**
 * Sites in SQLite. Every write is one transaction (the site row and its
 * domains together), so a crash leaves a site either whole or absent.
 * The uploaded certificate's key is encrypted with the panel's SecretBox.
 */
export class SiteRepository {
  constructor(
    private readonly db: Kysely<CoreDatabase>,
    private readonly secrets: SecretBox,
  ) {}

  private toRecord(row: SiteRow, domains: string[]): SiteRecord {
    return {
      id: row.id,
      name: row.name,
      domains,
      kind: row.kind,
      enabled: row.enabled === 1,
      tls: row.tls,
      certificate:
        row.tls_cert && row.tls_key
          ? { certPem: row.tls_cert, keyPem: this.secrets.decrypt(row.tls_key) }
          : null,
      options: JSON.parse(row.options) as SiteOptions,
      revision: row.revision,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /** Every site, by id. */
  async list(): Promise<SiteRecord[]> {
    const rows = (await this.db.selectFrom('sites').selectAll().orderBy('id').execute()) as SiteRow[];
    const domainRows = await this.db
      .selectFrom('site_domains')
      .select(['site_id', 'domain'])
      .orderBy('site_id')
      .orderBy('position')
      .execute();
    const domains = new Map<number, string[]>();
    for (const d of domainRows) {
      const list = domains.get(d.site_id);
      if (list) list.push(d.domain);
      else domains.set(d.site_id, [d.domain]);
    }
    return rows.map((row) => this.toRecord(row, domains.get(row.id) ?? []));
  }

  async get(id: number): Promise<SiteRecord | undefined> {
    const row = (await this.db.selectFrom('sites').selectAll().where('id', '=', id).executeTakeFirst()) as
      | SiteRow
      | undefined;
    if (!row) return undefined;
    const domains = await this.db
      .selectFrom('site_domains')
      .select('domain')
      .where('site_id', '=', id)
      .orderBy('position')
      .execute();
    return this.toRecord(
      row,
      domains.map((d) => d.domain),
    );
  }

  /**
   * The id the next site gets. Ids are never reused (AUTOINCREMENT), so log files
   * and certificate tags named after an id never alias a deleted site's.
   */
  async nextId(): Promise<number> {
    const seq = await sql<{ seq: number }>`select seq from sqlite_sequence where name = 'sites'`.execute(
      this.db,
    );
    const max = await this.db
      .selectFrom('sites')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirst();
    return Math.max(seq.rows[0]?.seq ?? 0, Number(max?.max ?? 0)) + 1;
  }

  private columns(draft: SiteDraft) {
    return {
      name: draft.name,
      kind: draft.kind,
      enabled: draft.enabled ? 1 : 0,
      tls: draft.tls,
      tls_cert: draft.certificate?.certPem ?? null,
      tls_key: draft.certificate ? this.secrets.encrypt(draft.certificate.keyPem) : null,
      options: JSON.stringify(draft.options),
    };
  }

  /** Insert a site with a chosen id (see {@link nextId}). */
  async insert(id: number, draft: SiteDraft, now = Date.now()): Promise<SiteRecord> {
    await this.write(async (trx) => {
      await trx
        .insertInto('sites')
        .values({ id, ...this.columns(draft), revision: 1, created_at: now, updated_at: now })
        .execute();
      await insertDomains(trx, id, draft.domains);
    });
    return { ...draft, id, revision: 1, createdAt: now, updatedAt: now };
  }

  async update(previous: SiteRecord, draft: SiteDraft, now = Date.now()): Promise<SiteRecord> {
    const revision = previous.revision + 1;
    await this.write(async (trx) => {
      await trx
        .updateTable('sites')
        .set({ ...this.columns(draft), revision, updated_at: now })
        .where('id', '=', previous.id)
        .execute();
      await trx.deleteFrom('site_domains').where('site_id', '=', previous.id).execute();
      await insertDomains(trx, previous.id, draft.domains);
    });
    return { ...draft, id: previous.id, revision, createdAt: previous.createdAt, updatedAt: now };
  }

  async delete(id: number): Promise<void> {
    await this.write(async (trx) => {
      await trx.deleteFrom('site_domains').where('site_id', '=', id).execute();
      await trx.deleteFrom('sites').where('id', '=', id).execute();
    });
  }

  private async write(fn: (trx: Kysely<CoreDatabase>) => Promise<void>): Promise<void> {
    try {
      await this.db.transaction().execute(fn);
    } catch (error) {
      // The service checks domains first; this is the database's word if something slipped by.
      if (/UNIQUE constraint failed: site_domains\.domain/.test(String((error as Error).message))) {
        throw conflict('a domain of this site is already used by another site', 'domains');
      }
      throw error;
    }
  }
}

async function insertDomains(trx: Kysely<CoreDatabase>, siteId: number, domains: string[]): Promise<void> {
  if (domains.length === 0) return;
  await trx
    .insertInto('site_domains')
    .values(domains.map((domain, position) => ({ domain, site_id: siteId, position })))
    .execute();
}
