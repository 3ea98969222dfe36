import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { HttpError, WebcasaError } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: Record<string, unknown> };
}

/**
 * The one mapping from thrown errors to the JSON error shape. Client errors keep
 * their message; anything unexpected is a 500 whose message hides internals
 * (it is logged by the caller with the request id).
 */
export function errorResponse(error: unknown, c: Context): Response {
  if (error instanceof HttpError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.field) body.error.field = error.field;
    if (error.details) body.error.details = error.details;
    const headers: Record<string, string> = {};
    const retry = error.details?.retryAfterSeconds;
    if (typeof retry === 'number') headers['Retry-After'] = String(Math.ceil(retry));
    return c.json(body, error.status as 400, headers);
  }
  if (error instanceof WebcasaError && error.status < 500) {
    return c.json({ error: { code: error.code, message: error.message, details: error.details } }, error.status as 400);
  }
  if (error instanceof WebcasaError && error.status === 503) {
    return c.json({ error: { code: error.code, message: error.message } }, 503);
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    const code = status === 413 ? 'WEBCASA_BODY_TOO_LARGE' : status < 500 ? 'WEBCASA_BAD_REQUEST' : 'WEBCASA_INTERNAL';
    return c.json({ error: { code, message: error.message || 'request failed' } }, status);
  }
  const requestId = (c.get('requestId' as never) as string | undefined) ?? 'unknown';
  return c.json(
    { error: { code: 'WEBCASA_INTERNAL', message: `internal error (request ${requestId}); see the panel log` } },
    500,
  );
}
