import type { Context, Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { assertScope, clientIp } from '../../auth/middleware.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../auth/passwords.js';
import type { AuthService, LoginResult } from '../../auth/service.js';
import { SESSION_COOKIE } from '../../auth/sessions.js';
import { usernameSchema } from '../../auth/users.js';
import type { CoreEnv } from '../env.js';
import { defineRoute, type RouteRegistry } from '../route.js';

/** A required string field with messages that say what is wrong. */
export function requiredString(max: number) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`);
}

/** A new password: the panel's length rules. */
export const newPasswordSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);

const totpCodeSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .regex(/^\d{6}$/, 'must be the 6-digit code from your authenticator app');

const loginBody = z.object({
  username: requiredString(100),
  password: requiredString(MAX_PASSWORD_LENGTH),
  totp: totpCodeSchema.optional(),
  recoveryCode: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(64).optional(),
});

const setupBody = z.object({
  setupToken: requiredString(200),
  username: usernameSchema,
  password: newPasswordSchema,
});

const sessionResponse = z.object({
  token: z.string(),
  csrfToken: z.string(),
  expiresAt: z.number(),
  user: z.object({ id: z.number(), username: z.string(), role: z.string() }),
});

export interface AuthRoutesOptions {
  auth: AuthService;
  /** Mark the session cookie `Secure` (set it when the panel is served over HTTPS). */
  secureCookies?: boolean;
}

/**
 * Sign-in, sign-out, the current user, first-run setup, password change and
 * two-factor enrollment under `/api/auth`.
 *
 * The cookie is a browser-session cookie (no Max-Age): the server decides when
 * a session ends (sliding expiry), so a stale cookie is simply ignored.
 *
 * @example
 * registerAuthRoutes(app, registry, { auth, secureCookies: true });
 */
export function registerAuthRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry | undefined,
  options: AuthRoutesOptions,
): void {
  const { auth } = options;
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure: options.secureCookies ?? false,
  } as const;

  function openSession(c: Context<CoreEnv>, result: LoginResult, status: 200 | 201) {
    setCookie(c, SESSION_COOKIE, result.token, cookieOptions);
    // The audit row of this request names who signed in.
    c.set('user', { ...result.user, via: 'session' });
    const { token, csrfToken, expiresAt, user } = result;
    return c.json({ token, csrfToken, expiresAt, user }, status);
  }

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/auth/login',
      summary: 'Sign in; sets the session cookie',
      tag: 'auth',
      access: 'public',
      body: loginBody,
      responses: { 200: { description: 'Signed in', schema: sessionResponse } },
    },
    async (c, { body }) => {
      try {
        const result = await auth.login({
          ...body,
          ip: clientIp(c),
          userAgent: c.req.header('user-agent') ?? null,
        });
        return openSession(c, result, 200);
      } catch (error) {
        c.set('auditDetail', { username: body.username });
        throw error;
      }
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/auth/logout',
      summary: 'Sign out; ends the session and clears the cookie',
      tag: 'auth',
      access: 'public',
      responses: { 204: { description: 'Signed out' } },
    },
    async (c) => {
      const sessionId = c.get('sessionId');
      if (sessionId) await auth.logout(sessionId);
      deleteCookie(c, SESSION_COOKIE, cookieOptions);
      return c.body(null, 204);
    },
  );

  defineRoute(
    app,
    registry,
    { method: 'get', path: '/api/auth/me', summary: 'The signed-in user', tag: 'auth', access: 'user' },
    async (c) => {
      const user = c.var.user;
      const info = await auth.getUser(user.id);
      return c.json({
        user: { id: user.id, username: user.username, role: user.role },
        via: user.via,
        scopes: user.scopes ?? null,
        csrfToken: c.get('csrfToken') ?? null,
        totpEnabled: info?.totpEnabled ?? false,
      });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/auth/setup',
      summary: 'Whether first-run setup is needed',
      tag: 'auth',
      access: 'public',
    },
    async (c) => c.json({ needed: await auth.setupNeeded() }),
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/auth/setup',
      summary: 'Create the first admin with the one-time setup token; signs them in',
      tag: 'auth',
      access: 'public',
      body: setupBody,
      responses: { 201: { description: 'Admin created and signed in', schema: sessionResponse } },
    },
    async (c, { body }) => {
      const result = await auth.completeSetup({
        ...body,
        ip: clientIp(c),
        userAgent: c.req.header('user-agent') ?? null,
      });
      return openSession(c, result, 201);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/auth/password',
      summary: "Change one's own password; ends the other sessions",
      tag: 'auth',
      access: 'user',
      body: z.object({
        currentPassword: requiredString(MAX_PASSWORD_LENGTH),
        newPassword: newPasswordSchema,
      }),
      responses: { 204: { description: 'Changed' } },
    },
    async (c, { body }) => {
      assertScope(c, 'core:account');
      await auth.changePassword(c.var.user.id, body.currentPassword, body.newPassword, c.get('sessionId'));
      return c.body(null, 204);
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/auth/totp/enroll',
      summary: 'Start two-factor enrollment: a secret and otpauth:// URL',
      tag: 'auth',
      access: 'user',
      responses: { 200: { description: 'Enrollment started; confirm with a code' } },
    },
    async (c) => {
      assertScope(c, 'core:account');
      return c.json(await auth.enrollTotp(c.var.user.id));
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/auth/totp/confirm',
      summary: 'Turn two-factor on with a current code; returns recovery codes once',
      tag: 'auth',
      access: 'user',
      body: z.object({ code: totpCodeSchema }),
      responses: { 200: { description: 'Two-factor is on' } },
    },
    async (c, { body }) => {
      assertScope(c, 'core:account');
      const recoveryCodes = await auth.confirmTotp(c.var.user.id, body.code);
      return c.json({ recoveryCodes });
    },
  );

  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/auth/totp/disable',
      summary: 'Turn two-factor off (needs the password)',
      tag: 'auth',
      access: 'user',
      body: z.object({ password: requiredString(MAX_PASSWORD_LENGTH) }),
      responses: { 204: { description: 'Two-factor is off' } },
    },
    async (c, { body }) => {
      assertScope(c, 'core:account');
      await auth.disableTotp(c.var.user.id, body.password);
      return c.body(null, 204);
    },
  );
}
