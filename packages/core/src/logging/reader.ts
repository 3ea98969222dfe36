import { open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createRegexMatcher, type RegexMatcherOptions } from './regex-guard.js';

/** Level labels from least to most severe, as the logger writes them. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

// pino's numbers; a file written with numeric levels reads the same.
const RANK: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};
const LABEL: Readonly<Record<number, LogLevelName>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** Most lines one read returns. */
export const MAX_LOG_LINES = 5000;
/** Lines longer than this are skipped by the reader and the tail (memory stays bounded). */
export const MAX_LINE_BYTES = 1024 * 1024;
const FIRST_CHUNK = 64 * 1024;
const MAX_CHUNK = 1024 * 1024;
/** Most text one read returns, whatever `lines` says. */
const MAX_RESULT_BYTES = 8 * 1024 * 1024;

/**
 * One log line as the API returns it: every field of the JSON line, with `time` as epoch
 * milliseconds and `level` as a label. A line that is not JSON is `{ time: null, level: null, msg }`.
 */
export interface LogEntry {
  time: number | null;
  level: string | null;
  msg: string;
  [field: string]: unknown;
}

export interface LogQuery {
  /** Most lines to return (1…5000). Default 200. */
  lines?: number;
  /** Minimum level: `warn` returns warn, error and fatal lines. */
  level?: LogLevelName;
  /** Only lines at or after this time (epoch ms). */
  since?: number;
  /**
   * Search the raw JSON line (message and every field): a case-insensitive substring, or,
   * with `regex`, a case-insensitive JavaScript regular expression run in a worker with a time limit.
   */
  q?: string;
  regex?: boolean;
  /** Options of the regex worker (time limit, error field). */
  regexOptions?: RegexMatcherOptions;
  /** Read the newest file only up to this byte offset (the tail's start, so nothing repeats). */
  end?: number;
  /** Stop reading (with an AbortError) when aborted, e.g. when the client went away. */
  signal?: AbortSignal;
}

export interface LogReadResult {
  /** Matching lines, oldest first (newest last). */
  lines: LogEntry[];
  /** True when reading stopped at `lines` (or the size cap): older matching lines may exist. */
  truncated: boolean;
}

export interface LogFile {
  /** File name, e.g. `docker.log.2`. */
  name: string;
  path: string;
  /** 0 for the live file, N for `<name>.N`. */
  index: number;
}

/**
 * `since` as epoch milliseconds: digits are epoch ms, anything else must be an ISO 8601 date.
 *
 * @example
 * parseSince('1700000000000'); // 1700000000000
 * parseSince('2024-05-01T12:00:00Z'); // 1714564800000
 * parseSince('yesterday'); // undefined
 */
export function parseSince(value: string): number | undefined {
  const text = value.trim();
  if (/^\d{1,15}$/.test(text)) return Number(text);
  // Date.parse accepts odd formats ("1", "May 1"); an ISO date starts with a 4-digit year.
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

/** The numeric rank of a level label, for `level >= minimum` comparisons. */
export function levelRank(level: LogLevelName): number {
  return RANK[level]!;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A case-insensitive search for `text` taken literally (a regex of the escaped text: no
 * lower-cased copy of every line, and linear, as it has no quantifiers).
 *
 * @example
 * substringPattern('a.b (c)').test('A.B (C)'); // true
 */
export function substringPattern(text: string): RegExp {
  return new RegExp(escapeRegExp(text), 'i');
}

/**
 * The files of one log, newest first: `<file>` then `<file>.1`, `<file>.2`… as rotation names them.
 * Only regular files count (symlinks are left out).
 *
 * @example
 * await logFiles('/var/lib/webcasa/logs/docker.log');
 * // [{ name: 'docker.log', index: 0, … }, { name: 'docker.log.1', index: 1, … }]
 */
export async function logFiles(file: string): Promise<LogFile[]> {
  const dir = dirname(file);
  const base = basename(file);
  const pattern = new RegExp(`^${escapeRegExp(base)}(?:\\.([1-9]\\d{0,3}))?$`);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: LogFile[] = [];
  for (const entry of entries) {
    // Regular files only: a symlink planted in the logs folder must not expose what it points to.
    if (!entry.isFile()) continue;
    const match = pattern.exec(entry.name);
    if (match)
      files.push({ name: entry.name, path: join(dir, entry.name), index: match[1] ? Number(match[1]) : 0 });
  }
  return files.sort((a, b) => a.index - b.index);
}

// Cheap field peeks: pino writes `"level"` and `"time"` first, so most lines are filtered
// without JSON.parse (which costs more than the whole scan on a big file).
function peekValue(line: string, key: string): string | number | undefined {
  const at = line.indexOf(`"${key}":`);
  if (at === -1) return undefined;
  let i = at + key.length + 3;
  if (line.charCodeAt(i) === 0x20) i++;
  if (line.charCodeAt(i) === 0x22) {
    const close = line.indexOf('"', i + 1);
    return close === -1 ? undefined : line.slice(i + 1, close);
  }
  let j = i;
  while (j < line.length && j - i < 20) {
    const c = line.charCodeAt(j);
    if ((c < 0x30 || c > 0x39) && c !== 0x2e && c !== 0x2d) break;
    j++;
  }
  return j > i ? Number(line.slice(i, j)) : undefined;
}

function toTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') {
    const time = Date.parse(value);
    return Number.isNaN(time) ? undefined : time;
  }
  return undefined;
}

