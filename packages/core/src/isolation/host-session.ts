import type { BusEvent, ScopedEventBus, Unsubscribe } from '@webcasa/event-bus';
import type {
  ActionRun,
  Manifest,
  PluginLogger,
  PluginRuns,
  PluginSocket,
  RunContext,
} from '@webcasa/plugin-sdk';
import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import { badRequest, HttpError, PluginError, WebcasaError } from '../errors.js';
import type { ContextDeps } from '../plugins/context.js';
import { resolveCoreCall } from './permissions.js';
import { type HostPeer, type LogLevel, serviceMethods, type WireQueryResult } from './protocol.js';
import { PeerClosedError } from './rpc.js';

const LOG_LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error']);
const RUN_LEVELS: ReadonlySet<string> = new Set(['info', 'warn', 'error']);
const MAX_LOG_CHARS = 8192;
const MAX_PATTERNS = 256;
const MAX_TRANSACTIONS = 8;

export interface SessionOptions {
  /** Forwarded events and config changes wait this long for the child. */
  callTimeoutMs: number;
  /** A transaction open longer than this is rolled back and its lock released. */
  txTimeoutMs: number;
}

const string = (value: unknown, field: string): string => {
  if (typeof value !== 'string') throw badRequest(`${field}: expected a string`, field);
  return value;
};

const quiet = (error: unknown) => {
  if (!(error instanceof PeerClosedError)) throw error;
};

/**
 * One transaction of an isolated plugin: it holds the panel's database lock
 * (the shared connection) from `begin` until `commit`, `rollback`, its time
 * limit, or the child's death, whichever comes first. Statements inside it go
 * through the plugin's table guard like any other.
 */
class HostTransaction {
  private conn: Kysely<any> | undefined;
  private finish!: (how: 'commit' | 'rollback') => void;
  private readonly whole: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  ended = false;

  private constructor(
    db: Kysely<any>,
    ready: (conn: Kysely<any>) => void,
    timeoutMs: number,
    onTimeout: () => void,
  ) {
    const finished = new Promise<'commit' | 'rollback'>((resolve) => {
      this.finish = resolve;
    });
    this.whole = db.connection().execute(async (conn) => {
      await conn.executeQuery(CompiledQuery.raw('begin'));
      this.conn = conn;
      ready(conn);
      const how = await finished;
      if (how === 'commit') {
        try {
          await conn.executeQuery(CompiledQuery.raw('commit'));
          return;
        } catch (error) {
          // A failed COMMIT can leave the transaction open; it must not keep the lock.
          await conn.executeQuery(CompiledQuery.raw('rollback')).catch(() => undefined);
          throw error;
        }
      }
      await conn.executeQuery(CompiledQuery.raw('rollback')).catch(() => undefined);
    });
    this.timer = setTimeout(onTimeout, timeoutMs);
    this.timer.unref();
  }

  static async open(db: Kysely<any>, timeoutMs: number, onTimeout: () => void): Promise<HostTransaction> {
    let tx!: HostTransaction;
    const ready = new Promise<void>((resolve) => {
      tx = new HostTransaction(db, () => resolve(), timeoutMs, onTimeout);
    });
    await Promise.race([
      ready,
      tx.whole.then(() => {
        throw new WebcasaError('WEBCASA_DB_TX', 'the transaction ended before it began');
      }),
    ]).catch((error: unknown) => {
      clearTimeout(tx.timer);
      throw error;
    });
    return tx;
  }

  run(query: CompiledQuery): Promise<QueryResult<unknown>> {
    return this.conn!.executeQuery(query);
  }

  async end(how: 'commit' | 'rollback'): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.finish(how);
    await this.whole;
  }
}

/**
 * The panel's side of one isolated plugin process: it serves every context
 * call the child makes with the same host services the in-process context
 * uses (the guarded Kysely instance, the bus, config, runs, the WebSocket hub,
 * the plugin logger, CoreApi, notify, other plugins' services), and owns what
 * the child registered, so {@link dispose} removes all of it when the process
 * stops or dies.
 */
export class HostSession {
  private readonly id: string;
  private readonly db: Kysely<any>;
  private readonly events: ScopedEventBus;
  private readonly subs = new Map<string, Unsubscribe>();
  private readonly forwarded = new WeakSet<object>();
  private readonly wsRoutes = new Map<string, () => void>();
  private readonly sockets = new Map<number, PluginSocket>();
  private nextSocket = 1;
  private configOff: (() => void) | undefined;
  private readonly txs = new Map<number, HostTransaction>();
  private nextTx = 1;
  private readonly runs: PluginRuns;
  private readonly activeRuns = new Map<string, RunContext>();
  private readonly actionRuns = new Map<string, ActionRun>();
  private readonly actionOffs = new Map<string, () => void>();
  private disposed = false;
  private sentServices = '';

