import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import semver from 'semver';
import { WebcasaError } from '../../errors.js';
import type { SettingsStore } from '../../settings/settings-store.js';
import { type DiscoveredPlugin, discoverPlugins } from '../discovery.js';
import type { PluginSource } from '../manager.js';
import type { InstallerHost } from './host.js';
import { type Journal, pendingOperations, readJournal, writeJournal } from './journal.js';
import {
  downloadTarball,
  fetchPackument,
  type PackageSpec,
  parseSpec,
  pickVersion,
  type RegistryConfig,
  readRegistryConfig,
} from './registry.js';
import { backupPluginTables, dropPluginTables } from './tables.js';

const run = promisify(execFile);

/** Shared singletons the host lends to installed plugins (their peers), linked, never installed. */
export const HOST_PEERS = ['@webcasa/plugin-sdk', '@webcasa/event-bus', 'hono', 'kysely', 'zod', 'solid-js'];

/** Settings key prefix of what was installed: `core.plugins.installed.<id>`. */
export const INSTALLED_KEY = 'core.plugins.installed.';

/** What the panel records about an installed plugin. */
export interface InstalledRecord {
  id: string;
  packageName: string;
  version: string;
  /** `registry` (with its URL) or `tarball` (uploaded). */
  from: 'registry' | 'tarball';
  registry?: string;
  integrity?: string;
  sha256: string;
  installedAt: string;
}

/** What the admin is asked to confirm before an install runs. */
export interface InstallPlan {
  id: string;
  packageName: string;
  version: string;
  name: string;
  description: string;
  permissions: string[];
  /** Named permissions the plugin's routes check (`plugin:<id>:<scope>` for tokens), with who may use them. */
  scopes: Record<string, { description: string; minRole: string }>;
  engine: string;
  /** Plugin dependencies missing from the panel (installable from the registry). */
  missingDependencies: Record<string, string>;
  /** Dependencies present in an incompatible version, or an `engine` the panel does not support. */
  problems: string[];
  sha256: string;
  integrity?: string;
  /** Installed version when this would be an update. */
  installedVersion?: string;
}

export interface InstallerOptions {
  dataDir: string;
  host: InstallerHost;
  settings: SettingsStore;
  /** The raw SQLite connection (tables backup and drop at uninstall). */
  sqlite: import('better-sqlite3').Database;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  env?: NodeJS.ProcessEnv;
  /** npm executable; default `npm` on PATH. */
  npm?: string;
  /**
   * Package folders of the shared singletons lent to plugins, by name. Default:
   * the host's own copies of {@link HOST_PEERS}, resolved from this module.
   */
  hostPeers?: Record<string, string>;
  /**
   * Called after each step of an operation has been journalled (tests use it to
   * kill the process at a known point, see test/installer-uninstall-crash.test.ts).
   */
  onStep?: (step: string, journal: Journal) => void | Promise<void>;
}

export interface InstallRequest {
  /** npm spec, e.g. `@acme/webcasa-plugin-uptime@^1`. */
  spec?: string;
  /** Path of an uploaded `.tgz` (instead of `spec`). */
  tarball?: string;
  /** Permissions the admin accepted; must cover the manifest's. */
  acceptPermissions?: string[];
  /** Install missing plugin dependencies from the registry too (the admin agreed). */
  installDependencies?: boolean;
}

type Log = (line: string, level?: 'info' | 'warn' | 'error') => void;

interface Staged {
  hasDependencies: boolean;
  /** package.json `webcasa.dependencyPackages`: npm names of plugin dependencies, by id. */
  dependencyPackages: Record<string, string>;
  dir: string;
  packageDir: string;
  plugin: DiscoveredPlugin;
  record: InstalledRecord;
}

function opId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

function installError(code: string, message: string, status = 409): WebcasaError {
  return new WebcasaError(code, message, status);
}

/**
 * Installs, updates and uninstalls run-time plugins under `<dataDir>/plugins/`.
 * Every operation is staged in `.staging/<op-id>/` with a journal and
 * committed by renames, so `recover()` at boot leaves either the old or the
 * new state.
 */
