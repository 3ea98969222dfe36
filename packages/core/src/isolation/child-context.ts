import {
  createEventBus,
  type EventBus,
  type EventHandler,
  type ScopedEventBus,
  type Unsubscribe,
} from '@webcasa/event-bus';
import type {
  ActionHandler,
  ActionRun,
  CoreApi,
  Manifest,
  PluginLogger,
  PluginRuns,
  PluginSocket,
  RequestUser,
  RunContext,
} from '@webcasa/plugin-sdk';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  Kysely,
  type Migration,
  type MigrationResultSet,
  Migrator,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { MigrationSummary, PanelDatabase } from '../db/database.js';
import { PluginError, WebcasaError } from '../errors.js';
import type { ContextDeps } from '../plugins/context.js';
import type { ChildPeer, LogLevel, SetupParams } from './protocol.js';

/**
 * The child's side of "one context, two transports": the same `ContextDeps`
 * the panel gives `createPluginContext`, implemented over RPC. The child then
 * builds the plugin's context with the panel's own `createPluginContext`, so
 * routing, scopes, schedules, `use()` checks and teardown are the same code in
 * both modes; only the services underneath cross the process boundary.
 */
export class RemoteServices {
  readonly deps: ContextDeps;
  readonly bus: EventBus;
  private readonly events: RemoteEvents;
  private readonly registrations: Promise<unknown>[] = [];
  private readonly configListeners = new Set<(config: Record<string, unknown>) => void | Promise<void>>();
  private configWatched = false;
  private readonly runFns = new Map<number, (run: RunContext) => Promise<void> | void>();
  private readonly actionHandlers = new Map<string, ActionHandler>();
  private nextRunKey = 1;
  private readonly wsRoutes = new Map<
    string,
    (socket: PluginSocket, params: Record<string, string>) => unknown
  >();
  private readonly sockets = new Map<number, ChildSocket>();
  private services: Record<string, string[]>;
  private readonly serviceProxies = new Map<string, object>();
  private readonly logger: PluginLogger;

  constructor(
    private readonly peer: ChildPeer,
    init: SetupParams,
  ) {
    const id = init.manifest.id;
    this.services = init.services;
    this.logger = remoteLogger(peer, {});
    this.events = new RemoteEvents(peer, id);
    this.bus = { scope: (source: string) => this.events.scope(source) } as unknown as EventBus;
    const db = remoteKysely(peer);
    const database = {
      forPlugin: () => db,
      migratePlugin: (pluginId: string, migrations: Record<string, Migration>) =>
        migrateRemote(db, pluginId, migrations, peer),
      close: async () => {},
    } as unknown as PanelDatabase;

    this.deps = {
      dataDir: init.dataDir,
      db: database,
      bus: this.bus,
      config: {
        get: () => peer.call('config.get', null),
        set: (_manifest: Manifest, patch: Record<string, unknown>) => peer.call('config.set', { patch }),
        watch: (_pluginId: string, listener: (config: Record<string, unknown>) => void | Promise<void>) => {
          this.configListeners.add(listener);
          if (!this.configWatched) {
            this.configWatched = true;
            peer.notify('config.watch', null, true);
          }
          return () => this.configListeners.delete(listener);
        },
        unwatchAll: () => this.configListeners.clear(),
      } as unknown as ContextDeps['config'],
      runs: { forPlugin: () => this.remoteRuns() },
      ws: {
        route: (pattern, handler) => {
          this.wsRoutes.set(pattern, handler);
          this.track(peer.call('ws.route', { pattern }, { plain: true }));
          return () => {
            if (this.wsRoutes.get(pattern) !== handler) return;
            this.wsRoutes.delete(pattern);
            peer.notify('ws.unroute', { pattern }, true);
          };
        },
      },
      pluginLogger: () => this.logger,
      actions: {
        register: (_pluginId, name, handler) => {
          this.actionHandlers.set(name, handler);
          this.track(peer.call('actions.register', { name }, { plain: true }));
          return () => {
            if (this.actionHandlers.get(name) !== handler) return;
            this.actionHandlers.delete(name);
            peer.notify('actions.unregister', { name }, true);
          };
        },
      },
      core: remoteCore(peer, init.core),
      notify: async (_pluginId, message) => {
        await peer.call('notify', message);
      },
      serviceOf: (depId) => this.serviceProxy(depId),
    };

    peer.handle('event', (p) => this.events.deliver(p.type, p.payload, p.source));
    peer.handle('config.changed', async ({ config }) => {
      for (const listener of [...this.configListeners]) {
        try {
          await listener(structuredClone(config));
        } catch (error) {
          this.logger.error('config watcher failed', { error: (error as Error)?.message ?? String(error) });
        }
      }
      return null;
    });
    peer.handle('run.exec', (p, { signal }) => this.execRun(p.key, p.id, signal));
    peer.handle('action.exec', (p, { signal }) => this.execAction(p, signal));
    peer.onNotify('ws.open', (p) => this.openSocket(p));
    peer.onNotify('ws.message', ({ sid, data }) => this.sockets.get(sid)?.receive(String(data)));
    peer.onNotify('ws.closed', ({ sid }) => {
      this.sockets.get(sid)?.closed();
      this.sockets.delete(sid);
    });
    peer.onNotify('services', ({ services }) => {
      this.services = services;
    });
  }

