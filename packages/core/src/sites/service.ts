import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBus } from '@webcasa/event-bus';
import type { Kysely } from 'kysely';
import type { CoreDatabase } from '../db/schema.js';
import { badRequest, conflict, errorMessage, HttpError, notFound, WebcasaError } from '../errors.js';
import type { SecretBox } from '../settings/secrets.js';
import type { SettingsStore } from '../settings/settings-store.js';
import { type AccessLogEntry, parseAccessLine, tailLines } from './access-log.js';
import { caddyVersion, findCaddyBinary, hashPasswordWithCaddy, INSTALL_HINT } from './caddy-binary.js';
import { CaddyAdminClient, CaddyRejectedError, CaddyUnavailableError } from './caddy-client.js';
import {
  accessLogFile,
  type CaddyConfigOptions,
  type CaddyJson,
  configMarker,
  generateCaddyConfig,
  siteRoutes,
} from './caddy-config.js';
import { certificateStatus, type DomainCertificate } from './certificates.js';
import type { SitesLogger } from './logger.js';
import {
  pickKindFields,
  type SiteDraft,
  type SiteOptions,
  type SiteRecord,
  toInput,
  toSite,
} from './model.js';
import { SerialQueue } from './queue.js';
import { SiteRepository } from './repository.js';
import {
  CADDY_SETTINGS_KEY,
  caddySettingsSchema,
  type ResolvedCaddySettings,
  resolveCaddySettings,
} from './settings.js';
import { CaddySupervisor } from './supervisor.js';
import type {
  ApplyResult,
  CaddySettings,
  CaddyStatus,
  Site,
  SiteInput,
  SitePatch,
  SiteStatus,
  SitesCoreApi,
} from './types.js';
import { isBcryptHash, type ParsedSiteInput, parseSite, sitePatchSchema } from './validation.js';
import './events.js';

export interface SitesServiceOptions {
  db: Kysely<CoreDatabase>;
  secrets: SecretBox;
  bus: EventBus;
  logger: SitesLogger;
  /** The panel's data dir; Caddy's files go to `<dataDir>/caddy/`. */
  dataDir: string;
  settings: SettingsStore;
  /** Where `WEBCASA_CADDY*` are read from (usually `process.env`). */
  env: Record<string, string | undefined>;
  /** How often the admin endpoint is checked (reconnect, drift). Default 10 s. */
  pollMs?: number;
  /** Supervisor timings, for tests. */
  supervisor?: { startupTimeoutMs?: number; checkEveryMs?: number; maxBackoffMs?: number };
}

/** Options for calls made on behalf of the REST API: field names get this prefix (`body`). */
interface CallOptions {
  fieldPrefix?: string;
}

const READ_ONLY = ['id', 'status', 'revision', 'createdAt', 'updatedAt'] as const;

function prefixed(prefix: string | undefined, field: string): string {
  return prefix ? (field ? `${prefix}.${field}` : prefix) : field;
}

/**
 * The sites feature: the site model, validation, the apply queue and the Caddy
 * connection. Every change is applied to Caddy *before* it is committed: when
 * Caddy refuses it, nothing is stored and the caller gets a 422 with Caddy's
 * message. When Caddy cannot be reached, the change is stored and applied
 * once Caddy answers (`pending`).
 */
export class SitesService {
  readonly repo: SiteRepository;
  private readonly queue = new SerialQueue();
  private readonly o: SitesServiceOptions;
  private readonly caddyDir: string;
  private settings: ResolvedCaddySettings;
  private client: CaddyAdminClient | undefined;
  private supervisor: CaddySupervisor | undefined;
  /** admin/storage of an external Caddy, kept in every config the panel gives it. */
  private preserved: { admin: Record<string, unknown> | null; storage: Record<string, unknown> | null } = {
    admin: null,
    storage: null,
  };
  private reachable = false;
  private everReachable = false;
  private version: string | undefined;
  private lastApply: ApplyResult | null = null;
  private lastRejection: CaddyStatus['lastRejection'] = null;
  /** Marker of the config Caddy last accepted from this panel. */
  private liveMarker: string | undefined;
  /** Marker of the config generated from the committed database. */
  private expectedMarker: string | undefined;
  private appliedRevisions = new Map<number, number>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private started = false;
  private stopped = false;
  /** An external Caddy refused a config after starting part of it (see afterPartialStart). */
  private partialStart = false;

