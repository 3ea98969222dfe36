import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PLUGIN_ID_PATTERN } from '@webcasa/plugin-sdk';
import type { Hono } from 'hono';
import { z } from 'zod';
import { badRequest, notFound } from '../errors.js';
import type { CoreEnv } from '../http/env.js';
import { defineRoute, type RouteRegistry } from '../http/route.js';
import type { RunManager } from '../runs/index.js';
import { type ActionService, runDir, safeFileName } from './actions.js';

const startBody = z.object({
  plugin: z.string().regex(PLUGIN_ID_PATTERN, 'not a plugin id'),
  action: z.string().regex(/^[a-z][a-z0-9-]*$/, 'not an action name'),
  input: z.record(z.string(), z.unknown()).optional(),
});

const runParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a run id') });

function fail(issues: z.core.$ZodIssue[], prefix: string): never {
  const mapped = issues.map((i) => {
    const field = [prefix, ...i.path.map(String)].join('.');
    return { field, message: `${field}: ${i.message}` };
  });
  throw badRequest(mapped[0]!.message, mapped[0]!.field, { issues: mapped });
}

/** Actions as runs: start one (JSON or multipart with files), list actions, fetch artifacts. */
export function registerActionRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry,
  deps: { actions: ActionService; runs: RunManager; dataDir: string; runningPlugins: () => string[] },
): void {
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/actions',
      summary:
        "Actions of running plugins, with their input schemas (for forms, the CLI and the assistant's tools)",
      tag: 'runs',
      access: 'user',
      permission: 'core:runs',
    },
    (c) => c.json({ actions: deps.actions.list(deps.runningPlugins()) }),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/runs',
      summary:
        'Start a plugin action as a run: JSON { plugin, action, input } or multipart/form-data with fields plugin, action, input (JSON) and files',
      tag: 'runs',
      access: 'user',
      permission: 'core:runs',
      responses: { 202: { description: 'Started; watch /ws/runs/<id>' } },
    },
    async (c) => {
      const type = c.req.header('content-type') ?? '';
      let raw: unknown;
      const files: { field: string; name: string; data: Uint8Array }[] = [];
      if (type.startsWith('multipart/form-data')) {
        const form = await c.req.parseBody({ all: true });
        let input: unknown;
        if (typeof form.input === 'string' && form.input !== '') {
          try {
            input = JSON.parse(form.input);
          } catch {
            throw badRequest('body.input: not valid JSON', 'body.input');
          }
        }
        raw = { plugin: form.plugin, action: form.action, input };
        for (const [field, value] of Object.entries(form)) {
          for (const item of Array.isArray(value) ? value : [value]) {
            if (item instanceof File)
              files.push({ field, name: item.name, data: new Uint8Array(await item.arrayBuffer()) });
          }
        }
      } else if (type.includes('application/json')) {
        try {
          raw = await c.req.json();
        } catch {
          throw badRequest('body: not valid JSON', 'body');
        }
      } else {
        throw badRequest('body: expected JSON or multipart/form-data', 'body');
      }
      const parsed = startBody.safeParse(raw);
      if (!parsed.success) fail(parsed.error.issues, 'body');
      const { id } = await deps.actions.start({
        ...parsed.data,
        input: parsed.data.input,
        user: c.get('user'),
        files,
      });
      c.set(
        'auditDetail' as never,
        { plugin: parsed.data.plugin, action: parsed.data.action, run: id } as never,
      );
      return c.json({ id, status: 'running' }, 202);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/runs/:id/artifacts',
      summary: 'Files a run produced',
      tag: 'runs',
      access: 'user',
      permission: 'core:runs',
      params: runParams,
    },
    async (c, { params }) => {
      if (!(await deps.runs.get(params.id))) throw notFound(`no run with id "${params.id}"`);
      const dir = join(runDir(deps.dataDir, params.id), 'artifacts');
      const names = await readdir(dir).catch(() => [] as string[]);
      const artifacts = [];
      for (const name of names.sort()) {
        const info = await stat(join(dir, name));
        if (info.isFile())
          artifacts.push({
            name,
            bytes: info.size,
            url: `/api/runs/${params.id}/artifacts/${encodeURIComponent(name)}`,
          });
      }
      return c.json({ artifacts });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/runs/:id/artifacts/:name',
      summary: 'Download one artifact of a run',
      tag: 'runs',
      access: 'user',
      permission: 'core:runs',
      params: runParams.extend({ name: z.string().min(1).max(200) }),
    },
    async (c, { params }) => {
      const name = safeFileName(params.name);
      if (!name || name !== params.name) throw badRequest('params.name: not an artifact name', 'params.name');
      if (!(await deps.runs.get(params.id))) throw notFound(`no run with id "${params.id}"`);
      const file = join(runDir(deps.dataDir, params.id), 'artifacts', name);
      const data = await readFile(file).catch(() => undefined);
      if (!data) throw notFound(`run ${params.id} has no artifact "${name}"`);
      return c.body(new Uint8Array(data), 200, {
        'Content-Type': name.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        'Content-Disposition': `attachment; filename="${name.replace(/"/g, '')}"`,
      });
    },
  );
}
