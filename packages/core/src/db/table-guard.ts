import type Database from 'better-sqlite3';
import { WebcasaError } from '../errors.js';
import type { StatementGuard } from './shared-sqlite.js';

/** Thrown when a plugin's statement reaches outside its `plugin_<id>_*` tables. */
export class TableAccessError extends WebcasaError {
  constructor(
    readonly pluginId: string,
    message: string,
  ) {
    super('WEBCASA_DB_TABLE_DENIED', `plugin ${pluginId}: ${message}`, 403);
    this.name = 'TableAccessError';
  }
}

interface ExplainRow {
  opcode: string;
  p1: number;
  p2: number;
  p3: number;
  p5: number;
}

// Statements a plugin never needs; refused outright.
const FORBIDDEN_LEADS = /^(attach|detach|pragma|vacuum|reindex|analyze)\b/;
const TRANSACTION = /^(begin|commit|end|rollback|savepoint|release)\b/;
// DDL a plugin may run on its own objects; triggers, views and virtual tables are refused.
const DDL = /^(create|drop|alter)\b/;
// An identifier: "double quoted", `backquoted`, [bracketed] or bare; four capture groups.
const IDENT = '(?:"((?:[^"]|"")+)"|`([^`]+)`|\\[([^\\]]+)\\]|([A-Za-z_][A-Za-z0-9_$]*))';
const QUALIFIED = `(?:${IDENT}\\s*\\.\\s*)?${IDENT}`;

function identAt(match: RegExpMatchArray, start: number): { schema?: string; name: string } {
  const pick = (i: number) => match[i] ?? match[i + 1] ?? match[i + 2] ?? match[i + 3];
  const first = pick(start);
  const second = pick(start + 4);
  const unquote = (s: string) => s.replace(/""/g, '"');
  if (second !== undefined) return { schema: first && unquote(first), name: unquote(second) };
  return { name: unquote(first ?? '') };
}

// SQLite opcodes that open a b-tree cursor on a table or index by root page.
const CURSOR_OPS = new Set(['OpenRead', 'OpenWrite', 'ReopenIdx']);
// OpenWrite's P5 flag meaning "P2 is a register, not a root page" (new b-trees in CREATE).
const OPFLAG_P2ISREG = 0x02;

/**
 * The guard on a plugin's database access. It is the authority for both
 * in-process plugins and isolated ones (whose compiled queries arrive over
 * RPC), so it works on SQL text, not on a Kysely query tree:
 *
 * - DDL is allowed only on objects named `plugin_<id>_*` (tables and indexes);
 * - every other statement is compiled with `EXPLAIN` and each b-tree it opens
 *   must belong to an object named `plugin_<id>_*` (or be the read-only schema
 *   table, which Kysely's migrator reads). Raw SQL, sub-queries, joins, views,
 *   foreign-key checks and `CREATE TABLE … AS SELECT` are all caught, because
 *   SQLite itself says which tables the statement touches.
 *
 * Verified statements are cached until the schema changes.
 */
