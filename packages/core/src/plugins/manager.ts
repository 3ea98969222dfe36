import { basename, dirname, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EventBus } from '@webcasa/event-bus';
import { isServerPlugin, type Manifest, type ServerPlugin } from '@webcasa/plugin-sdk';
import type { Kysely } from 'kysely';
import type { CoreDatabase } from '../db/schema.js';
import { errorMessage, notFound, PluginError } from '../errors.js';
import { errorResponse } from '../http/error-handler.js';
import { fileInside } from '../http/static.js';
import {
  type CrashInfo,
  IsolatedPlugin,
  type IsolationLimits,
  isolationLimitsFromEnv,
  type UninstallOutcome,
} from '../isolation/index.js';
import { type ContextDeps, createPluginContext, type DispatchEnv, PluginRuntime } from './context.js';
import { resolvePlugins } from './resolver.js';
import '../events.js';

/** A plugin the host knows about: its manifest and how to load its server entry. */
export interface PluginSource {
  id: string;
  manifest: Manifest;
  packageName?: string;
  packageDir?: string;
  /** Absolute path of the server entry module. */
  serverEntry?: string;
  webEntry?: string;
  source: 'distribution' | 'dir' | 'installed' | 'inline';
  /** For inline plugins (tests, plugin-testing): returns the server plugin itself. */
  load?: () => Promise<unknown>;
}

/** `crashed`: an isolated plugin's process crashed too often and is no longer restarted. */
export type PluginStatus = 'running' | 'disabled' | 'error' | 'crashed';

export interface PluginInfo {
  id: string;
  name: string;
  version: string;
  description: string;
  packageName: string | null;
  source: PluginSource['source'];
  status: PluginStatus;
  enabled: boolean;
  error: { code: string; message: string; at: number } | null;
  /** Position in the load order among running plugins (0 first), null when not running. */
  loadOrder: number | null;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  /** Plugins that require this one. */
  dependents: string[];
  permissions: string[];
  /** Where the plugin runs now: its manifest's choice unless an admin switched it. */
  isolation: Manifest['isolation'];
  /** Process id of an isolated plugin's process, null otherwise. */
  pid: number | null;
  /** Restarts after crashes since it was last set up (isolated plugins). */
  restarts: number;
  lastCrash: CrashInfo | null;
  /** Resident memory of the isolated process in bytes. */
  memoryRss: number | null;
  timings: { setupMs: number | null; startMs: number | null };
  manifest: Manifest;
}

export interface ManagerOptions {
  apiVersion: string;
  /** How long setup (and start) may take before the plugin is marked error. Default 10 s. */
  setupTimeoutMs?: number;
  /** How long stop may take before the host tears the plugin down anyway. Default 5 s. */
  stopTimeoutMs?: number;
  logger: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
  runs: ContextDeps['runs'] & { cancelAllFor(pluginId: string): void | Promise<void> };
  ws: ContextDeps['ws'] & { removeOwner(owner: string): void };
  coreDb: Kysely<CoreDatabase>;
  /** Limits of isolated plugins' processes (defaults, then `WEBCASA_ISOLATION_*` env, then these). */
  isolation?: Partial<IsolationLimits>;
}

interface Entry {
  source: PluginSource;
  status: PluginStatus;
  enabled: boolean;
  error: PluginInfo['error'];
  runtime?: PluginRuntime;
  instance?: ServerPlugin;
  timings: PluginInfo['timings'];
  /** the supervised process when the plugin runs isolated. */
  isolated?: IsolatedPlugin;
  /** an admin's choice, persisted in plugin_state.isolation. */
  isolation?: Manifest['isolation'];
}

class Timeout extends Error {}

