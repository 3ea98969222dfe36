import type { Hono } from 'hono';
import { z } from 'zod';
import { notFound } from '../errors.js';
import type { CoreEnv } from '../http/env.js';
import { defineRoute, type RouteRegistry } from '../http/route.js';
import type { WsHub } from '../ws/index.js';
import { followFile, parseAccessLine } from './access-log.js';
import { redact, type SitesService } from './service.js';
import { caddySettingsSchema } from './settings.js';
import { siteInputSchema, sitePatchSchema } from './validation.js';

const idParams = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 31),
});
const tailQuery = z.object({ lines: z.coerce.number().int().min(1).max(1000).optional() });
const PERMISSION = 'core:sites';
const TAG = 'sites';

/**
 * The Sites REST API. Static paths (`/api/sites/caddy…`) are registered before
 * `/api/sites/:id` so they are never read as an id.
 *
 * @example
 * registerSiteRoutes(app, registry, { service });
 * // POST /api/sites { domains: ['app.example.com'], kind: 'reverse_proxy', upstreams: ['127.0.0.1:3000'] } → 201
 */
export function registerSiteRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry | undefined,
  deps: { service: SitesService },
): void {
  const { service } = deps;
  const opts = { fieldPrefix: 'body' };

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/sites/caddy',
      summary: 'Caddy status: found?, mode, version, admin address, last apply result, install hint',
      tag: TAG,
      access: 'user',
      permission: PERMISSION,
    },
    async (c) => c.json(await service.status()),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/sites/caddy/settings',
      summary: 'Stored Caddy connection settings, and which ones the environment fixes',
      tag: TAG,
      access: 'admin',
      permission: PERMISSION,
    },
    async (c) => c.json(await service.connectionSettings()),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'put',
      path: '/api/sites/caddy/settings',
      summary: 'Change the Caddy connection (mode, admin address, ports) and reconnect; null clears a field',
      tag: TAG,
      access: 'admin',
      permission: PERMISSION,
      body: caddySettingsSchema,
    },
    async (c, { body }) => c.json(await service.updateConnectionSettings(body, opts)),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/sites/caddy/reload',
      summary: "Give Caddy the database's config again (422 with Caddy's message when it refuses)",
      tag: TAG,
      access: 'operator',
      permission: PERMISSION,
    },
    async (c) => {
      const result = await service.reload();
      if (!result.ok && result.rejected) {
        return c.json(
          {
            error: {
              code: 'WEBCASA_CADDY_REJECTED',
              message: `Caddy rejected the configuration: ${result.error}`,
              details: { caddy: result.error },
            },
          },
          422,
        );
      }
      return c.json(result);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/sites/caddy/config',
      summary: 'The Caddy JSON config generated from the database (keys and password hashes redacted)',
      tag: TAG,
      access: 'operator',
      permission: PERMISSION,
    },
    async (c) => c.json(redact(await service.generate()) as object),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/sites/caddy/root-ca',
      summary: "Root certificate of Caddy's local CA (TLS internal), to trust on LAN clients",
      tag: TAG,
      access: 'user',
      permission: PERMISSION,
    },
    (c) => {
      const pem = service.rootCertificate();
      if (!pem) throw notFound("Caddy's local CA has not been created yet (no site uses TLS internal)");
      return c.body(pem, 200, {
        'Content-Type': 'application/x-pem-file',
        'Content-Disposition': 'attachment; filename="webcasa-caddy-root.crt"',
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/sites',
      summary: 'Every site with its status (applied, pending, error, disabled)',
      tag: TAG,
      access: 'user',
      permission: PERMISSION,
    },
    async (c) => c.json({ sites: await service.list() }),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/sites',
      summary: 'Create a site; applied to Caddy before it is stored (409 domain taken, 422 Caddy refused it)',
      tag: TAG,
      access: 'operator',
      permission: PERMISSION,
      body: siteInputSchema,
      responses: {
        201: { description: 'The site' },
        409: { description: 'A domain belongs to another site' },
        422: {
          description: "Caddy refused the config; nothing was stored; `details.caddy` is Caddy's message",
        },
      },
    },
    async (c, { body }) => c.json(await service.create(body, opts), 201),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/sites/:id',
      summary: 'One site',
      tag: TAG,
      access: 'user',
      permission: PERMISSION,
      params: idParams,
    },
    async (c, { params }) => {
      const site = await service.get(params.id);
      if (!site) throw notFound(`no site with id ${params.id}`);
      return c.json(site);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'put',
      path: '/api/sites/:id',
      summary: 'Change a site: the given fields are merged onto it and the whole is validated again',
      tag: TAG,
      access: 'operator',
      permission: PERMISSION,
      params: idParams,
      body: sitePatchSchema,
    },
    async (c, { params, body }) => c.json(await service.update(params.id, body, opts)),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'delete',
      path: '/api/sites/:id',
      summary: 'Delete a site (removed from Caddy first)',
      tag: TAG,
      access: 'operator',
      permission: PERMISSION,
      params: idParams,
    },
    async (c, { params }) => {
      await service.delete(params.id);
      return c.body(null, 204);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/sites/:id/config',
      summary: "This site's Caddy routes as generated (advanced view; secrets redacted)",
      tag: TAG,
      access: 'operator',
      permission: PERMISSION,
      params: idParams,
    },
    async (c, { params }) => c.json((await service.siteConfig(params.id)).routes),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/sites/:id/access-log',
      summary: "The last requests from the site's access log (live: WebSocket /ws/sites/:id/access-log)",
      tag: TAG,
      access: 'user',
      permission: PERMISSION,
      params: idParams,
      query: tailQuery,
    },
    async (c, { params, query }) => c.json(await service.accessLog(params.id, query.lines ?? 100)),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/sites/:id/certificates',
      summary: "Certificate status of each of the site's domains",
      tag: TAG,
      access: 'user',
      permission: PERMISSION,
      params: idParams,
    },
    async (c, { params }) => c.json({ certificates: await service.certificates(params.id) }),
  );
}

/**
 * Live access log: `/ws/sites/:id/access-log` sends `{ entries: AccessLogEntry[] }`
 * as requests are logged. Returns the function that removes the route.
 */
export function registerSiteSockets(hub: WsHub, service: SitesService): () => void {
  return hub.route('/ws/sites/:id/access-log', async (socket, { id }) => {
    const siteId = Number(id);
    const site = Number.isInteger(siteId) && siteId > 0 ? await service.get(siteId) : undefined;
    if (!site) {
      socket.close(4404, `no site with id ${id}`);
      return;
    }
    const stop = followFile(service.accessLogFile(siteId), (lines) => {
      const entries = lines.flatMap((l) => parseAccessLine(l) ?? []);
      if (entries.length) socket.send(JSON.stringify({ entries }));
    });
    socket.onClose(stop);
  });
}