  /** Wait for registrations made during setup (WebSocket routes); the first refusal throws. */
  async settled(): Promise<void> {
    while (this.registrations.length > 0) {
      await Promise.all(this.registrations.splice(0));
    }
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => {
      this.logger.error('registration refused by the panel', { error: (error as Error).message });
      throw error;
    });
    tracked.catch(() => undefined);
    this.registrations.push(tracked);
  }

  private remoteRuns(): PluginRuns {
    const peer = this.peer;
    return {
      start: async (title, fn, options) => {
        const key = this.nextRunKey++;
        this.runFns.set(key, fn);
        try {
          return await peer.call('runs.start', {
            title,
            key,
            options: options?.createdBy ? { createdBy: options.createdBy } : undefined,
          });
        } catch (error) {
          this.runFns.delete(key);
          throw error;
        }
      },
      get: async (id) => (await peer.call('runs.get', { id })) ?? undefined,
      list: (options) => peer.call('runs.list', { limit: options?.limit }),
      cancel: (id) => peer.call('runs.cancel', { id }),
      wait: (id) => peer.call('runs.wait', { id }),
    };
  }

  private async execRun(key: number, id: string, signal: AbortSignal): Promise<null> {
    const fn = this.runFns.get(key);
    this.runFns.delete(key);
    if (!fn) throw new WebcasaError('WEBCASA_RUN_UNKNOWN', `no run function for run ${id}`, 404);
    const peer = this.peer;
    const run: RunContext = {
      id,
      signal,
      log: (line, level) => peer.notify('run.log', { id, line: String(line), level }, true),
      progress: (fraction, message) =>
        peer.notify('run.progress', { id, fraction: Number(fraction), message }, true),
    };
    await fn(run);
    return null;
  }

  private async execAction(
    p: { name: string; input: unknown; id: string; files: ActionRun['files'] },
    signal: AbortSignal,
  ): Promise<{ defined: boolean; value: unknown }> {
    const handler = this.actionHandlers.get(p.name);
    if (!handler) throw new WebcasaError('WEBCASA_ACTION_UNKNOWN', `no handler for action "${p.name}"`, 404);
    const peer = this.peer;
    const id = p.id;
    const run: ActionRun = {
      id,
      signal,
      files: p.files,
      log: (line, level) => peer.notify('run.log', { id, line: String(line), level }, true),
      progress: (fraction, message) =>
        peer.notify('run.progress', { id, fraction: Number(fraction), message }, true),
      artifact: async (name, data) => {
        await peer.call('action.artifact', { id, name: String(name), data });
      },
    };
    const value = await handler(p.input, run);
    return { defined: value !== undefined, value: value ?? null };
  }

  private serviceProxy(depId: string): object | undefined {
    const methods = this.services[depId];
    if (!methods) return undefined;
    const key = `${depId}\0${methods.join(',')}`;
    let proxy = this.serviceProxies.get(key);
    if (!proxy) {
      const peer = this.peer;
      const target: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
      for (const method of methods) {
        target[method] = (...args: unknown[]) => peer.call('service.invoke', { dep: depId, method, args });
      }
      proxy = Object.freeze(target);
      this.serviceProxies.set(key, proxy);
    }
    return proxy;
  }

  private openSocket(p: {
    sid: number;
    pattern: string;
    params: Record<string, string>;
    user: RequestUser;
    path: string;
    query: Record<string, string>;
    ip?: string | null;
  }): void {
    const handler = this.wsRoutes.get(p.pattern);
    const ip = typeof p.ip === 'string' ? p.ip : null;
    const socket = new ChildSocket(this.peer, p.sid, p.user, p.path, p.query, ip);
    if (!handler) {
      socket.close(1011, 'route removed');
      return;
    }
    this.sockets.set(p.sid, socket);
    const fail = (error: unknown) => {
      this.logger.error(`WebSocket handler failed: ${(error as Error)?.message ?? String(error)}`, {
        path: p.path,
      });
      socket.close(1011, 'internal error');
    };
    socket.onError = fail;
    try {
      const result = handler(socket, p.params);
      if (result instanceof Promise) result.catch(fail);
    } catch (error) {
      fail(error);
    }
  }
}

