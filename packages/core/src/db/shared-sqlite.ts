import Database from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { WebcasaError } from '../errors.js';

/** Checks one compiled statement before it runs; throws to refuse it. */
export interface StatementGuard {
  check(sql: string, parameters: readonly unknown[]): void;
}

/**
 * One better-sqlite3 connection shared by the core and every plugin's Kysely
 * instance, behind one async mutex.
 *
 * Why one connection: better-sqlite3 is synchronous, so two connections in one
 * process cannot wait for each other's write locks without blocking the event
 * loop. Why a mutex: a Kysely transaction spans awaits, and nothing else may
 * slip a statement into it. A wait longer than `lockTimeoutMs` fails with a
 * clear error instead of hanging (e.g. code inside a transaction waiting on
 * something that itself needs the database).
 */
export class SharedSqlite {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private locked = false;
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly file: string,
    readonly lockTimeoutMs = 15_000,
  ) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  /** A prepared statement, cached by SQL text (bounded, least recently used evicted). */
  prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (stmt) {
      this.statements.delete(sql);
      this.statements.set(sql, stmt);
      return stmt;
    }
    stmt = this.db.prepare(sql);
    this.statements.set(sql, stmt);
    if (this.statements.size > 500) {
      const oldest = this.statements.keys().next().value as string;
      this.statements.delete(oldest);
    }
    return stmt;
  }

  /** Forget cached statements (after schema changes they may be stale). */
  clearStatements(): void {
    this.statements.clear();
  }

  async lock(holder: string): Promise<() => void> {
    if (!this.locked) {
      this.locked = true;
      return () => this.unlock();
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(wake);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(
          new WebcasaError(
            'WEBCASA_DB_BUSY',
            `database busy: ${holder} waited ${this.lockTimeoutMs} ms for a transaction to finish ` +
              '(does code inside a transaction wait for another database call?)',
            503,
          ),
        );
      }, this.lockTimeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(wake);
    });
    return () => this.unlock();
  }

  private unlock(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.locked = false;
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  /** A Kysely dialect over this connection; `guard` checks each statement first. */
  dialect(holder: string, guard?: StatementGuard): Dialect {
    return {
      createAdapter: (): DialectAdapter => new TransactionalDdlAdapter(),
      createDriver: (): Driver => new SharedDriver(this, holder, guard),
      createIntrospector: (db: Kysely<any>): DatabaseIntrospector => new SqliteIntrospector(db),
      createQueryCompiler: (): QueryCompiler => new SqliteQueryCompiler(),
    };
  }
}

/**
 * SQLite runs DDL inside transactions, but Kysely's adapter says it does not,
 * so its migrator would apply a batch statement by statement. Saying yes makes
 * a failing migration roll back whole: no half-migrated schema after an error
 * or a crash.
 */
class TransactionalDdlAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class SharedConnection implements DatabaseConnection {
  constructor(
    private readonly shared: SharedSqlite,
    private readonly guard: StatementGuard | undefined,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.guard?.check(query.sql, query.parameters);
    const stmt = this.shared.prepare(query.sql);
    const params = query.parameters as unknown[];
    if (stmt.reader) {
      return { rows: stmt.all(params) as R[] };
    }
    const { changes, lastInsertRowid } = stmt.run(params);
    return {
      rows: [],
      numAffectedRows: BigInt(changes),
      insertId: lastInsertRowid === undefined ? undefined : BigInt(lastInsertRowid),
    };
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    this.guard?.check(query.sql, query.parameters);
    const stmt = this.shared.prepare(query.sql);
    if (!stmt.reader) throw new Error('streamQuery needs a statement that returns rows');
    for (const row of stmt.iterate(query.parameters as unknown[])) {
      yield { rows: [row as R] };
    }
  }
}

class SharedDriver implements Driver {
  constructor(
    private readonly shared: SharedSqlite,
    private readonly holder: string,
    private readonly guard: StatementGuard | undefined,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.shared.lock(this.holder);
    // Each acquisition gets its own connection object so its release is its own.
    const conn = new SharedConnection(this.shared, this.guard);
    releases.set(conn, release);
    return conn;
  }

  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw('rollback'));
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
    const release = releases.get(conn);
    releases.delete(conn);
    release?.();
  }

  async destroy(): Promise<void> {
    // The shared connection belongs to its owner, who closes it once.
  }
}

const releases = new WeakMap<DatabaseConnection, () => void>();