function toRank(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return RANK[value] ?? RANK[value.toLowerCase()];
  return undefined;
}

/**
 * Parse one log line into a {@link LogEntry}; never throws.
 *
 * @example
 * parseLogLine('{"level":"info","time":"2024-05-01T12:00:00.000Z","msg":"up"}');
 * // { level: 'info', time: 1714564800000, msg: 'up' }
 */
export function parseLogLine(line: string): LogEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { time: null, level: null, msg: line };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { time: null, level: null, msg: line };
  const fields = raw as Record<string, unknown>;
  const rank = toRank(fields.level);
  const level = rank === undefined ? null : (LABEL[rank] ?? String(fields.level));
  return {
    ...fields,
    time: toTime(fields.time) ?? null,
    level,
    msg: typeof fields.msg === 'string' ? fields.msg : fields.msg === undefined ? '' : String(fields.msg),
  };
}

/** The time of a raw line (epoch ms), without parsing all of it. */
export function lineTime(line: string): number | undefined {
  return toTime(peekValue(line, 'time'));
}

/** The level rank of a raw line, without parsing all of it. */
export function lineRank(line: string): number | undefined {
  return toRank(peekValue(line, 'level'));
}

export interface BackwardOptions {
  /** Read only bytes before this offset. */
  end?: number;
  maxLineBytes?: number;
  signal?: AbortSignal;
}

async function readAt(
  handle: import('node:fs/promises').FileHandle,
  buf: Buffer,
  length: number,
  position: number,
): Promise<boolean> {
  let done = 0;
  // Bounded: each round reads at least one byte or gives up.
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) return false; // the file shrank under us
    done += bytesRead;
  }
  return true;
}

/**
 * The lines of a file from the last to the first, in batches (each newest first), reading
 * backwards in chunks of 64 KiB growing to 1 MiB. Memory stays bounded by the chunk and the
 * longest line (lines over `maxLineBytes` are skipped), whatever the file's size.
 *
 * @example
 * for await (const batch of readLinesBackward('/var/lib/webcasa/logs/core.log')) {
 *   for (const line of batch) console.log(line); // newest first
 * }
 */