  constructor(options: SitesServiceOptions) {
    this.o = options;
    this.repo = new SiteRepository(options.db, options.secrets);
    this.caddyDir = join(options.dataDir, 'caddy');
    // From the environment alone until start() reads the stored settings too; a bad
    // environment value throws here, naming the variable.
    this.settings = resolveCaddySettings(options.env, {}, options.dataDir);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Resolve the Caddy settings, start (or adopt, or connect to) Caddy and give it
   * the config generated from the database. Never fails because of Caddy: the
   * panel runs without it and applies once it appears.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopped = false;
    mkdirSync(join(this.caddyDir, 'logs'), { recursive: true, mode: 0o700 });
    const stored = ((await this.o.settings.get(CADDY_SETTINGS_KEY)) ?? {}) as CaddySettings;
    this.settings = resolveCaddySettings(this.o.env, stored, this.o.dataDir);
    await this.connect();
    await this.queue.idle();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.started = false;
    clearTimeout(this.pollTimer);
    await this.queue.idle();
    await this.disconnect();
  }

  private async connect(): Promise<void> {
    const s = this.settings;
    this.reachable = false;
    this.liveMarker = undefined;
    if (s.mode === 'off' || !s.admin) return;
    this.client = new CaddyAdminClient(s.admin);
    if (s.mode === 'managed') {
      this.supervisor = new CaddySupervisor({
        findBinary: () => findCaddyBinary(this.settings.binary),
        client: this.client,
        dir: this.caddyDir,
        env: { ...process.env },
        logger: this.o.logger,
        bootstrapConfig: () => generateCaddyConfig([], this.configOptions()),
        onReady: () => this.onReachable('start'),
        ...this.o.supervisor,
      });
      await this.supervisor.start();
      if (this.supervisor.binary) this.version = await caddyVersion(this.supervisor.binary);
    } else {
      const binary = findCaddyBinary(s.binary);
      if (binary) this.version = await caddyVersion(binary);
      if (await this.client.ping()) this.onReachable('start');
    }
    this.schedulePoll();
  }