class ChildSocket implements PluginSocket {
  private readonly messageListeners: ((data: string) => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];
  private isClosed = false;
  onError: (error: unknown) => void = () => {};

  constructor(
    private readonly peer: ChildPeer,
    private readonly sid: number,
    readonly user: RequestUser,
    readonly path: string,
    readonly query: Record<string, string>,
    readonly ip: string | null,
  ) {}

  send(data: string): void {
    if (this.isClosed) return;
    this.peer.notify('ws.send', { sid: this.sid, data: String(data) }, true);
  }

  close(code?: number, reason?: string): void {
    if (this.isClosed) return;
    this.peer.notify('ws.close', { sid: this.sid, code, reason }, true);
  }

  onMessage(listener: (data: string) => void): void {
    this.messageListeners.push(listener);
  }

  onClose(listener: () => void): void {
    if (this.isClosed) queueMicrotask(listener);
    else this.closeListeners.push(listener);
  }

  receive(data: string): void {
    for (const listener of this.messageListeners) {
      try {
        const result = listener(data) as unknown;
        if (result instanceof Promise) result.catch((error: unknown) => this.onError(error));
      } catch (error) {
        this.onError(error);
      }
    }
  }

  closed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const listener of this.closeListeners.splice(0)) {
      try {
        listener();
      } catch {
        // One close listener failing must not skip the others.
      }
    }
  }
}

/**
 * The child's event bus: handlers live in a local bus (so wildcards, `once`,
 * `off` and error isolation behave exactly as in the panel); the panel
 * forwards each event this child subscribed to once, and emits go to the panel,
 * which stamps them with the plugin id.
 */
class RemoteEvents {
  private readonly local: EventBus;
  private readonly refs = new Map<string, number>();
  private failures: { type: string; message: string }[] = [];

  constructor(
    private readonly peer: ChildPeer,
    pluginId: string,
  ) {
    this.local = createEventBus({
      source: pluginId,
      onHandlerError: (f) => {
        if (this.failures.length > 100) this.failures.shift();
        this.failures.push({
          type: f.event.type,
          message: (f.error as Error)?.message ?? String(f.error),
        });
      },
    });
  }

  private ref(pattern: string): void {
    const n = this.refs.get(pattern) ?? 0;
    this.refs.set(pattern, n + 1);
    if (n === 0) this.peer.notify('events.sub', { pattern }, true);
  }

