import { rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Catalog } from '../catalog.js';
import { type AppStoreDatabase, INSTALLED, SOURCES, type SourceRow } from '../db.js';
import { AppStoreError, notFound } from '../errors.js';
import type { AppProblem } from '../store/read-app.js';
import { isGitUrl, recoverSync, syncGit } from './git.js';

export interface SourceView {
  id: number;
  name: string;
  kind: 'git' | 'local';
  location: string;
  branch: string | null;
  lastSyncAt: number | null;
  lastSyncOk: boolean | null;
  lastError: string | null;
  lastCommit: string | null;
  apps: number;
  problems: AppProblem[];
}

export interface SourceInput {
  name?: string | undefined;
  kind: 'git' | 'local';
  location: string;
  branch?: string | null | undefined;
}

/** App store sources: git repositories cloned into the data dir, or local folders read in place. */
export class Sources {
  readonly #syncing = new Map<number, Promise<SourceView>>();

  constructor(
    private readonly db: Kysely<AppStoreDatabase>,
    private readonly catalog: Catalog,
    private readonly dataDir: string,
    private readonly gitTimeoutMs: () => Promise<number>,
  ) {}

  /** Where a source's apps are read from. */
  root(row: Pick<SourceRow, 'id' | 'kind' | 'location'>): string {
    return row.kind === 'git' ? join(this.dataDir, 'stores', String(row.id), 'current') : row.location;
  }

  view(row: SourceRow): SourceView {
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      location: row.location,
      branch: row.branch,
      lastSyncAt: row.last_sync_at,
      lastSyncOk: row.last_sync_ok === null ? null : row.last_sync_ok === 1,
      lastError: row.last_error,
      lastCommit: row.last_commit,
      apps: this.catalog.count(row.id),
      problems: this.catalog.problems(row.id),
    };
  }

  async rows(): Promise<SourceRow[]> {
    return this.db.selectFrom(SOURCES).selectAll().orderBy('id').execute();
  }

  async row(id: number): Promise<SourceRow> {
    const row = await this.db.selectFrom(SOURCES).selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`app store ${id}`, 'params.id');
    return row;
  }

  async list(): Promise<SourceView[]> {
    return (await this.rows()).map((r) => this.view(r));
  }

  /** Load every source's last good copy (at start; no network). */
  async loadAll(): Promise<void> {
    for (const row of await this.rows()) {
      if (row.kind === 'git') await recoverSync(this.root(row));
      await this.catalog.load(row.id, this.root(row)).catch(() => undefined);
    }
  }

  async add(input: SourceInput): Promise<SourceView> {
    const location = input.location.trim();
    if (input.kind === 'git' && !isGitUrl(location)) {
      throw new AppStoreError(
        400,
        'WEBCASA_BAD_REQUEST',
        'body.location: must be an https://, ssh://, git:// or file:/// git URL',
        'body.location',
      );
    }
    if (input.kind === 'local') {
      const s = isAbsolute(location) ? await stat(location).catch(() => null) : null;
      if (!s?.isDirectory()) {
        throw new AppStoreError(
          400,
          'WEBCASA_BAD_REQUEST',
          'body.location: must be the absolute path of an existing folder',
          'body.location',
        );
      }
    }
    const existing = await this.db
      .selectFrom(SOURCES)
      .select('id')
      .where('location', '=', location)
      .executeTakeFirst();
    if (existing)
      throw new AppStoreError(
        409,
        'WEBCASA_APP_STORE_EXISTS',
        `this store is already added (id ${existing.id})`,
        'body.location',
      );
    const name =
      input.name?.trim() ||
      location
        .replace(/\.git$/, '')
        .split(/[/:]/)
        .filter(Boolean)
        .at(-1) ||
      location;
    const row = await this.db
      .insertInto(SOURCES)
      .values({
        name,
        kind: input.kind,
        location,
        branch: input.branch ?? null,
        created_at: Date.now(),
      } as never)
      .returningAll()
      .executeTakeFirstOrThrow();
    return this.sync(row.id);
  }

  async remove(id: number): Promise<void> {
    const row = await this.row(id);
    const used = await this.db.selectFrom(INSTALLED).select('id').where('source_id', '=', id).execute();
    if (used.length) {
      throw new AppStoreError(
        409,
        'WEBCASA_APP_STORE_IN_USE',
        `installed apps come from this store: ${used.map((u) => u.id).join(', ')}`,
        'params.id',
      );
    }
    await this.db.deleteFrom(SOURCES).where('id', '=', id).execute();
    this.catalog.drop(id);
    if (row.kind === 'git')
      await rm(join(this.dataDir, 'stores', String(id)), { recursive: true, force: true });
  }

  /** Fetch (git) or re-read (local) one source. Never throws for a failed sync: the status says why. */
  sync(id: number): Promise<SourceView> {
    const running = this.#syncing.get(id);
    if (running) return running;
    const job = this.#sync(id).finally(() => this.#syncing.delete(id));
    this.#syncing.set(id, job);
    return job;
  }

  async #sync(id: number): Promise<SourceView> {
    const row = await this.row(id);
    let commit = row.last_commit;
    let error: string | null = null;
    try {
      if (row.kind === 'git') {
        const result = await syncGit(row.location, this.root(row), {
          branch: row.branch,
          timeoutMs: await this.gitTimeoutMs(),
        });
        commit = result.commit;
      }
      await this.catalog.load(id, this.root(row));
    } catch (e) {
      error = (e as Error).message;
      // Keep serving the last good copy.
      if (!this.catalog.count(id)) await this.catalog.load(id, this.root(row)).catch(() => undefined);
    }
    await this.db
      .updateTable(SOURCES)
      .set({ last_sync_at: Date.now(), last_sync_ok: error ? 0 : 1, last_error: error, last_commit: commit })
      .where('id', '=', id)
      .execute();
    return this.view(await this.row(id));
  }

  async syncAll(kind?: 'git' | 'local'): Promise<SourceView[]> {
    const out: SourceView[] = [];
    for (const row of await this.rows()) if (!kind || row.kind === kind) out.push(await this.sync(row.id));
    return out;
  }
}
