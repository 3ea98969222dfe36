import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLUGIN_ID_PATTERN } from '@webcasa/plugin-sdk';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, HttpError, WebcasaError } from '../../errors.js';
import type { CoreEnv } from '../../http/env.js';
import { defineRoute, type RouteRegistry } from '../../http/route.js';
import type { RunManager } from '../../runs/run-manager.js';
import type { InstallRequest, PluginInstaller } from './installer.js';
import { parseSpec, searchRegistry, writeRegistryConfig } from './registry.js';

/** Registry trouble is the registry's fault, not ours: 502 with its message rather than a bare 500. */
async function upstream<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof WebcasaError && !(error instanceof HttpError) && error.status >= 500) {
      throw new HttpError(502, error.code, error.message, undefined, error.details);
    }
    throw error;
  }
}

/** A bad spec is a 400 now, not a failed run later. */
function checkSpec(spec: string | undefined): void {
  if (spec === undefined) return;
  try {
    parseSpec(spec);
  } catch (error) {
    throw badRequest(`body.spec: ${(error as Error).message}`, 'body.spec');
  }
}

export interface InstallerRouteDeps {
  installer: PluginInstaller;
  runs: RunManager;
  settings: import('../../settings/settings-store.js').SettingsStore;
}

const idParams = z.object({ id: z.string().regex(PLUGIN_ID_PATTERN, 'not a plugin id') });
const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');
const installBody = z.object({
  spec: z.string().min(1).max(300),
  acceptPermissions: z.array(z.string()).max(50).optional(),
  installDependencies: z.boolean().optional(),
});
const MAX_UPLOAD = 50 * 1024 * 1024;

/** Read `{ spec, … }` JSON or a multipart form with a `tarball` file (saved to a temp file). */
async function readInstallInput(c: Context<CoreEnv>): Promise<{ request: InstallRequest; cleanup(): void }> {
  const type = c.req.header('content-type') ?? '';
  if (type.includes('multipart/form-data')) {
    const form = await c.req.parseBody();
    const file = form.tarball;
    if (!(file instanceof File)) throw badRequest('body.tarball: expected a .tgz file', 'body.tarball');
    if (file.size > MAX_UPLOAD) throw badRequest('body.tarball: larger than 50 MB', 'body.tarball');
    const dir = mkdtempSync(join(tmpdir(), 'webcasa-upload-'));
    const path = join(dir, 'package.tgz');
    writeFileSync(path, Buffer.from(await file.arrayBuffer()));
    const list = (v: unknown) => (typeof v === 'string' && v ? v.split(',') : []);
    return {
      request: {
        tarball: path,
        acceptPermissions: list(form.acceptPermissions),
        installDependencies: form.installDependencies === 'true',
      },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw badRequest('body: expected JSON { spec } or a multipart upload with a tarball', 'body');
  }
  const parsed = installBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = ['body', ...issue.path.map(String)].join('.');
    throw badRequest(`${field}: ${issue.message}`, field);
  }
  return { request: parsed.data, cleanup: () => {} };
}

/**
 * Routes of run-time plugin installation. Register them before the plugin
 * routes, so `/api/admin/plugins/search` is not taken for a plugin id.
 */
