import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { PluginContext, RunContext, Site, TlsMode } from '@webcasa/plugin-sdk';
import type { Kysely } from 'kysely';
import type { Catalog } from '../catalog.js';
import { composeYaml, renderDoc } from '../compose/render.js';
import type { PublishMode } from '../compose/types.js';
import type { AppStoreDatabase, InstalledRow, InstalledStatus } from '../db.js';
import { INSTALLED } from '../db.js';
import type { DockerService, SafetyReview, StackRunResult } from '../docker-api.js';
import { AppStoreError, notFound } from '../errors.js';
import { fillRandom } from '../forms/random.js';
import { type FormValue, isFqdn, isIp, validateForm } from '../forms/validate.js';
import { buildCompose, type StoreApp } from '../store/read-app.js';
import { backupDataDir, envFileText, listBackups, seedData, writeSecretFile } from './files.js';

export interface InstallInput {
  source: number;
  app: string;
  values: Record<string, FormValue>;
  domain?: string | null | undefined;
  tls?: TlsMode | undefined;
  port?: number | undefined;
  /** Publish the app's port on every interface even with a domain (default: loopback only then). */
  openPort?: boolean | undefined;
  acceptRisks?: string[] | undefined;
}

export interface SettingsInput {
  values?: Record<string, FormValue> | undefined;
  domain?: string | null | undefined;
  tls?: TlsMode | undefined;
  openPort?: boolean | undefined;
  acceptRisks?: string[] | undefined;
}

/** Everything needed to deploy one app: the rendered compose file and its review. */
export interface Prepared {
  app: StoreApp;
  values: Record<string, string>;
  env: Record<string, string>;
  compose: string;
  review: SafetyReview;
  /** Variables the compose file used that nobody set (replaced by empty strings). */
  missing: string[];
  port: number;
  publish: PublishMode;
  domain: string | null;
  tls: TlsMode;
}

export interface InstalledView {
  id: string;
  source: number;
  name: string;
  version: string;
  tipiVersion: number;
  status: InstalledStatus;
  /** The stack's state from docker (running, partial, stopped, missing), when known. */
  state: string | null;
  domain: string | null;
  tls: string;
  port: number;
  publish: PublishMode;
  siteId: number | null;
  url: string;
  /** The form's values, without the secret ones (see `secrets`). */
  values: Record<string, string>;
  /** Env names of secret fields (password, random, or named like a secret) that hold a value: never sent back. */
  secrets: string[];
  acceptedRisks: string[];
  lastError: string | null;
  installedAt: number;
  updatedAt: number;
  update: { version: string; tipiVersion: number } | null;
  backups: { name: string; size: number; at: number }[];
}

type Ctx = PluginContext<{ keepBackups: number }, AppStoreDatabase>;

const fieldOf = (env: string) => `body.values.${env}`;

/** A domain as typed (blank means none), lower-cased: install, review and settings agree. */
export const normalizeDomain = (domain: string | null | undefined): string | null =>
  domain?.trim() ? domain.trim().toLowerCase() : null;

/** The host port to publish: the one given, else the app's own; 400 on `body.port` when neither. */
export function portFor(app: StoreApp, port: number | undefined): number {
  const chosen = port ?? app.config.port;
  if (!chosen)
    throw new AppStoreError(
      400,
      'WEBCASA_BAD_REQUEST',
      'body.port: the app sets no port; give one',
      'body.port',
    );
  return chosen;
}

const SECRET_NAME =
  /PASSWORD|PASSWD|PASSPHRASE|(^|_)PASS($|_)|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;

/**
 * Whether a form field holds a secret: `password` and `random` fields, and any field whose
 * env name looks like one. Secrets are never sent back to the browser.
 */
export function isSecretField(field: { type: string; env_variable: string }): boolean {
  return field.type === 'password' || field.type === 'random' || SECRET_NAME.test(field.env_variable);
}

/**
 * Split stored form values into the ones that may be shown and the names of secret ones.
 * Without the app's definition (its store is gone) every value counts as secret.
 */
