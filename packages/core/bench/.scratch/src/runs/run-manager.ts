import { randomBytes } from 'node:crypto';
import type { EventBus, Unsubscribe } from '@webcasa/event-bus';
import type { PluginRuns, RunContext, RunInfo, RunStatus } from '@webcasa/plugin-sdk';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Logger } from 'pino';
import type { CoreDatabase, RunsTable } from '../db/schema.js';
import { badRequest, errorMessage, notFound, WebcasaError } from '../errors.js';

declare module '@webcasa/event-bus' {
  interface WebcasaEvents {
    /** A run began. Source: the plugin that started it. */
    'run.started': { run: RunInfo };
    /** A run ended (succeeded, failed or cancelled). Source: the plugin that started it. */
    'run.finished': { run: RunInfo };
  }
}

export type RunLogLevel = 'info' | 'warn' | 'error';

/** One stored line of a run's log. `seq` counts from 1 without gaps. */
export interface RunLogLine {
  seq: number;
  time: number;
  level: RunLogLevel;
  line: string;
}

/** What `subscribe` and `follow` deliver (and `/ws/runs/:id` sends as JSON). */
export type RunMessage =
  | ({ type: 'log' } & RunLogLine)
  | { type: 'progress'; progress: number; message: string | null }
  | { type: 'status'; run: RunInfo };

export type RunListener = (message: RunMessage) => void;

export interface ListRunsOptions {
  plugin?: string;
  status?: RunStatus;
  /** Default 50, at most 500. */
  limit?: number;
  /** A run id: list runs older than it (the last id of the previous page). */
  before?: string;
}

export interface RunLimits {
  /** Lines stored per run before one "log truncated" line. Default 50 000. */
  maxLines: number;
  /** Characters per line; longer lines are cut. Default 8192. */
  maxLineLength: number;
  /** Total characters stored per run. Default 32 MiB. */
  maxBytes: number;
  /** Flush buffered lines after this long… Default 100 ms. */
  flushIntervalMs: number;
  /** …or once this many are waiting. Default 200. */
  flushLines: number;
  /** Minimum gap between stored progress updates. Default 250 ms (4/s). */
  progressPersistMs: number;
  /** Minimum gap between live progress messages. Default 100 ms. */
  progressPushMs: number;
  /** How long a cancelled run may keep logging its clean-up before it is marked. Default 3000 ms. */
  cancelGraceMs: number;
  /** `follow()` backlog: at most this many of the latest lines… Default 10 000. */
  tailLines: number;
  /** …and this many characters. Default 1 MiB. */
  tailBytes: number;
}

export const DEFAULT_RUN_LIMITS: RunLimits = {
  maxLines: 50_000,
  maxLineLength: 8192,
  maxBytes: 32 * 1024 * 1024,
  flushIntervalMs: 100,
  flushLines: 200,
  progressPersistMs: 250,
  progressPushMs: 100,
  cancelGraceMs: 3000,
  tailLines: 10_000,
  tailBytes: 1024 * 1024,
};

export interface RunManagerOptions {
  db: Kysely<CoreDatabase>;
  bus: EventBus;
  logger: Logger;
  limits?: Partial<RunLimits>;
}

/** The runs service: one protocol for every long job. */
export interface RunManager {
  /** Mark runs a previous process left `queued` or `running` as `interrupted`. Call once at boot. Returns how many. */
  init(): Promise<number>;
  /** Start `fn` in the background as a run of `pluginId`. Resolves once the run is stored. */
  start(
    pluginId: string,
    title: string,
    fn: (run: RunContext) => Promise<void> | void,
    options?: { createdBy?: string },
  ): Promise<{ id: string }>;
  get(id: string): Promise<RunInfo | undefined>;
  /** Newest first. */
  list(options?: ListRunsOptions): Promise<RunInfo[]>;
  /**
   * Abort the run's signal and mark it cancelled (after up to `cancelGraceMs` for its clean-up).
   * `false` when the run is unknown or already ended.
   */
  cancel(id: string, reason?: string): Promise<boolean>;
  /** Resolves with the final state once the run has ended. Rejects (404) for an unknown id. */
  wait(id: string): Promise<RunInfo>;
  /** The whole log as text (`<ISO time> <LEVEL> <line>`) or NDJSON (`{seq,time,level,line}` per line). */
  exportLog(id: string, format: 'text' | 'ndjson'): Promise<string>;
  /** Live messages of a running run (none for an ended or unknown one). */
  subscribe(id: string, listener: RunListener): Unsubscribe;
  /**
   * Deliver the latest stored lines (at most `tailLines`/`tailBytes`), then the status, then live
   * messages, with no line missing or repeated in between. `undefined` for an unknown run.
   * The first line's `seq` tells how many earlier lines were left out.
   */
  follow(id: string, listener: RunListener): Promise<Unsubscribe | undefined>;
  /** The SDK's `PluginRuns`, limited to the runs of `pluginId`. */
  forPlugin(pluginId: string): PluginRuns;
  /** Cancel every running run of a plugin (it is being stopped or disabled). */
  cancelAllFor(pluginId: string): Promise<void>;
  /** Cancel everything still running, flush, and refuse new runs. */
  shutdown(): Promise<void>;
}

