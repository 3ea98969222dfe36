import type { Role } from '@webcasa/plugin-sdk';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { badRequest, forbidden } from '../errors.js';
import { requireRole } from './access.js';
import type { CoreEnv } from './env.js';

/** Who may call a route: anyone, any signed-in user, or a minimum role. */
export type Access = 'public' | 'user' | Role;

export interface RouteSpec<
  B extends z.ZodType | undefined,
  Q extends z.ZodType | undefined,
  P extends z.ZodType | undefined,
> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono path syntax, e.g. `/api/users/:id`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  /**
   * Permission string an API token limited to scopes must hold (e.g. `core:plugins`).
   * Tokens without scopes are limited by the role alone.
   */
  permission?: string;
  body?: B;
  query?: Q;
  params?: P;
  /** Status → description (and optional zod schema) for the OpenAPI document. */
  responses?: Record<number, { description: string; schema?: z.ZodType }>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<B, Q, P> {
  body: Out<B>;
  query: Out<Q>;
  params: Out<P>;
}

/** Every route defined with {@link defineRoute}, for the OpenAPI document. */
export class RouteRegistry {
  readonly routes: RouteSpec<any, any, any>[] = [];
}

function parsePart(part: 'body' | 'query' | 'params', schema: z.ZodType, input: unknown) {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = path ? `${part}.${path}` : part;
    return { field, message: `${field}: ${issue.message}` };
  });
  const first = issues[0]!;
  throw badRequest(first.message, first.field, { issues });
}

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/json')) {
    throw badRequest('body: expected a JSON body (Content-Type: application/json)', 'body');
  }
  try {
    return await c.req.json();
  } catch {
    throw badRequest('body: not valid JSON', 'body');
  }
}

/**
 * Define a core HTTP route: access control, zod validation of body, query and
 * path params (a bad one is a 400 naming the field), and an OpenAPI entry.
 *
 * @example
 * defineRoute(app, registry, {
 *   method: 'post', path: '/api/users', summary: 'Create a user', tag: 'users',
 *   access: 'admin', body: z.object({ username: z.string() }),
 * }, async (c, { body }) => c.json(await users.create(body), 201));
 */
export function defineRoute<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
>(
  app: Hono<CoreEnv>,
  registry: RouteRegistry | undefined,
  spec: RouteSpec<B, Q, P>,
  handler: (c: Context<CoreEnv>, input: RouteInput<B, Q, P>) => Response | Promise<Response>,
): void {
  registry?.routes.push(spec);
  const guard =
    spec.access === 'public' ? undefined : requireRole(spec.access === 'user' ? 'viewer' : spec.access);
  app.on(spec.method.toUpperCase(), spec.path, async (c, next) => {
    if (guard) {
      // Access is checked before validation so anonymous callers learn nothing about the shape.
      await guard(c, async () => {});
      const scopes = c.get('user').scopes;
      if (spec.permission && scopes && !scopes.includes('*') && !scopes.includes(spec.permission)) {
        throw forbidden(`this token is not allowed ${spec.permission}`);
      }
    }
    const input = {
      body: spec.body ? parsePart('body', spec.body, await readJson(c)) : undefined,
      query: spec.query ? parsePart('query', spec.query, c.req.query()) : undefined,
      params: spec.params ? parsePart('params', spec.params, c.req.param()) : undefined,
    } as RouteInput<B, Q, P>;
    void next;
    return handler(c, input);
  });
}

/** Path params like `:id` as OpenAPI `{id}`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function jsonSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return {};
  }
}

/** Build the OpenAPI 3.1 document of the core API. */
export function openApiDocument(registry: RouteRegistry, info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of registry.routes) {
    const path = openApiPath(r.path);
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      security: r.access === 'public' ? [] : [{ bearer: [] }, { session: [] }],
      'x-webcasa-access': r.access,
      ...(r.permission ? { 'x-webcasa-permission': r.permission } : {}),
    };
    const parameters: unknown[] = [];
    for (const name of r.path.match(/:([A-Za-z0-9_]+)/g) ?? []) {
      parameters.push({ name: name.slice(1), in: 'path', required: true, schema: { type: 'string' } });
    }
    if (r.query) {
      const schema = jsonSchema(r.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
      }
    }
    if (parameters.length) op.parameters = parameters;
    if (r.body)
      op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } };
    const responses: Record<string, unknown> = {};
    for (const [status, res] of Object.entries(r.responses ?? { 200: { description: 'OK' } })) {
      responses[status] = res.schema
        ? {
            description: res.description,
            content: { 'application/json': { schema: jsonSchema(res.schema) } },
          }
        : { description: res.description };
    }
    if (r.body || r.query || r.params) responses['400'] = { $ref: '#/components/responses/BadRequest' };
    if (r.access !== 'public') responses['401'] = { $ref: '#/components/responses/Unauthorized' };
    op.responses = responses;
    paths[path] ??= {};
    paths[path]![r.method] = op;
  }
  const errorSchema = {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          message: { type: 'string' },
          field: { type: 'string' },
          details: { type: 'object' },
        },
        required: ['code', 'message'],
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: { title: 'Web.Casa core API', version: info.version },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'webcasa_session' },
      },
      schemas: { Error: errorSchema },
      responses: {
        BadRequest: {
          description: 'Invalid input; `error.field` names it',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
        Unauthorized: {
          description: 'Not signed in',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  };
}