  private unref(pattern: string): void {
    const n = this.refs.get(pattern) ?? 0;
    if (n <= 1) {
      this.refs.delete(pattern);
      if (n === 1) this.peer.notify('events.unsub', { pattern }, true);
    } else this.refs.set(pattern, n - 1);
  }

  async deliver(
    type: string,
    payload: unknown,
    source: string,
  ): Promise<{ handled: number; failed: number; message?: string }> {
    const result = await this.local.emitAsync(type as never, payload as never, { source });
    if (result.failed === 0) return result;
    const mine = this.failures.filter((f) => f.type === type);
    this.failures = this.failures.filter((f) => f.type !== type);
    return { ...result, message: mine[0]?.message };
  }

  scope(source: string): ScopedEventBus {
    const inner = this.local.scope(source);
    const entries = new Set<{ pattern: string; handler: EventHandler<any>; off: Unsubscribe }>();
    const add = (pattern: string, handler: EventHandler<any>, once: boolean): Unsubscribe => {
      if (inner.disposed) return () => {};
      const entry = { pattern, handler, off: (() => {}) as Unsubscribe };
      let active = true;
      const release = () => {
        if (!active) return;
        active = false;
        entries.delete(entry);
        this.unref(pattern);
      };
      const offInner = once
        ? inner.once(pattern as never, (event) => {
            release();
            return handler(event);
          })
        : inner.on(pattern as never, handler);
      entry.off = () => {
        offInner();
        release();
      };
      entries.add(entry);
      this.ref(pattern);
      return entry.off;
    };
    const peer = this.peer;
    const scoped = {
      source,
      get disposed() {
        return inner.disposed;
      },
      on: (pattern: string, handler: EventHandler<any>) => add(pattern, handler, false),
      once: (pattern: string, handler: EventHandler<any>) => add(pattern, handler, true),
      off: (pattern: string, handler: EventHandler<any>) => {
        for (const entry of [...entries])
          if (entry.pattern === pattern && entry.handler === handler) entry.off();
      },
      emit: (type: string, payload: unknown) => {
        if (inner.disposed) return false;
        peer.notify('events.emit', { type, payload });
        return true;
      },
      emitAsync: async (type: string, payload: unknown) => {
        if (inner.disposed) return { handled: 0, failed: 0 };
        return peer.call('events.emitAsync', { type, payload });
      },
      onHandlerError: (listener: Parameters<EventBus['onHandlerError']>[0]) => inner.onHandlerError(listener),
      listenerCount: (type: string) => inner.listenerCount(type),
      dispose: () => {
        for (const entry of [...entries]) entry.off();
        inner.dispose();
      },
    };
    return scoped as unknown as ScopedEventBus;
  }
}

// Error values in log data would serialise as {}; keep what a reader needs.
function plainData(data: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!data) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(data)) {
    if (value instanceof Error) {
      out ??= { ...data };
      out[key] = { name: value.name, message: value.message, stack: value.stack };
    }
  }
  return out ?? data;
}

function remoteLogger(peer: ChildPeer, bindings: Record<string, unknown>): PluginLogger {
  const hasBindings = Object.keys(bindings).length > 0;
  const at =
    (level: LogLevel) =>
    (msg: string, data?: Record<string, unknown>): void => {
      const merged = hasBindings ? { ...bindings, ...plainData(data) } : plainData(data);
      peer.notify('log', merged ? { level, msg: String(msg), data: merged } : { level, msg: String(msg) });
    };
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => remoteLogger(peer, { ...bindings, ...more }),
  };
}

/**
 * `ctx.core` over RPC: an object of the same shape as the panel's CoreApi
 * (`ctx.core.info()`, `ctx.core.hosts.list()`), each function sent to the
 * panel, which checks the plugin's permissions and runs its own function.
 * Real properties, not a Proxy, so spreading it (`{ ...core }`) keeps them.
 */
