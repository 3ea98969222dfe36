import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { defineServerPlugin, type PluginContext } from '@webcasa/plugin-sdk';
import type { Context } from 'hono';
import { z } from 'zod';
import { type ArchiveFormat, compress, extract, formatOf, zipStream } from './archive.js';
import { FilesError, fromFsError, parse } from './errors.js';
import * as ops from './ops.js';
import { loadRoots, type RootInfo, resolveIn } from './roots.js';
import { type TerminalActor, Terminals } from './terminal.js';
import { Trash } from './trash.js';
import { MAX_CHUNK, Uploads } from './upload.js';

declare module '@webcasa/event-bus' {
  interface WebcasaEvents {
    'files.terminal.opened': { sessionId: string; user: string; shell: string; runAs: string };
    'files.terminal.closed': {
      sessionId: string;
      user: string;
      shell: string;
      runAs: string;
      reason: string;
      durationMs: number;
    };
    'files.deleted': { id: string; rootIndex: number; path: string; by: string };
    'files.restored': { id: string; rootIndex: number; path: string; by: string };
  }
}

export type FilesConfig = {
  roots: string[];
  trashRetentionDays: number;
  maxEditBytes: number;
  terminalShell: string;
  terminalUser: string;
  terminalIdleMinutes: number;
  terminalMaxSessions: number;
};

type Ctx = PluginContext<FilesConfig, Record<string, never>>;

const rootParam = z.coerce.number().int().min(0).max(99).default(0);
const pathParam = z.string().max(4096).default('');

const schemas = {
  list: z.object({
    root: rootParam,
    path: pathParam,
    offset: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(200),
    sort: z.enum(['name', 'size', 'mtime', 'type']).default('name'),
    order: z.enum(['asc', 'desc']).default('asc'),
  }),
  at: z.object({ root: rootParam, path: pathParam }),
  write: z.object({
    root: rootParam,
    path: z.string().min(1).max(4096),
    content: z.string(),
    etag: z.string().max(200).nullable().optional(),
  }),
  mkdir: z.object({ root: rootParam, path: z.string().min(1).max(4096), parents: z.boolean().default(true) }),
  move: z.object({
    root: rootParam,
    from: z.string().min(1).max(4096),
    to: z.string().min(1).max(4096),
    overwrite: z.boolean().default(false),
  }),
  chmod: z.object({
    root: rootParam,
    path: z.string().min(1).max(4096),
    mode: z.string().regex(/^[0-7]{3,4}$/, 'an octal mode like 0644'),
  }),
  chown: z.object({
    root: rootParam,
    path: z.string().min(1).max(4096),
    uid: z.number().int().min(0),
    gid: z.number().int().min(0),
  }),
  search: z.object({
    root: rootParam,
    path: pathParam,
    name: z.string().min(1).max(200).optional(),
    content: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  }),
  restore: z.object({ id: z.string().min(1).max(64), overwrite: z.boolean().default(false) }),
  uploadInit: z.object({
    root: rootParam,
    path: z.string().min(1).max(4096),
    size: z
      .number()
      .int()
      .min(0)
      .max(2 ** 45),
    overwrite: z.boolean().default(false),
  }),
  chunk: z.object({ offset: z.coerce.number().int().min(0) }),
  compress: z.object({
    root: rootParam,
    paths: z.array(z.string().min(1).max(4096)).min(1).max(1000),
    to: z.string().min(1).max(4096),
    format: z.enum(['zip', 'tar.gz']).optional(),
  }),
  extract: z.object({
    root: rootParam,
    path: z.string().min(1).max(4096),
    to: z.string().max(4096).optional(),
  }),
};

async function drain(stream: ReadableStream<Uint8Array> | null, max: number): Promise<void> {
  if (!stream || stream.locked) return;
  const reader = stream.getReader();
  let seen = 0;
  try {
    for (let i = 0; i < 10_000 && seen <= max; i++) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.length;
    }
    await reader.cancel();
  } catch {
    /* the client went away */
  }
}

