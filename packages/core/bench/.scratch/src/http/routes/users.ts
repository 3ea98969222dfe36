import type { Hono } from 'hono';
import { z } from 'zod';
import { assertScope } from '../../auth/middleware.js';
import type { AuthService } from '../../auth/service.js';
import { roleSchema, usernameSchema } from '../../auth/users.js';
import type { CoreEnv } from '../env.js';
import { defineRoute, type RouteRegistry } from '../route.js';
import { newPasswordSchema } from './auth.js';

/** `:id` path params: a positive integer (a 400 naming `params.id` otherwise). */
export const idParams = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, 'must be a positive integer')
    .transform(Number),
});

const createBody = z.object({
  username: usernameSchema,
  password: newPasswordSchema,
  role: roleSchema,
});

const patchBody = z
  .object({
    role: roleSchema.optional(),
    disabled: z.boolean({ error: 'must be true or false' }).optional(),
    password: newPasswordSchema.optional(),
  })
  .refine((b) => b.role !== undefined || b.disabled !== undefined || b.password !== undefined, {
    message: 'give at least one of role, disabled or password',
  });

export interface UserRoutesOptions {
  auth: AuthService;
}

/**
 * User administration under `/api/users` (admins only; API tokens need the
 * `core:users` scope if they are limited to scopes).
 *
 * @example
 * registerUserRoutes(app, registry, { auth });
 */
export function registerUserRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry | undefined,
  options: UserRoutesOptions,
): void {
  const { auth } = options;

  defineRoute(
    app,
    registry,
    { method: 'get', path: '/api/users', summary: 'List users', tag: 'users', access: 'admin' },
    async (c) => {
      assertScope(c, 'core:users');
      return c.json({ items: await auth.listUsers() });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/users',
      summary: 'Create a user',
      tag: 'users',
      access: 'admin',
      body: createBody,
      responses: { 201: { description: 'Created' } },
    },
    async (c, { body }) => {
      assertScope(c, 'core:users');
      return c.json(await auth.createUser(body), 201);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'patch',
      path: '/api/users/:id',
      summary: 'Change role, disabled flag or password of a user',
      tag: 'users',
      access: 'admin',
      params: idParams,
      body: patchBody,
    },
    async (c, { params, body }) => {
      assertScope(c, 'core:users');
      return c.json(await auth.updateUser(params.id, body));
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'delete',
      path: '/api/users/:id',
      summary: 'Delete a user with their sessions and API tokens',
      tag: 'users',
      access: 'admin',
      params: idParams,
      responses: { 204: { description: 'Deleted' } },
    },
    async (c, { params }) => {
      assertScope(c, 'core:users');
      await auth.deleteUser(params.id);
      return c.body(null, 204);
    },
  );
}
