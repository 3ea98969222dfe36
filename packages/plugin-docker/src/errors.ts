import type { Context } from 'hono';
import type { z } from 'zod';

/** An error with the panel's JSON shape; thrown by the plugin's own code and answered by `handle`. */
export class DockerApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DockerApiError';
  }
}

export const badRequest = (message: string, field?: string) =>
  new DockerApiError(400, 'DOCKER_BAD_REQUEST', message, field);

/** The engine's message from a dockerode error (its JSON body has `message`). */
export function engineMessage(error: unknown): string {
  const e = error as { json?: { message?: string } | null; reason?: string; message?: string };
  const fromJson = e?.json && typeof e.json === 'object' ? e.json.message : undefined;
  return String(fromJson || e?.message || e?.reason || error).replace(/^\(HTTP code \d+\) [a-z ]+ - /, '');
}

/**
 * Maps anything thrown to a DockerApiError: engine 404 → 404, 409 → 409, 400 → 400, other
 * engine answers and connection failures → 502 with the engine's message. Never a bare 500.
 */
export function toApiError(error: unknown): DockerApiError {
  if (error instanceof DockerApiError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  const message = engineMessage(error);
  if (status === 404) return new DockerApiError(404, 'DOCKER_NOT_FOUND', message);
  if (status === 409) return new DockerApiError(409, 'DOCKER_CONFLICT', message);
  if (status === 400) return new DockerApiError(400, 'DOCKER_BAD_REQUEST', message);
  if (status === 304)
    return new DockerApiError(409, 'DOCKER_CONFLICT', message || 'nothing to do: already in that state');
  const code = (error as { code?: string }).code;
  if (typeof code === 'string' && /^(ENOENT|ECONNREFUSED|EACCES|ECONNRESET|ETIMEDOUT|EPIPE)$/.test(code)) {
    return new DockerApiError(
      502,
      'DOCKER_ENGINE_UNREACHABLE',
      `the Docker engine cannot be reached: ${message}`,
    );
  }
  return new DockerApiError(502, 'DOCKER_ENGINE_ERROR', message || 'the Docker engine failed');
}

export function errorBody(e: DockerApiError) {
  return {
    error: {
      code: e.code,
      message: e.message,
      ...(e.field ? { field: e.field } : {}),
      ...(e.details ? { details: e.details } : {}),
    },
  };
}

/** Wraps a route handler so every error is answered in the panel's shape with its status. */
export function handle<C extends Context>(fn: (c: C) => Promise<Response> | Response) {
  return async (c: C): Promise<Response> => {
    try {
      return await fn(c);
    } catch (error) {
      const e = toApiError(error);
      return c.json(errorBody(e), e.status as 400);
    }
  };
}

/** Validates with zod; a failure is a 400 naming the first bad field (`body.limits.memory`). */
export function parse<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: 'body' | 'query' | 'params',
): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [where, ...(issue?.path ?? []).map(String)].join('.');
  throw new DockerApiError(400, 'DOCKER_BAD_REQUEST', `${field}: ${issue?.message ?? 'invalid'}`, field);
}

export async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new DockerApiError(400, 'DOCKER_BAD_REQUEST', 'body: not valid JSON', 'body');
  }
}
