/**
 * Typed errors with a stable `code`. Messages name the plugin, field or cause;
 * the HTTP layer maps every WebcasaError to the JSON error shape
 * `{ error: { code, message, field?, details? } }` with its status.
 */
export class WebcasaError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 500,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'WebcasaError';
  }
}

/** A client error answered with its status; `field` names the input at fault. */
export class HttpError extends WebcasaError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly field?: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, status, details);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, field?: string, details?: Record<string, unknown>) =>
  new HttpError(400, 'WEBCASA_BAD_REQUEST', message, field, details);
export const unauthorized = (message = 'authentication required') =>
  new HttpError(401, 'WEBCASA_UNAUTHORIZED', message);
export const forbidden = (message = 'you do not have permission to do this') =>
  new HttpError(403, 'WEBCASA_FORBIDDEN', message);
export const notFound = (message: string) => new HttpError(404, 'WEBCASA_NOT_FOUND', message);
export const conflict = (message: string, field?: string) => new HttpError(409, 'WEBCASA_CONFLICT', message, field);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new HttpError(429, 'WEBCASA_RATE_LIMITED', message, undefined, { retryAfterSeconds });

/** Plugin lifecycle and resolution errors. */
export class PluginError extends WebcasaError {
  constructor(
    code: string,
    readonly pluginId: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, 409, details);
    this.name = 'PluginError';
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
