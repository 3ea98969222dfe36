import type { Hono } from 'hono';
import { z } from 'zod';
import { assertScope } from '../../auth/middleware.js';
import type { AuthService } from '../../auth/service.js';
import { scopeSchema, scopesWithin } from '../../auth/tokens.js';
import { forbidden } from '../../errors.js';
import type { CoreEnv } from '../env.js';
import { defineRoute, type RouteRegistry } from '../route.js';
import { requiredString } from './auth.js';
import { idParams } from './users.js';

const createBody = z.object({
  name: requiredString(100),
  scopes: z
    .array(scopeSchema, { error: 'must be a list of permission strings' })
    .min(1, 'list at least one permission, or leave scopes out for the full role')
    .max(50, 'at most 50 permissions')
    .optional(),
  expiresInDays: z
    .number({ error: 'must be a number of days' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1')
    .max(3650, 'must be at most 3650')
    .optional(),
});

const listQuery = z.object({
  all: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
});

export interface TokenRoutesOptions {
  auth: AuthService;
}

/**
 * API tokens under `/api/tokens`: each user manages their own; admins see and
 * revoke everyone's. A token limited to scopes needs `core:tokens`, and can only
 * create tokens within its own scopes.
 *
 * @example
 * registerTokenRoutes(app, registry, { auth });
 */
export function registerTokenRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry | undefined,
  options: TokenRoutesOptions,
): void {
  const { auth } = options;

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/tokens',
      summary: 'List active API tokens (own; admins may pass all=true)',
      tag: 'tokens',
      access: 'user',
      query: listQuery,
    },
    async (c, { query }) => {
      assertScope(c, 'core:tokens');
      const user = c.var.user;
      if (query.all === 'true' && user.role !== 'admin') throw forbidden('only admins can list every token');
      return c.json({ items: await auth.listTokens(query.all === 'true' ? undefined : user.id) });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/tokens',
      summary: 'Create an API token; the token is in this response only',
      tag: 'tokens',
      access: 'user',
      body: createBody,
      responses: { 201: { description: 'Created' } },
    },
    async (c, { body }) => {
      assertScope(c, 'core:tokens');
      const user = c.var.user;
      if (!scopesWithin(user.scopes, body.scopes ?? null)) {
        throw forbidden('a token limited to scopes can only create tokens within those scopes');
      }
      return c.json(await auth.createToken(user.id, body), 201);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'delete',
      path: '/api/tokens/:id',
      summary: 'Revoke an API token (own, or any for admins)',
      tag: 'tokens',
      access: 'user',
      params: idParams,
      responses: { 204: { description: 'Revoked' } },
    },
    async (c, { params }) => {
      assertScope(c, 'core:tokens');
      await auth.revokeToken(params.id, c.var.user);
      return c.body(null, 204);
    },
  );
}
