import type { z } from 'zod';

/** An error answered as `{ error: { code, message, field?, details? } }` with its status. */
export class AppStoreError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422 | 500 | 502,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function notFound(what: string, field?: string): AppStoreError {
  return new AppStoreError(404, 'WEBCASA_APP_STORE_NOT_FOUND', `${what} not found`, field);
}

/** Validate with zod; the first issue becomes a 400 naming `<where>.<field>`; all issues go in details. */
export function parse<T extends z.ZodType>(
  schema: T,
  data: unknown,
  where: 'query' | 'body' | 'params',
): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    field: i.path.length ? `${where}.${i.path.join('.')}` : where,
    message: i.message,
  }));
  const first = issues[0] ?? { field: where, message: 'invalid' };
  throw new AppStoreError(400, 'WEBCASA_BAD_REQUEST', `${first.field}: ${first.message}`, first.field, {
    issues,
  });
}