export function createTableGuard(db: Database.Database, pluginId: string): StatementGuard {
  const prefix = `plugin_${pluginId}_`;
  const owns = (name: string) => name.toLowerCase().startsWith(prefix);
  let schemaVersion = -1;
  let allowedPages = new Set<number>();
  let pageNames = new Map<number, string>();
  let sequencePage = -1;
  const verified = new Set<string>();

  function refresh(): void {
    const version = db.pragma('schema_version', { simple: true }) as number;
    if (version === schemaVersion) return;
    schemaVersion = version;
    verified.clear();
    allowedPages = new Set();
    pageNames = new Map();
    const rows = db
      .prepare('select name, tbl_name, rootpage from sqlite_schema where rootpage > 0')
      .all() as {
      name: string;
      tbl_name: string;
      rootpage: number;
    }[];
    sequencePage = -1;
    for (const row of rows) {
      pageNames.set(row.rootpage, row.tbl_name);
      if (row.name === 'sqlite_sequence') sequencePage = row.rootpage;
      if (owns(row.tbl_name)) allowedPages.add(row.rootpage);
    }
  }

  function deny(message: string): never {
    throw new TableAccessError(pluginId, message);
  }

  function checkDdl(sql: string, lower: string): void {
    if (/^create\s+(temp|temporary)\b/.test(lower)) deny('temporary objects are not allowed');
    if (/^create\s+(virtual\s+table|trigger|view)\b/.test(lower) || /^drop\s+(trigger|view)\b/.test(lower)) {
      deny(
        'triggers, views and virtual tables are not allowed; use tables and indexes named ' + prefix + '*',
      );
    }
    const names: string[] = [];
    const table = sql.match(
      new RegExp(`^(?:create|drop|alter)\\s+table\\s+(?:if\\s+(?:not\\s+)?exists\\s+)?${QUALIFIED}`, 'i'),
    );
    const index = sql.match(
      new RegExp(
        `^(?:create\\s+(?:unique\\s+)?|drop\\s+)index\\s+(?:if\\s+(?:not\\s+)?exists\\s+)?${QUALIFIED}(?:\\s+on\\s+${QUALIFIED})?`,
        'i',
      ),
    );
    if (table) {
      const t = identAt(table, 1);
      if (t.schema && t.schema.toLowerCase() !== 'main') deny(`schema "${t.schema}" is not allowed`);
      names.push(t.name);
      const rename = sql.match(new RegExp(`\\brename\\s+to\\s+${QUALIFIED}`, 'i'));
      if (rename) names.push(identAt(rename, 1).name);
    } else if (index) {
      const i = identAt(index, 1);
      if (i.schema && i.schema.toLowerCase() !== 'main') deny(`schema "${i.schema}" is not allowed`);
      names.push(i.name);
      if (index.slice(9, 17).some((g) => g !== undefined)) names.push(identAt(index, 9).name);
    } else {
      deny(`unsupported statement: ${sql.slice(0, 60)}`);
    }
    for (const name of names) {
      if (!owns(name)) deny(`table or index "${name}" is outside its own tables (${prefix}*)`);
    }
  }

  function checkPlan(sql: string, parameters: readonly unknown[], isDdl: boolean): void {
    // AUTOINCREMENT keeps counters in sqlite_sequence, which SQLite touches on the
    // plugin's behalf; naming it directly is another matter.
    const namesSequence = /sqlite_sequence/i.test(sql);
    let plan: ExplainRow[];
    try {
      plan = db.prepare(`EXPLAIN ${sql}`).all(parameters as unknown[]) as ExplainRow[];
    } catch (error) {
      // A statement SQLite cannot plan cannot be verified, so it does not run.
      deny(`statement refused: ${(error as Error).message}`);
    }
    for (const op of plan) {
      // DELETE without WHERE empties a table by its root page (P1) without opening a cursor.
      if (op.opcode === 'Clear') {
        if (op.p2 !== 0) deny('only the main database is reachable');
        if (!allowedPages.has(op.p1)) {
          deny(`table "${pageNames.get(op.p1) ?? `page ${op.p1}`}" is outside its own tables (${prefix}*)`);
        }
        continue;
      }
      if (!CURSOR_OPS.has(op.opcode)) continue;
      if (op.p3 !== 0) deny('only the main database is reachable');
      if (op.opcode === 'OpenWrite' && op.p5 & OPFLAG_P2ISREG) continue;
      if (op.p2 === 1) {
        // The schema table: readable by anyone, writable only through checked DDL.
        if (op.opcode === 'OpenWrite' && !isDdl) deny('the schema table is read-only');
        continue;
      }
      if (op.p2 === sequencePage && !namesSequence) continue;
      if (!allowedPages.has(op.p2)) {
        const name = pageNames.get(op.p2) ?? `page ${op.p2}`;
        deny(`table "${name}" is outside its own tables (${prefix}*)`);
      }
    }
  }

  return {
    check(sql: string, parameters: readonly unknown[]): void {
      const trimmed = sql.trimStart();
      const lower = trimmed.slice(0, 40).toLowerCase();
      if (TRANSACTION.test(lower)) return;
      if (FORBIDDEN_LEADS.test(lower)) deny(`"${lower.split(/\s/)[0]}" statements are not allowed`);
      refresh();
      if (verified.has(sql)) return;
      const isDdl = DDL.test(lower);
      if (isDdl) checkDdl(trimmed, lower);
      checkPlan(trimmed, parameters, isDdl);
      // Statements that changed the schema are not cached: the next check re-reads it.
      if (!isDdl) {
        if (verified.size > 2000) verified.clear();
        verified.add(sql);
      }
    },
  };
}