export function splitSecrets(
  fields: readonly { type: string; env_variable: string }[] | null,
  values: Record<string, string>,
): { values: Record<string, string>; secrets: string[] } {
  const secret = new Set(
    fields ? fields.filter(isSecretField).map((f) => f.env_variable) : Object.keys(values),
  );
  const shown: Record<string, string> = {};
  const secrets: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (!secret.has(key) && !SECRET_NAME.test(key)) shown[key] = value;
    else if (value !== '') secrets.push(key);
  }
  return { values: shown, secrets: secrets.sort() };
}

/** A failed update whose previous version was deployed again. */
class RolledBack extends Error {}

/** Install, update, reconfigure and remove apps, each as a run with stages. */
export class AppManager {
  constructor(
    private readonly ctx: Ctx,
    private readonly docker: DockerService,
    private readonly catalog: Catalog,
  ) {}

  get db(): Kysely<AppStoreDatabase> {
    return this.ctx.db;
  }

  appDataDir(id: string): string {
    return join(this.ctx.dataDir, 'app-data', id);
  }

  backupsDir(id: string): string {
    return join(this.ctx.dataDir, 'backups', id);
  }

  stackName(id: string): string {
    return `app-store-${id}`.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
  }

  storeApp(source: number, id: string, field = 'params.app'): StoreApp {
    const app = this.catalog.get(source, id);
    if (!app) throw notFound(`app ${id} in store ${source}`, field);
    return app;
  }

