import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { PluginSocket } from '@webcasa/plugin-sdk';
import { PLUGIN_ID_PATTERN } from '@webcasa/plugin-sdk';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, notFound } from '../errors.js';
import type { CoreEnv } from '../http/env.js';
import { defineRoute, type RouteRegistry } from '../http/route.js';
import type { WsHub } from '../ws/hub.js';
import {
  LOG_LEVELS,
  type LogEntry,
  type LogLevelName,
  levelRank,
  lineRank,
  logFiles,
  MAX_LOG_LINES,
  parseLogLine,
  parseSince,
  readLog,
  substringPattern,
} from './reader.js';
import { compileSearchPattern, MAX_PATTERN_LENGTH } from './regex-guard.js';
import { createLogTail, type LogTail } from './tail.js';

/** Permission an API token limited to scopes needs for the log endpoints. */
export const LOGS_PERMISSION = 'core:logs';
/** Id of the core log in the log endpoints and sockets (`<logsDir>/core.log`). */
export const CORE_LOG_ID = 'core';

export interface LogRoutesDeps {
  /** Where `core.log` and `<id>.log` live (`<dataDir>/logs`). */
  logsDir: string;
  /** Whether a plugin with this id exists (its logs are served); others are 404. */
  hasPlugin(id: string): boolean;
  /** Total time a regex search may run. Default 1000 ms. */
  searchTimeLimitMs?: number;
}

const idParams = z.object({ id: z.string().regex(PLUGIN_ID_PATTERN, 'not a plugin id') });