async function withTimeout<T>(work: Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      Promise.resolve(work),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Timeout(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs plugins: setup in dependency order, then start; stop in reverse.
 * Enables and disables at run time, removing all a plugin registered. A plugin
 * that throws or hangs is marked `error` with its message; nothing else is
 * affected.
 */
export class PluginManager {
  private readonly entries = new Map<string, Entry>();
  /** Running plugins in the order they were set up; every change bumps `revision`. */
  private running: string[] = [];
  /** Increases whenever the set of running plugins changes (for caches of derived data). */
  revision = 0;
  private problems: { id: string; code: string; message: string; packageName?: string }[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: Omit<ContextDeps, 'serviceOf'> & { bus: EventBus },
    private readonly options: ManagerOptions,
  ) {}

  /** Serialise lifecycle operations: enable, disable and load never interleave. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async persistedEnabled(): Promise<Map<string, boolean>> {
    const rows = await this.options.coreDb.selectFrom('plugin_state').select(['id', 'enabled']).execute();
    return new Map(rows.map((r) => [r.id, r.enabled === 1]));
  }

  private async persistEnabled(id: string, enabled: boolean): Promise<void> {
    const now = Date.now();
    await this.options.coreDb
      .insertInto('plugin_state')
      .values({ id, enabled: enabled ? 1 : 0, isolation: null, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ enabled: enabled ? 1 : 0, updated_at: now }))
      .execute();
  }

  /**
   * Resolve and start every enabled plugin. Plugins that cannot load (and their
   * dependents) are recorded with the reason; the others start.
   */
  load(
    sources: PluginSource[],
    problems: { id?: string; packageName?: string; code: string; message: string }[] = [],
  ): Promise<void> {
    return this.exclusive(async () => {
      const persisted = await this.persistedEnabled();
      const isolationChoices = await this.persistedIsolation();
      for (const problem of problems) {
        this.problems.push({ id: problem.id ?? problem.packageName ?? 'unknown', ...problem });
      }
      for (const source of sources) {
        if (this.entries.has(source.id)) {
          // A second package with the same id: the resolver reports it; keep the first entry.
          continue;
        }
        const enabled = persisted.get(source.id) ?? true;
        this.entries.set(source.id, {
          source,
          status: enabled ? 'error' : 'disabled',
          enabled,
          error: null,
          timings: { setupMs: null, startMs: null },
          isolation: isolationChoices.get(source.id),
        });
      }
      const disabled = new Set([...this.entries.values()].filter((e) => !e.enabled).map((e) => e.source.id));
      const result = resolvePlugins(sources, { apiVersion: this.options.apiVersion, disabled });
      for (const skipped of result.skipped) {
        const entry = this.entries.get(skipped.id);
        // A duplicate id names a second package; the first one keeps the entry.
        if (entry && skipped.code !== 'WEBCASA_PLUGIN_DUPLICATE')
          this.markError(entry, skipped.code, skipped.message);
        else this.problems.push({ id: skipped.id, code: skipped.code, message: skipped.message });
      }
      for (const warning of result.warnings)
        this.options.logger.warn({ plugin: warning.id }, warning.message);
      const started: string[] = [];
      for (const source of result.order) {
        const entry = this.entries.get(source.id)!;
        const failedDep = this.failedDependency(entry.source.manifest);
        if (failedDep) {
          this.markError(
            entry,
            'WEBCASA_PLUGIN_DEPENDENCY_FAILED',
            `plugin ${source.id} needs ${failedDep}, which failed to start`,
          );
          continue;
        }
        if (await this.setup(entry)) started.push(source.id);
      }
      for (const id of started) {
        const entry = this.entries.get(id)!;
        if (entry.status === 'running') await this.start(entry);
      }
    });
  }

  private failedDependency(manifest: Manifest): string | undefined {
    return Object.keys(manifest.dependencies).find((dep) => this.entries.get(dep)?.status !== 'running');
  }

  private markError(entry: Entry, code: string, message: string): void {
    entry.status = 'error';
    entry.error = { code, message, at: Date.now() };
    this.options.logger.error({ plugin: entry.source.id, code }, message);
    this.deps.bus.emit('plugin.failed', { id: entry.source.id, code, message });
  }

  private async importServer(source: PluginSource): Promise<ServerPlugin> {
    let mod: unknown;
    if (source.load) mod = await source.load();
    else if (source.serverEntry) mod = await import(pathToFileURL(source.serverEntry).href);
    else
      throw new PluginError(
        'WEBCASA_PLUGIN_ENTRY_MISSING',
        source.id,
        `plugin ${source.id} has no server entry`,
      );
    const candidate = isServerPlugin(mod) ? mod : (mod as { default?: unknown })?.default;
    if (!isServerPlugin(candidate)) {
      throw new PluginError(
        'WEBCASA_PLUGIN_NOT_A_PLUGIN',
        source.id,
        `plugin ${source.id}: the server entry's default export is not made by defineServerPlugin()`,
      );
    }
    return candidate;
  }

  /** Import and set up one plugin. Returns whether it is now running. */
  private async setup(entry: Entry): Promise<boolean> {
    if (this.isolationOf(entry) === 'process') return this.setupIsolated(entry);
    const { manifest } = entry.source;
    const timeout = this.options.setupTimeoutMs ?? 10_000;
    const runtime = new PluginRuntime(manifest, this.deps.bus, (error, c) => {
      if (!(error instanceof Error) || !('status' in error) || (error as { status: number }).status >= 500) {
        this.deps
          .pluginLogger(manifest.id)
          .error('request failed', { error: errorMessage(error), path: c.req.path });
      }
      return errorResponse(error, c);
    });
    const began = performance.now();
    try {
      const instance = await withTimeout(
        this.importServer(entry.source),
        timeout,
        `plugin ${manifest.id}: loading the server entry`,
      );
      const ctx = createPluginContext(manifest, runtime, {
        ...this.deps,
        serviceOf: (id) => this.serviceOf(id),
      });
      entry.runtime = runtime;
      entry.instance = instance;
      await withTimeout(instance.setup(ctx), timeout, `plugin ${manifest.id}: setup`);
      entry.status = 'running';
      entry.error = null;
      entry.timings.setupMs = Math.round((performance.now() - began) * 100) / 100;
      this.running.push(manifest.id);
      this.revision++;
      return true;
    } catch (error) {
      runtime.teardown();
      this.options.ws.removeOwner(manifest.id);
      entry.runtime = undefined;
      entry.instance = undefined;
      const code =
        error instanceof Timeout
          ? 'WEBCASA_PLUGIN_TIMEOUT'
          : ((error as { code?: string }).code ?? 'WEBCASA_PLUGIN_SETUP_FAILED');
      const message = errorMessage(error);
      this.markError(
        entry,
        code,
        message.includes(manifest.id) ? message : `plugin ${manifest.id}: setup failed: ${message}`,
      );
      return false;
    }
  }

  private async start(entry: Entry): Promise<void> {
    const { manifest } = entry.source;
    if (entry.isolated) return this.startIsolated(entry);
    if (!entry.instance?.start) return;
    const began = performance.now();
    try {
      await withTimeout(
        entry.instance.start(),
        this.options.setupTimeoutMs ?? 10_000,
        `plugin ${manifest.id}: start`,
      );
      entry.timings.startMs = Math.round((performance.now() - began) * 100) / 100;
    } catch (error) {
      await this.teardown(entry, false);
      const message = errorMessage(error);
      this.markError(
        entry,
        error instanceof Timeout ? 'WEBCASA_PLUGIN_TIMEOUT' : 'WEBCASA_PLUGIN_START_FAILED',
        message.includes(manifest.id) ? message : `plugin ${manifest.id}: start failed: ${message}`,
      );
    }
  }

  /** Stop (unless `callStop` is false) and remove everything the plugin registered. */
  private async teardown(entry: Entry, callStop: boolean): Promise<void> {
    const id = entry.source.id;
    if (callStop && entry.instance?.stop) {
      try {
        await withTimeout(entry.instance.stop(), this.options.stopTimeoutMs ?? 5_000, `plugin ${id}: stop`);
      } catch (error) {
        this.options.logger.warn(
          { plugin: id },
          `plugin ${id}: stop failed (${errorMessage(error)}); removed anyway`,
        );
      }
    }
    // the process gets its shutdown message, then SIGTERM, then SIGKILL.
    if (entry.isolated) {
      await entry.isolated.stop();
      if (entry.status !== 'crashed') entry.isolated = undefined;
    }
    entry.runtime?.teardown();
    this.options.ws.removeOwner(id);
    this.deps.config.unwatchAll(id);
    await this.options.runs.cancelAllFor(id);
    entry.runtime = undefined;
    entry.instance = undefined;
    this.running = this.running.filter((r) => r !== id);
    this.revision++;
  }

  private serviceOf(id: string): object | undefined {
    const entry = this.entries.get(id);
    if (entry?.status !== 'running') return undefined;
    return entry.isolated ? entry.isolated.service : entry.runtime?.service;
  }

  /** Required dependents of `id` that are running, deepest last. */
  private runningDependents(id: string): string[] {
    const out: string[] = [];
    const visit = (target: string) => {
      for (const other of this.running) {
        const manifest = this.entries.get(other)!.source.manifest;
        if (target in manifest.dependencies && !out.includes(other)) {
          out.push(other);
          visit(other);
        }
      }
    };
    visit(id);
    return out;
  }

  /**
   * Disable a running (or failed) plugin at run time. Refused with the names
   * of enabled plugins that depend on it, unless `cascade` disables them too.
   */
  disable(id: string, options: { cascade?: boolean } = {}): Promise<PluginInfo> {
    return this.exclusive(async () => {
      const entry = this.entries.get(id);
      if (!entry) throw notFound(`no plugin with id "${id}"`);
      const dependents = this.runningDependents(id);
      if (dependents.length > 0 && !options.cascade) {
        throw new PluginError(
          'WEBCASA_PLUGIN_HAS_DEPENDENTS',
          id,
          `plugin ${id} is needed by ${dependents.join(', ')}; disable them first or ask for cascade`,
          { dependents },
        );
      }
      // Stop dependents first, in reverse load order.
      const order = this.running.filter((r) => dependents.includes(r)).reverse();
      for (const dep of order) await this.disableOne(this.entries.get(dep)!);
      await this.disableOne(entry);
      return this.info(id)!;
    });
  }

  private async disableOne(entry: Entry): Promise<void> {
    if (entry.status === 'running' || entry.status === 'crashed') await this.teardown(entry, true);
    entry.isolated = undefined;
    entry.status = 'disabled';
    entry.enabled = false;
    entry.error = null;
    await this.persistEnabled(entry.source.id, false);
    this.deps.bus.emit('plugin.disabled', { id: entry.source.id });
  }

  /**
   * Enable a plugin at run time and start it. Refused with the names of
   * disabled dependencies, unless `cascade` enables them too.
   */
  enable(id: string, options: { cascade?: boolean } = {}): Promise<PluginInfo> {
    return this.exclusive(async () => {
      const entry = this.entries.get(id);
      if (!entry) throw notFound(`no plugin with id "${id}"`);
      if (entry.status === 'running') return this.info(id)!;
      const chain = this.enableChain(id, options.cascade ?? false);
      for (const target of chain) {
        const e = this.entries.get(target)!;
        e.enabled = true;
        await this.persistEnabled(target, true);
        if (e.status === 'running') continue;
        const all = [...this.entries.values()].map((x) => x.source);
        const disabled = new Set(
          [...this.entries.values()].filter((x) => !x.enabled).map((x) => x.source.id),
        );
        const resolved = resolvePlugins(all, { apiVersion: this.options.apiVersion, disabled });
        const skipped = resolved.skipped.find((s) => s.candidate === e.source);
        if (skipped) {
          this.markError(e, skipped.code, skipped.message);
          continue;
        }
        const failed = this.failedDependency(e.source.manifest);
        if (failed) {
          this.markError(
            e,
            'WEBCASA_PLUGIN_DEPENDENCY_FAILED',
            `plugin ${target} needs ${failed}, which is not running`,
          );
          continue;
        }
        if (await this.setup(e)) await this.start(e);
        if ((e.status as PluginStatus) === 'running') this.deps.bus.emit('plugin.enabled', { id: target });
      }
      return this.info(id)!;
    });
  }

  /**
   * Stop and start a running plugin again (e.g. to apply settings it does not
   * watch). Its dependents keep running; services they hold are re-provided.
   */
  restart(id: string): Promise<PluginInfo> {
    return this.exclusive(async () => {
      const entry = this.entries.get(id);
      if (!entry) throw notFound(`no plugin with id "${id}"`);
      if (entry.status === 'running') await this.teardown(entry, true);
      if (await this.setup(entry)) await this.start(entry);
      return this.info(id)!;
    });
  }
  /**
   * Add plugins at run time (installed from npm): resolve, set up and start
   * them live. A plugin that does not end up running is torn down and
   * forgotten, and the first failure is thrown (the installer then removes
   * its package).
   */
  addSources(sources: PluginSource[]): Promise<void> {
    return this.exclusive(async () => {
      const fresh = sources.filter((s) => !this.entries.has(s.id));
      for (const source of fresh) {
        this.entries.set(source.id, {
          source,
          status: 'error',
          enabled: true,
          error: null,
          timings: { setupMs: null, startMs: null },
        });
      }
      // Resolve against every known plugin, so dependencies already running count.
      const all = [...this.entries.values()].map((e) => e.source);
      const disabled = new Set([...this.entries.values()].filter((e) => !e.enabled).map((e) => e.source.id));
      const resolved = resolvePlugins(all, { apiVersion: this.options.apiVersion, disabled });
      const ids = new Set(fresh.map((s) => s.id));
      for (const skipped of resolved.skipped) {
        const entry = this.entries.get(skipped.id);
        if (ids.has(skipped.id) && entry?.source === skipped.candidate)
          this.markError(entry, skipped.code, skipped.message);
      }
      for (const source of resolved.order.filter((s) => ids.has(s.id))) {
        const entry = this.entries.get(source.id)!;
        const failed = this.failedDependency(entry.source.manifest);
        if (failed) {
          this.markError(
            entry,
            'WEBCASA_PLUGIN_DEPENDENCY_FAILED',
            `plugin ${source.id} needs ${failed}, which is not running`,
          );
          continue;
        }
        if (await this.setup(entry)) await this.start(entry);
      }
      let failure: PluginError | undefined;
      for (const source of fresh) {
        const entry = this.entries.get(source.id)!;
        if (entry.status === 'running') {
          await this.persistEnabled(source.id, true);
          this.deps.bus.emit('plugin.enabled', { id: source.id });
          continue;
        }
        failure ??= new PluginError(
          entry.error?.code ?? 'WEBCASA_PLUGIN_SETUP_FAILED',
          source.id,
          entry.error?.message ?? `plugin ${source.id} did not start`,
        );
        await this.teardown(entry, false);
        this.entries.delete(source.id);
        this.revision++;
      }
      if (failure) throw failure;
    });
  }

  /**
   * Swap a plugin's code (an update): stop it, set up and start `source`. If
   * the new one fails setup, its migrations or start, the old source is set up
   * again and keeps running, and the new one's error is thrown.
   */
  replaceSource(id: string, source: PluginSource): Promise<void> {
    return this.exclusive(async () => {
      const entry = this.entries.get(id);
      if (!entry) throw notFound(`no plugin with id "${id}"`);
      const old = entry.source;
      if (entry.status === 'running' || entry.status === 'crashed') await this.teardown(entry, true);
      entry.isolated = undefined;
      entry.source = source;
      if (await this.setup(entry)) await this.start(entry);
      if (entry.status === 'running') {
        this.deps.bus.emit('plugin.enabled', { id });
        return;
      }
      const error = new PluginError(
        entry.error?.code ?? 'WEBCASA_PLUGIN_SETUP_FAILED',
        id,
        entry.error?.message ?? `plugin ${id} did not start`,
      );
      entry.source = old;
      if (await this.setup(entry)) await this.start(entry);
      throw error;
    });
  }

  /**
   * Forget a plugin (uninstall): stop it, call its `uninstall` hook, drop its
   * plugin_state row. Refused while enabled plugins depend on it, unless
   * `cascade` (they are stopped and marked failed: their dependency is gone).
   */
  remove(id: string, options: { cascade?: boolean } = {}): Promise<void> {
    return this.exclusive(async () => {
      const entry = this.entries.get(id);
      if (!entry) return;
      const dependents = this.runningDependents(id);
      if (dependents.length > 0 && !options.cascade) {
        throw new PluginError(
          'WEBCASA_PLUGIN_HAS_DEPENDENTS',
          id,
          `plugin ${id} is needed by ${dependents.join(', ')}; uninstall them first or ask for cascade`,
          { dependents },
        );
      }
      for (const dep of this.running.filter((r) => dependents.includes(r)).reverse()) {
        const e = this.entries.get(dep)!;
        await this.teardown(e, true);
        this.markError(
          e,
          'WEBCASA_PLUGIN_DEPENDENCY_FAILED',
          `plugin ${dep} needs ${id}, which was uninstalled`,
        );
      }
      const instance = entry.instance; // teardown clears it; the hook runs after stop
      // An isolated plugin's hook runs in its process (docs/plugins/isolation.md): the running
      // process stops the plugin, runs the hook and exits; one that is disabled or crashed gets
      // a short-lived process, set up but never started, just for the hook (one that never set
      // up, status `error`, gets none).
      let isolatedHook: Promise<UninstallOutcome> | undefined;
      if (entry.status === 'running' && entry.isolated) isolatedHook = entry.isolated.uninstall();
      else if (
        this.isolationOf(entry) === 'process' &&
        (entry.status === 'disabled' || entry.status === 'crashed')
      ) {
        if (entry.status === 'crashed') await this.teardown(entry, true);
        isolatedHook = this.shortLivedIsolated(entry).uninstall();
      }
      const outcome = await isolatedHook;
      if (entry.status === 'running' || entry.status === 'crashed') await this.teardown(entry, true);
      if (outcome?.uninstall === 'failed') {
        this.options.logger.warn(
          { plugin: id },
          `plugin ${id}: uninstall hook failed (${outcome.uninstallError ?? 'unknown'})`,
        );
      }
      try {
        await withTimeout(
          instance?.uninstall?.(),
          this.options.stopTimeoutMs ?? 5_000,
          `plugin ${id}: uninstall`,
        );
      } catch (error) {
        this.options.logger.warn(
          { plugin: id },
          `plugin ${id}: uninstall hook failed (${errorMessage(error)})`,
        );
      }
      this.entries.delete(id);
      this.problems = this.problems.filter((p) => p.id !== id);
      await this.options.coreDb.deleteFrom('plugin_state').where('id', '=', id).execute();
      this.revision++;
      this.deps.bus.emit('plugin.disabled', { id });
    });
  }

  /** The plugins to enable for `id`, dependencies first. */
  private enableChain(id: string, cascade: boolean): string[] {
    const chain: string[] = [];
    const missing: string[] = [];
    const visit = (target: string) => {
      const entry = this.entries.get(target)!;
      for (const dep of Object.keys(entry.source.manifest.dependencies)) {
        const depEntry = this.entries.get(dep);
        if (!depEntry) continue; // the resolver reports it as missing
        if (!depEntry.enabled || depEntry.status !== 'running') {
          if (!cascade && !depEntry.enabled) missing.push(dep);
          else visit(dep);
        }
      }
      if (!chain.includes(target)) chain.push(target);
    };
    visit(id);
    if (missing.length > 0) {
      throw new PluginError(
        'WEBCASA_PLUGIN_DEPENDENCY_DISABLED',
        id,
        `plugin ${id} needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} disabled; enable ${missing.length === 1 ? 'it' : 'them'} first or ask for cascade`,
        { dependencies: missing },
      );
    }
    return chain;
  }

  /** Stop every running plugin in reverse load order. */
  stopAll(): Promise<void> {
    return this.exclusive(async () => {
      for (const id of [...this.running].reverse()) {
        const entry = this.entries.get(id)!;
        await this.teardown(entry, true);
        entry.status = 'error';
        entry.error = { code: 'WEBCASA_PANEL_STOPPED', message: 'the panel is stopping', at: Date.now() };
      }
    });
  }

  /** Dispatch a request under `/api/plugins/<id>/` to the plugin's router. */
  async fetch(id: string, request: Request, env: DispatchEnv): Promise<Response> {
    const entry = this.entries.get(id);
    if (entry?.status === 'running' && entry.isolated) return entry.isolated.fetch(request, env);
    if (entry?.status !== 'running' || !entry.runtime) {
      throw notFound(entry ? `plugin ${id} is not running (${entry.status})` : `no plugin with id "${id}"`);
    }
    return entry.runtime.fetch(request, env);
  }

  isRunning(id: string): boolean {
    return this.entries.get(id)?.status === 'running';
  }

  info(id: string): PluginInfo | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const m = entry.source.manifest;
    const dependents = [...this.entries.values()]
      .filter((e) => id in e.source.manifest.dependencies)
      .map((e) => e.source.id)
      .sort();
    const order = this.running.indexOf(id);
    const isolated = entry.isolated?.info();
    return {
      id,
      name: m.name,
      version: m.version,
      description: m.description,
      packageName: entry.source.packageName ?? null,
      source: entry.source.source,
      status: entry.status,
      enabled: entry.enabled,
      error: entry.error,
      loadOrder: order === -1 ? null : order,
      dependencies: m.dependencies,
      optionalDependencies: m.optionalDependencies,
      dependents,
      permissions: m.permissions,
      isolation: this.isolationOf(entry),
      pid: isolated?.pid ?? null,
      restarts: isolated?.restarts ?? 0,
      lastCrash: isolated?.lastCrash ?? null,
      memoryRss: isolated?.memoryRss ?? null,
      timings: { ...entry.timings },
      manifest: m,
    };
  }

  // begin ------------------------------------------------------------

  private async persistedIsolation(): Promise<Map<string, Manifest['isolation']>> {
    const rows = await this.options.coreDb.selectFrom('plugin_state').select(['id', 'isolation']).execute();
    const out = new Map<string, Manifest['isolation']>();
    for (const r of rows)
      if (r.isolation === 'process' || r.isolation === 'in-process') out.set(r.id, r.isolation);
    return out;
  }

  /** Where a plugin runs: an admin's choice, else its manifest's; inline plugins (no entry file) always in-process. */
  private isolationOf(entry: Entry): Manifest['isolation'] {
    if (!entry.source.serverEntry) return 'in-process';
    return entry.isolation ?? entry.source.manifest.isolation;
  }

  /** A process for `entry` that nobody routes to (uninstall of a plugin that is not running). */
  private shortLivedIsolated(entry: Entry): IsolatedPlugin {
    return new IsolatedPlugin({
      manifest: entry.source.manifest,
      serverEntry: entry.source.serverEntry!,
      deps: { ...this.deps, serviceOf: (id) => this.serviceOf(id) },
      limits: this.isolationLimits(),
    });
  }

  private isolationLimits(): Partial<IsolationLimits> {
    return {
      ...(this.options.setupTimeoutMs !== undefined && { setupTimeoutMs: this.options.setupTimeoutMs }),
      ...(this.options.stopTimeoutMs !== undefined && { stopTimeoutMs: this.options.stopTimeoutMs }),
      ...isolationLimitsFromEnv(),
      ...this.options.isolation,
    };
  }

  private async setupIsolated(entry: Entry): Promise<boolean> {
    const { manifest } = entry.source;
    const began = performance.now();
    await entry.isolated?.stop(); // a crashed process of a previous activation
    const iso: IsolatedPlugin = new IsolatedPlugin({
      manifest,
      serverEntry: entry.source.serverEntry!,
      deps: { ...this.deps, serviceOf: (id) => this.serviceOf(id) },
      // The panel's timeouts, then WEBCASA_ISOLATION_* from the environment, then explicit options.
      limits: {
        ...(this.options.setupTimeoutMs !== undefined && { setupTimeoutMs: this.options.setupTimeoutMs }),
        ...(this.options.stopTimeoutMs !== undefined && { stopTimeoutMs: this.options.stopTimeoutMs }),
        ...isolationLimitsFromEnv(),
        ...this.options.isolation,
      },
      onStateChange: (state) => {
        if (state !== 'crashed' || entry.isolated !== iso || entry.status !== 'running') return;
        const crash = iso.info().lastCrash;
        entry.status = 'crashed';
        entry.error = {
          code: 'WEBCASA_PLUGIN_CRASHED',
          message: `plugin ${manifest.id} crashed ${iso.limits.maxCrashes} times within ${iso.limits.crashWindowMs} ms and is no longer restarted${crash ? ` (last: ${crash.reason})` : ''}`,
          at: Date.now(),
        };
        this.running = this.running.filter((r) => r !== manifest.id);
        this.revision++;
        this.options.ws.removeOwner(manifest.id);
        this.options.logger.error({ plugin: manifest.id, code: entry.error.code }, entry.error.message);
        this.deps.bus.emit('plugin.failed', {
          id: manifest.id,
          code: entry.error.code,
          message: entry.error.message,
        });
      },
    });
    entry.isolated = iso;
    try {
      await iso.setup();
    } catch (error) {
      entry.isolated = undefined;
      this.options.ws.removeOwner(manifest.id);
      const message = errorMessage(error);
      this.markError(
        entry,
        (error as { code?: string }).code ?? 'WEBCASA_PLUGIN_SETUP_FAILED',
        message.includes(manifest.id) ? message : `plugin ${manifest.id}: setup failed: ${message}`,
      );
      return false;
    }
    entry.status = 'running';
    entry.error = null;
    entry.timings.setupMs = Math.round((performance.now() - began) * 100) / 100;
    this.running.push(manifest.id);
    this.revision++;
    return true;
  }

  private async startIsolated(entry: Entry): Promise<void> {
    const began = performance.now();
    try {
      await entry.isolated!.start();
      entry.timings.startMs = Math.round((performance.now() - began) * 100) / 100;
    } catch (error) {
      await this.teardown(entry, false);
      entry.isolated = undefined;
      this.markError(
        entry,
        (error as { code?: string }).code ?? 'WEBCASA_PLUGIN_START_FAILED',
        errorMessage(error),
      );
    }
  }

  /**
   * Run a plugin in its own process (`process`) or in the panel's (`in-process`),
   * switching a running plugin live. The choice is persisted. Refused (409) for
   * plugins without a server entry file (inline plugins).
   */
  setIsolation(id: string, mode: Manifest['isolation']): Promise<PluginInfo> {
    return this.exclusive(async () => {
      const entry = this.entries.get(id);
      if (!entry) throw notFound(`no plugin with id "${id}"`);
      if (mode === 'process' && !entry.source.serverEntry) {
        throw new PluginError(
          'WEBCASA_PLUGIN_NOT_ISOLATABLE',
          id,
          `plugin ${id} has no server entry file (an inline plugin), so it can only run in the panel's process`,
        );
      }
      const before = this.isolationOf(entry);
      const now = Date.now();
      await this.options.coreDb
        .insertInto('plugin_state')
        .values({ id, enabled: entry.enabled ? 1 : 0, isolation: mode, updated_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet({ isolation: mode, updated_at: now }))
        .execute();
      entry.isolation = mode;
      if (before !== mode && (entry.status === 'running' || entry.status === 'crashed')) {
        await this.teardown(entry, true);
        if (await this.setup(entry)) await this.start(entry);
      }
      return this.info(id)!;
    });
  }

  // isolation: end -------------------------------------------------------------------------

  /** Every known plugin, in load order first, then the rest by id. */
  list(): PluginInfo[] {
    const ids = [
      ...this.running,
      ...[...this.entries.keys()].filter((id) => !this.running.includes(id)).sort(),
    ];
    return ids.map((id) => this.info(id)!);
  }

  /** Packages that could not even be read (no id or invalid manifest), and duplicate ids. */
  listProblems(): { id: string; code: string; message: string; packageName?: string }[] {
    return [...this.problems];
  }

  /**
   * The file behind `/api/plugins/<id>/assets/<path>`: the plugin's web entry,
   * and the files beside it (chunks, styles) only when its folder holds no
   * server code — a web entry sitting next to the server entry exposes just itself.
   */
  webAssetFile(id: string, path: string): string | undefined {
    const entry = this.entries.get(id);
    const web = entry?.source.webEntry;
    if (entry?.status !== 'running' || !web) return undefined;
    const dir = dirname(web);
    const file = fileInside(dir, path);
    if (!file || file.endsWith('.map')) return undefined;
    if (file === web) return file;
    const server = entry.source.serverEntry;
    if (server && (server === dir || server.startsWith(dir + sep))) return undefined;
    return file;
  }

  /** URL of a running plugin's prebuilt web module, or null. */
  webModuleUrl(id: string): string | null {
    const entry = this.entries.get(id);
    if (entry?.status !== 'running' || !entry.source.webEntry) return null;
    return `/api/plugins/${id}/assets/${basename(entry.source.webEntry)}?v=${encodeURIComponent(entry.source.manifest.version)}`;
  }

  runningManifests(): Manifest[] {
    return this.running.map((id) => this.entries.get(id)!.source.manifest);
  }

  manifestOf(id: string): Manifest | undefined {
    return this.entries.get(id)?.source.manifest;
  }
}