export const INTERRUPTED_ERROR = 'the panel stopped while this run was in progress';

const ENDED: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

/** Whether a run in `status` has ended. */
export function isEnded(status: RunStatus): boolean {
  return ENDED.has(status);
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `run_` and 16 base32 characters (80 random bits). */
export function newRunId(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = 'run_';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

function toInfo(row: Selectable<RunsTable>): RunInfo {
  return {
    id: row.id,
    plugin: row.plugin,
    title: row.title,
    status: row.status,
    progress: row.progress,
    message: row.message,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    createdBy: row.created_by,
  };
}

const LEVELS: ReadonlySet<string> = new Set(['info', 'warn', 'error']);
const MAX_TITLE = 200;
const MAX_MESSAGE = 500;
const MAX_ERROR = 2000;
// Rows per INSERT: 5 parameters each stays far below SQLite's variable limit.
const INSERT_CHUNK = 100;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

// Calls `fn` at most once per `ms`, and once more after the last call of a burst.
class Throttle {
  private last = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly ms: number,
    private readonly fn: () => void,
  ) {}
  call(): void {
    if (this.timer) return;
    const wait = this.last + this.ms - Date.now();
    if (wait <= 0) {
      this.last = Date.now();
      this.fn();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.last = Date.now();
      this.fn();
    }, wait);
  }
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

interface ActiveRun {
  info: RunInfo;
  readonly controller: AbortController;
  readonly listeners: Set<RunListener>;
  /** Lines not yet handed to a flush. */
  pending: RunLogLine[];
  /** Batches being written; with `pending`, every line not yet committed. */
  readonly inflight: Set<RunLogLine[]>;
  flushing: Promise<void>;
  flushTimer: NodeJS.Timeout | undefined;
  seq: number;
  bytes: number;
  truncated: boolean;
  /** Set once the final status is being written: later lines and progress are dropped. */
  ending: boolean;
  /** Set by cancel: whatever `fn` does next, the run ends `cancelled`. */
  cancelReason: string | undefined;
  persistProgress: Throttle;
  pushProgress: Throttle;
  readonly done: Promise<RunInfo>;
  resolveDone: (info: RunInfo) => void;
  fnSettled: Promise<void>;
}

/**
 * Create the runs service.
 *
 * @example
 * const runs = createRunManager({ db: database.core, bus, logger });
 * await runs.init();
 * const { id } = await runs.start('docker', 'Pull nginx', async (run) => {
 *   run.log('pulling…');
 *   run.progress(0.5, 'half way');
 *   if (run.signal.aborted) return;
 * }, { createdBy: 'admin' });
 * const final = await runs.wait(id); // { status: 'succeeded', progress: 1, … }
 */
export function createRunManager(options: RunManagerOptions): RunManager {
  return new RunManagerImpl(options);
}

class RunManagerImpl implements RunManager {
  private readonly db: Kysely<CoreDatabase>;
  private readonly bus: EventBus;
  private readonly logger: Logger;
  private readonly limits: RunLimits;
  private readonly active = new Map<string, ActiveRun>();
  private closed = false;

  constructor(options: RunManagerOptions) {
    this.db = options.db;
    this.bus = options.bus;
    this.logger = options.logger;
    this.limits = { ...DEFAULT_RUN_LIMITS, ...options.limits };
  }

  async init(): Promise<number> {
    const result = await this.db
      .updateTable('runs')
      .set({ status: 'interrupted', error: INTERRUPTED_ERROR, ended_at: Date.now() })
      .where('status', 'in', ['queued', 'running'])
      // Runs of this very manager are alive, not interrupted.
      .$if(this.active.size > 0, (qb) => qb.where('id', 'not in', [...this.active.keys()]))
      .executeTakeFirst();
    const count = Number(result.numUpdatedRows);
    if (count > 0)
      this.logger.warn({ count }, 'marked runs left running by the previous process as interrupted');
    return count;
  }

  async start(
    pluginId: string,
    title: string,
    fn: (run: RunContext) => Promise<void> | void,
    options: { createdBy?: string } = {},
  ): Promise<{ id: string }> {
    if (this.closed) {
      throw new WebcasaError(
        'WEBCASA_SHUTTING_DOWN',
        'the panel is shutting down; no new run can start',
        503,
      );
    }
    if (typeof pluginId !== 'string' || pluginId === '')
      throw badRequest('a run needs the id of the plugin starting it', 'plugin');
    const cleanTitle = cut(String(title ?? '').trim(), MAX_TITLE);
    if (!cleanTitle) throw badRequest(`plugin ${pluginId}: a run needs a title`, 'title');
    if (typeof fn !== 'function') throw badRequest(`plugin ${pluginId}: a run needs a function to run`, 'fn');

    const now = Date.now();
    const info: RunInfo = {
      id: newRunId(),
      plugin: pluginId,
      title: cleanTitle,
      status: 'running',
      progress: 0,
      message: null,
      error: null,
      createdAt: now,
      startedAt: now,
      endedAt: null,
      createdBy: options.createdBy ?? null,
    };
    await this.db
      .insertInto('runs')
      .values({
        id: info.id,
        plugin: info.plugin,
        title: info.title,
        status: info.status,
        progress: 0,
        message: null,
        error: null,
        created_at: now,
        started_at: now,
        ended_at: null,
        created_by: info.createdBy,
      })
      .execute();

    let resolveDone!: (info: RunInfo) => void;
    const done = new Promise<RunInfo>((resolve) => (resolveDone = resolve));
    const run: ActiveRun = {
      info,
      controller: new AbortController(),
      listeners: new Set(),
      pending: [],
      inflight: new Set(),
      flushing: Promise.resolve(),
      flushTimer: undefined,
      seq: 0,
      bytes: 0,
      truncated: false,
      ending: false,
      cancelReason: undefined,
      persistProgress: new Throttle(this.limits.progressPersistMs, () => void this.persistProgress(run)),
      pushProgress: new Throttle(this.limits.progressPushMs, () =>
        this.notify(run, { type: 'progress', progress: run.info.progress, message: run.info.message }),
      ),
      done,
      resolveDone,
      fnSettled: Promise.resolve(),
    };
    this.active.set(info.id, run);
    this.bus.emit('run.started', { run: { ...info } }, { source: pluginId });
    run.fnSettled = this.execute(run, fn).catch((error: unknown) => {
      this.logger.error({ run: info.id, plugin: pluginId, err: error }, 'run bookkeeping failed');
    });
    return { id: info.id };
  }

  private async execute(run: ActiveRun, fn: (run: RunContext) => Promise<void> | void): Promise<void> {
    const context: RunContext = {
      id: run.info.id,
      signal: run.controller.signal,
      log: (line, level) => this.append(run, line, level),
      progress: (fraction, message) => this.setProgress(run, fraction, message),
    };
    let failure: unknown;
    let failed = false;
    try {
      // Called after a tick so a synchronous throw is a failed run, not a rejected start().
      await Promise.resolve();
      await fn(context);
    } catch (error) {
      failed = true;
      failure = error;
    }
    if (run.cancelReason !== undefined) return; // cancel() marks the run itself
    if (failed) {
      const message = cut(errorMessage(failure) || 'the run failed without a message', MAX_ERROR);
      this.append(run, `failed: ${message}`, 'error');
      this.logger.warn({ run: run.info.id, plugin: run.info.plugin, err: failure }, 'run failed');
      await this.finish(run, 'failed', message);
    } else {
      await this.finish(run, 'succeeded', null);
    }
  }

  private append(run: ActiveRun, raw: unknown, rawLevel: unknown): void {
    if (run.ending || run.truncated) return;
    const level: RunLogLevel =
      typeof rawLevel === 'string' && LEVELS.has(rawLevel) ? (rawLevel as RunLogLevel) : 'info';
    const text = typeof raw === 'string' ? raw : String(raw);
    // One stored line per text line, so exports and viewers stay line-oriented.
    const parts = text.split(/\r?\n/);
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    for (const part of parts) {
      if (run.seq >= this.limits.maxLines || run.bytes >= this.limits.maxBytes) {
        this.push(
          run,
          'warn',
          `log truncated: this run wrote more than ${this.limits.maxLines} lines or ${this.limits.maxBytes} characters; later lines are dropped`,
        );
        run.truncated = true;
        break;
      }
      const line =
        part.length > this.limits.maxLineLength
          ? `${part.slice(0, this.limits.maxLineLength)}… [line cut]`
          : part;
      run.bytes += line.length;
      this.push(run, level, line);
    }
    if (run.pending.length >= this.limits.flushLines) void this.flush(run);
    else run.flushTimer ??= setTimeout(() => void this.flush(run), this.limits.flushIntervalMs);
  }

  private push(run: ActiveRun, level: RunLogLevel, line: string): void {
    const entry: RunLogLine = { seq: ++run.seq, time: Date.now(), level, line };
    run.pending.push(entry);
    this.notify(run, { type: 'log', ...entry });
  }

  // Writes go one batch at a time, each in one transaction, in order.
  private flush(run: ActiveRun): Promise<void> {
    clearTimeout(run.flushTimer);
    run.flushTimer = undefined;
    if (run.pending.length === 0) return run.flushing;
    const batch = run.pending;
    run.pending = [];
    run.inflight.add(batch);
    run.flushing = run.flushing.then(async () => {
      try {
        await this.db.transaction().execute(async (trx) => {
          for (let i = 0; i < batch.length; i += INSERT_CHUNK) {
            const rows = batch.slice(i, i + INSERT_CHUNK).map((l) => ({ run_id: run.info.id, ...l }));
            await trx.insertInto('run_logs').values(rows).execute();
          }
        });
      } catch (error) {
        this.logger.error(
          { run: run.info.id, plugin: run.info.plugin, lines: batch.length, err: error },
          'could not store run log lines',
        );
      } finally {
        run.inflight.delete(batch);
      }
    });
    return run.flushing;
  }

  private setProgress(run: ActiveRun, fraction: unknown, message: unknown): void {
    if (run.ending) return;
    const value = typeof fraction === 'number' ? fraction : Number(fraction);
    if (Number.isNaN(value)) return;
    run.info.progress = Math.min(1, Math.max(0, value));
    if (message !== undefined) run.info.message = message === null ? null : cut(String(message), MAX_MESSAGE);
    run.persistProgress.call();
    run.pushProgress.call();
  }

  private async persistProgress(run: ActiveRun): Promise<void> {
    if (run.ending) return;
    try {
      await this.db
        .updateTable('runs')
        .set({ progress: run.info.progress, message: run.info.message })
        .where('id', '=', run.info.id)
        .where('status', '=', 'running')
        .execute();
    } catch (error) {
      this.logger.error({ run: run.info.id, err: error }, 'could not store run progress');
    }
  }

  private notify(run: ActiveRun, message: RunMessage): void {
    for (const listener of run.listeners) {
      try {
        listener(message);
      } catch (error) {
        this.logger.error({ run: run.info.id, err: error }, 'a run listener threw');
      }
    }
  }

  private async finish(run: ActiveRun, status: RunStatus, error: string | null): Promise<RunInfo> {
    if (run.ending) return run.done;
    run.ending = true;
    run.persistProgress.cancel();
    run.pushProgress.cancel();
    await this.flush(run);
    const info: RunInfo = {
      ...run.info,
      status,
      error,
      progress: status === 'succeeded' ? 1 : run.info.progress,
      endedAt: Date.now(),
    };
    try {
      await this.db
        .updateTable('runs')
        .set({ status, error, progress: info.progress, message: info.message, ended_at: info.endedAt })
        .where('id', '=', info.id)
        .execute();
    } catch (err) {
      this.logger.error({ run: info.id, err }, 'could not store the end of a run');
    }
    run.info = info;
    this.active.delete(info.id);
    this.notify(run, { type: 'status', run: { ...info } });
    run.listeners.clear();
    run.resolveDone({ ...info });
    this.bus.emit('run.finished', { run: { ...info } }, { source: info.plugin });
    return info;
  }

  async get(id: string): Promise<RunInfo | undefined> {
    const run = this.active.get(id);
    if (run) return { ...run.info };
    const row = await this.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toInfo(row) : undefined;
  }

  async list(options: ListRunsOptions = {}): Promise<RunInfo[]> {
    const limit = Math.min(500, Math.max(1, Math.trunc(options.limit ?? 50) || 50));
    let query = this.db.selectFrom('runs').selectAll();
    if (options.plugin !== undefined) query = query.where('plugin', '=', options.plugin);
    if (options.status !== undefined) query = query.where('status', '=', options.status);
    if (options.before !== undefined) {
      const cursor = await this.db
        .selectFrom('runs')
        .select(['created_at', sql<number>`rowid`.as('rowid')])
        .where('id', '=', options.before)
        .executeTakeFirst();
      if (!cursor) throw badRequest(`before: no run with id "${options.before}"`, 'before');
      // Keyset paging on (created_at, rowid): stable even when runs share a millisecond,
      // and rowid keeps them in the order they were started.
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', cursor.created_at),
          eb.and([eb('created_at', '=', cursor.created_at), eb(sql<number>`rowid`, '<', cursor.rowid)]),
        ]),
      );
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy(sql`rowid`, 'desc').limit(limit).execute();
    // Progress of live runs is stored throttled; the in-memory state is the truth.
    return rows.map((row) => {
      const live = this.active.get(row.id);
      return live ? { ...live.info } : toInfo(row);
    });
  }

  async cancel(id: string, reason = 'cancelled'): Promise<boolean> {
    const run = this.active.get(id);
    if (!run || run.ending) return false;
    if (run.cancelReason === undefined) {
      run.cancelReason = cut(reason, MAX_ERROR);
      run.controller.abort(new DOMException(run.cancelReason, 'AbortError'));
      // Give a well-behaved run time to log its clean-up; one that ignores the signal is marked anyway.
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.limits.cancelGraceMs)));
      void Promise.race([run.fnSettled, grace]).then(() => {
        clearTimeout(timer);
        return this.finish(run, 'cancelled', run.cancelReason ?? null);
      });
    }
    await run.done;
    return true;
  }

  async wait(id: string): Promise<RunInfo> {
    const run = this.active.get(id);
    if (run) return run.done;
    const info = await this.get(id);
    if (!info) throw notFound(`run ${id} not found`);
    return info;
  }

  subscribe(id: string, listener: RunListener): Unsubscribe {
    const run = this.active.get(id);
    if (!run) return () => {};
    run.listeners.add(listener);
    return () => run.listeners.delete(listener);
  }

  async follow(id: string, listener: RunListener): Promise<Unsubscribe | undefined> {
    const run = this.active.get(id);
    if (!run) {
      const info = await this.get(id);
      if (!info) return undefined;
      // Ended (or ended meanwhile: its lines are committed before it leaves `active`).
      for (const line of await this.tail(id, [], Number.MAX_SAFE_INTEGER)) listener({ type: 'log', ...line });
      listener({ type: 'status', run: info });
      return () => {};
    }
    // Subscribe, snapshot the uncommitted lines and the status in the same tick: every line is
    // then either committed before the query below, in the snapshot, or in `buffered`.
    const buffered: RunMessage[] = [];
    let live = false;
    let stopped = false;
    const relay: RunListener = (message) => {
      if (live) listener(message);
      else buffered.push(message);
    };
    run.listeners.add(relay);
    const snapshot = [...[...run.inflight].flat(), ...run.pending];
    const status: RunInfo = { ...run.info };
    const unsubscribe = () => {
      stopped = true;
      run.listeners.delete(relay);
    };
    const backlog = await this.tail(id, snapshot, run.seq + 1);
    if (stopped) return unsubscribe;
    let last = 0;
    for (const line of backlog) {
      listener({ type: 'log', ...line });
      last = line.seq;
    }
    if (snapshot.length > 0) last = Math.max(last, snapshot[snapshot.length - 1]!.seq);
    listener({ type: 'status', run: status });
    for (const message of buffered) {
      // Cannot happen with the bounds above; kept so a future change fails safe (no repeats).
      if (message.type === 'log' && message.seq <= last) continue;
      listener(message);
    }
    live = true;
    return unsubscribe;
  }

  // The latest lines below seq `end` within the tail limits: `snapshot` (uncommitted, newest)
  // first, then stored ones.
  private async tail(id: string, snapshot: RunLogLine[], end: number): Promise<RunLogLine[]> {
    const { tailLines, tailBytes } = this.limits;
    const out: RunLogLine[] = [];
    let bytes = 0;
    const take = (line: RunLogLine): boolean => {
      if (out.length >= tailLines || (out.length > 0 && bytes + line.line.length > tailBytes)) return false;
      out.push(line);
      bytes += line.line.length;
      return true;
    };
    for (let i = snapshot.length - 1; i >= 0; i--) if (!take(snapshot[i]!)) return out.reverse();
    let below = snapshot[0]?.seq ?? end;
    const page = 1000;
    // Bounded: each page either fills the tail or is the last one.
    for (let pages = 0; pages <= Math.ceil(tailLines / page); pages++) {
      const rows = await this.db
        .selectFrom('run_logs')
        .select(['seq', 'time', 'level', 'line'])
        .where('run_id', '=', id)
        .where('seq', '<', below)
        .orderBy('seq', 'desc')
        .limit(page)
        .execute();
      for (const row of rows) if (!take(row)) return out.reverse();
      if (rows.length < page) break;
      below = rows[rows.length - 1]!.seq;
    }
    return out.reverse();
  }

  async exportLog(id: string, format: 'text' | 'ndjson'): Promise<string> {
    const run = this.active.get(id);
    const info = await this.get(id);
    if (!info) throw notFound(`run ${id} not found`);
    const snapshot = run ? [...[...run.inflight].flat(), ...run.pending] : [];
    // Lines logged after this point are left out, so none is exported twice.
    const below = snapshot[0]?.seq ?? (run ? run.seq + 1 : Number.MAX_SAFE_INTEGER);
    const chunks: string[] = [];
    const render =
      format === 'ndjson'
        ? (l: RunLogLine) => JSON.stringify({ seq: l.seq, time: l.time, level: l.level, line: l.line })
        : (l: RunLogLine) => `${new Date(l.time).toISOString()} ${l.level.toUpperCase().padEnd(5)} ${l.line}`;
    let after = 0;
    const page = 5000;
    // Bounded by the per-run line cap.
    for (let pages = 0; pages <= Math.ceil((this.limits.maxLines + 1) / page); pages++) {
      const rows = await this.db
        .selectFrom('run_logs')
        .select(['seq', 'time', 'level', 'line'])
        .where('run_id', '=', id)
        .where('seq', '>', after)
        .where('seq', '<', below)
        .orderBy('seq', 'asc')
        .limit(page)
        .execute();
      for (const row of rows) chunks.push(render(row));
      if (rows.length < page) break;
      after = rows[rows.length - 1]!.seq;
    }
    for (const line of snapshot) chunks.push(render(line));
    return chunks.length ? `${chunks.join('\n')}\n` : '';
  }

  forPlugin(pluginId: string): PluginRuns {
    const own = async (id: string) => {
      const info = await this.get(id);
      return info && info.plugin === pluginId ? info : undefined;
    };
    return {
      start: (title, fn, options) => this.start(pluginId, title, fn, options),
      get: own,
      list: (options) => this.list({ plugin: pluginId, limit: options?.limit }),
      cancel: async (id) => ((await own(id)) ? this.cancel(id, `cancelled by plugin ${pluginId}`) : false),
      wait: async (id) => {
        if (!(await own(id))) throw notFound(`plugin ${pluginId} has no run ${id}`);
        return this.wait(id);
      },
    };
  }

  async cancelAllFor(pluginId: string): Promise<void> {
    const ids = [...this.active.values()].filter((r) => r.info.plugin === pluginId).map((r) => r.info.id);
    await Promise.all(ids.map((id) => this.cancel(id, `cancelled: plugin ${pluginId} stopped`)));
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    const runs = [...this.active.values()];
    await Promise.all(runs.map((r) => this.cancel(r.info.id, 'cancelled: the panel shut down')));
    // Runs already ending when shutdown began finish on their own; wait for them too.
    await Promise.all(runs.map((r) => r.done));
  }
}

/** `new RunManager(options)` is the same as {@link createRunManager}. */
export const RunManager: new (options: RunManagerOptions) => RunManager = RunManagerImpl;