async function body(c: Context): Promise<unknown> {
  return c.req.json().catch(() => {
    throw new FilesError(400, 'WEBCASA_BAD_REQUEST', 'body: must be JSON', 'body');
  });
}

export default defineServerPlugin<FilesConfig, Record<string, never>>({
  async setup(ctx: Ctx) {
    const trash = new Trash(join(ctx.dataDir, 'trash'));
    const uploads = new Uploads(join(ctx.dataDir, 'uploads'));
    let rootsCache: Promise<RootInfo[]> | null = null;
    const roots = () => {
      rootsCache ??= ctx.config.get().then((cfg) => loadRoots(cfg.roots, ctx.dataDir));
      return rootsCache;
    };
    ctx.config.watch(() => {
      rootsCache = null;
    });
    const at = async (root: number, path: string, field: string) =>
      resolveIn(await roots(), root, path, field);

    /** Run a handler and answer errors in the panel's shape. */
    const h =
      (fn: (c: Context) => Promise<Response>) =>
      async (c: Context): Promise<Response> => {
        try {
          return await fn(c);
        } catch (error) {
          const e = fromFsError(error, 'query.path');
          if (e.status === 500)
            ctx.logger.error('file operation failed', { path: c.req.path, error: String(error) });
          return c.json(
            { error: { code: e.code, message: e.message, ...(e.field ? { field: e.field } : {}) } },
            e.status,
          );
        }
      };
    const fsField = async <T>(field: string, work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        throw fromFsError(error, field);
      }
    };
    const read = ctx.requireScope('files.read');
    const write = ctx.requireScope('files.write');

    ctx.router.get(
      '/roots',
      read,
      h(async (c) => c.json({ items: (await roots()).map((r) => ({ index: r.index, path: r.path })) })),
    );

    ctx.router.get(
      '/list',
      read,
      h(async (c) => {
        const q = parse(schemas.list, c.req.query(), 'query');
        const target = await at(q.root, q.path, 'query.path');
        const page = await fsField('query.path', () => ops.listDir(target.abs, q));
        return c.json({ root: q.root, path: target.rel, ...page, offset: q.offset, limit: q.limit });
      }),
    );

    ctx.router.get(
      '/stat',
      read,
      h(async (c) => {
        const q = parse(schemas.at, c.req.query(), 'query');
        const target = await at(q.root, q.path, 'query.path');
        const s = await fsField('query.path', () => stat(target.abs));
        return c.json({
          root: q.root,
          path: target.rel,
          ...ops.entryFrom(target.rel.split('/').pop() ?? '', s),
          etag: ops.statEtag(s),
        });
      }),
    );

    ctx.router.get(
      '/read',
      read,
      h(async (c) => {
        const q = parse(schemas.at, c.req.query(), 'query');
        const target = await at(q.root, q.path, 'query.path');
        const max = await ctx.config.get('maxEditBytes');
        const file = await fsField('query.path', () => ops.readText(target.abs, max));
        c.header('ETag', file.etag);
        return c.json({ root: q.root, path: target.rel, ...file });
      }),
    );

    ctx.router.post(
      '/write',
      write,
      h(async (c) => {
        const b = parse(schemas.write, await body(c), 'body');
        const target = await at(b.root, b.path, 'body.path');
        const etag = b.etag !== undefined ? b.etag : (c.req.header('if-match') ?? undefined);
        const result = await fsField('body.path', () => ops.writeText(target.abs, b.content, etag));
        c.header('ETag', result.etag);
        return c.json({ root: b.root, path: target.rel, ...result });
      }),
    );

    ctx.router.post(
      '/mkdir',
      write,
      h(async (c) => {
        const b = parse(schemas.mkdir, await body(c), 'body');
        const target = await at(b.root, b.path, 'body.path');
        if (target.exists)
          throw new FilesError(409, 'WEBCASA_FILES_EXISTS', 'the target already exists', 'body.path');
        await fsField('body.path', () => ops.mkdir(target.abs, { recursive: b.parents }));
        return c.json({ root: b.root, path: target.rel }, 201);
      }),
    );

    const moveOrCopy = (kind: 'rename' | 'copy') =>
      h(async (c) => {
        const b = parse(schemas.move, await body(c), 'body');
        const from = await at(b.root, b.from, 'body.from');
        const to = await at(b.root, b.to, 'body.to');
        if (!from.exists)
          throw new FilesError(404, 'WEBCASA_FILES_NOT_FOUND', 'no such file or folder', 'body.from');
        if (from.rel === '')
          throw new FilesError(400, 'WEBCASA_BAD_REQUEST', 'body.from: cannot move the root', 'body.from');
        if (to.exists) {
          if (!b.overwrite)
            throw new FilesError(409, 'WEBCASA_FILES_EXISTS', 'the target already exists', 'body.to');
          await trash.put(to.abs, { rootIndex: b.root, path: to.rel, deletedBy: c.get('user').username });
        }
        await fsField('body.to', () =>
          kind === 'rename' ? ops.move(from.abs, to.abs) : ops.copy(from.abs, to.abs),
        );
        return c.json({ root: b.root, from: from.rel, to: to.rel });
      });
    ctx.router.post('/rename', write, moveOrCopy('rename'));
    ctx.router.post('/copy', write, moveOrCopy('copy'));

    ctx.router.delete(
      '/delete',
      write,
      h(async (c) => {
        const q = parse(schemas.at, c.req.query(), 'query');
        const target = await at(q.root, q.path, 'query.path');
        if (target.rel === '')
          throw new FilesError(
            400,
            'WEBCASA_BAD_REQUEST',
            'query.path: cannot delete the root',
            'query.path',
          );
        if (!target.exists)
          throw new FilesError(404, 'WEBCASA_FILES_NOT_FOUND', 'no such file or folder', 'query.path');
        const by = c.get('user').username;
        const item = await fsField('query.path', () =>
          trash.put(target.abs, { rootIndex: q.root, path: target.rel, deletedBy: by }),
        );
        ctx.events.emit('files.deleted', { id: item.id, rootIndex: q.root, path: target.rel, by });
        return c.json({ trashed: item });
      }),
    );

    ctx.router.get(
      '/trash',
      read,
      h(async (c) => c.json({ items: await trash.list() })),
    );
    ctx.router.post(
      '/trash/restore',
      write,
      h(async (c) => {
        const b = parse(schemas.restore, await body(c), 'body');
        const item = await trash.get(b.id);
        if (!item) throw new FilesError(404, 'WEBCASA_FILES_NOT_FOUND', `no trash item ${b.id}`, 'body.id');
        const target = await at(item.rootIndex, item.path, 'body.id');
        if (target.exists)
          throw new FilesError(
            409,
            'WEBCASA_FILES_EXISTS',
            `${item.path} exists again; move it away first`,
            'body.id',
          );
        await fsField('body.id', async () => {
          await ops.mkdir(dirname(target.abs), { recursive: true });
          await trash.restore(b.id, target.abs);
        });
        ctx.events.emit('files.restored', {
          id: b.id,
          rootIndex: item.rootIndex,
          path: item.path,
          by: c.get('user').username,
        });
        return c.json({ restored: item });
      }),
    );
    ctx.router.delete(
      '/trash',
      write,
      h(async (c) => {
        const id = parse(z.object({ id: z.string().min(1).max(64) }), c.req.query(), 'query').id;
        if (!(await trash.purge(id)))
          throw new FilesError(404, 'WEBCASA_FILES_NOT_FOUND', `no trash item ${id}`, 'query.id');
        return c.json({ purged: id });
      }),
    );

    ctx.router.post(
      '/chmod',
      write,
      h(async (c) => {
        const b = parse(schemas.chmod, await body(c), 'body');
        const target = await at(b.root, b.path, 'body.path');
        await fsField('body.path', () => ops.chmod(target.abs, Number.parseInt(b.mode, 8)));
        return c.json({ root: b.root, path: target.rel, mode: b.mode.padStart(4, '0') });
      }),
    );
    ctx.router.post(
      '/chown',
      ctx.requireScope('files.owner'),
      h(async (c) => {
        const b = parse(schemas.chown, await body(c), 'body');
        const target = await at(b.root, b.path, 'body.path');
        await fsField('body.path', () => ops.chown(target.abs, b.uid, b.gid));
        return c.json({ root: b.root, path: target.rel, uid: b.uid, gid: b.gid });
      }),
    );

    ctx.router.get(
      '/search',
      read,
      h(async (c) => {
        const q = parse(schemas.search, c.req.query(), 'query');
        if (!q.name && !q.content)
          throw new FilesError(
            400,
            'WEBCASA_BAD_REQUEST',
            'query.name: give a name or a content to search',
            'query.name',
          );
        const target = await at(q.root, q.path, 'query.path');
        const result = await ops.search(target.abs, target.rel, {
          ...(q.name ? { name: q.name } : {}),
          ...(q.content ? { content: q.content } : {}),
          limit: q.limit,
          maxEntries: 50_000,
          maxFileBytes: 1024 * 1024,
          deadline: Date.now() + 5000,
        });
        return c.json({ root: q.root, path: target.rel, ...result });
      }),
    );

    ctx.router.get(
      '/download',
      read,
      h(async (c) => {
        const q = parse(schemas.at, c.req.query(), 'query');
        const target = await at(q.root, q.path, 'query.path');
        const s = await fsField('query.path', () => stat(target.abs));
        const base = target.rel.split('/').pop() || 'root';
        const disposition = (name: string) => `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;
        if (s.isDirectory()) {
          const zip = await zipStream([target.abs]);
          return new Response(Readable.toWeb(Readable.from(zip as AsyncIterable<Buffer>)) as ReadableStream, {
            headers: { 'content-type': 'application/zip', 'content-disposition': disposition(`${base}.zip`) },
          });
        }
        const etag = ops.statEtag(s);
        const headers: Record<string, string> = {
          'content-type': 'application/octet-stream',
          'content-disposition': disposition(base),
          'accept-ranges': 'bytes',
          etag,
          'last-modified': s.mtime.toUTCString(),
        };
        const range = c.req.header('range');
        const ifRange = c.req.header('if-range');
        if (range && (!ifRange || ifRange === etag)) {
          const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
          let start = m?.[1] ? Number(m[1]) : Number.NaN;
          let end = m?.[2] ? Number(m[2]) : s.size - 1;
          if (m && !m[1] && m[2]) {
            start = Math.max(0, s.size - Number(m[2]));
            end = s.size - 1;
          }
          end = Math.min(end, s.size - 1);
          if (!m || !Number.isFinite(start) || start > end || start >= s.size) {
            return new Response(null, { status: 416, headers: { 'content-range': `bytes */${s.size}` } });
          }
          const stream = ops.createReadStream(target.abs, { start, end });
          return new Response(Readable.toWeb(stream) as ReadableStream, {
            status: 206,
            headers: {
              ...headers,
              'content-range': `bytes ${start}-${end}/${s.size}`,
              'content-length': String(end - start + 1),
            },
          });
        }
        const stream = ops.createReadStream(target.abs);
        return new Response(Readable.toWeb(stream) as ReadableStream, {
          headers: { ...headers, 'content-length': String(s.size) },
        });
      }),
    );

    // Chunked, resumable upload: POST /upload → PUT /upload/:id?offset=N (≤ 8 MiB each, the manifest raises this route's body limit) → POST /upload/:id/complete.
    ctx.router.post(
      '/upload',
      write,
      h(async (c) => {
        const b = parse(schemas.uploadInit, await body(c), 'body');
        const target = await at(b.root, b.path, 'body.path');
        if (target.exists && !b.overwrite)
          throw new FilesError(409, 'WEBCASA_FILES_EXISTS', 'the target already exists', 'body.path');
        const state = await uploads.create({
          rootIndex: b.root,
          path: target.rel,
          size: b.size,
          overwrite: b.overwrite,
          createdBy: c.get('user').username,
        });
        return c.json({ id: state.id, offset: 0, size: b.size, chunkSize: MAX_CHUNK }, 201);
      }),
    );
    ctx.router.get(
      '/upload/:id',
      write,
      h(async (c) => {
        const state = await uploads.get(c.req.param('id') ?? '');
        return c.json({
          id: state.id,
          offset: state.offset,
          size: state.size,
          path: state.path,
          root: state.rootIndex,
        });
      }),
    );
    ctx.router.put(
      '/upload/:id',
      write,
      h(async (c) => {
        const q = parse(schemas.chunk, c.req.query(), 'query');
        const declared = Number(c.req.header('content-length') ?? '0');
        try {
          const offset = await uploads.append(
            c.req.param('id') ?? '',
            q.offset,
            c.req.raw.body as never,
            declared,
          );
          return c.json({ offset });
        } catch (error) {
          // Read what the client is still sending (bounded) so the connection survives the answer.
          await drain(c.req.raw.body, 2 * MAX_CHUNK);
          throw error;
        }
      }),
    );
    ctx.router.post(
      '/upload/:id/complete',
      write,
      h(async (c) => {
        const id = c.req.param('id') ?? '';
        const { state, part } = await uploads.finished(id);
        const target = await at(state.rootIndex, state.path, 'body.path');
        if (target.exists && !state.overwrite)
          throw new FilesError(409, 'WEBCASA_FILES_EXISTS', 'the target already exists', 'body.path');
        await fsField('body.path', async () => {
          await ops.mkdir(dirname(target.abs), { recursive: true });
          await ops.move(part, target.abs);
        });
        await uploads.remove(id);
        return c.json({ root: state.rootIndex, path: target.rel, size: state.size });
      }),
    );
    ctx.router.delete(
      '/upload/:id',
      write,
      h(async (c) => {
        const id = c.req.param('id') ?? '';
        await uploads.get(id);
        await uploads.remove(id);
        return c.json({ cancelled: id });
      }),
    );

    ctx.router.post(
      '/compress',
      write,
      h(async (c) => {
        const b = parse(schemas.compress, await body(c), 'body');
        const format: ArchiveFormat | null = b.format ?? formatOf(b.to);
        if (!format)
          throw new FilesError(
            400,
            'WEBCASA_BAD_REQUEST',
            'body.to: name it .zip, .tar.gz or .tgz (or give body.format)',
            'body.to',
          );
        const sources: { abs: string; rel: string }[] = [];
        for (const [i, p] of b.paths.entries()) {
          const s = await at(b.root, p, `body.paths.${i}`);
          if (!s.exists)
            throw new FilesError(
              404,
              'WEBCASA_FILES_NOT_FOUND',
              `no such file or folder: ${p}`,
              `body.paths.${i}`,
            );
          if (s.rel === '')
            throw new FilesError(
              400,
              'WEBCASA_BAD_REQUEST',
              `body.paths.${i}: cannot compress the root`,
              `body.paths.${i}`,
            );
          sources.push(s);
        }
        const parent = dirname(sources[0]?.abs as string);
        if (sources.some((s) => dirname(s.abs) !== parent)) {
          throw new FilesError(
            400,
            'WEBCASA_BAD_REQUEST',
            'body.paths: every path must be in the same folder',
            'body.paths',
          );
        }
        const to = await at(b.root, b.to, 'body.to');
        if (to.exists)
          throw new FilesError(409, 'WEBCASA_FILES_EXISTS', 'the target already exists', 'body.to');
        await fsField('body.to', () =>
          compress(
            sources.map((s) => s.abs),
            to.abs,
            format,
          ),
        );
        const s = await stat(to.abs);
        return c.json({ root: b.root, path: to.rel, format, size: s.size }, 201);
      }),
    );

    ctx.router.post(
      '/extract',
      write,
      h(async (c) => {
        const b = parse(schemas.extract, await body(c), 'body');
        const archive = await at(b.root, b.path, 'body.path');
        const format = formatOf(archive.rel);
        if (!format)
          throw new FilesError(
            400,
            'WEBCASA_BAD_REQUEST',
            'body.path: not a .zip, .tar.gz or .tgz file',
            'body.path',
          );
        if (!archive.exists)
          throw new FilesError(404, 'WEBCASA_FILES_NOT_FOUND', 'no such file', 'body.path');
        const defaultTo = archive.rel.replace(/(\.zip|\.tar\.gz|\.tgz)$/i, '');
        const dest = await at(b.root, b.to ?? defaultTo, 'body.to');
        const created = !dest.exists;
        await fsField('body.to', () => ops.mkdir(dest.abs, { recursive: true }));
        const destReal = (await at(b.root, dest.rel, 'body.to')).abs;
        try {
          const result = await fsField('body.to', () => extract(archive.abs, destReal, format));
          return c.json({ root: b.root, path: dest.rel, entries: result.entries });
        } catch (error) {
          // Nothing of a refused archive stays behind in a folder we created for it.
          if (created)
            await (await import('node:fs/promises')).rm(dest.abs, { recursive: true, force: true });
          throw error;
        }
      }),
    );

    /**
     * Session start and end go into the panel's audit log (a WebSocket session is not a
     * mutating HTTP request, so the core would not record it by itself). A failed write is
     * logged, never thrown: the session itself must not depend on the audit store.
     * The client address is the socket's (plugin API 1.2), the same the panel records for HTTP.
     */
    const audit = (action: string, actor: TerminalActor, detail: Record<string, unknown>) => {
      const { ip, ...user } = actor;
      ctx.core.audit({ action, user, ip, detail }).catch((error: unknown) => {
        ctx.logger.warn('audit entry not written', { action, error: String(error) });
      });
    };

    // The terminal: admins only, node-pty, idle reaping, every session closed when the plugin stops.
    const terminals = new Terminals(
      async () => {
        const cfg = await ctx.config.get();
        const first = (await roots())[0];
        return {
          shell: cfg.terminalShell,
          user: cfg.terminalUser,
          idleMs: cfg.terminalIdleMinutes * 60_000,
          maxSessions: cfg.terminalMaxSessions,
          cwd: first?.real ?? ctx.dataDir,
        };
      },
      {
        opened: (info, actor) => {
          ctx.logger.info('terminal session opened', info);
          ctx.events.emit('files.terminal.opened', info);
          audit('terminal.opened', actor, {
            sessionId: info.sessionId,
            shell: info.shell,
            runAs: info.runAs,
          });
        },
        closed: (info, actor) => {
          ctx.logger.info('terminal session closed', info);
          ctx.events.emit('files.terminal.closed', info);
          audit('terminal.closed', actor, {
            sessionId: info.sessionId,
            shell: info.shell,
            runAs: info.runAs,
            reason: info.reason,
            durationMs: info.durationMs,
          });
        },
      },
    );
    ctx.ws.route('/terminal', (socket) => terminals.handle(socket));
    ctx.signal.addEventListener(
      'abort',
      () => {
        terminals.closeAll('plugin stopped');
        // Part files of unfinished uploads are closed; they resume from disk after a restart.
        void uploads.closeIdle(0);
      },
      { once: true },
    );
    ctx.schedule.every(60_000, async () => {
      await uploads.closeIdle(5 * 60_000);
    });
    ctx.schedule.every(30_000, () => {
      terminals.reap();
    });
    testHooks.terminals = terminals;

    ctx.schedule.every(60 * 60_000, async () => {
      const days = await ctx.config.get('trashRetentionDays');
      await trash.sweep(days * 86_400_000);
      await uploads.sweep(7 * 86_400_000);
    });
  },
});

/** For tests: the live terminal registry of the last setup. */
export const testHooks: { terminals?: Terminals } = {};