export class PluginInstaller {
  readonly pluginsDir: string;
  readonly modulesDir: string;
  readonly stagingRoot: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: InstallerOptions) {
    this.pluginsDir = join(options.dataDir, 'plugins');
    this.modulesDir = join(this.pluginsDir, 'node_modules');
    this.stagingRoot = join(this.pluginsDir, '.staging');
  }

  /** One operation at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  registry(): Promise<RegistryConfig> {
    return readRegistryConfig(this.options.settings, this.options.env);
  }

  async installed(): Promise<InstalledRecord[]> {
    return (await this.options.settings.list(INSTALLED_KEY)).map((e) => e.value as InstalledRecord);
  }

  async installedRecord(id: string): Promise<InstalledRecord | undefined> {
    return (await this.options.settings.get(INSTALLED_KEY + id)) as InstalledRecord | undefined;
  }

  /**
   * Versions of an installed plugin's package the registry has, newest first,
   * for an update picker (deprecated ones flagged).
   */
  async versions(id: string): Promise<{
    packageName: string;
    installed: string;
    latest: string | undefined;
    versions: { version: string; deprecated?: string }[];
  }> {
    const record = await this.installedRecord(id);
    if (!record)
      throw new WebcasaError('WEBCASA_NOT_FOUND', `plugin ${id} was not installed at run time`, 404);
    const packument = await fetchPackument(await this.registry(), record.packageName);
    const versions = Object.values(packument.versions)
      .filter((v) => semver.valid(v.version))
      .sort((a, b) => semver.rcompare(a.version, b.version))
      .map((v) => (v.deprecated ? { version: v.version, deprecated: v.deprecated } : { version: v.version }));
    return {
      packageName: record.packageName,
      installed: record.version,
      latest: packument['dist-tags']?.latest,
      versions,
    };
  }

  /** Download, verify and read a package without running any of it; the staging is removed again. */
  async preview(request: Pick<InstallRequest, 'spec' | 'tarball'>): Promise<InstallPlan> {
    const op = opId();
    const dir = join(this.stagingRoot, op);
    try {
      const staged = await this.stage(dir, request, () => {});
      return this.plan(staged);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Install a plugin (and, when asked, its missing plugin dependencies) and load it live. */
  install(request: InstallRequest, log: Log = () => {}, runId?: string): Promise<InstalledRecord> {
    return this.exclusive(() => this.installNow(request, log, runId, new Set()));
  }

  private async installNow(
    request: InstallRequest,
    log: Log,
    runId: string | undefined,
    chain: Set<string>,
  ): Promise<InstalledRecord> {
    const op = opId();
    const dir = join(this.stagingRoot, op);
    const journal: Journal = {
      op,
      kind: 'install',
      phase: 'staging',
      runId,
      startedAt: Date.now(),
      updatedAt: 0,
    };
    writeJournal(dir, journal);
    try {
      const staged = await this.stage(dir, request, log);
      const { plugin } = staged;
      const plan = this.plan(staged);
      if (this.options.host.info(plugin.id)) {
        throw installError(
          'WEBCASA_INSTALL_EXISTS',
          `plugin ${plugin.id} is already installed (${this.options.host.info(plugin.id)!.version}); update it instead`,
        );
      }
      this.checkPlan(plan, request);
      for (const [depId, range] of Object.entries(plan.missingDependencies)) {
        if (chain.has(depId))
          throw installError('WEBCASA_INSTALL_CYCLE', `plugin dependency cycle through ${depId}`);
        log(`installing dependency ${depId}@${range}`);
        const name = staged.dependencyPackages[depId] ?? `webcasa-plugin-${depId}`;
        await this.installNow(
          {
            spec: `${name}@${range}`,
            acceptPermissions: request.acceptPermissions,
            installDependencies: true,
          },
          log,
          runId,
          new Set([...chain, plugin.id]),
        );
      }
      Object.assign(journal, {
        pluginId: plugin.id,
        packageName: plugin.packageName,
        version: plugin.packageVersion,
      });
      await this.commit(dir, journal, staged, log);
      return staged.record;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Update an installed plugin to `version` (a range) or the newest version; rolls back when it fails. */
  update(
    id: string,
    version: string | undefined,
    log: Log = () => {},
    runId?: string,
  ): Promise<InstalledRecord> {
    return this.exclusive(async () => {
      const current = await this.installedRecord(id);
      if (!current)
        throw new WebcasaError('WEBCASA_NOT_FOUND', `plugin ${id} was not installed at run time`, 404);
      const op = opId();
      const dir = join(this.stagingRoot, op);
      const journal: Journal = {
        op,
        kind: 'update',
        phase: 'staging',
        pluginId: id,
        packageName: current.packageName,
        previousVersion: current.version,
        previousRecord: current,
        runId,
        startedAt: Date.now(),
        updatedAt: 0,
      };
      writeJournal(dir, journal);
      try {
        const staged = await this.stage(dir, { spec: `${current.packageName}@${version ?? 'latest'}` }, log);
        if (staged.plugin.id !== id) {
          throw installError(
            'WEBCASA_INSTALL_ID_CHANGED',
            `${current.packageName}@${staged.record.version} declares plugin id ${staged.plugin.id}, not ${id}`,
          );
        }
        const plan = this.plan(staged);
        this.checkPlan(plan, { acceptPermissions: [...plan.permissions], installDependencies: false });
        journal.version = staged.record.version;
        await this.commit(dir, journal, staged, log);
        return staged.record;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  /**
   * Stop the plugin, run its `uninstall` hook, back up and drop its tables,
   * remove its data dir (unless `keepData`) and its package.
   */
  uninstall(
    id: string,
    options: { keepData?: boolean; cascade?: boolean } = {},
    log: Log = () => {},
    runId?: string,
  ): Promise<{ backup?: string; tables: string[] }> {
    return this.exclusive(async () => {
      const record = await this.installedRecord(id);
      if (!record)
        throw new WebcasaError('WEBCASA_NOT_FOUND', `plugin ${id} was not installed at run time`, 404);
      const op = opId();
      const dir = join(this.stagingRoot, op);
      const journal: Journal = {
        op,
        kind: 'uninstall',
        phase: 'staging',
        pluginId: id,
        packageName: record.packageName,
        version: record.version,
        keepData: options.keepData ?? false,
        runId,
        startedAt: Date.now(),
        updatedAt: 0,
      };
      const state = this.options.sqlite
        .prepare('SELECT enabled, isolation FROM plugin_state WHERE id = ?')
        .get(id) as { enabled: number; isolation: string | null } | undefined;
      if (state) journal.pluginState = state;
      writeJournal(dir, journal);
      await this.step('uninstall:journalled', journal);
      log(`stopping ${id} and calling its uninstall hook`);
      await this.options.host.remove(id, { cascade: options.cascade });
      await this.step('uninstall:stopped', journal);
      const backup = backupPluginTables(this.options.sqlite, this.options.dataDir, id);
      if (backup) log(`tables backed up to ${backup}`);
      await this.step('uninstall:backed-up', journal);
      // Writing `removing` is the commit point: from here on a restart finishes the uninstall.
      journal.phase = 'removing';
      writeJournal(dir, journal);
      await this.step('uninstall:committed', journal);
      const live = join(this.modulesDir, record.packageName);
      if (existsSync(live)) renameSync(live, join(dir, 'removed'));
      await this.step('uninstall:package-moved', journal);
      const tables = await this.finishUninstall(journal, () =>
        this.step('uninstall:tables-dropped', journal),
      );
      log(`dropped ${tables.length} table(s)${options.keepData ? '; data kept' : ''}`);
      await this.step('uninstall:finished', journal);
      rmSync(dir, { recursive: true, force: true });
      return { backup, tables };
    });
  }

  private async step(name: string, journal: Journal): Promise<void> {
    await this.options.onStep?.(name, journal);
  }

  /** Everything after the commit point; safe to repeat (recovery runs it again after a crash). */
  private async finishUninstall(journal: Journal, afterDrop?: () => Promise<void>): Promise<string[]> {
    const id = journal.pluginId!;
    // Killed between the commit point and the move, the package is still live: it goes too.
    if (journal.packageName)
      rmSync(join(this.modulesDir, journal.packageName), { recursive: true, force: true });
    const tables = dropPluginTables(this.options.sqlite, id);
    await afterDrop?.();
    if (!journal.keepData) {
      rmSync(join(this.pluginsDir, id), { recursive: true, force: true });
      await this.options.settings.deletePrefix(`plugin.${id}.`);
    }
    await this.options.settings.delete(INSTALLED_KEY + id);
    return tables;
  }

  /**
   * Finish or undo what a killed process left in `.staging/`. Call at boot,
   * before plugins are discovered. Returns one line per operation.
   */
  async recover(): Promise<string[]> {
    const notes: string[] = [];
    for (const dir of pendingOperations(this.stagingRoot)) {
      const journal = readJournal(dir);
      const what = journal
        ? `${journal.kind} of ${journal.packageName ?? journal.pluginId ?? '?'}`
        : 'operation';
      try {
        if (journal?.kind === 'uninstall' && journal.phase === 'staging') {
          // Stopped (and maybe its uninstall hook ran) but nothing removed: it stays installed.
          if (journal.pluginState) {
            this.options.sqlite
              .prepare(
                'INSERT OR IGNORE INTO plugin_state (id, enabled, isolation, updated_at) VALUES (?, ?, ?, ?)',
              )
              .run(journal.pluginId, journal.pluginState.enabled, journal.pluginState.isolation, Date.now());
          }
          notes.push(
            `uninstall of ${journal.pluginId} was interrupted before its package was removed; ${journal.pluginId} ${journal.version} kept`,
          );
        } else if (!journal || journal.phase === 'staging') {
          notes.push(`${what} (${journal?.op ?? dir}) was interrupted before it changed anything; discarded`);
        } else if (journal.kind === 'uninstall') {
          await this.finishUninstall(journal);
          notes.push(
            `uninstall of ${journal.pluginId} was interrupted after it was committed (package, tables${journal.keepData ? '' : ' and data'} removed); finished`,
          );
        } else if (journal.phase === 'committed') {
          notes.push(`${what}@${journal.version} was committed; cleaned up`);
        } else {
          // swapping or activating: the new version never confirmed a good setup. Put the old state back.
          const live = join(this.modulesDir, journal.packageName!);
          const previous = join(dir, 'previous');
          if (existsSync(previous)) {
            rmSync(live, { recursive: true, force: true });
            mkdirSync(dirname(live), { recursive: true });
            renameSync(previous, live);
            notes.push(`${what}@${journal.version} was interrupted; ${journal.previousVersion} restored`);
          } else if (journal.kind === 'install') {
            rmSync(live, { recursive: true, force: true });
            notes.push(`${what}@${journal.version} was interrupted; removed`);
          } else {
            notes.push(`${what}@${journal.version} was interrupted; ${journal.previousVersion} kept`);
          }
          if (journal.kind === 'install' && journal.pluginId) {
            await this.options.settings.delete(INSTALLED_KEY + journal.pluginId);
          } else if (journal.kind === 'update' && journal.previousRecord) {
            await this.options.settings.set(INSTALLED_KEY + journal.pluginId, journal.previousRecord);
          }
        }
      } finally {
        if (journal?.runId && notes.length > 0) notes[notes.length - 1] += ` (run ${journal.runId})`;
        rmSync(dir, { recursive: true, force: true });
      }
    }
    for (const note of notes) this.options.logger?.info({}, note);
    return notes;
  }

  // ---------------------------------------------------------------------------------------------

  /** Fetch (or take the upload), verify, extract and read the manifest. No plugin code runs. */
  private async stage(
    dir: string,
    request: Pick<InstallRequest, 'spec' | 'tarball'>,
    log: Log,
  ): Promise<Staged> {
    mkdirSync(dir, { recursive: true });
    const tgz = join(dir, 'package.tgz');
    let record: Omit<InstalledRecord, 'id' | 'packageName' | 'version'>;
    const registry = await this.registry();
    if (request.tarball) {
      const data = readFileSync(request.tarball);
      writeFileSync(tgz, data);
      const { createHash } = await import('node:crypto');
      record = { from: 'tarball', sha256: createHash('sha256').update(data).digest('hex'), installedAt: '' };
      log(`uploaded tarball, sha256 ${record.sha256}`);
    } else if (request.spec) {
      const spec: PackageSpec = parseSpec(request.spec);
      log(`resolving ${spec.name}@${spec.range} from ${registry.url}`);
      const packument = await fetchPackument(registry, spec.name);
      const version = pickVersion(packument, spec.range);
      if (!version) {
        throw new WebcasaError(
          'WEBCASA_INSTALL_NO_VERSION',
          `no version of ${spec.name} matches ${spec.range} (have ${Object.keys(packument.versions).join(', ')})`,
          404,
        );
      }
      const tarball = await downloadTarball(registry, packument, version);
      writeFileSync(tgz, tarball.data);
      log(`downloaded ${spec.name}@${version}, integrity verified, sha256 ${tarball.sha256}`);
      record = {
        from: 'registry',
        registry: registry.url,
        integrity: tarball.integrity,
        sha256: tarball.sha256,
        installedAt: '',
      };
    } else {
      throw new WebcasaError('WEBCASA_BAD_REQUEST', 'give a spec or a tarball', 400);
    }
    const extract = join(dir, 'extract');
    mkdirSync(extract, { recursive: true });
    // --no-same-owner/permissions: files belong to the panel's user; tar refuses paths outside -C.
    await run('tar', ['-xzf', tgz, '-C', extract, '--no-same-owner', '--no-same-permissions'], {
      timeout: 60_000,
    });
    const packageDir = join(extract, 'package');
    const found = discoverPlugins({ fromDir: extract, dirs: [packageDir] });
    if (found.problems.length > 0 || found.plugins.length !== 1) {
      const problem = found.problems[0];
      throw new WebcasaError(
        problem?.code ?? 'WEBCASA_PLUGIN_NOT_FOUND',
        `the package is not a valid Web.Casa plugin: ${problem?.message ?? 'no plugin found'}`,
        422,
      );
    }
    const plugin = found.plugins[0]!;
    const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
      keywords?: string[];
      dependencies?: Record<string, string>;
      webcasa?: { dependencyPackages?: Record<string, string> };
    };
    if (!pkg.keywords?.includes('webcasa-plugin')) {
      throw new WebcasaError(
        'WEBCASA_PLUGIN_NOT_A_PLUGIN',
        `${plugin.packageName} lacks the keyword "webcasa-plugin" in its package.json`,
        422,
      );
    }
    log(`manifest of ${plugin.id} ${plugin.packageVersion} is valid`);
    return {
      hasDependencies: Object.keys(pkg.dependencies ?? {}).length > 0,
      dependencyPackages: { ...pkg.webcasa?.dependencyPackages },
      dir,
      packageDir,
      plugin,
      record: {
        ...record,
        id: plugin.id,
        packageName: plugin.packageName,
        version: plugin.packageVersion,
        installedAt: new Date().toISOString(),
      },
    };
  }

  private async npmInstall(packageDir: string, registry: RegistryConfig, opDir: string): Promise<void> {
    const npmrc = join(opDir, '.npmrc');
    const lines = [`registry=${registry.url}`];
    if (registry.token)
      lines.push(`//${registry.url.replace(/^https?:\/\//, '')}:_authToken=${registry.token}`);
    writeFileSync(npmrc, `${lines.join('\n')}\n`, { mode: 0o600 });
    try {
      await run(
        this.options.npm ?? 'npm',
        [
          'install',
          '--ignore-scripts',
          '--omit=dev',
          '--omit=peer',
          '--legacy-peer-deps',
          '--omit=optional',
          '--no-audit',
          '--no-fund',
          '--no-package-lock',
          '--install-strategy=nested',
          '--userconfig',
          npmrc,
          '--registry',
          registry.url,
        ],
        { cwd: packageDir, timeout: 300_000, env: { ...process.env, npm_config_update_notifier: 'false' } },
      );
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new WebcasaError(
        'WEBCASA_INSTALL_NPM_FAILED',
        `npm could not install the dependencies: ${stderr.trim().split('\n').slice(-5).join(' ') || (error as Error).message}`,
        502,
      );
    }
  }

  private plan(staged: Staged): InstallPlan {
    const { manifest } = staged.plugin;
    const known = new Map(this.options.host.manifests().map((m) => [m.id, m]));
    const missing: Record<string, string> = {};
    const problems: string[] = [];
    const apiVersion = this.options.host.apiVersion;
    if (!semver.satisfies(apiVersion, manifest.engine, { includePrerelease: true })) {
      problems.push(
        `plugin ${manifest.id} needs plugin API ${manifest.engine}; this panel has ${apiVersion}`,
      );
    }
    for (const [dep, range] of Object.entries(manifest.dependencies)) {
      const have = known.get(dep);
      if (!have) missing[dep] = range;
      else if (!semver.satisfies(have.version, range, { includePrerelease: true }))
        problems.push(`plugin ${manifest.id} needs ${dep} ${range}; ${have.version} is installed`);
    }
    return {
      id: manifest.id,
      packageName: staged.plugin.packageName,
      version: staged.plugin.packageVersion,
      name: manifest.name,
      description: manifest.description,
      permissions: [...(manifest.permissions ?? [])],
      scopes: Object.fromEntries(
        Object.entries(manifest.scopes ?? {}).map(([name, scope]) => [
          name,
          { description: scope.description ?? '', minRole: scope.minRole ?? 'admin' },
        ]),
      ),
      engine: manifest.engine,
      missingDependencies: missing,
      problems,
      sha256: staged.record.sha256,
      integrity: staged.record.integrity,
      installedVersion: this.options.host.info(manifest.id)?.version,
    };
  }

  private checkPlan(
    plan: InstallPlan,
    request: Pick<InstallRequest, 'acceptPermissions' | 'installDependencies'>,
  ) {
    if (plan.problems.length > 0) {
      throw installError('WEBCASA_INSTALL_INCOMPATIBLE', plan.problems.join('; '));
    }
    const accepted = new Set(request.acceptPermissions ?? []);
    const notAccepted = plan.permissions.filter((p) => !accepted.has(p));
    if (notAccepted.length > 0) {
      throw new WebcasaError(
        'WEBCASA_INSTALL_PERMISSIONS',
        `plugin ${plan.id} asks for ${notAccepted.join(', ')}; the admin must accept ${notAccepted.length === 1 ? 'it' : 'them'}`,
        409,
        { permissions: plan.permissions },
      );
    }
    const missing = Object.keys(plan.missingDependencies);
    if (missing.length > 0 && !request.installDependencies) {
      throw new WebcasaError(
        'WEBCASA_INSTALL_MISSING_DEPENDENCIES',
        `plugin ${plan.id} needs ${missing.join(', ')}, not installed; agree to install ${missing.length === 1 ? 'it' : 'them'} too`,
        409,
        { dependencies: plan.missingDependencies },
      );
    }
  }

  /** Link the host's shared singletons where the plugin's peers resolve them. */
  private linkHostPeers(): void {
    const require = createRequire(import.meta.url);
    for (const name of Object.keys(this.options.hostPeers ?? {}).concat(HOST_PEERS)) {
      const link = join(this.modulesDir, name);
      try {
        lstatSync(link);
        continue;
      } catch {}
      let target: string;
      try {
        target = this.options.hostPeers?.[name] ?? dirname(require.resolve(`${name}/package.json`));
      } catch {
        continue; // not something this host has; a plugin that needs it fails its setup with the reason
      }
      mkdirSync(dirname(link), { recursive: true });
      try {
        symlinkSync(target, link, 'dir');
      } catch {}
    }
  }

  /** Swap the staged package in, set it up, and roll back to the previous version when that fails. */
  private async commit(dir: string, journal: Journal, staged: Staged, log: Log): Promise<void> {
    const { plugin, record } = staged;
    if (staged.hasDependencies) {
      log(`installing production dependencies of ${plugin.packageName} (install scripts disabled)`);
      await this.npmInstall(staged.packageDir, await this.registry(), dir);
    }
    const live = join(this.modulesDir, plugin.packageName);
    const previous = join(dir, 'previous');
    this.linkHostPeers();
    journal.phase = 'swapping';
    writeJournal(dir, journal);
    mkdirSync(dirname(live), { recursive: true });
    const hadPrevious = existsSync(live);
    if (hadPrevious) renameSync(live, previous);
    renameSync(staged.packageDir, live);
    journal.phase = 'activating';
    writeJournal(dir, journal);
    const rediscovered = discoverPlugins({ fromDir: this.pluginsDir, dirs: [live] }).plugins[0];
    if (!rediscovered)
      throw installError('WEBCASA_INSTALL_FAILED', `${plugin.packageName} vanished while installing`);
    const source = installedSource(rediscovered, record.sha256);
    try {
      if (journal.kind === 'update') {
        log(`setting up ${plugin.id} ${record.version} in place of ${journal.previousVersion}`);
        await this.options.host.replace(plugin.id, source);
      } else {
        log(`setting up ${plugin.id} ${record.version}`);
        await this.options.host.add(source);
      }
    } catch (error) {
      log(`${plugin.id} ${record.version} failed: ${(error as Error).message}; rolling back`, 'error');
      rmSync(live, { recursive: true, force: true });
      if (hadPrevious) renameSync(previous, live);
      journal.phase = 'staging';
      writeJournal(dir, journal);
      if (hadPrevious) log(`${plugin.id} ${journal.previousVersion} restored and running`, 'warn');
      throw error;
    }
    await this.options.settings.set(INSTALLED_KEY + plugin.id, record);
    journal.phase = 'committed';
    writeJournal(dir, journal);
    log(`${plugin.id} ${record.version} is running`);
  }
}

/**
 * A PluginSource for an installed package whose server entry is imported with
 * a version query, so an update in the same process loads the new code rather
 * than Node's cached module.
 */
export function installedSource(plugin: DiscoveredPlugin, tag: string): PluginSource {
  const { serverEntry } = plugin;
  return {
    ...plugin,
    source: 'installed',
    load: serverEntry
      ? () => import(`${pathToFileURL(serverEntry).href}?v=${plugin.packageVersion}-${tag.slice(0, 12)}`)
      : undefined,
  };
}

const NO_HOST: InstallerHost = {
  apiVersion: '0.0.0',
  manifests: () => [],
  info: () => undefined,
  add: async () => {},
  replace: async () => {},
  remove: async () => {},
};

/**
 * Finish or undo plugin operations a killed panel left behind, before any
 * plugin is discovered (no plugin manager needed). Returns one note per
 * operation, naming the run it belonged to.
 *
 * @example
 * const notes = await recoverPluginOperations({ dataDir, settings, sqlite: db.shared.db });
 * if (notes.length) await runs.start('core', 'Recovered plugin operations', (run) => notes.forEach((n) => run.log(n)));
 */
export function recoverPluginOperations(options: Omit<InstallerOptions, 'host'>): Promise<string[]> {
  return new PluginInstaller({ ...options, host: NO_HOST }).recover();
}