  private async disconnect(): Promise<void> {
    clearTimeout(this.pollTimer);
    await this.supervisor?.stop();
    this.supervisor = undefined;
    this.client = undefined;
    this.reachable = false;
  }

  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    if (this.stopped) return;
    this.pollTimer = setTimeout(() => void this.poll(), this.o.pollMs ?? 10_000);
    this.pollTimer.unref();
  }

  /** Reconnect after Caddy (re)appears; re-apply when someone else changed its config. */
  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const client = this.client;
      if (!client) return;
      const ok = await client.ping();
      if (!ok) {
        this.reachable = false;
        return;
      }
      if (!this.reachable) {
        this.onReachable('reconnect');
      } else if (this.queue.size === 0 && this.liveMarker && !(await client.hasId(this.liveMarker))) {
        this.o.logger.warn({}, "Caddy's config was changed outside the panel; reapplying");
        this.liveMarker = undefined;
        void this.reconcile('drift').catch(() => {});
      } else if (
        this.queue.size === 0 &&
        this.expectedMarker !== this.liveMarker &&
        !this.lastApply?.rejected
      ) {
        void this.reconcile('retry').catch(() => {});
      }
    } catch (error) {
      this.o.logger.debug({ err: error }, 'caddy poll failed');
    } finally {
      this.polling = false;
      this.schedulePoll();
    }
  }

  private onReachable(reason: string): void {
    this.reachable = true;
    this.everReachable = true;
    const binary = this.supervisor?.binary;
    if (!this.version && binary) {
      void caddyVersion(binary).then((v) => {
        this.version ??= v;
      });
    }
    // One task, so whoever waits for the queue to be idle waits for this apply too.
    void this.queue
      .run(async () => {
        if (this.settings.mode === 'external' && this.client) {
          // Keep the external Caddy's own admin and storage settings in what we load.
          const read = (path: string) =>
            this.client!.getConfig(path).catch(() => null) as Promise<Record<string, unknown> | null>;
          this.preserved = { admin: await read('admin'), storage: await read('storage') };
        }
        return this.reconcileNow(reason, false);
      })
      .catch((error: unknown) => this.o.logger.error({ err: error }, 'applying the sites to Caddy failed'));
  }

  // -------------------------------------------------------------- generating

  /** Where Caddy keeps certificates (known in managed mode). */
  get storageDir(): string | undefined {
    if (this.settings?.mode === 'managed') return join(this.caddyDir, 'data');
    const root = this.preserved.storage?.root;
    return typeof root === 'string' ? root : undefined;
  }

  get logDir(): string {
    return join(this.caddyDir, 'logs');
  }

  configOptions(): CaddyConfigOptions {
    const s = this.settings;
    const managed = s.mode === 'managed';
    let admin: Record<string, unknown> | null;
    if (managed && s.admin) {
      admin = { listen: s.admin.caddy, config: { persist: false } };
      // Over TCP any local process could reach it; require the Origin our client sends.
      if (!s.admin.socketPath) admin.enforce_origin = true;
    } else {
      admin = this.preserved.admin;
    }
    return {
      httpPort: s.httpPort,
      httpsPort: s.httpsPort,
      bind: s.bind,
      admin,
      storageDir: managed ? join(this.caddyDir, 'data') : null,
      storage: managed ? null : this.preserved.storage,
      logDir: this.logDir,
      caddyLogFile: managed ? join(this.caddyDir, 'logs', 'caddy.log') : null,
    };
  }

  /** The config the database generates now (what Caddy should run). */
  async generate(): Promise<CaddyJson> {
    return generateCaddyConfig(await this.repo.list(), this.configOptions());
  }

  // ---------------------------------------------------------------- applying

  /**
   * Give Caddy the config of `records`. Resolves with the result when Caddy
   * applied it or could not be reached; throws {@link CaddyRejectedError} when it refused.
   */
  private async applyRecords(
    records: SiteRecord[],
    reason: string,
    force = false,
    config = generateCaddyConfig(records, this.configOptions()),
  ): Promise<ApplyResult> {
    const started = Date.now();
    const marker = configMarker(config);
    const sites = records.filter((r) => r.enabled).length;
    const result = (ok: boolean, extra: Partial<ApplyResult> = {}): ApplyResult => ({
      ok,
      reason,
      at: Date.now(),
      durationMs: Date.now() - started,
      sites,
      ...extra,
    });
    const client = this.client;
    if (!client || !this.reachable) {
      const error =
        this.settings.mode === 'off' ? 'Caddy management is off' : 'Caddy is not running or not reachable';
      this.lastApply = result(false, { error, rejected: false });
      return this.lastApply;
    }
    try {
      await client.load(config, { force });
    } catch (error) {
      if (error instanceof CaddyRejectedError) {
        this.lastApply = result(false, { error: error.caddyMessage, rejected: true });
        this.lastRejection = { at: this.lastApply.at, reason, message: error.caddyMessage };
        this.o.logger.warn({ reason, caddy: error.caddyMessage }, 'Caddy rejected the configuration');
        this.o.bus.emit('caddy.failed', { reason, message: error.caddyMessage, rejected: true });
        if (/: start: /.test(error.caddyMessage)) await this.afterPartialStart();
        throw error;
      }
      const message = errorMessage(error);
      this.reachable = !(error instanceof CaddyUnavailableError);
      this.lastApply = result(false, { error: message, rejected: false });
      this.o.bus.emit('caddy.failed', { reason, message, rejected: false });
      return this.lastApply;
    }
    this.liveMarker = marker;
    this.partialStart = false;
    if (!['start', 'reconnect', 'drift', 'retry'].includes(reason)) this.lastRejection = null;
    this.appliedRevisions = new Map(records.map((r) => [r.id, r.revision]));
    this.lastApply = result(true);
    if (this.supervisor) {
      try {
        this.supervisor.saveConfig(config);
      } catch (error) {
        this.o.logger.warn({ err: error }, 'could not save the caddy start config');
      }
    }
    this.o.bus.emit('caddy.reloaded', { reason, sites, durationMs: this.lastApply.durationMs });
    return this.lastApply;
  }

  /**
   * Caddy 2.6 refused a config that failed while *starting* (e.g. a port taken), but the
   * servers it had started by then keep serving beside the previous config, for good.
   * Only a new process is clean: the managed caddy is restarted from the saved last good
   * config. An external Caddy cannot be restarted from here; the status says so.
   */
  private async afterPartialStart(): Promise<void> {
    if (!this.supervisor) {
      this.partialStart = true;
      return;
    }
    this.o.logger.warn({}, 'restarting caddy to drop the servers of the refused config');
    this.reachable = false;
    await this.supervisor.restart();
  }

  /**
   * Apply the database's config (start, reconnect, drift, `caddy.reload()`).
   * Rejections are reported in the result, not thrown.
   */
  reconcile(reason: string, force = false): Promise<ApplyResult> {
    return this.queue.run(() => this.reconcileNow(reason, force));
  }

  private async reconcileNow(reason: string, force: boolean): Promise<ApplyResult> {
    const records = await this.repo.list();
    const config = generateCaddyConfig(records, this.configOptions());
    this.expectedMarker = configMarker(config);
    try {
      return await this.applyRecords(records, reason, force, config);
    } catch (error) {
      if (error instanceof CaddyRejectedError) return this.lastApply!;
      throw error;
    }
  }

  /**
   * Run one change inside the queue: apply `next` to Caddy, then commit. When the
   * commit fails after Caddy took the config, the previous records are re-applied.
   */
  private async change<T>(
    reason: string,
    previous: SiteRecord[],
    next: SiteRecord[],
    commit: () => Promise<T>,
  ): Promise<T> {
    const config = generateCaddyConfig(next, this.configOptions());
    const result = await this.applyRecords(next, reason, false, config);
    let committed: T;
    try {
      committed = await commit();
    } catch (error) {
      if (result.ok) await this.applyRecords(previous, `${reason} rollback`, true).catch(() => {});
      throw error;
    }
    this.expectedMarker = configMarker(config);
    return committed;
  }

  // ------------------------------------------------------------- validation

  private parse(input: unknown, prefix: string | undefined): ParsedSiteInput {
    const parsed = parseSite(input);
    if (parsed.ok) return parsed.value;
    const issues = parsed.issues.map((i) => {
      const field = prefixed(prefix, i.field);
      return { field, message: `${field}: ${i.message}` };
    });
    throw badRequest(issues[0]!.message, issues[0]!.field, { issues });
  }

  /** Hash plain basic-auth passwords (slow, so before entering the queue). */
  private async hashPasswords<T extends { basicAuth?: { username: string; password?: string }[] }>(
    input: T,
    prefix: string | undefined,
  ): Promise<T> {
    if (!input.basicAuth?.some((u) => u.password && !isBcryptHash(u.password))) return input;
    const binary = findCaddyBinary(this.settings?.binary);
    const users = await Promise.all(
      input.basicAuth.map(async (u, i) => {
        if (!u.password || isBcryptHash(u.password)) return u;
        const field = prefixed(prefix, `basicAuth.${i}.password`);
        if (/[\r\n]/.test(u.password)) throw badRequest(`${field}: must not contain line breaks`, field);
        if (!binary) {
          throw badRequest(
            `${field}: no caddy binary here to hash it with; give a bcrypt hash ($2a$…) instead`,
            field,
          );
        }
        return { ...u, password: await hashPasswordWithCaddy(binary, u.password) };
      }),
    );
    return { ...input, basicAuth: users };
  }

  private checkCertificate(parsed: ParsedSiteInput, prefix: string | undefined): SiteDraft['certificate'] {
    if (parsed.tls !== 'custom' || !parsed.certificate) return null;
    const { certPem, keyPem } = parsed.certificate;
    const certField = prefixed(prefix, 'certificate.certPem');
    const keyField = prefixed(prefix, 'certificate.keyPem');
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certPem);
    } catch {
      throw badRequest(`${certField}: is not a valid PEM certificate`, certField);
    }
    let key: ReturnType<typeof createPrivateKey>;
    try {
      key = createPrivateKey(keyPem);
    } catch {
      throw badRequest(`${keyField}: is not a valid, unencrypted PEM private key`, keyField);
    }
    if (!cert.checkPrivateKey(key)) {
      throw badRequest(`${keyField}: does not belong to the certificate`, keyField);
    }
    if (Date.parse(cert.validTo) < Date.now()) {
      throw badRequest(`${certField}: expired on ${new Date(cert.validTo).toISOString()}`, certField);
    }
    parsed.domains.forEach((domain, i) => {
      const covered = domain.startsWith('*.')
        ? cert.checkHost(`webcasa-check${domain.slice(1)}`) !== undefined
        : /^[\d.]+$|:/.test(domain)
          ? cert.checkIP(domain) !== undefined
          : cert.checkHost(domain) !== undefined;
      if (!covered) {
        const field = prefixed(prefix, `domains.${i}`);
        throw badRequest(`${field}: "${domain}" is not covered by the uploaded certificate`, field);
      }
    });
    return { certPem: certPem.trim(), keyPem: keyPem.trim() };
  }

  /** A validated input as the record to store (passwords already hashed). */
  private toDraft(parsed: ParsedSiteInput, previous: SiteRecord | undefined, prefix?: string): SiteDraft {
    const seen = new Set<string>();
    const basicAuth = (parsed.basicAuth ?? []).map((u, i) => {
      const field = prefixed(prefix, `basicAuth.${i}`);
      if (seen.has(u.username)) {
        throw badRequest(`${field}.username: "${u.username}" is listed twice`, `${field}.username`);
      }
      seen.add(u.username);
      if (u.password) return { username: u.username, hash: u.password };
      const old = previous?.options.basicAuth.find((p) => p.username === u.username);
      if (!old) throw badRequest(`${field}.password: is required for a new user`, `${field}.password`);
      return { username: u.username, hash: old.hash };
    });
    const options: SiteOptions = {
      ...pickKindFields(parsed.kind, parsed as Partial<SiteOptions>),
      headers: parsed.headers ?? {},
      basicAuth,
      allow: parsed.allow ?? [],
      deny: parsed.deny ?? [],
      compression: parsed.compression ?? true,
      accessLog: parsed.accessLog ?? false,
    };
    return {
      name: parsed.name ? parsed.name : null,
      domains: parsed.domains,
      kind: parsed.kind,
      enabled: parsed.enabled ?? true,
      tls: parsed.tls ?? 'auto',
      certificate: this.checkCertificate(parsed, prefix),
      options,
    };
  }

  /** 409 when a domain belongs to another site. */
  private checkDomains(
    domains: string[],
    records: SiteRecord[],
    selfId: number | undefined,
    prefix?: string,
  ) {
    const owners = new Map<string, SiteRecord>();
    for (const r of records) if (r.id !== selfId) for (const d of r.domains) owners.set(d, r);
    domains.forEach((domain, i) => {
      const owner = owners.get(domain);
      if (owner) {
        const field = prefixed(prefix, `domains.${i}`);
        throw conflict(
          `domain "${domain}" is already used by site ${owner.id} (${owner.name ?? owner.domains[0]})`,
          field,
        );
      }
    });
  }

  // --------------------------------------------------------------- the API

  statusOf(record: SiteRecord): SiteStatus {
    if (!record.enabled) return 'disabled';
    if (this.appliedRevisions.get(record.id) === record.revision) return 'applied';
    return this.lastApply?.rejected ? 'error' : 'pending';
  }

  async list(): Promise<Site[]> {
    return (await this.repo.list()).map((r) => toSite(r, this.statusOf(r)));
  }

  async get(id: number): Promise<Site | undefined> {
    const record = await this.repo.get(id);
    return record && toSite(record, this.statusOf(record));
  }

  async create(input: SiteInput | unknown, options: CallOptions = {}): Promise<Site> {
    const prefix = options.fieldPrefix;
    const parsed = await this.hashPasswords(this.parse(input, prefix), prefix);
    return this.queue.run(async () => {
      const draft = this.toDraft(parsed, undefined, prefix);
      const records = await this.repo.list();
      this.checkDomains(draft.domains, records, undefined, prefix);
      const id = await this.repo.nextId();
      const now = Date.now();
      const record: SiteRecord = { ...draft, id, revision: 1, createdAt: now, updatedAt: now };
      const saved = await this.change('create', records, [...records, record], () =>
        this.repo.insert(id, draft, now),
      );
      const site = toSite(saved, this.statusOf(saved));
      this.o.bus.emit('host.created', { site });
      return site;
    });
  }

  async update(id: number, patch: SitePatch | unknown, options: CallOptions = {}): Promise<Site> {
    const prefix = options.fieldPrefix;
    const checked = sitePatchSchema.safeParse(patch);
    if (!checked.success) {
      const issues = checked.error.issues.map((i) => {
        const field = prefixed(prefix, i.path.map(String).join('.'));
        return { field, message: `${field}: ${i.message}` };
      });
      throw badRequest(issues[0]!.message, issues[0]!.field, { issues });
    }
    const clean: Record<string, unknown> = { ...(checked.data as Record<string, unknown>) };
    for (const key of READ_ONLY) delete clean[key];
    // The certificate info object GET shows means "keep the uploaded one".
    if (clean.certificate && typeof clean.certificate === 'object' && !('certPem' in clean.certificate)) {
      delete clean.certificate;
    }
    for (const [key, value] of Object.entries(clean)) if (value === undefined) delete clean[key];
    const hashed = await this.hashPasswords(clean as SitePatch, prefix);
    return this.queue.run(async () => {
      const records = await this.repo.list();
      const previous = records.find((r) => r.id === id);
      if (!previous) throw notFound(`no site with id ${id}`);
      const merged: Record<string, unknown> = { ...toInput(previous), ...hashed };
      if (merged.certificate === null) delete merged.certificate;
      const parsed = this.parse(merged, prefix);
      const draft = this.toDraft(parsed, previous, prefix);
      this.checkDomains(draft.domains, records, id, prefix);
      const now = Date.now();
      const record: SiteRecord = {
        ...draft,
        id,
        revision: previous.revision + 1,
        createdAt: previous.createdAt,
        updatedAt: now,
      };
      const next = records.map((r) => (r.id === id ? record : r));
      const saved = await this.change('update', records, next, () => this.repo.update(previous, draft, now));
      const site = toSite(saved, this.statusOf(saved));
      this.o.bus.emit('host.updated', { site, previous: toSite(previous, 'applied') });
      return site;
    });
  }

  async delete(id: number): Promise<void> {
    await this.queue.run(async () => {
      const records = await this.repo.list();
      const previous = records.find((r) => r.id === id);
      if (!previous) throw notFound(`no site with id ${id}`);
      await this.change(
        'delete',
        records,
        records.filter((r) => r.id !== id),
        () => this.repo.delete(id),
      );
      this.appliedRevisions.delete(id);
      this.o.bus.emit('host.deleted', {
        id,
        name: previous.name ?? previous.domains[0] ?? '',
        domains: previous.domains,
      });
    });
  }

  /** Give Caddy the database's config again; 422 when it refuses, 503 when it cannot be reached. */
  async reload(): Promise<ApplyResult> {
    if (this.settings.mode === 'managed' && this.supervisor?.state === 'missing') {
      // Maybe it was installed since: look now instead of at the next check.
      await this.supervisor.start();
    }
    if (this.client && !this.reachable && (await this.client.ping())) this.reachable = true;
    return this.reconcile('reload', true);
  }

  async status(): Promise<CaddyStatus> {
    const s = this.settings;
    const sup = this.supervisor;
    // Nothing applied yet: pending only if there is something to serve.
    const pending =
      this.liveMarker === undefined
        ? (await this.repo.list()).some((r) => r.enabled)
        : this.expectedMarker !== this.liveMarker;
    const found = s.mode === 'managed' ? !!sup?.binary : s.mode === 'external' ? this.everReachable : false;
    let message: string;
    let installHint: string | null = null;
    if (s.mode === 'off') {
      message = 'Caddy management is off (WEBCASA_CADDY=off): sites are saved but not served by the panel.';
    } else if (s.mode === 'managed' && sup?.state === 'missing') {
      message = 'Caddy was not found on this machine. Sites are saved and applied once Caddy is installed.';
      installHint = INSTALL_HINT;
    } else if (!this.reachable) {
      message =
        s.mode === 'external'
          ? `Caddy's admin API at ${s.admin?.caddy} does not answer; changes are applied when it does.`
          : `Caddy is ${sup?.state === 'backoff' ? 'restarting' : 'starting'}${sup?.lastError ? ` (${sup.lastError})` : ''}.`;
    } else if (this.lastApply?.rejected || this.lastRejection) {
      message = `Caddy refused the last change: ${this.lastRejection?.message ?? this.lastApply?.error}. The previous configuration is still live.`;
      if (this.partialStart) {
        message +=
          ' Caddy had started part of the refused configuration, which it keeps running until it is restarted: restart Caddy.';
      }
    } else if (pending) {
      message = 'Changes are saved and not live yet.';
    } else {
      message = `Caddy${this.version ? ` ${this.version}` : ''} is running; ${this.lastApply?.sites ?? 0} enabled site(s) are live.`;
    }
    return {
      mode: s.mode,
      modeSource: s.modeSource,
      found,
      binary: sup?.binary ?? (s.mode === 'external' ? (findCaddyBinary(s.binary) ?? null) : null),
      version: this.version ?? null,
      running: this.reachable,
      pid: sup?.pid ?? null,
      admin: s.admin?.caddy ?? null,
      httpPort: s.httpPort,
      httpsPort: s.httpsPort,
      bind: s.bind,
      pending,
      lastApply: this.lastApply,
      lastRejection: this.lastRejection,
      message,
      installHint,
    };
  }

  /** The stored Caddy connection settings and which fields the environment fixes. */
  async connectionSettings(): Promise<{ settings: CaddySettings; fromEnv: string[] }> {
    const stored = ((await this.o.settings.get(CADDY_SETTINGS_KEY)) ?? {}) as CaddySettings;
    return { settings: stored, fromEnv: this.settings.fromEnv };
  }

  /** Change the stored connection settings and reconnect with them. */
  async updateConnectionSettings(patch: unknown, options: CallOptions = {}): Promise<CaddyStatus> {
    const parsed = caddySettingsSchema.safeParse(patch);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = prefixed(options.fieldPrefix, issue.path.map(String).join('.'));
      throw badRequest(`${field}: ${issue.message}`, field);
    }
    const stored = ((await this.o.settings.get(CADDY_SETTINGS_KEY)) ?? {}) as Record<string, unknown>;
    const next = { ...stored };
    for (const [key, value] of Object.entries(parsed.data)) {
      if (value === null) delete next[key];
      else if (value !== undefined) next[key] = value;
    }
    let resolved: ResolvedCaddySettings;
    try {
      resolved = resolveCaddySettings(this.o.env, next as CaddySettings, this.o.dataDir);
    } catch (error) {
      if (error instanceof WebcasaError) throw new HttpError(400, 'WEBCASA_BAD_REQUEST', error.message);
      throw error;
    }
    await this.o.settings.set(CADDY_SETTINGS_KEY, next);
    await this.queue.run(async () => {
      await this.disconnect();
      this.settings = resolved;
      this.preserved = { admin: null, storage: null };
      this.appliedRevisions.clear();
    });
    await this.connect();
    await this.queue.idle();
    return this.status();
  }

  /** What the generated config looks like for one site (keys and hashes redacted), for the advanced view. */
  async siteConfig(id: number): Promise<{ routes: CaddyJson[]; full: CaddyJson }> {
    const records = await this.repo.list();
    const record = records.find((r) => r.id === id);
    if (!record) throw notFound(`no site with id ${id}`);
    return {
      routes: redact(siteRoutes(record)) as CaddyJson[],
      full: redact(generateCaddyConfig(records, this.configOptions())) as CaddyJson,
    };
  }

  /** The last `lines` requests of a site's access log. */
  async accessLog(
    id: number,
    lines = 100,
  ): Promise<{ enabled: boolean; file: string; entries: AccessLogEntry[] }> {
    const record = await this.repo.get(id);
    if (!record) throw notFound(`no site with id ${id}`);
    const file = accessLogFile(this.logDir, id);
    const entries = tailLines(file, lines).flatMap((l) => parseAccessLine(l) ?? []);
    return { enabled: record.options.accessLog, file, entries };
  }

  /** The access log file of a site (for following it live). */
  accessLogFile(id: number): string {
    return accessLogFile(this.logDir, id);
  }

  async certificates(id: number): Promise<DomainCertificate[]> {
    const record = await this.repo.get(id);
    if (!record) throw notFound(`no site with id ${id}`);
    return certificateStatus(record, this.storageDir);
  }

  /** The root certificate of Caddy's local CA (for TLS `internal`), when it exists. */
  rootCertificate(): string | undefined {
    const dir = this.storageDir;
    if (!dir) return undefined;
    try {
      return readFileSync(join(dir, 'pki', 'authorities', 'local', 'root.crt'), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** The CoreAPI functions plugins get (`ctx.core.hosts`, `ctx.core.caddy`). */
  coreApi(): SitesCoreApi {
    return {
      hosts: {
        list: () => this.list(),
        get: (id) => this.get(id),
        create: (input) => this.create(input),
        update: (id, patch) => this.update(id, patch),
        delete: (id) => this.delete(id),
      },
      caddy: {
        reload: async () => {
          const result = await this.reload();
          if (!result.ok && result.rejected) throw new CaddyRejectedError(result.error ?? 'refused', 422);
          return result;
        },
        status: () => this.status(),
      },
    };
  }
}

/** A copy of a config without private keys and password hashes. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'key' && typeof v === 'string' && v.includes('PRIVATE KEY')) out[key] = '[redacted]';
    else if (key === 'password' && typeof v === 'string') out[key] = '[redacted]';
    else out[key] = redact(v);
  }
  return out;
}
