import { getConnInfo } from '@hono/node-server/conninfo';
import type { RequestUser } from '@webcasa/plugin-sdk';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Kysely } from 'kysely';
import type { CoreDatabase } from '../db/schema.js';
import { errorMessage, forbidden, HttpError } from '../errors.js';
import { clientIpFrom } from '../http/client-ip.js';
import type { CoreEnv } from '../http/env.js';
import type { AuthService } from './service.js';
import { SESSION_COOKIE, SESSION_PREFIX, safeEqual } from './sessions.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** How the request authenticated; CSRF checks apply to `cookie` only. Set by {@link authMiddleware}. */
    authSource?: 'cookie' | 'bearer';
    /** The session's CSRF token, when authenticated by a session. */
    csrfToken?: string;
    /** Extra audit detail a handler records for {@link auditMiddleware} (never secrets or bodies). */
    auditDetail?: Record<string, unknown>;
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Paths that open a session, so they cannot carry a CSRF token yet. */
export const CSRF_EXEMPT_PATHS = ['/api/auth/login', '/api/auth/setup'] as const;

/**
 * The client's IP address: the socket's peer, or, when that peer is a proxy on
 * this machine (loopback, e.g. Caddy in front of the panel), the last
 * `X-Forwarded-For` entry, which that proxy appended. A remote client cannot
 * spoof it: its own header entries come before the proxy's. Null when unknown
 * (e.g. `app.request` in tests, which has no socket).
 *
 * @example
 * await auth.login({ ...body, ip: clientIp(c) });
 */
export function clientIp(c: Context): string | null {
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    return null;
  }
  return clientIpFrom(address, c.req.header('x-forwarded-for'));
}

/**
 * Refuse a request made with an API token that was limited to scopes not
 * including `permission` (403). Sessions and unscoped tokens pass.
 *
 * @example
 * assertScope(c, 'core:users');
 */
export function assertScope(c: Context, permission: string): void {
  const user = c.get('user' as never) as RequestUser | undefined;
  if (user?.scopes && !user.scopes.includes(permission) && !user.scopes.includes('*')) {
    throw forbidden(`this API token is limited to other scopes; this needs "${permission}"`);
  }
}

/**
 * Authenticate requests by `Authorization: Bearer <token>` (session `wcs_…` or
 * API `wct_…` tokens) or the `webcasa_session` cookie, setting `c.var.user`,
 * `sessionId` or `tokenId`. It never refuses a request: a missing, invalid or
 * expired credential leaves it anonymous, and each route's access level decides.
 * A present Authorization header wins over the cookie.
 *
 * @example
 * app.use('*', authMiddleware(auth));
 */
export function authMiddleware(auth: AuthService): MiddlewareHandler<CoreEnv> {
  return async (c, next) => {
    let token: string | undefined;
    let source: 'cookie' | 'bearer' | undefined;
    const header = c.req.header('authorization');
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (match) {
        token = match[1];
        source = 'bearer';
      }
    } else {
      const cookie = getCookie(c, SESSION_COOKIE);
      // Only session tokens live in the cookie; an API token there is ignored.
      if (cookie?.startsWith(SESSION_PREFIX)) {
        token = cookie;
        source = 'cookie';
      }
    }
    if (token && source) {
      const credential = await auth.resolveCredential(token);
      if (credential) {
        c.set('user', credential.user);
        c.set('authSource', source);
        if (credential.kind === 'session') {
          c.set('sessionId', credential.sessionId);
          c.set('csrfToken', credential.csrfToken);
        } else {
          c.set('tokenId', credential.tokenId);
        }
      }
    }
    await next();
  };
}

function csrfError(message: string): HttpError {
  return new HttpError(403, 'WEBCASA_CSRF', message);
}

export interface CsrfOptions {
  /** Paths that skip the check (default {@link CSRF_EXEMPT_PATHS}). */
  exempt?: readonly string[];
  /** Extra origins allowed besides the request's own host, e.g. `https://panel.example.com`. */
  trustedOrigins?: readonly string[];
}