export async function* readLinesBackward(
  path: string,
  options: BackwardOptions = {},
): AsyncGenerator<string[]> {
  const maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const size = (await handle.stat()).size;
    let pos = Math.max(0, Math.min(size, options.end ?? size));
    let chunk = FIRST_CHUNK;
    const buf = Buffer.allocUnsafe(MAX_CHUNK);
    // Bytes after `pos` that belong to a line starting before it.
    let tail: Buffer | undefined;
    let tailTooLong = false;
    const decode = (bytes: Buffer): string | undefined => {
      if (bytes.length === 0) return undefined;
      const end = bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
      return end > 0 ? bytes.toString('utf8', 0, end) : undefined;
    };
    // Bounded: `pos` decreases by at least one byte per round.
    while (pos > 0) {
      options.signal?.throwIfAborted();
      const length = Math.min(chunk, pos);
      pos -= length;
      if (!(await readAt(handle, buf, length, pos))) return;
      chunk = Math.min(chunk * 2, MAX_CHUNK);
      const batch: string[] = [];
      const last = buf.lastIndexOf(0x0a, length - 1);
      if (last === -1) {
        // No line end in this chunk: it all belongs to the line carried in `tail`.
        if (!tailTooLong && (tail?.length ?? 0) + length <= maxLine) {
          tail = tail ? Buffer.concat([buf.subarray(0, length), tail]) : Buffer.from(buf.subarray(0, length));
        } else {
          tail = undefined;
          tailTooLong = true;
        }
      } else {
        if (!tailTooLong) {
          const piece = buf.subarray(last + 1, length);
          const line = decode(tail ? Buffer.concat([piece, tail]) : piece);
          if (line !== undefined && piece.length + (tail?.length ?? 0) <= maxLine) batch.push(line);
        }
        const first = buf.indexOf(0x0a);
        if (first < last) {
          // Whole lines: newlines never occur inside a UTF-8 sequence, so decoding at once is safe.
          const middle = buf.toString('utf8', first + 1, last).split('\n');
          for (let i = middle.length - 1; i >= 0; i--) {
            let line = middle[i]!;
            if (line.length === 0) continue;
            if (line.charCodeAt(line.length - 1) === 0x0d) line = line.slice(0, -1);
            if (line.length > maxLine) continue;
            batch.push(line);
          }
        }
        tailTooLong = first > maxLine;
        tail = tailTooLong || first === 0 ? undefined : Buffer.from(buf.subarray(0, first));
      }
      if (pos === 0 && tail && !tailTooLong) {
        const line = decode(tail);
        if (line !== undefined) batch.push(line);
      }
      if (batch.length > 0) yield batch;
    }
  } finally {
    await handle.close();
  }
}

/**
 * The last `lines` matching lines of a JSON-lines log and its rotated files (`<file>.1`, `.2`…),
 * read backwards so memory stays bounded whatever the files' size. Filters: minimum `level`,
 * `since` (a line older than it ends the read: files are written in time order), and `q`,
 * a case-insensitive substring of the raw line or, with `regex`, a case-insensitive regular
 * expression run in a worker thread with a time limit (`WEBCASA_LOG_SEARCH_TIMEOUT`, 422).
 *
 * @example
 * const { lines, truncated } = await readLog('/var/lib/webcasa/logs/docker.log', {
 *   lines: 100, level: 'warn', since: Date.now() - 3600_000, q: 'container',
 * });
 */
export async function readLog(file: string, query: LogQuery = {}): Promise<LogReadResult> {
  const limit = Math.max(1, Math.min(MAX_LOG_LINES, Math.floor(query.lines ?? 200)));
  const minRank = query.level ? RANK[query.level]! : undefined;
  const since = query.since;
  const q = query.q === '' ? undefined : query.q;
  const needle = q !== undefined && !query.regex ? substringPattern(q) : undefined;
  // Compiled (and checked) before any file is touched; the worker starts only if there is work.
  const matcher = q !== undefined && query.regex ? createRegexMatcher(q, query.regexOptions) : undefined;
  const found: string[] = [];
  let bytes = 0;
  let full = false;
  let older = false;
  try {
    const files = await logFiles(file);
    for (const f of files) {
      const lines = readLinesBackward(f.path, {
        end: f.index === 0 ? query.end : undefined,
        signal: query.signal,
      });
      for await (const batch of lines) {
        const candidates: string[] = [];
        for (const line of batch) {
          if (since !== undefined) {
            const time = lineTime(line);
            if (time === undefined) continue;
            if (time < since) {
              older = true;
              break;
            }
          }
          if (minRank !== undefined) {
            const rank = lineRank(line);
            if (rank === undefined || rank < minRank) continue;
          }
          if (needle !== undefined && !needle.test(line)) continue;
          candidates.push(line);
        }
        const matched = matcher && candidates.length > 0 ? await matcher.filter(candidates) : candidates;
        for (const line of matched) {
          found.push(line);
          bytes += line.length;
          if (found.length >= limit || bytes >= MAX_RESULT_BYTES) {
            full = true;
            break;
          }
        }
        if (full || older) break;
      }
      if (full || older) break;
    }
  } finally {
    matcher?.close();
  }
  const entries: LogEntry[] = [];
  for (let i = found.length - 1; i >= 0; i--) entries.push(parseLogLine(found[i]!));
  return { lines: entries, truncated: full };
}
