import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { badRequest } from '../errors.js';

type Target = 'json' | 'query' | 'param';

/** The dotted path of the first issue, e.g. `body.password` or `query.limit`. */
function describeIssue(target: Target, issue: z.core.$ZodIssue): { field: string; message: string } {
  const prefix = target === 'json' ? 'body' : target;
  const path = issue.path.map(String).join('.');
  const field = path ? `${prefix}.${path}` : prefix;
  return { field, message: `${field}: ${issue.message}` };
}

/**
 * Validate a request part with zod; a bad one becomes a 400 naming the field.
 * The parsed value is available as `c.get('valid')[target]` via {@link valid}.
 *
 * @example
 * app.post('/api/users', validate('json', createUserSchema), (c) => {
 *   const body = valid(c, 'json', createUserSchema);
 * });
 */
export function validate<S extends z.ZodType>(target: Target, schema: S): MiddlewareHandler {
  return async (c, next) => {
    let input: unknown;
    if (target === 'json') {
      const type = c.req.header('content-type') ?? '';
      if (!type.includes('application/json')) {
        throw badRequest('body: expected a JSON body (Content-Type: application/json)', 'body');
      }
      try {
        input = await c.req.json();
      } catch {
        throw badRequest('body: not valid JSON', 'body');
      }
    } else if (target === 'query') {
      input = c.req.query();
    } else {
      input = c.req.param();
    }
    const result = schema.safeParse(input);
    if (!result.success) {
      const issues = result.error.issues.map((i) => describeIssue(target, i));
      const first = issues[0]!;
      throw badRequest(first.message, first.field, { issues });
    }
    const bag = (c.get('valid' as never) as Record<string, unknown> | undefined) ?? {};
    bag[target] = result.data;
    c.set('valid' as never, bag as never);
    await next();
  };
}

/** The value `validate(target, schema)` parsed for this request. */
export function valid<S extends z.ZodType>(c: Context, target: Target, _schema: S): z.output<S> {
  const bag = c.get('valid' as never) as Record<string, unknown> | undefined;
  return bag?.[target] as z.output<S>;
}