/**
 * CSRF protection for requests authenticated by the session cookie (browsers
 * send cookies on their own; bearer headers they do not). A mutating request
 * (POST, PUT, PATCH, DELETE) must carry `X-CSRF-Token` equal to the session's
 * token, and must not come from another site (`Origin` of a different host, or
 * `Sec-Fetch-Site: cross-site`). Refusals are 403 with code `WEBCASA_CSRF`.
 * Install after {@link authMiddleware}.
 *
 * @example
 * app.use('*', authMiddleware(auth), csrfMiddleware());
 */
export function csrfMiddleware(options: CsrfOptions = {}): MiddlewareHandler<CoreEnv> {
  const exempt = new Set(options.exempt ?? CSRF_EXEMPT_PATHS);
  const trusted = new Set((options.trustedOrigins ?? []).map((o) => o.toLowerCase().replace(/\/$/, '')));
  return async (c, next) => {
    if (MUTATING.has(c.req.method) && c.get('authSource') === 'cookie' && !exempt.has(c.req.path)) {
      const origin = c.req.header('origin');
      if (origin !== undefined && !trusted.has(origin.toLowerCase())) {
        const host = (c.req.header('host') ?? new URL(c.req.url).host).toLowerCase();
        let originHost: string | undefined;
        try {
          originHost = new URL(origin).host.toLowerCase();
        } catch {
          // `Origin: null` (sandboxed frames, some redirects) is never our page.
        }
        if (originHost !== host) {
          throw csrfError(
            `cross-site request refused: Origin ${origin} does not match the panel's host ${host}`,
          );
        }
      }
      if (c.req.header('sec-fetch-site') === 'cross-site') {
        throw csrfError('cross-site request refused (Sec-Fetch-Site: cross-site)');
      }
      const sent = c.req.header('x-csrf-token');
      const expected = c.get('csrfToken');
      if (!sent || !expected || !safeEqual(sent, expected)) {
        throw csrfError(
          sent
            ? 'the X-CSRF-Token header does not match this session'
            : 'missing X-CSRF-Token header (get the token from the login response or GET /api/auth/me)',
        );
      }
    }
    await next();
  };
}

/** The part of a pino logger the audit middleware uses. */
export interface AuditLogger {
  error(data: Record<string, unknown>, message: string): void;
}

export interface AuditOptions {
  logger?: AuditLogger;
  now?: () => number;
}

const PLUGIN_PATH = /^\/api\/plugins\/([^/]+)\//;

/**
 * Record every mutating request (POST, PUT, PATCH, DELETE) in `audit_log` after
 * it ran: time, user, IP, method, path, status and the plugin it went to. Never
 * bodies; `detail` is only what a handler set in `c.var.auditDetail` (e.g. the
 * username of a failed login). A failing insert is logged, never fails the request.
 * Install after {@link authMiddleware} and before {@link csrfMiddleware}, so
 * refused requests are recorded too.
 *
 * @example
 * app.use('*', authMiddleware(auth), auditMiddleware(db.core, { logger }), csrfMiddleware());
 */
export function auditMiddleware(
  db: Kysely<CoreDatabase>,
  options: AuditOptions = {},
): MiddlewareHandler<CoreEnv> {
  const now = options.now ?? Date.now;
  const logger: AuditLogger = options.logger ?? {
    error: (data, message) => console.error(message, data),
  };
  return async (c, next) => {
    await next();
    if (!MUTATING.has(c.req.method)) return;
    const path = c.req.path;
    try {
      const user = c.get('user') as RequestUser | undefined;
      const detail = c.get('auditDetail');
      await db
        .insertInto('audit_log')
        .values({
          time: now(),
          user_id: user?.id ?? null,
          username: user?.username ?? null,
          ip: clientIp(c),
          method: c.req.method,
          path: path.slice(0, 2048),
          status: c.res.status,
          plugin: PLUGIN_PATH.exec(path)?.[1] ?? null,
          detail: detail ? JSON.stringify(detail) : null,
        })
        .execute();
    } catch (error) {
      logger.error({ err: errorMessage(error), method: c.req.method, path }, 'audit log insert failed');
    }
  };
}
