import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { PluginContext, PluginEnv } from '@webcasa/plugin-sdk';
import { TLS_MODES } from '@webcasa/plugin-sdk';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { type AppManager, normalizeDomain, portFor } from './apps/manager.js';
import { type Catalog, summarize } from './catalog.js';
import { AppStoreError, parse } from './errors.js';
import { imageType } from './logo.js';
import { renderMarkdown } from './markdown.js';
import type { Sources } from './sources/manager.js';
import type { SyncSchedule } from './sources/schedule.js';

const formValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({});
const risks = z.array(z.string().min(1).max(64)).max(50).optional();
const tls = z
  .enum(TLS_MODES)
  .refine((m) => m !== 'custom', 'custom certificates are set on the Sites page')
  .optional();
const domain = z.string().trim().max(253).nullable().optional();

const installBody = z.object({
  source: z.number().int().positive(),
  app: z.string().min(1).max(64),
  values: formValues,
  domain,
  tls,
  port: z.number().int().min(1).max(65535).optional(),
  openPort: z.boolean().optional(),
  acceptRisks: risks,
});
const reviewBody = installBody.omit({ source: true, app: true, acceptRisks: true });
const settingsBody = z.object({
  values: formValues.optional(),
  domain,
  tls,
  openPort: z.boolean().optional(),
  acceptRisks: risks,
});
const sourceBody = z.object({
  name: z.string().trim().max(80).optional(),
  kind: z.enum(['git', 'local']),
  location: z.string().trim().min(1).max(2000),
  branch: z
    .string()
    .trim()
    .regex(/^[\w./-]+$/, 'must be a branch name')
    .max(200)
    .nullable()
    .optional(),
});
const listQuery = z.object({
  category: z.string().max(40).optional(),
  q: z.string().max(200).optional(),
  source: z.coerce.number().int().positive().optional(),
});
const appParams = z.object({ source: z.coerce.number().int().positive(), app: z.string().min(1).max(64) });
const idParam = z.object({ id: z.string().min(1).max(64) });
const backupParams = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(255),
});
const sourceParam = z.object({ id: z.coerce.number().int().positive() });

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new AppStoreError(400, 'WEBCASA_BAD_REQUEST', 'body: must be JSON', 'body');
  }
}