  constructor(
    private readonly peer: HostPeer,
    private readonly manifest: Manifest,
    private readonly deps: ContextDeps,
    private readonly logger: PluginLogger,
    private readonly options: SessionOptions,
  ) {
    this.id = manifest.id;
    this.db = deps.db.forPlugin(this.id);
    this.events = deps.bus.scope(this.id);
    this.runs = deps.runs.forPlugin(this.id);
    this.serveDatabase();
    this.serveEvents();
    this.serveConfig();
    this.serveRuns();
    this.serveWs();
    this.serveRest();
  }

  /** What the child may `use()` now: running services of its declared dependencies, by method names. */
  servicesSnapshot(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const dep of this.declared()) {
      const service = this.deps.serviceOf(dep);
      if (service) out[dep] = serviceMethods(service);
    }
    this.sentServices = JSON.stringify(out);
    return out;
  }

  /** Tell the child when the services it may use changed (a dependency started or stopped). */
  refreshServices(): void {
    if (this.disposed || this.declared().length === 0) return;
    const before = this.sentServices;
    const services = this.servicesSnapshot();
    if (this.sentServices !== before) this.peer.notify('services', { services }, true);
  }

  /** Open WebSocket connections to this process. */
  get socketCount(): number {
    return this.sockets.size;
  }

  /** Open transactions (each holds the database lock). */
  get transactionCount(): number {
    return this.txs.size;
  }

  /**
   * Remove everything the process registered: event subscriptions, WebSocket
   * routes (open sockets are closed with `closeCode`), config watcher; roll back
   * its transactions, releasing the database lock.
   */
  async dispose(closeCode: number, reason: string): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.events.dispose();
    this.subs.clear();
    for (const off of this.wsRoutes.values()) off();
    this.wsRoutes.clear();
    for (const socket of this.sockets.values()) socket.close(closeCode, reason);
    this.sockets.clear();
    this.configOff?.();
    this.configOff = undefined;
    for (const off of this.actionOffs.values()) off();
    this.actionOffs.clear();
    const txs = [...this.txs.values()];
    this.txs.clear();
    await Promise.all(txs.map((tx) => tx.end('rollback').catch(() => undefined)));
  }

  private declared(): string[] {
    return [...Object.keys(this.manifest.dependencies), ...Object.keys(this.manifest.optionalDependencies)];
  }

  private serveDatabase(): void {
    const { peer } = this;
    peer.handle('db.query', async (p) => {
      const sql = string(p?.sql, 'sql');
      if (!Array.isArray(p.parameters)) throw badRequest('parameters: expected an array', 'parameters');
      const query = CompiledQuery.raw(sql, p.parameters);
      if (p.tx !== undefined && p.tx !== null) {
        const tx = this.txs.get(p.tx);
        if (!tx) {
          throw new WebcasaError(
            'WEBCASA_DB_TX_GONE',
            `plugin ${this.id}: transaction ${p.tx} is over (committed, rolled back, or past its ${this.options.txTimeoutMs} ms limit)`,
            409,
          );
        }
        return wireResult(await tx.run(query));
      }
      return wireResult(await this.db.executeQuery(query));
    });
    peer.handle('db.begin', async () => {
      if (this.disposed) throw new PeerClosedError(`plugin ${this.id}: stopped`);
      if (this.txs.size >= MAX_TRANSACTIONS) {
        throw new WebcasaError('WEBCASA_DB_TX_LIMIT', `plugin ${this.id}: too many open transactions`, 409);
      }
      const id = this.nextTx++;
      const tx = await HostTransaction.open(this.db, this.options.txTimeoutMs, () => {
        this.logger.warn(
          `transaction held the database longer than ${this.options.txTimeoutMs} ms; rolled back`,
        );
        this.txs.delete(id);
        void tx.end('rollback').catch(() => undefined);
      });
      if (this.disposed) {
        // The child died while waiting for the lock.
        await tx.end('rollback').catch(() => undefined);
        throw new PeerClosedError(`plugin ${this.id}: stopped`);
      }
      this.txs.set(id, tx);
      return { tx: id };
    });
    const end = (how: 'commit' | 'rollback') => async (p: { tx: number }) => {
      const tx = this.txs.get(p?.tx);
      if (!tx) {
        throw new WebcasaError('WEBCASA_DB_TX_GONE', `plugin ${this.id}: transaction ${p?.tx} is over`, 409);
      }
      this.txs.delete(p.tx);
      await tx.end(how);
      return null;
    };
    peer.handle('db.commit', end('commit'));
    peer.handle('db.rollback', end('rollback'));
    // The plugin's migrations changed the schema: cached statements may be stale.
    peer.onNotify('db.migrated', () => this.deps.db.shared?.clearStatements());
  }

  private serveEvents(): void {
    const { peer } = this;
    const forward = (event: BusEvent) => {
      // One event reaches the child once, however many of its patterns match.
      if (this.forwarded.has(event)) return undefined;
      this.forwarded.add(event);
      return peer
        .call(
          'event',
          { type: event.type, payload: event.payload, source: event.source },
          { timeoutMs: this.options.callTimeoutMs },
        )
        .then((result) => {
          if (result.failed > 0) {
            throw new Error(result.message ?? `${result.failed} handler(s) failed on ${event.type}`);
          }
        }, quiet);
    };
    peer.onNotify('events.sub', (p) => {
      const pattern = p?.pattern;
      if (typeof pattern !== 'string' || this.subs.has(pattern) || this.disposed) return;
      if (this.subs.size >= MAX_PATTERNS) {
        this.logger.warn(`subscribed to more than ${MAX_PATTERNS} event patterns; "${pattern}" ignored`);
        return;
      }
      this.subs.set(pattern, this.events.on(pattern as never, forward as never));
    });
    peer.onNotify('events.unsub', (p) => {
      this.subs.get(p?.pattern)?.();
      this.subs.delete(p?.pattern);
    });
    // The source is always the plugin: the child cannot pass one.
    peer.onNotify('events.emit', (p) => {
      if (typeof p?.type === 'string') this.events.emit(p.type as never, p.payload as never);
    });
    peer.handle('events.emitAsync', (p) =>
      this.events.emitAsync(string(p?.type, 'type') as never, p.payload as never),
    );
  }

  private serveConfig(): void {
    const { peer, deps, manifest } = this;
    peer.handle('config.get', () => deps.config.get(manifest));
    peer.handle('config.set', (p) => {
      if (p?.patch === null || typeof p?.patch !== 'object' || Array.isArray(p.patch)) {
        throw badRequest('patch: expected an object', 'patch');
      }
      return deps.config.set(manifest, p.patch);
    });
    peer.onNotify('config.watch', () => {
      if (this.configOff || this.disposed) return;
      this.configOff = deps.config.watch(this.id, (config) =>
        peer
          .call('config.changed', { config }, { timeoutMs: this.options.callTimeoutMs })
          .then(() => {}, quiet),
      );
    });
  }

  private serveRuns(): void {
    const { peer, runs } = this;
    peer.handle('runs.start', (p) =>
      runs.start(
        string(p?.title, 'title'),
        async (run) => {
          this.activeRuns.set(run.id, run);
          try {
            // Cancelling forwards the abort and still waits: the child's clean-up reports back.
            await peer.call(
              'run.exec',
              { key: p.key, id: run.id },
              { signal: run.signal, onAbort: 'forward' },
            );
          } finally {
            this.activeRuns.delete(run.id);
          }
        },
        typeof p.options?.createdBy === 'string' ? { createdBy: p.options.createdBy } : undefined,
      ),
    );
    peer.onNotify('run.log', (p) => {
      const level = RUN_LEVELS.has(p?.level as string) ? p.level : 'info';
      this.activeRuns.get(p?.id)?.log(String(p.line), level);
    });
    peer.onNotify('run.progress', (p) => {
      const message = typeof p?.message === 'string' ? p.message : undefined;
      this.activeRuns.get(p?.id)?.progress(Number(p.fraction), message);
    });
    peer.handle('actions.register', (p) => {
      const name = string(p?.name, 'name');
      if (this.disposed) throw new PeerClosedError(`plugin ${this.id}: stopped`);
      this.actionOffs.get(name)?.();
      this.actionOffs.set(
        name,
        this.deps.actions.register(this.id, name, async (input, run) => {
          this.activeRuns.set(run.id, run);
          this.actionRuns.set(run.id, run);
          try {
            const result = await peer.call(
              'action.exec',
              { name, input, id: run.id, files: run.files },
              { signal: run.signal, onAbort: 'forward' },
            );
            return result.defined ? result.value : undefined;
          } finally {
            this.activeRuns.delete(run.id);
            this.actionRuns.delete(run.id);
          }
        }),
      );
      return null;
    });
    peer.onNotify('actions.unregister', (p) => {
      this.actionOffs.get(p?.name)?.();
      this.actionOffs.delete(p?.name);
    });
    peer.handle('action.artifact', async (p) => {
      const run = this.actionRuns.get(string(p?.id, 'id'));
      if (!run)
        throw new WebcasaError('WEBCASA_RUN_GONE', `plugin ${this.id}: run ${p.id} is not active`, 409);
      const data = typeof p.data === 'string' || p.data instanceof Uint8Array ? p.data : String(p.data);
      await run.artifact(string(p.name, 'name'), data);
      return null;
    });
    peer.handle('runs.get', async (p) => (await runs.get(string(p?.id, 'id'))) ?? null);
    peer.handle('runs.list', (p) => runs.list({ limit: typeof p?.limit === 'number' ? p.limit : undefined }));
    peer.handle('runs.cancel', (p) => runs.cancel(string(p?.id, 'id')));
    peer.handle('runs.wait', (p) => runs.wait(string(p?.id, 'id')));
  }

  private serveWs(): void {
    const { peer } = this;
    const prefix = `/ws/plugins/${this.id}/`;
    peer.handle('ws.route', (p) => {
      const pattern = string(p?.pattern, 'pattern');
      if (!pattern.startsWith(prefix)) {
        throw new PluginError(
          'WEBCASA_PLUGIN_WS_PATH',
          this.id,
          `ws route "${pattern}" must be under ${prefix}`,
        );
      }
      if (this.disposed) throw new PeerClosedError(`plugin ${this.id}: stopped`);
      const off = this.deps.ws.route(
        pattern,
        (socket, params) => this.openSocket(pattern, socket, params),
        this.id,
      );
      this.wsRoutes.set(pattern, off);
      return null;
    });
    peer.onNotify('ws.unroute', (p) => {
      this.wsRoutes.get(p?.pattern)?.();
      this.wsRoutes.delete(p?.pattern);
    });
    peer.onNotify('ws.send', (p) => this.sockets.get(p?.sid)?.send(String(p.data)));
    peer.onNotify('ws.close', (p) => {
      const code = typeof p?.code === 'number' ? p.code : undefined;
      this.sockets.get(p?.sid)?.close(code, typeof p?.reason === 'string' ? p.reason : undefined);
    });
  }

  private openSocket(pattern: string, socket: PluginSocket, params: Record<string, string>): void {
    if (this.disposed || this.peer.isClosed) {
      socket.close(1012, `plugin ${this.id} is restarting`);
      return;
    }
    const sid = this.nextSocket++;
    this.sockets.set(sid, socket);
    this.peer.notify(
      'ws.open',
      { sid, pattern, params, user: socket.user, path: socket.path, query: socket.query, ip: socket.ip },
      true,
    );
    socket.onMessage((data) => this.peer.notify('ws.message', { sid, data }, true));
    socket.onClose(() => {
      if (this.sockets.delete(sid)) this.peer.notify('ws.closed', { sid }, true);
    });
  }

  private serveRest(): void {
    const { peer, deps, manifest, id } = this;
    peer.onNotify('log', (p) => {
      const level = (LOG_LEVELS.has(p?.level) ? p.level : 'info') as LogLevel;
      let msg = String(p?.msg ?? '');
      if (msg.length > MAX_LOG_CHARS) msg = `${msg.slice(0, MAX_LOG_CHARS)}…`;
      const data = p?.data && typeof p.data === 'object' && !Array.isArray(p.data) ? p.data : undefined;
      this.logger[level](msg, data);
    });
    peer.handle('notify', async (p) => {
      string(p?.title, 'title');
      await deps.notify(id, p);
      return null;
    });
    peer.handle('core', async (p) => {
      if (!Array.isArray(p?.path) || !Array.isArray(p.args)) throw badRequest('core: expected path and args');
      return await resolveCoreCall(manifest, deps.core, p.path)(...p.args);
    });
    peer.handle('service.invoke', async (p) => {
      const dep = string(p?.dep, 'dep');
      const method = string(p?.method, 'method');
      if (!this.declared().includes(dep)) {
        throw new PluginError(
          'WEBCASA_PLUGIN_UNDECLARED_DEPENDENCY',
          id,
          `plugin ${id} used "${dep}" without declaring it in dependencies or optionalDependencies`,
        );
      }
      const service = deps.serviceOf(dep) as Record<string, unknown> | undefined;
      if (!service) {
        throw new PluginError(
          'WEBCASA_PLUGIN_SERVICE_UNAVAILABLE',
          id,
          `plugin ${dep} is not running or provides no service`,
        );
      }
      if (!serviceMethods(service).includes(method)) {
        throw new HttpError(
          404,
          'WEBCASA_PLUGIN_SERVICE_METHOD',
          `the service of plugin ${dep} has no method "${method}"`,
        );
      }
      const args = Array.isArray(p.args) ? p.args : [];
      return await (service[method] as (...a: unknown[]) => unknown).apply(service, args);
    });
  }
}

function wireResult(result: QueryResult<unknown>): WireQueryResult {
  const out: WireQueryResult = { rows: result.rows as Record<string, unknown>[] };
  if (result.numAffectedRows !== undefined) out.numAffectedRows = result.numAffectedRows;
  if (result.numChangedRows !== undefined) out.numChangedRows = result.numChangedRows;
  if (result.insertId !== undefined) out.insertId = result.insertId;
  return out;
}