const logQuery = z.object({
  lines: z
    .string()
    .regex(/^\d+$/, `must be a whole number from 1 to ${MAX_LOG_LINES}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_LOG_LINES))
    .default(200),
  level: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(LOG_LEVELS))
    .optional(),
  since: z
    .string()
    .transform((v, ctx) => {
      const time = parseSince(v);
      if (time === undefined) {
        ctx.addIssue({ code: 'custom', message: 'must be epoch milliseconds or an ISO 8601 date' });
        return z.NEVER;
      }
      return time;
    })
    .optional(),
  q: z.string().min(1).max(MAX_PATTERN_LENGTH).optional(),
  regex: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1'),
});

const downloadQuery = z.object({ file: z.string().min(1).max(100) });

const entrySchema = z
  .object({ time: z.number().nullable(), level: z.string().nullable(), msg: z.string() })
  .catchall(z.unknown());
const linesSchema = z.object({ lines: z.array(entrySchema), truncated: z.boolean() });
const filesSchema = z.object({
  items: z.array(z.object({ name: z.string(), bytes: z.number(), modifiedAt: z.number() })),
});

function logFileOf(logsDir: string, id: string): string {
  return join(logsDir, `${id}.log`);
}

async function listFiles(file: string) {
  const items: { name: string; bytes: number; modifiedAt: number }[] = [];
  for (const f of await logFiles(file)) {
    const st = await lstat(f.path).catch(() => undefined);
    if (st?.isFile()) items.push({ name: f.name, bytes: st.size, modifiedAt: Math.round(st.mtimeMs) });
  }
  return { items };
}

async function download(c: Context<CoreEnv>, logsDir: string, id: string, name: string, who: string) {
  // Only `<id>.log` and its rotated files: no path, no other plugin's file.
  const own = new RegExp(`^${id}\\.log(?:\\.[1-9]\\d{0,3})?$`);
  if (!own.test(name)) throw badRequest(`query.file: "${name}" is not a log file of ${who}`, 'query.file');
  const path = join(logsDir, name);
  const st = await lstat(path).catch(() => undefined);
  if (!st?.isFile()) throw notFound(`${who} has no log file "${name}"`);
  const headers = {
    'Content-Type': 'application/x-ndjson; charset=utf-8',
    'Content-Disposition': `attachment; filename="${name}"`,
    'Content-Length': String(st.size),
    'Cache-Control': 'no-store',
  };
  if (st.size === 0) return c.body('', 200, headers);
  // Streamed up to the size announced: memory stays flat whatever the file's size.
  const stream = createReadStream(path, { start: 0, end: st.size - 1 });
  return c.body(Readable.toWeb(stream) as unknown as ReadableStream<Uint8Array>, 200, headers);
}

/**
 * The log endpoints, admin only (`core:logs` for tokens limited to scopes):
 *
 * - `GET /api/admin/plugins/:id/logs?lines=&level=&since=&q=&regex=` → `{ lines, truncated }`
 * - `GET /api/admin/plugins/:id/logs/files` → `{ items: [{ name, bytes, modifiedAt }] }`
 * - `GET /api/admin/plugins/:id/logs/download?file=<id>.log.1` → the file, as an attachment
 * - the same three for the core log at `/api/admin/logs`, `/api/admin/logs/files`, `/api/admin/logs/download`
 *
 * @example
 * registerLogRoutes(app, registry, {
 *   logsDir: join(dataDir, 'logs'),
 *   hasPlugin: (id) => manager.manifestOf(id) !== undefined,
 * });
 * // GET /api/admin/plugins/docker/logs?lines=100&level=warn&q=timeout
 */
export function registerLogRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry | undefined,
  deps: LogRoutesDeps,
): void {
  const { logsDir } = deps;
  const regexOptions = { timeLimitMs: deps.searchTimeLimitMs };

  function pluginFile(id: string): string {
    if (id === CORE_LOG_ID || !deps.hasPlugin(id)) throw notFound(`no plugin with id "${id}"`);
    return logFileOf(logsDir, id);
  }

  async function lines(c: Context<CoreEnv>, file: string, query: z.output<typeof logQuery>) {
    // Checked before reading, so a bad pattern is a 400 even on an empty log.
    if (query.q !== undefined && query.regex) compileSearchPattern(query.q);
    const result = await readLog(file, { ...query, regexOptions, signal: c.req.raw.signal });
    return c.json(result);
  }

  const common = { tag: 'logs', access: 'admin' as const, permission: LOGS_PERMISSION };
  const search =
    'lines (1–5000, default 200), minimum level, since (epoch ms or ISO 8601), q: a case-insensitive ' +
    'substring of the raw JSON line, or a regular expression with regex=true (stopped after 1 s: 422 ' +
    'WEBCASA_LOG_SEARCH_TIMEOUT). Reads rotated files too; newest line last.';

  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/api/admin/plugins/:id/logs',
      summary: `The last lines of a plugin's log: ${search}`,
      params: idParams,
      query: logQuery,
      responses: {
        200: { description: '`truncated`: older matching lines may exist', schema: linesSchema },
        404: { description: 'No such plugin' },
        422: { description: 'The regex search ran out of time (WEBCASA_LOG_SEARCH_TIMEOUT)' },
      },
    },
    (c, { params, query }) => lines(c, pluginFile(params.id), query),
  );
  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/api/admin/plugins/:id/logs/files',
      summary: "A plugin's log files (the live one, then rotated ones newest first)",
      params: idParams,
      responses: {
        200: { description: 'Files', schema: filesSchema },
        404: { description: 'No such plugin' },
      },
    },
    async (c, { params }) => c.json(await listFiles(pluginFile(params.id))),
  );
  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/api/admin/plugins/:id/logs/download',
      summary: "Download one of a plugin's log files (a name from logs/files)",
      params: idParams,
      query: downloadQuery,
      responses: { 200: { description: 'The file (JSON lines)' }, 404: { description: 'No such file' } },
    },
    (c, { params, query }) => {
      pluginFile(params.id);
      return download(c, logsDir, params.id, query.file, `plugin ${params.id}`);
    },
  );

  const coreFile = logFileOf(logsDir, CORE_LOG_ID);
  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/api/admin/logs',
      summary: `The last lines of the core log: ${search}`,
      query: logQuery,
      responses: {
        200: { description: '`truncated`: older matching lines may exist', schema: linesSchema },
        422: { description: 'The regex search ran out of time (WEBCASA_LOG_SEARCH_TIMEOUT)' },
      },
    },
    (c, { query }) => lines(c, coreFile, query),
  );
  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/api/admin/logs/files',
      summary: 'The core log files (the live one, then rotated ones newest first)',
      responses: { 200: { description: 'Files', schema: filesSchema } },
    },
    async (c) => c.json(await listFiles(coreFile)),
  );
  defineRoute(
    app,
    registry,
    {
      ...common,
      method: 'get',
      path: '/api/admin/logs/download',
      summary: 'Download one of the core log files (a name from logs/files)',
      query: downloadQuery,
      responses: { 200: { description: 'The file (JSON lines)' }, 404: { description: 'No such file' } },
    },
    (c, { query }) => download(c, logsDir, CORE_LOG_ID, query.file, 'the core'),
  );
}

export interface LogSocketDeps {
  logsDir: string;
  hasPlugin(id: string): boolean;
  /** The shared followers; by default one is created (and closed by the returned function). */
  tail?: LogTail;
  /** Lines sent before the live ones. Default 100. */
  backlogLines?: number;
}