function remoteCore(peer: ChildPeer, shape: string[][]): CoreApi {
  const root: Record<string, unknown> = {};
  for (const path of shape) {
    let node = root;
    for (const segment of path.slice(0, -1)) {
      node[segment] ??= {};
      node = node[segment] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = (...args: unknown[]) => peer.call('core', { path, args });
  }
  return root as unknown as CoreApi;
}

// ---- the database: a Kysely dialect whose driver forwards compiled queries ----

class RemoteConnection implements DatabaseConnection {
  tx: number | undefined;
  constructor(private readonly peer: ChildPeer) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.peer.call('db.query', {
      sql: query.sql,
      parameters: [...query.parameters],
      tx: this.tx,
    });
    return result as QueryResult<R>;
  }

  // The rows come in one answer (bounded by the 16 MiB frame), then are yielded one by one.
  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const result = await this.executeQuery<R>(query);
    for (const row of result.rows) yield { rows: [row] };
  }
}

class RemoteDriver implements Driver {
  constructor(private readonly peer: ChildPeer) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new RemoteConnection(this.peer);
  }
  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    const { tx } = await this.peer.call('db.begin', null);
    (conn as RemoteConnection).tx = tx;
  }
  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    const c = conn as RemoteConnection;
    const tx = c.tx;
    c.tx = undefined;
    if (tx !== undefined) await this.peer.call('db.commit', { tx });
  }
  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    const c = conn as RemoteConnection;
    const tx = c.tx;
    c.tx = undefined;
    if (tx !== undefined) await this.peer.call('db.rollback', { tx });
  }
  async savepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`savepoint "${name.replace(/"/g, '')}"`));
  }
  async rollbackToSavepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`rollback to "${name.replace(/"/g, '')}"`));
  }
  async releaseSavepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`release "${name.replace(/"/g, '')}"`));
  }
  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    // A transaction left open by an error path must not keep the panel's lock.
    await this.rollbackTransaction(conn).catch(() => undefined);
  }
  async destroy(): Promise<void> {}
}

function remoteKysely(peer: ChildPeer): Kysely<any> {
  const dialect: Dialect = {
    createAdapter: (): DialectAdapter => new SqliteAdapter(),
    createDriver: (): Driver => new RemoteDriver(peer),
    createIntrospector: (db: Kysely<any>): DatabaseIntrospector => new SqliteIntrospector(db),
    createQueryCompiler: (): QueryCompiler => new SqliteQueryCompiler(),
  };
  return new Kysely<any>({ dialect });
}

class StaticMigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

const noop: Migration = { async up() {} };

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
 * The panel's `migratePlugin`, run in the child: migrations are code, so they
 * run here, and every statement they make goes through the panel's guard.
 * Kept in step with `db/database.ts`.
 */
async function migrateRemote(
  db: Kysely<any>,
  pluginId: string,
  migrations: Record<string, Migration>,
  peer: ChildPeer,
): Promise<MigrationSummary> {
  const table = `plugin_${pluginId}_migrations`;
  await db.schema
    .createTable(table)
    .ifNotExists()
    .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
    .execute();
  const known = await db.selectFrom(table).select('name').execute();
  const missing = known.map((r) => r.name as string).filter((name) => !(name in migrations));
  const provided: Record<string, Migration> = {};
  for (const name of missing) provided[name] = noop;
  Object.assign(provided, migrations);
  const migrator = new Migrator({
    db,
    provider: new StaticMigrationProvider(provided),
    migrationTableName: table,
    migrationLockTableName: `plugin_${pluginId}_migrations_lock`,
    allowUnorderedMigrations: true,
  });
  try {
    const applied = assertMigrated(`plugin ${pluginId}`, await migrator.migrateToLatest());
    return { applied, missing };
  } finally {
    peer.notify('db.migrated', null, true);
  }
}

/** A server entry whose default export is not made by defineServerPlugin() (the in-process message). */
export function notAPlugin(pluginId: string): PluginError {
  return new PluginError(
    'WEBCASA_PLUGIN_NOT_A_PLUGIN',
    pluginId,
    `plugin ${pluginId}: the server entry's default export is not made by defineServerPlugin()`,
  );
}