/** The plugin's HTTP API under `/api/plugins/app-store/`. */
export function registerRoutes(
  ctx: PluginContext,
  router: Hono<PluginEnv>,
  deps: { catalog: Catalog; sources: Sources; apps: AppManager; schedule?: SyncSchedule },
): void {
  const { catalog, sources, apps, schedule } = deps;
  const writeApps = ctx.requireScope('apps.write');
  const writeSources = ctx.requireScope('sources.write');

  router.onError((error, c) => {
    if (error instanceof AppStoreError) {
      return c.json(
        {
          error: {
            code: error.code,
            message: error.message,
            ...(error.field ? { field: error.field } : {}),
            ...(error.details ? { details: error.details } : {}),
          },
        },
        error.status,
      );
    }
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) throw error;
    ctx.logger.error('request failed', { path: c.req.path, error: String((error as Error).stack ?? error) });
    return c.json({ error: { code: 'WEBCASA_APP_STORE_FAILED', message: (error as Error).message } }, 500);
  });

  // --- the store ---------------------------------------------------------------------------
  router.get('/apps', (c) => {
    const q = parse(listQuery, c.req.query(), 'query');
    return c.json({ items: catalog.list(q), categories: catalog.categories() });
  });

  router.get('/apps/:source/:app', async (c) => {
    const p = parse(appParams, c.req.param(), 'params');
    const app = apps.storeApp(p.source, p.app);
    const installed = await apps.db
      .selectFrom('plugin_app-store_installed')
      .select(['id', 'tipi_version', 'status'])
      .where('id', '=', app.id)
      .executeTakeFirst();
    const c2 = app.config;
    return c.json({
      ...summarize(p.source, app),
      description: app.description,
      descriptionHtml: renderMarkdown(app.description),
      source_url: c2.source,
      website: c2.website ?? null,
      port: c2.port ?? null,
      supported_architectures: c2.supported_architectures ?? null,
      form_fields: c2.form_fields,
      hasLogo: app.logo !== null,
      composeKind: app.compose.kind,
      main: app.main,
      installed: installed ? { status: installed.status, tipiVersion: installed.tipi_version } : null,
    });
  });

  router.get('/apps/:source/:app/logo', async (c) => {
    const p = parse(appParams, c.req.param(), 'params');
    const app = apps.storeApp(p.source, p.app);
    if (!app.logo)
      throw new AppStoreError(404, 'WEBCASA_APP_STORE_NOT_FOUND', `${app.id} has no logo`, 'params.app');
    const s = await stat(app.logo);
    const etag = `"${createHash('sha1').update(`${app.logo}:${s.size}:${s.mtimeMs}`).digest('hex').slice(0, 20)}"`;
    const headers = {
      'Cache-Control': 'private, max-age=86400',
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
    };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    const bytes = await readFile(app.logo);
    const type = imageType(bytes);
    if (!type)
      throw new AppStoreError(
        404,
        'WEBCASA_APP_STORE_NOT_FOUND',
        `${app.id}'s logo is not an image`,
        'params.app',
      );
    return c.body(bytes, 200, { ...headers, 'Content-Type': type, 'Content-Length': String(bytes.length) });
  });

  router.post('/apps/:source/:app/review', writeApps, async (c) => {
    const p = parse(appParams, c.req.param(), 'params');
    const b = parse(reviewBody, await jsonBody(c), 'body');
    const app = apps.storeApp(p.source, p.app);
    const prepared = await apps.prepare(app, {
      values: b.values,
      domain: normalizeDomain(b.domain),
      tls: b.tls ?? 'auto',
      port: portFor(app, b.port),
      openPort: b.openPort === true,
    });
    // The generated random values are not shown: the install generates its own.
    return c.json({
      findings: prepared.review.findings,
      errors: prepared.review.errors,
      missing: prepared.missing,
      publish: prepared.publish,
    });
  });

  // --- installed apps ------------------------------------------------------------------------
  router.post('/install', writeApps, async (c) => {
    const b = parse(installBody, await jsonBody(c), 'body');
    const result = await apps.install(b, c.get('user').username);
    return c.json(result, 202);
  });

  router.get('/installed', async (c) => c.json({ items: await apps.list() }));

  router.get('/installed/:id', async (c) => {
    const { id } = parse(idParam, c.req.param(), 'params');
    return c.json(await apps.view(await apps.row(id)));
  });

  for (const action of ['start', 'stop', 'restart'] as const) {
    router.post(`/installed/:id/${action}`, writeApps, async (c) => {
      const { id } = parse(idParam, c.req.param(), 'params');
      const result = await apps.action(id, action);
      if (!result.ok)
        throw new AppStoreError(
          502,
          'WEBCASA_APP_STORE_DOCKER',
          `${action} failed: ${result.error}`,
          'params.id',
          { log: result.log },
        );
      return c.json({ ok: true, runId: result.runId });
    });
  }

  router.post('/installed/:id/update', writeApps, async (c) => {
    const { id } = parse(idParam, c.req.param(), 'params');
    const text = await c.req.text();
    const b = parse(z.object({ acceptRisks: risks }), text ? safeJson(text) : {}, 'body');
    return c.json(await apps.update(id, b.acceptRisks, c.get('user').username), 202);
  });

  router.put('/installed/:id/settings', writeApps, async (c) => {
    const { id } = parse(idParam, c.req.param(), 'params');
    const b = parse(settingsBody, await jsonBody(c), 'body');
    return c.json(await apps.settings(id, b, c.get('user').username), 202);
  });

  router.delete('/installed/:id', writeApps, async (c) => {
    const { id } = parse(idParam, c.req.param(), 'params');
    const q = parse(
      z.object({ deleteData: z.enum(['true', 'false']).default('false') }),
      c.req.query(),
      'query',
    );
    return c.json(await apps.uninstall(id, q.deleteData === 'true', c.get('user').username), 202);
  });

  // Backups hold app.env (passwords): downloading one needs the same scope as changing the app.
  router.get('/installed/:id/backups/:name', writeApps, async (c) => {
    const p = parse(backupParams, c.req.param(), 'params');
    const backup = await apps.backup(p.id, p.name);
    const handle = await open(backup.path, 'r').catch(() => {
      throw new AppStoreError(
        404,
        'WEBCASA_APP_STORE_NOT_FOUND',
        `backup ${backup.name} not found`,
        'params.name',
      );
    });
    const { size } = await handle.stat();
    const stream = Readable.toWeb(handle.createReadStream()) as unknown as ReadableStream<Uint8Array>;
    return c.body(stream, 200, {
      'Content-Type': 'application/gzip',
      'Content-Length': String(size),
      'Content-Disposition': `attachment; filename="${backup.name.replace(/[^\w.-]/g, '_')}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
  });

  router.get('/installed/:id/logs', async (c) => {
    const { id } = parse(idParam, c.req.param(), 'params');
    const q = parse(
      z.object({ tail: z.coerce.number().int().min(1).max(5000).default(200) }),
      c.req.query(),
      'query',
    );
    return c.json({ text: await apps.logs(id, q.tail) });
  });

  // --- sources -------------------------------------------------------------------------------
  router.get('/sources', async (c) =>
    c.json({
      items: await sources.list(),
      syncIntervalHours: schedule?.state.intervalHours ?? null,
      nextSyncAt: schedule?.state.nextSyncAt ?? null,
    }),
  );

  router.post('/sources', writeSources, async (c) => {
    const b = parse(sourceBody, await jsonBody(c), 'body');
    return c.json(await sources.add(b), 201);
  });

  router.post('/sources/:id/sync', writeSources, async (c) => {
    const { id } = parse(sourceParam, c.req.param(), 'params');
    const view = await sources.sync(id);
    ctx.events.emit('app-store.source.synced', {
      id,
      ok: view.lastSyncOk === true,
      apps: view.apps,
      error: view.lastError,
    });
    return c.json(view);
  });

  router.delete('/sources/:id', writeSources, async (c) => {
    const { id } = parse(sourceParam, c.req.param(), 'params');
    await sources.remove(id);
    return c.body(null, 204);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppStoreError(400, 'WEBCASA_BAD_REQUEST', 'body: must be JSON', 'body');
  }
}