/** Close codes of the log sockets. */
export const LOG_SOCKET_CLOSE = { badRequest: 4400, forbidden: 4403, notFound: 4404 } as const;
/** Lines held for a socket while its backlog is read; past this, the oldest are dropped. */
const MAX_HELD_LINES = 1000;

/**
 * Live logs over WebSocket, admin only: `WS /ws/admin/plugins/:id/logs?level=&q=` and
 * `WS /ws/admin/logs?level=&q=` (the core log). Each socket gets the last ~100 matching lines,
 * then every new matching line, one JSON {@link LogEntry} per message (`q` is a case-insensitive
 * substring here). All sockets on one file share one follower. Refusals close the socket:
 * 4403 not an admin (or a token without `core:logs`), 4404 no such plugin, 4400 bad query.
 * Returns a function that removes the routes and stops following.
 *
 * @example
 * const off = registerLogSocket(hub, {
 *   logsDir: join(dataDir, 'logs'),
 *   hasPlugin: (id) => manager.manifestOf(id) !== undefined,
 * });
 * // const ws = new WebSocket('wss://panel/ws/admin/plugins/docker/logs?level=warn');
 */
export function registerLogSocket(hub: WsHub, deps: LogSocketDeps): () => void {
  const ownTail = deps.tail === undefined;
  const tail = deps.tail ?? createLogTail();
  const backlog = deps.backlogLines ?? 100;
  // Each line goes to many sockets in a row: parse and serialise it once, not once per socket.
  let memoLine: string | undefined;
  let memoJson = '';
  const serialise = (line: string): string => {
    if (line !== memoLine) {
      memoLine = line;
      memoJson = JSON.stringify(parseLogLine(line));
    }
    return memoJson;
  };
  const entryJson = (entry: LogEntry): string => JSON.stringify(entry);

  function serve(socket: PluginSocket, id: string, isPlugin: boolean): void {
    const user = socket.user;
    const scopes = user.scopes;
    if (user.role !== 'admin' || (scopes && !scopes.includes('*') && !scopes.includes(LOGS_PERMISSION))) {
      socket.close(LOG_SOCKET_CLOSE.forbidden, 'the logs are for administrators');
      return;
    }
    if (isPlugin && (id === CORE_LOG_ID || !PLUGIN_ID_PATTERN.test(id) || !deps.hasPlugin(id))) {
      socket.close(LOG_SOCKET_CLOSE.notFound, `no plugin with id "${id}"`);
      return;
    }
    const rawLevel = socket.query.level?.toLowerCase();
    if (rawLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(rawLevel)) {
      socket.close(LOG_SOCKET_CLOSE.badRequest, `level: must be one of ${LOG_LEVELS.join(', ')}`);
      return;
    }
    const level = rawLevel as LogLevelName | undefined;
    const q = socket.query.q || undefined;
    if (q !== undefined && q.length > MAX_PATTERN_LENGTH) {
      socket.close(LOG_SOCKET_CLOSE.badRequest, `q: at most ${MAX_PATTERN_LENGTH} characters`);
      return;
    }
    const minRank = level ? levelRank(level) : undefined;
    const needle = q === undefined ? undefined : substringPattern(q);
    const matches = (line: string): boolean => {
      if (minRank !== undefined) {
        const rank = lineRank(line);
        if (rank === undefined || rank < minRank) return false;
      }
      return needle === undefined || needle.test(line);
    };

    const file = logFileOf(deps.logsDir, id);
    // Subscribe first, hold live lines while the backlog is read up to where they begin.
    let held: string[] | undefined = [];
    const sub = tail.follow(file, (line) => {
      if (!matches(line)) return;
      if (held) {
        if (held.length >= MAX_HELD_LINES) held.shift();
        held.push(line);
      } else socket.send(serialise(line));
    });
    let open = true;
    socket.onClose(() => {
      open = false;
      sub.unsubscribe();
    });
    readLog(file, { lines: backlog, level, q, end: sub.position })
      .then((result) => {
        if (!open) return;
        for (const entry of result.lines) socket.send(entryJson(entry));
        const live = held ?? [];
        held = undefined;
        for (const line of live) socket.send(serialise(line));
      })
      .catch(() => {
        held = undefined;
        socket.close(1011, 'reading the log failed');
      });
  }

  const offs = [
    hub.route('/ws/admin/plugins/:id/logs', (socket, params) => serve(socket, params.id ?? '', true)),
    hub.route('/ws/admin/logs', (socket) => serve(socket, CORE_LOG_ID, false)),
  ];
  return () => {
    for (const off of offs) off();
    if (ownTail) tail.close();
  };
}