export function registerInstallerRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry,
  deps: InstallerRouteDeps,
): void {
  const { installer, runs } = deps;
  const tag = 'plugins';

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/plugins/registry',
      summary: 'The npm registry plugins come from',
      tag,
      access: 'admin',
    },
    async (c) => {
      const config = await installer.registry();
      return c.json({ url: config.url, hasToken: config.token !== undefined });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'put',
      path: '/api/admin/plugins/registry',
      summary: 'Set the npm registry URL and token (stored encrypted); null clears',
      tag,
      access: 'admin',
      body: z.object({
        url: z
          .url({ protocol: /^https?$/ })
          .nullable()
          .optional(),
        token: z.string().max(4096).nullable().optional(),
      }),
    },
    async (c, { body }) => {
      await writeRegistryConfig(deps.settings, body);
      const config = await installer.registry();
      return c.json({ url: config.url, hasToken: config.token !== undefined });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/plugins/search',
      summary: 'Search the registry for packages with keyword webcasa-plugin',
      tag,
      access: 'admin',
      query: z.object({
        q: z.string().max(200).default(''),
        size: z.coerce.number().int().min(1).max(100).default(20),
      }),
    },
    async (c, { query }) => {
      const [hits, installed] = await Promise.all([
        upstream(searchRegistry(await installer.registry(), query.q, query.size)),
        installer.installed(),
      ]);
      const byName = new Map(installed.map((r) => [r.packageName, r]));
      return c.json({
        results: hits.map((h) => ({
          ...h,
          installed: byName.get(h.name)
            ? { id: byName.get(h.name)!.id, version: byName.get(h.name)!.version }
            : null,
        })),
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/plugins/installed',
      summary: 'Plugins installed at run time',
      tag,
      access: 'admin',
    },
    async (c) => c.json({ installed: await installer.installed() }),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/admin/plugins/install/preview',
      summary: 'Download and read a plugin without running it: permissions, dependencies, problems',
      tag,
      access: 'admin',
    },
    async (c) => {
      const { request, cleanup } = await readInstallInput(c);
      try {
        checkSpec(request.spec);
        return c.json(await upstream(installer.preview(request)));
      } finally {
        cleanup();
      }
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/admin/plugins/install',
      summary: 'Install a plugin by npm spec or uploaded .tgz; answers with the run id',
      tag,
      access: 'admin',
    },
    async (c) => {
      const { request, cleanup } = await readInstallInput(c);
      try {
        checkSpec(request.spec);
      } catch (error) {
        cleanup();
        throw error;
      }
      const user = c.get('user');
      const what = request.spec ?? 'uploaded tarball';
      const started = await runs.start(
        'core',
        `Install plugin ${what}`,
        async (run) => {
          try {
            await installer.install(request, (line, level) => run.log(line, level), run.id);
          } finally {
            cleanup();
          }
        },
        { createdBy: user?.username },
      );
      return c.json({ runId: started.id }, 202);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/plugins/:id/versions',
      summary: 'Versions of an installed plugin the registry has, newest first (for an update picker)',
      tag,
      access: 'admin',
      params: idParams,
    },
    async (c, { params }) => {
      if (!(await installer.installedRecord(params.id))) {
        throw badRequest(`plugin ${params.id} was not installed at run time`, 'params.id');
      }
      return c.json(await upstream(installer.versions(params.id)));
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/admin/plugins/:id/update',
      summary: 'Update an installed plugin to a version (range) or the newest; rolls back on failure',
      tag,
      access: 'admin',
      params: idParams,
      body: z.object({ version: z.string().min(1).max(100).optional() }),
    },
    async (c, { params, body }) => {
      if (!(await installer.installedRecord(params.id))) {
        throw badRequest(`plugin ${params.id} was not installed at run time`, 'params.id');
      }
      const started = await runs.start(
        'core',
        `Update plugin ${params.id}${body.version ? ` to ${body.version}` : ''}`,
        async (run) => {
          await installer.update(params.id, body.version, (line, level) => run.log(line, level), run.id);
        },
        { createdBy: c.get('user')?.username },
      );
      return c.json({ runId: started.id }, 202);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'delete',
      path: '/api/admin/plugins/:id',
      summary: 'Uninstall a plugin installed at run time (tables backed up, then dropped)',
      tag,
      access: 'admin',
      params: idParams,
      query: z.object({ keepData: flag, cascade: flag }),
    },
    async (c, { params, query }) => {
      if (!(await installer.installedRecord(params.id))) {
        throw badRequest(`plugin ${params.id} was not installed at run time`, 'params.id');
      }
      const started = await runs.start(
        'core',
        `Uninstall plugin ${params.id}`,
        async (run) => {
          const result = await installer.uninstall(
            params.id,
            { keepData: query.keepData, cascade: query.cascade },
            (line, level) => run.log(line, level),
            run.id,
          );
          if (result.backup) run.log(`backup: ${result.backup}`);
        },
        { createdBy: c.get('user')?.username },
      );
      return c.json({ runId: started.id }, 202);
    },
  );
}