  async row(id: string): Promise<InstalledRow> {
    const row = await this.db.selectFrom(INSTALLED).selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`installed app ${id}`, 'params.id');
    return row;
  }

  async list(): Promise<InstalledView[]> {
    const rows = await this.db.selectFrom(INSTALLED).selectAll().orderBy('name').execute();
    return Promise.all(rows.map((r) => this.view(r)));
  }

  async view(row: InstalledRow): Promise<InstalledView> {
    const stack = await this.docker.getStack(row.stack).catch(() => null);
    const store = this.catalog.get(row.source_id, row.id);
    const proto = row.domain ? (row.tls === 'off' ? 'http' : 'https') : 'http';
    const form = splitSecrets(store?.config.form_fields ?? null, JSON.parse(row.form_values));
    return {
      id: row.id,
      source: row.source_id,
      name: row.name,
      version: row.version,
      tipiVersion: row.tipi_version,
      status: row.status,
      state: stack?.state ?? null,
      domain: row.domain,
      tls: row.tls,
      port: row.port,
      publish: row.publish,
      siteId: row.site_id,
      url: row.domain ? `${proto}://${row.domain}` : `http://<this-server>:${row.port}`,
      values: form.values,
      secrets: form.secrets,
      acceptedRisks: JSON.parse(row.accepted_risks),
      lastError: row.last_error,
      installedAt: row.installed_at,
      updatedAt: row.updated_at,
      update:
        store && store.config.tipi_version > row.tipi_version
          ? { version: store.config.version, tipiVersion: store.config.tipi_version }
          : null,
      backups: await listBackups(this.backupsDir(row.id)),
    };
  }

  /** The variables Runtipi apps expect, then the form's values (which may not override them). */
  environment(
    app: StoreApp,
    values: Record<string, string>,
    o: { port: number; domain: string | null; tls: TlsMode },
  ): Record<string, string> {
    const https = o.domain !== null && o.tls !== 'off';
    const host = o.domain ?? '127.0.0.1';
    const system: Record<string, string> = {
      APP_ID: app.id,
      APP_PORT: String(o.port),
      APP_DATA_DIR: this.appDataDir(app.id),
      ROOT_FOLDER_HOST: this.ctx.dataDir,
      APP_DOMAIN: o.domain ?? `${host}:${o.port}`,
      APP_HOST: host,
      APP_PROTOCOL: https ? 'https' : 'http',
      APP_EXPOSED: o.domain ? 'true' : 'false',
      LOCAL_DOMAIN: 'localhost',
      TZ: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
      DNS_IP: '9.9.9.9',
      INTERNAL_IP: '127.0.0.1',
    };
    return { ...values, ...system };
  }

  /**
   * Validate a request and render the app's compose file: 400 naming the field for bad
   * values, 404 for an unknown app. Random fields left empty are generated here.
   */
  async prepare(
    app: StoreApp,
    input: {
      values: Record<string, FormValue>;
      domain: string | null;
      tls: TlsMode;
      port: number;
      openPort: boolean;
    },
  ): Promise<Prepared> {
    const { values, errors } = validateForm(app.config.form_fields, input.values);
    if (errors.length) {
      const first = errors[0]!;
      throw new AppStoreError(
        400,
        'WEBCASA_BAD_REQUEST',
        `${fieldOf(first.field)}: ${first.message}`,
        fieldOf(first.field),
        {
          issues: errors.map((e) => ({ field: fieldOf(e.field), message: e.message })),
        },
      );
    }
    if (input.domain !== null) {
      if (!app.config.exposable) {
        throw new AppStoreError(
          400,
          'WEBCASA_BAD_REQUEST',
          `body.domain: ${app.config.name} cannot be exposed on a domain`,
          'body.domain',
        );
      }
      if (!isFqdn(input.domain) && !(isIp(input.domain) && input.tls !== 'auto')) {
        throw new AppStoreError(
          400,
          'WEBCASA_BAD_REQUEST',
          'body.domain: must be a domain name like app.example.com',
          'body.domain',
        );
      }
    }
    const filled = fillRandom(app.config.form_fields, values);
    const publish: PublishMode = input.domain !== null && !input.openPort ? 'loopback' : 'all';
    const env = this.environment(app, filled, { port: input.port, domain: input.domain, tls: input.tls });
    const missing = new Set<string>();
    const doc = renderDoc(buildCompose(app, { publish }), env, missing);
    const compose = composeYaml(doc);
    const review = await this.docker.reviewCompose(compose);
    return {
      app,
      values: filled,
      env,
      compose,
      review,
      missing: [...missing],
      port: input.port,
      publish,
      domain: input.domain,
      tls: input.tls,
    };
  }

  /** 409 with the findings when one is not accepted; 422 when the compose file itself is invalid. */
  checkRisks(prepared: Prepared, accepted: string[]): void {
    if (prepared.review.errors.length) {
      throw new AppStoreError(
        422,
        'WEBCASA_APP_STORE_COMPOSE_INVALID',
        `the app's compose file is invalid: ${prepared.review.errors[0]?.path}: ${prepared.review.errors[0]?.message}`,
        'body.app',
        prepared.review,
      );
    }
    const open = prepared.review.findings.filter((f) => !accepted.includes(f.rule));
    if (open.length) {
      throw new AppStoreError(
        409,
        'WEBCASA_APP_STORE_RISKS',
        `the safety review found risks to accept first: ${[...new Set(open.map((f) => f.rule))].join(', ')}`,
        'body.acceptRisks',
        { findings: prepared.review.findings },
      );
    }
  }

  async #portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
    });
  }

  /** Check and reserve an install, then run it. Answers the run id. */
  async install(input: InstallInput, user?: string): Promise<{ runId: string; id: string }> {
    const app = this.storeApp(input.source, input.app, 'body.app');
    if (!app.config.available)
      throw new AppStoreError(
        409,
        'WEBCASA_APP_STORE_UNAVAILABLE',
        `${app.config.name} is marked unavailable by its store`,
        'body.app',
      );
    const existing = await this.db
      .selectFrom(INSTALLED)
      .select('id')
      .where('id', '=', app.id)
      .executeTakeFirst();
    if (existing)
      throw new AppStoreError(
        409,
        'WEBCASA_APP_STORE_INSTALLED',
        `${app.id} is already installed`,
        'body.app',
      );
    const port = portFor(app, input.port);
    const taken = await this.db
      .selectFrom(INSTALLED)
      .select('id')
      .where('port', '=', port)
      .executeTakeFirst();
    if (taken || !(await this.#portFree(port))) {
      throw new AppStoreError(
        409,
        'WEBCASA_APP_STORE_PORT_IN_USE',
        `body.port: port ${port} is in use${taken ? ` by ${taken.id}` : ''}`,
        'body.port',
      );
    }
    const domain = normalizeDomain(input.domain);
    const prepared = await this.prepare(app, {
      values: input.values,
      domain,
      tls: input.tls ?? 'auto',
      port,
      openPort: input.openPort === true,
    });
    const accepted = input.acceptRisks ?? [];
    this.checkRisks(prepared, accepted);
    const now = Date.now();
    try {
      await this.db
        .insertInto(INSTALLED)
        .values({
          id: app.id,
          source_id: input.source,
          name: app.config.name,
          version: app.config.version,
          tipi_version: app.config.tipi_version,
          stack: this.stackName(app.id),
          status: 'installing',
          form_values: JSON.stringify(prepared.values),
          domain,
          tls: prepared.tls,
          port,
          publish: prepared.publish,
          site_id: null,
          accepted_risks: JSON.stringify(accepted),
          compose: null,
          last_error: null,
          installed_at: now,
          updated_at: now,
        })
        .execute();
    } catch {
      throw new AppStoreError(
        409,
        'WEBCASA_APP_STORE_INSTALLED',
        `${app.id} is already installed`,
        'body.app',
      );
    }
    const { id: runId } = await this.ctx.runs.start(
      `Install ${app.config.name}`,
      (run) => this.#guard(app.id, run, () => this.#installRun(app.id, prepared, accepted, run)),
      user ? { createdBy: user } : undefined,
    );
    return { runId, id: app.id };
  }

  // A failed run leaves the row in `error` with the reason, so the list says what happened.
  async #guard(id: string, run: RunContext, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      const message = (error as Error).message;
      run.log(message, 'error');
      // After a rollback the row already says what runs (the old version) and why.
      if (!(error instanceof RolledBack)) await this.#setStatus(id, 'error', message).catch(() => undefined);
      throw error;
    }
  }

  async #setStatus(id: string, status: InstalledStatus, lastError: string | null = null): Promise<void> {
    await this.db
      .updateTable(INSTALLED)
      .set({ status, last_error: lastError, updated_at: Date.now() })
      .where('id', '=', id)
      .execute();
  }

  async #writeEnv(p: Prepared, run: RunContext): Promise<void> {
    const dir = this.appDataDir(p.app.id);
    await mkdir(dir, { recursive: true });
    if (await seedData(p.app.dir, dir)) run.log("copied the app's initial data folder");
    await writeSecretFile(join(dir, 'app.env'), envFileText(p.env));
    run.log(`wrote ${join(dir, 'app.env')} (mode 0600)`);
    if (p.missing.length) run.log(`variables with no value (left empty): ${p.missing.join(', ')}`, 'warn');
  }

  async #review(p: Prepared, accepted: string[], run: RunContext): Promise<void> {
    // Again at run time: the docker plugin's rules may have changed since the request.
    const review = await this.docker.reviewCompose(p.compose);
    for (const f of review.findings) {
      run.log(
        `${f.severity}: ${f.service}: ${f.message} (${f.rule}, ${accepted.includes(f.rule) ? 'accepted' : 'not accepted'})`,
        f.severity === 'danger' ? 'warn' : 'info',
      );
    }
    this.checkRisks({ ...p, review }, accepted);
  }

  async #deploy(p: Prepared, stack: string, accepted: string[], run: RunContext): Promise<StackRunResult> {
    // The docker plugin answers a failed compose run as `ok: false` but throws for refusals
    // (risks, bad input): both are a failed deploy here, so an update can roll back.
    const result = await this.docker
      .deployStack({ name: stack, compose: p.compose, acceptRisks: accepted, owner: 'app-store' })
      .catch((error: Error): StackRunResult => ({ ok: false, runId: '', error: error.message, log: [] }));
    for (const line of result.log.slice(-20)) run.log(`compose: ${line}`);
    return result;
  }

  async #site(id: string, p: Prepared, existing: number | null, run: RunContext): Promise<number | null> {
    if (p.domain === null) {
      if (existing !== null) {
        await this.ctx.core.hosts.delete(existing).catch(() => undefined);
        run.log(`removed site ${existing}`);
      }
      return null;
    }
    const site = {
      name: `${p.app.config.name} (app store)`,
      domains: [p.domain],
      kind: 'reverse_proxy' as const,
      upstreams: [`127.0.0.1:${p.port}`],
      tls: p.tls,
    };
    let result: Site;
    const current = existing !== null ? await this.ctx.core.hosts.get(existing) : undefined;
    if (current) result = await this.ctx.core.hosts.update(current.id, site);
    else result = await this.ctx.core.hosts.create(site);
    run.log(
      `site ${result.id}: ${p.tls === 'off' ? 'http' : 'https'}://${p.domain} → 127.0.0.1:${p.port} (${result.status})`,
    );
    await this.db.updateTable(INSTALLED).set({ site_id: result.id }).where('id', '=', id).execute();
    return result.id;
  }

  async #installRun(id: string, p: Prepared, accepted: string[], run: RunContext): Promise<void> {
    const stack = this.stackName(id);
    run.progress(0.05, 'validate');
    run.log(
      `installing ${p.app.config.name} ${p.app.config.version} (tipi ${p.app.config.tipi_version}) as stack ${stack}, port ${p.port}`,
    );
    run.progress(0.15, 'write env');
    await this.#writeEnv(p, run);
    run.progress(0.3, 'review');
    await this.#review(p, accepted, run);
    run.progress(0.4, 'deploy');
    const result = await this.#deploy(p, stack, accepted, run);
    if (!result.ok) throw new Error(`deploy failed: ${result.error ?? 'compose failed'}`);
    run.progress(0.85, 'site');
    await this.#site(id, p, null, run);
    await this.db
      .updateTable(INSTALLED)
      .set({ status: 'running', compose: p.compose, last_error: null, updated_at: Date.now() })
      .where('id', '=', id)
      .execute();
    run.progress(1, 'done');
    this.ctx.events.emit('app-store.app.installed', { id, version: p.app.config.version, domain: p.domain });
  }

  /** Update to the store's newer version: stop, back up the data dir, deploy; the old compose comes back on failure. */
  async update(id: string, acceptRisks: string[] = [], user?: string): Promise<{ runId: string }> {
    const row = await this.row(id);
    if (row.status === 'installing' || row.status === 'updating' || row.status === 'uninstalling') {
      throw new AppStoreError(409, 'WEBCASA_APP_STORE_BUSY', `${id} is ${row.status}`, 'params.id');
    }
    const app = this.storeApp(row.source_id, id, 'params.id');
    if (app.config.tipi_version <= row.tipi_version) {
      throw new AppStoreError(
        409,
        'WEBCASA_APP_STORE_UP_TO_DATE',
        `${id} is up to date (tipi version ${row.tipi_version})`,
        'params.id',
      );
    }
    const accepted = [...new Set([...JSON.parse(row.accepted_risks), ...acceptRisks])] as string[];
    const prepared = await this.prepare(app, {
      values: JSON.parse(row.form_values),
      domain: row.domain,
      tls: row.tls as TlsMode,
      port: row.port,
      openPort: row.publish === 'all',
    });
    this.checkRisks(prepared, accepted);
    await this.#setStatus(id, 'updating', null);
    const { id: runId } = await this.ctx.runs.start(
      `Update ${app.config.name} to ${app.config.version}`,
      (run) => this.#guard(id, run, () => this.#updateRun(row, prepared, accepted, run)),
      user ? { createdBy: user } : undefined,
    );
    return { runId };
  }

  async #updateRun(row: InstalledRow, p: Prepared, accepted: string[], run: RunContext): Promise<void> {
    run.progress(0.05, 'stop');
    run.log(
      `updating ${row.id} from ${row.version} (tipi ${row.tipi_version}) to ${p.app.config.version} (tipi ${p.app.config.tipi_version})`,
    );
    const stopped = await this.docker.stackAction(row.stack, 'stop');
    if (!stopped.ok) run.log(`stop failed (backing up a running app): ${stopped.error}`, 'warn');
    run.progress(0.15, 'backup');
    const keep = (await this.ctx.config.get('keepBackups')) ?? 3;
    const file = await backupDataDir(
      this.appDataDir(row.id),
      this.backupsDir(row.id),
      `${row.id}-${row.version}-${row.tipi_version}`,
      keep,
    );
    run.log(`backup: ${file}`);
    run.progress(0.3, 'write env');
    await this.#writeEnv(p, run);
    run.progress(0.4, 'review');
    await this.#review(p, accepted, run);
    run.progress(0.5, 'deploy');
    const result = await this.#deploy(p, row.stack, accepted, run);
    if (!result.ok) {
      run.log(`update failed: ${result.error}; rolling back to ${row.version}`, 'error');
      if (row.compose) {
        const back = await this.docker.deployStack({
          name: row.stack,
          compose: row.compose,
          acceptRisks: accepted,
          owner: 'app-store',
        });
        run.log(
          back.ok ? 'rolled back: the previous version runs again' : `rollback failed: ${back.error}`,
          back.ok ? 'info' : 'error',
        );
        await this.#setStatus(
          row.id,
          back.ok ? 'running' : 'error',
          `update to ${p.app.config.version} failed: ${result.error}`,
        );
      }
      throw new RolledBack(`update failed (rolled back): ${result.error ?? 'compose failed'}`);
    }
    run.progress(0.9, 'site');
    await this.#site(row.id, p, row.site_id, run);
    await this.db
      .updateTable(INSTALLED)
      .set({
        status: 'running',
        version: p.app.config.version,
        tipi_version: p.app.config.tipi_version,
        name: p.app.config.name,
        form_values: JSON.stringify(p.values),
        compose: p.compose,
        accepted_risks: JSON.stringify(accepted),
        last_error: null,
        updated_at: Date.now(),
      })
      .where('id', '=', row.id)
      .execute();
    run.progress(1, 'done');
    this.ctx.events.emit('app-store.app.updated', {
      id: row.id,
      from: row.version,
      to: p.app.config.version,
    });
  }

  /** New form values, domain or TLS: re-render env and compose and redeploy. */
  async settings(id: string, input: SettingsInput, user?: string): Promise<{ runId: string }> {
    const row = await this.row(id);
    if (row.status === 'installing' || row.status === 'updating' || row.status === 'uninstalling') {
      throw new AppStoreError(409, 'WEBCASA_APP_STORE_BUSY', `${id} is ${row.status}`, 'params.id');
    }
    const app = this.storeApp(row.source_id, id, 'params.id');
    // The installed version's definition may differ from the store's; settings use the store's, as Runtipi does.
    // A secret sent empty (or not at all) keeps its stored value: the browser never sees secrets,
    // and an emptied `random` field would otherwise be generated anew (breaking the app's data).
    const stored = JSON.parse(row.form_values) as Record<string, string>;
    const values: Record<string, FormValue> = { ...stored };
    const secretEnvs = new Set(app.config.form_fields.filter(isSecretField).map((f) => f.env_variable));
    for (const [key, value] of Object.entries(input.values ?? {})) {
      const empty = value === '' || value === null || value === undefined;
      if (empty && secretEnvs.has(key) && stored[key]) continue;
      values[key] = value;
    }
    const domain = input.domain === undefined ? row.domain : normalizeDomain(input.domain);
    const accepted = [
      ...new Set([...JSON.parse(row.accepted_risks), ...(input.acceptRisks ?? [])]),
    ] as string[];
    const prepared = await this.prepare(app, {
      values,
      domain,
      tls: input.tls ?? (row.tls as TlsMode),
      port: row.port,
      openPort: input.openPort ?? row.publish === 'all',
    });
    this.checkRisks(prepared, accepted);
    await this.#setStatus(id, 'updating', null);
    const { id: runId } = await this.ctx.runs.start(
      `Reconfigure ${row.name}`,
      (run) =>
        this.#guard(id, run, async () => {
          run.progress(0.1, 'write env');
          await this.#writeEnv(prepared, run);
          run.progress(0.3, 'review');
          await this.#review(prepared, accepted, run);
          run.progress(0.4, 'deploy');
          const result = await this.#deploy(prepared, row.stack, accepted, run);
          if (!result.ok) throw new Error(`deploy failed: ${result.error ?? 'compose failed'}`);
          run.progress(0.85, 'site');
          const site = await this.#site(id, prepared, row.site_id, run);
          await this.db
            .updateTable(INSTALLED)
            .set({
              status: 'running',
              form_values: JSON.stringify(prepared.values),
              domain: prepared.domain,
              tls: prepared.tls,
              publish: prepared.publish,
              site_id: site,
              compose: prepared.compose,
              accepted_risks: JSON.stringify(accepted),
              last_error: null,
              updated_at: Date.now(),
            })
            .where('id', '=', id)
            .execute();
          run.progress(1, 'done');
        }),
      user ? { createdBy: user } : undefined,
    );
    return { runId };
  }

  async action(id: string, action: 'start' | 'stop' | 'restart'): Promise<StackRunResult> {
    const row = await this.row(id);
    const result = await this.docker.stackAction(row.stack, action);
    if (result.ok) await this.#setStatus(id, action === 'stop' ? 'stopped' : 'running');
    return result;
  }

  /**
   * One of the app's backups, for download: only a name listed for that installed app is
   * answered (the name is compared with the folder's listing, never joined as given); 404 otherwise.
   */
  async backup(id: string, name: string): Promise<{ path: string; name: string; size: number }> {
    const row = await this.row(id);
    const dir = this.backupsDir(row.id);
    const found = (await listBackups(dir)).find((b) => b.name === name);
    if (!found) throw notFound(`backup ${JSON.stringify(name)} of ${row.id}`, 'params.name');
    return { path: join(dir, found.name), name: found.name, size: found.size };
  }

  async logs(id: string, tail: number): Promise<string> {
    const row = await this.row(id);
    return this.docker.stackLogs(row.stack, { tail, timestamps: false });
  }

  /** Remove the containers and the site; the data dir (and its backups) only with `deleteData`. */
  async uninstall(id: string, deleteData: boolean, user?: string): Promise<{ runId: string }> {
    const row = await this.row(id);
    if (row.status === 'installing' || row.status === 'updating' || row.status === 'uninstalling') {
      throw new AppStoreError(409, 'WEBCASA_APP_STORE_BUSY', `${id} is ${row.status}`, 'params.id');
    }
    await this.#setStatus(id, 'uninstalling', null);
    const { id: runId } = await this.ctx.runs.start(
      `Uninstall ${row.name}`,
      (run) =>
        this.#guard(id, run, async () => {
          run.progress(0.1, 'remove containers');
          const result = await this.docker.removeStack(row.stack, { removeVolumes: deleteData });
          for (const line of result.log.slice(-20)) run.log(`compose: ${line}`);
          if (!result.ok) throw new Error(`removing the containers failed: ${result.error}`);
          run.progress(0.6, 'site');
          if (row.site_id !== null) {
            await this.ctx.core.hosts.delete(row.site_id).catch((error: Error) => {
              if (!/not found/i.test(error.message)) throw error;
            });
            run.log(`removed site ${row.site_id}`);
          }
          run.progress(0.8, deleteData ? 'delete data' : 'keep data');
          if (deleteData) {
            await rm(this.appDataDir(id), { recursive: true, force: true });
            await rm(this.backupsDir(id), { recursive: true, force: true });
            run.log(`deleted ${this.appDataDir(id)} and its backups`);
          } else run.log(`kept ${this.appDataDir(id)}`);
          await this.db.deleteFrom(INSTALLED).where('id', '=', id).execute();
          run.progress(1, 'done');
          this.ctx.events.emit('app-store.app.uninstalled', { id, deletedData: deleteData });
        }),
      user ? { createdBy: user } : undefined,
    );
    return { runId };
  }
}
