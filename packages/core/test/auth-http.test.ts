import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '@webcasa/plugin-sdk';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AuthService,
  auditMiddleware,
  authMiddleware,
  createAuthService,
  csrfMiddleware,
  totpCode,
} from '../src/auth/index.js';
import { openDatabase, type PanelDatabase } from '../src/db/database.js';
import type { CoreEnv } from '../src/http/env.js';
import { errorResponse } from '../src/http/error-handler.js';
import { defineRoute, RouteRegistry } from '../src/http/route.js';
import { registerAuditRoutes } from '../src/http/routes/audit.js';
import { registerAuthRoutes } from '../src/http/routes/auth.js';
import { registerTokenRoutes } from '../src/http/routes/tokens.js';
import { registerUserRoutes } from '../src/http/routes/users.js';
import { createSecretBox } from '../src/settings/secrets.js';

const PASSWORD = 'correct horse battery';
const LEVELS: Role[] = ['viewer', 'operator', 'admin'];

let dir: string;
let db: PanelDatabase;
let auth: AuthService;
let app: Hono<CoreEnv>;
let clock: number;

function buildApp(options: { secureCookies?: boolean } = {}): Hono<CoreEnv> {
  const app = new Hono<CoreEnv>();
  app.onError((error, c) => errorResponse(error, c));
  app.use(authMiddleware(auth));
  // Audit before CSRF, so requests CSRF refuses are recorded too.
  app.use(auditMiddleware(db.core, { now: () => clock }));
  app.use(csrfMiddleware());
  const registry = new RouteRegistry();
  registerAuthRoutes(app, registry, { auth, secureCookies: options.secureCookies });
  registerUserRoutes(app, registry, { auth });
  registerTokenRoutes(app, registry, { auth });
  registerAuditRoutes(app, registry, { db: db.core });
  for (const level of LEVELS) {
    for (const method of ['get', 'post'] as const) {
      defineRoute(
        app,
        registry,
        { method, path: `/api/test/${level}`, summary: `needs ${level}`, tag: 'test', access: level },
        (c) => c.json({ ok: true, user: c.var.user.username }),
      );
    }
  }
  return app;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-auth-http-'));
  db = await openDatabase(dir);
  clock = 1_700_000_010_000;
  auth = createAuthService({ db: db.core, secrets: createSecretBox(randomBytes(32)), now: () => clock });
  app = buildApp();
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

interface CallOptions {
  /** JSON body (objects are serialised); a string is sent as is. */
  body?: unknown;
  contentType?: string;
  /** `Authorization: Bearer` */
  bearer?: string;
  /** The session cookie value. */
  cookie?: string;
  csrf?: string;
  headers?: Record<string, string>;
  /** Remote address, as @hono/node-server would give it. */
  ip?: string;
}

async function call(method: string, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.cookie) headers.cookie = `webcasa_session=${options.cookie}`;
  if (options.csrf) headers['x-csrf-token'] = options.csrf;
  const env = options.ip
    ? { incoming: { socket: { remoteAddress: options.ip, remotePort: 50000, remoteFamily: 'IPv4' } } }
    : undefined;
  const res = await app.request(path, { method, headers, body }, env);
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

async function createUsers(): Promise<Record<Role, { id: number; token: string }>> {
  const out = {} as Record<Role, { id: number; token: string }>;
  for (const role of LEVELS) {
    const user = await auth.createUser({ username: role, password: PASSWORD, role });
    const session = await auth.login({ username: role, password: PASSWORD, ip: `192.0.2.${user.id}` });
    out[role] = { id: user.id, token: session.token };
  }
  return out;
}

async function httpLogin(username: string, password = PASSWORD, extra: object = {}, ip?: string) {
  return call('POST', '/api/auth/login', { body: { username, password, ...extra }, ip });
}

function sessionCookie(setCookie: string | null): string {
  const match = /webcasa_session=([^;]*)/.exec(setCookie ?? '');
  if (!match) throw new Error(`no session cookie in ${setCookie}`);
  return match[1]!;
}

describe('role matrix', () => {
  it('anonymous gets 401 at every level', async () => {
    for (const level of LEVELS) {
      for (const method of ['GET', 'POST']) {
        const res = await call(method, `/api/test/${level}`);
        expect(res.status, `${method} ${level}`).toBe(401);
        expect(res.json.error.code).toBe('WEBCASA_UNAUTHORIZED');
      }
    }
  });

  it('each role reaches its level and below, and gets 403 above it', async () => {
    const users = await createUsers();
    const expected: Record<Role, Record<Role, number>> = {
      viewer: { viewer: 200, operator: 403, admin: 403 },
      operator: { viewer: 200, operator: 200, admin: 403 },
      admin: { viewer: 200, operator: 200, admin: 200 },
    };
    for (const role of LEVELS) {
      for (const level of LEVELS) {
        for (const method of ['GET', 'POST']) {
          const res = await call(method, `/api/test/${level}`, { bearer: users[role].token });
          expect(res.status, `${role} ${method} /api/test/${level}`).toBe(expected[role][level]);
          if (res.status === 200) expect(res.json.user).toBe(role);
          else expect(res.json.error.code).toBe('WEBCASA_FORBIDDEN');
        }
      }
    }
  });

  it('API tokens act with their owner’s role', async () => {
    const users = await createUsers();
    const token = await auth.createToken(users.operator.id, { name: 'ci' });
    expect((await call('POST', '/api/test/operator', { bearer: token.token })).status).toBe(200);
    expect((await call('POST', '/api/test/admin', { bearer: token.token })).status).toBe(403);
  });

  it('an invalid credential leaves the request anonymous (401), not an error', async () => {
    for (const bearer of ['wcs_forged', 'wct_forged', 'garbage']) {
      expect((await call('GET', '/api/test/viewer', { bearer })).status).toBe(401);
    }
    expect((await call('GET', '/api/test/viewer', { cookie: 'wcs_forged' })).status).toBe(401);
    expect((await call('GET', '/api/test/viewer', { headers: { authorization: 'Basic abc' } })).status).toBe(
      401,
    );
  });
});

describe('login, cookie and CSRF', () => {
  beforeEach(async () => {
    await auth.createUser({ username: 'alice', password: PASSWORD, role: 'admin' });
  });

  it('login sets an HttpOnly SameSite=Strict session cookie and returns the session', async () => {
    const res = await httpLogin('alice');
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^webcasa_session=wcs_[A-Za-z0-9_-]+;/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure');
    expect(res.json).toMatchObject({ user: { id: 1, username: 'alice', role: 'admin' } });
    expect(res.json.token).toBe(sessionCookie(setCookie));
    expect(typeof res.json.csrfToken).toBe('string');
    expect(JSON.stringify(res.json)).not.toMatch(/scrypt|password/);
  });

  it('adds Secure when secureCookies is on', async () => {
    app = buildApp({ secureCookies: true });
    const res = await httpLogin('alice');
    expect(res.headers.get('set-cookie')).toContain('Secure');
  });

  it('cookie-authenticated mutations need the X-CSRF-Token; bearer ones do not', async () => {
    const login = await httpLogin('alice');
    const cookie = sessionCookie(login.headers.get('set-cookie'));
    const csrf = login.json.csrfToken as string;
    // Reads need no token.
    expect((await call('GET', '/api/test/admin', { cookie })).status).toBe(200);

    const missing = await call('POST', '/api/test/admin', { cookie });
    expect(missing.status).toBe(403);
    expect(missing.json.error.code).toBe('WEBCASA_CSRF');
    expect(
      (await call('POST', '/api/test/admin', { cookie, csrf: `${csrf.slice(0, -1)}x` })).json.error.code,
    ).toBe('WEBCASA_CSRF');
    expect((await call('POST', '/api/test/admin', { cookie, csrf })).status).toBe(200);
    expect((await call('DELETE', '/api/users/1', { cookie })).json.error.code).toBe('WEBCASA_CSRF');

    // A foreign Origin is refused even with the right token; our own passes.
    const foreign = await call('POST', '/api/test/admin', {
      cookie,
      csrf,
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error.code).toBe('WEBCASA_CSRF');
    expect(
      (await call('POST', '/api/test/admin', { cookie, csrf, headers: { origin: 'null' } })).status,
    ).toBe(403);
    expect(
      (await call('POST', '/api/test/admin', { cookie, csrf, headers: { origin: 'http://localhost' } }))
        .status,
    ).toBe(200);

    // The same session token as a bearer header is not sent by browsers on their own: no CSRF check.
    expect((await call('POST', '/api/test/admin', { bearer: login.json.token })).status).toBe(200);
    const token = await auth.createToken(1, { name: 'ci' });
    expect(
      (
        await call('POST', '/api/test/admin', {
          bearer: token.token,
          headers: { origin: 'https://evil.example' },
        })
      ).status,
    ).toBe(200);
  });

  it('GET /api/auth/me tells the CSRF token to cookie sessions only', async () => {
    const login = await httpLogin('alice');
    const cookie = sessionCookie(login.headers.get('set-cookie'));
    const me = await call('GET', '/api/auth/me', { cookie });
    expect(me.json).toEqual({
      user: { id: 1, username: 'alice', role: 'admin' },
      via: 'session',
      scopes: null,
      csrfToken: login.json.csrfToken,
      totpEnabled: false,
    });
    const token = await auth.createToken(1, { name: 'ci', scopes: ['core:tokens'] });
    const viaToken = await call('GET', '/api/auth/me', { bearer: token.token });
    expect(viaToken.json).toMatchObject({ via: 'token', scopes: ['core:tokens'], csrfToken: null });
    expect((await call('GET', '/api/auth/me')).status).toBe(401);
  });

  it('logout ends the session and clears the cookie', async () => {
    const login = await httpLogin('alice');
    const cookie = sessionCookie(login.headers.get('set-cookie'));
    const out = await call('POST', '/api/auth/logout', { cookie, csrf: login.json.csrfToken });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/webcasa_session=;.*Max-Age=0/);
    expect((await call('GET', '/api/auth/me', { cookie })).status).toBe(401);
    // Without a session it still clears the cookie.
    expect((await call('POST', '/api/auth/logout')).status).toBe(204);
  });

  it('locks after 5 failures, refusing even the right password with 423 and Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await httpLogin('alice', 'wrong password');
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('WEBCASA_INVALID_CREDENTIALS');
    }
    const locked = await httpLogin('alice');
    expect(locked.status).toBe(423);
    expect(locked.json.error.code).toBe('WEBCASA_ACCOUNT_LOCKED');
    expect(locked.json.error.message).toMatch(/locked .* until \d{4}-\d\d-\d\dT/);
    expect(locked.headers.get('retry-after')).toBe('900');
    clock += 15 * 60_000;
    expect((await httpLogin('alice')).status).toBe(200);
  });

  it('the 11th login attempt in a minute from one IP gets 429 with Retry-After', async () => {
    for (let i = 0; i < 10; i++) {
      // Unknown names, so the account lockout does not interfere.
      expect((await httpLogin(`nobody${i}`, PASSWORD, {}, '203.0.113.7')).status).toBe(401);
    }
    const limited = await httpLogin('alice', PASSWORD, {}, '203.0.113.7');
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('WEBCASA_RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is still welcome; and the window slides.
    expect((await httpLogin('alice', PASSWORD, {}, '203.0.113.8')).status).toBe(200);
    clock += 60_000;
    expect((await httpLogin('alice', PASSWORD, {}, '203.0.113.7')).status).toBe(200);
  });

  it('changing the password ends the other sessions but keeps this one', async () => {
    const here = await httpLogin('alice');
    const other = await httpLogin('alice');
    const cookie = sessionCookie(here.headers.get('set-cookie'));
    const wrong = await call('POST', '/api/auth/password', {
      cookie,
      csrf: here.json.csrfToken,
      body: { currentPassword: 'not it at all', newPassword: 'a new password' },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.json.error.field).toBe('body.currentPassword');
    const ok = await call('POST', '/api/auth/password', {
      cookie,
      csrf: here.json.csrfToken,
      body: { currentPassword: PASSWORD, newPassword: 'a new password' },
    });
    expect(ok.status).toBe(204);
    expect((await call('GET', '/api/auth/me', { cookie })).status).toBe(200);
    expect((await call('GET', '/api/auth/me', { bearer: other.json.token })).status).toBe(401);
    expect((await httpLogin('alice', 'a new password')).status).toBe(200);
  });
});

describe('two-factor over HTTP', () => {
  it('enroll, confirm, then sign in with a code or a recovery code', async () => {
    await auth.createUser({ username: 'alice', password: PASSWORD, role: 'viewer' });
    const { token } = await auth.login({ username: 'alice', password: PASSWORD });
    const enroll = await call('POST', '/api/auth/totp/enroll', { bearer: token });
    expect(enroll.status).toBe(200);
    expect(enroll.json.otpauthUrl).toMatch(/^otpauth:\/\/totp\//);
    const confirm = await call('POST', '/api/auth/totp/confirm', {
      bearer: token,
      body: { code: totpCode(enroll.json.secret, clock) },
    });
    expect(confirm.status).toBe(200);
    expect(confirm.json.recoveryCodes).toHaveLength(10);

    const required = await httpLogin('alice');
    expect(required.status).toBe(401);
    expect(required.json.error.code).toBe('WEBCASA_TOTP_REQUIRED');
    expect(required.headers.get('set-cookie')).toBeNull();
    const invalid = await httpLogin('alice', PASSWORD, { totp: '000000' });
    expect(invalid.json.error.code).toBe('WEBCASA_TOTP_INVALID');
    clock += 30_000;
    expect((await httpLogin('alice', PASSWORD, { totp: totpCode(enroll.json.secret, clock) })).status).toBe(
      200,
    );
    const recovery = confirm.json.recoveryCodes[0];
    expect((await httpLogin('alice', PASSWORD, { recoveryCode: recovery })).status).toBe(200);
    expect((await httpLogin('alice', PASSWORD, { recoveryCode: recovery })).json.error.code).toBe(
      'WEBCASA_TOTP_INVALID',
    );
    expect((await call('GET', '/api/auth/me', { bearer: token })).json.totpEnabled).toBe(true);

    expect(
      (await call('POST', '/api/auth/totp/disable', { bearer: token, body: { password: 'wrong one!' } }))
        .status,
    ).toBe(403);
    expect(
      (await call('POST', '/api/auth/totp/disable', { bearer: token, body: { password: PASSWORD } })).status,
    ).toBe(204);
    expect((await httpLogin('alice')).status).toBe(200);
  });
});

describe('first-run setup over HTTP', () => {
  it('creates the first admin with the printed token, once', async () => {
    expect((await call('GET', '/api/auth/setup')).json).toEqual({ needed: true });
    const setupToken = (await auth.ensureSetupToken())!;
    const bad = await call('POST', '/api/auth/setup', {
      body: { setupToken: 'WRONG-TOKEN', username: 'root', password: PASSWORD },
    });
    expect(bad.status).toBe(403);
    expect(bad.json.error.field).toBe('body.setupToken');
    const res = await call('POST', '/api/auth/setup', {
      body: { setupToken, username: 'root', password: PASSWORD },
    });
    expect(res.status).toBe(201);
    expect(res.json.user).toEqual({ id: 1, username: 'root', role: 'admin' });
    expect(res.headers.get('set-cookie')).toContain('HttpOnly');
    expect((await call('GET', '/api/test/admin', { bearer: res.json.token })).status).toBe(200);
    expect((await call('GET', '/api/auth/setup')).json).toEqual({ needed: false });
    const again = await call('POST', '/api/auth/setup', {
      body: { setupToken, username: 'evil', password: PASSWORD },
    });
    expect(again.status).toBe(409);
  });
});

describe('users and tokens over HTTP', () => {
  it('admins manage users; responses never carry secrets', async () => {
    const users = await createUsers();
    const admin = users.admin.token;
    const list = await call('GET', '/api/users', { bearer: admin });
    expect(list.json.items.map((u: { username: string }) => u.username)).toEqual([
      'viewer',
      'operator',
      'admin',
    ]);
    expect(JSON.stringify(list.json)).not.toMatch(/password|scrypt|totp_secret|recovery/);

    const created = await call('POST', '/api/users', {
      bearer: admin,
      body: { username: 'dave', password: PASSWORD, role: 'viewer' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ username: 'dave', role: 'viewer', disabled: false });
    const dup = await call('POST', '/api/users', {
      bearer: admin,
      body: { username: 'DAVE', password: PASSWORD, role: 'viewer' },
    });
    expect(dup.status).toBe(409);
    expect(dup.json.error.field).toBe('body.username');

    const patched = await call('PATCH', `/api/users/${created.json.id}`, {
      bearer: admin,
      body: { role: 'operator' },
    });
    expect(patched.json.role).toBe('operator');
    expect((await call('PATCH', '/api/users/999', { bearer: admin, body: { role: 'viewer' } })).status).toBe(
      404,
    );
    expect((await call('DELETE', '/api/users/999', { bearer: admin })).status).toBe(404);
    const last = await call('DELETE', `/api/users/${users.admin.id}`, { bearer: admin });
    expect(last.status).toBe(409);
    expect(last.json.error.code).toBe('WEBCASA_LAST_ADMIN');
    expect((await call('DELETE', `/api/users/${created.json.id}`, { bearer: admin })).status).toBe(204);
    expect((await call('GET', '/api/users', { bearer: users.operator.token })).status).toBe(403);
  });

  it('tokens: created once in clear, listed without secrets, revoked → 401', async () => {
    const users = await createUsers();
    const created = await call('POST', '/api/tokens', {
      bearer: users.operator.token,
      body: { name: 'deploy', expiresInDays: 30 },
    });
    expect(created.status).toBe(201);
    expect(created.json.token).toMatch(/^wct_/);
    expect(created.json.expiresAt).toBe(clock + 30 * 86_400_000);
    const list = await call('GET', '/api/tokens', { bearer: created.json.token });
    expect(list.json.items).toHaveLength(1);
    expect(JSON.stringify(list.json)).not.toContain(created.json.token);
    expect(JSON.stringify(list.json)).not.toMatch(/token_hash|"token"/);

    expect((await call('GET', '/api/tokens?all=true', { bearer: users.operator.token })).status).toBe(403);
    await auth.createToken(users.viewer.id, { name: 'viewer token' });
    expect(
      (await call('GET', '/api/tokens?all=true', { bearer: users.admin.token })).json.items,
    ).toHaveLength(2);

    // Someone else's token: 404 for a non-admin.
    expect(
      (await call('DELETE', `/api/tokens/${created.json.id}`, { bearer: users.viewer.token })).status,
    ).toBe(404);
    expect(
      (await call('DELETE', `/api/tokens/${created.json.id}`, { bearer: users.operator.token })).status,
    ).toBe(204);
    const revoked = await call('GET', '/api/auth/me', { bearer: created.json.token });
    expect(revoked.status).toBe(401);
  });

  it('a scoped token cannot leave its scopes, nor mint a wider token', async () => {
    const users = await createUsers();
    const scoped = await auth.createToken(users.admin.id, {
      name: 'narrow',
      scopes: ['core:tokens', 'plugin:docker:read'],
    });
    const users403 = await call('GET', '/api/users', { bearer: scoped.token });
    expect(users403.status).toBe(403);
    expect(users403.json.error.message).toContain('core:users');
    expect((await call('POST', '/api/tokens', { bearer: scoped.token, body: { name: 'wide' } })).status).toBe(
      403,
    );
    expect(
      (
        await call('POST', '/api/tokens', {
          bearer: scoped.token,
          body: { name: 'wider', scopes: ['core:users'] },
        })
      ).status,
    ).toBe(403);
    const ok = await call('POST', '/api/tokens', {
      bearer: scoped.token,
      body: { name: 'narrower', scopes: ['plugin:docker:read'] },
    });
    expect(ok.status).toBe(201);
  });
});

describe('validation: every bad input is a 400 naming the field', () => {
  const cases: [string, string, CallOptions, string][] = [
    // [method, path, request, field]
    ['POST', '/api/auth/login', { body: { password: PASSWORD } }, 'body.username'],
    ['POST', '/api/auth/login', { body: { username: 'alice' } }, 'body.password'],
    ['POST', '/api/auth/login', { body: { username: 42, password: PASSWORD } }, 'body.username'],
    [
      'POST',
      '/api/auth/login',
      { body: { username: 'alice', password: PASSWORD, totp: 123456 } },
      'body.totp',
    ],
    [
      'POST',
      '/api/auth/login',
      { body: { username: 'alice', password: PASSWORD, totp: '12ab56' } },
      'body.totp',
    ],
    ['POST', '/api/auth/login', { body: '{"username": "alice",' }, 'body'],
    ['POST', '/api/auth/login', { body: '[]' }, 'body'],
    [
      'POST',
      '/api/auth/login',
      { body: 'username=alice', contentType: 'application/x-www-form-urlencoded' },
      'body',
    ],
    ['POST', '/api/auth/login', {}, 'body'],
    ['POST', '/api/auth/setup', { body: { username: 'root', password: PASSWORD } }, 'body.setupToken'],
    [
      'POST',
      '/api/auth/setup',
      { body: { setupToken: 'X', username: 'r o o t', password: PASSWORD } },
      'body.username',
    ],
    [
      'POST',
      '/api/auth/setup',
      { body: { setupToken: 'X', username: 'root', password: 'short' } },
      'body.password',
    ],
    ['POST', '/api/auth/setup', { body: 'not json' }, 'body'],
    ['POST', '/api/auth/password', { body: { currentPassword: PASSWORD } }, 'body.newPassword'],
    [
      'POST',
      '/api/auth/password',
      { body: { currentPassword: PASSWORD, newPassword: 'short' } },
      'body.newPassword',
    ],
    [
      'POST',
      '/api/auth/password',
      { body: { currentPassword: false, newPassword: 'long enough pass' } },
      'body.currentPassword',
    ],
    ['POST', '/api/auth/password', { body: '{' }, 'body'],
    ['POST', '/api/auth/totp/confirm', { body: {} }, 'body.code'],
    ['POST', '/api/auth/totp/confirm', { body: { code: '12345' } }, 'body.code'],
    ['POST', '/api/auth/totp/confirm', { body: 'x' }, 'body'],
    ['POST', '/api/auth/totp/disable', { body: { password: 7 } }, 'body.password'],
    ['POST', '/api/auth/totp/disable', { body: null as unknown as string }, 'body'],
    ['POST', '/api/users', { body: { username: 'dave', password: PASSWORD } }, 'body.role'],
    ['POST', '/api/users', { body: { username: 'dave', password: PASSWORD, role: 'root' } }, 'body.role'],
    ['POST', '/api/users', { body: { username: 'd', password: PASSWORD, role: 'viewer' } }, 'body.username'],
    [
      'POST',
      '/api/users',
      { body: { username: 'dave', password: 'short', role: 'viewer' } },
      'body.password',
    ],
    ['POST', '/api/users', { body: '{{' }, 'body'],
    ['PATCH', '/api/users/1', { body: {} }, 'body'],
    ['PATCH', '/api/users/1', { body: { disabled: 'yes' } }, 'body.disabled'],
    ['PATCH', '/api/users/1', { body: { password: 'short' } }, 'body.password'],
    ['PATCH', '/api/users/abc', { body: { role: 'viewer' } }, 'params.id'],
    ['PATCH', '/api/users/0', { body: { role: 'viewer' } }, 'params.id'],
    ['DELETE', '/api/users/-1', {}, 'params.id'],
    ['DELETE', '/api/users/1.5', {}, 'params.id'],
    ['DELETE', '/api/users/99999999999999999999', {}, 'params.id'],
    ['GET', '/api/tokens?all=yes', {}, 'query.all'],
    ['POST', '/api/tokens', { body: {} }, 'body.name'],
    ['POST', '/api/tokens', { body: { name: '' } }, 'body.name'],
    ['POST', '/api/tokens', { body: { name: 'x', scopes: 'core:users' } }, 'body.scopes'],
    ['POST', '/api/tokens', { body: { name: 'x', scopes: [] } }, 'body.scopes'],
    ['POST', '/api/tokens', { body: { name: 'x', scopes: ['core:users', 'Bad Scope'] } }, 'body.scopes.1'],
    ['POST', '/api/tokens', { body: { name: 'x', expiresInDays: 0 } }, 'body.expiresInDays'],
    ['POST', '/api/tokens', { body: { name: 'x', expiresInDays: 3651 } }, 'body.expiresInDays'],
    ['POST', '/api/tokens', { body: { name: 'x', expiresInDays: 1.5 } }, 'body.expiresInDays'],
    ['POST', '/api/tokens', { body: { name: 'x', expiresInDays: '30' } }, 'body.expiresInDays'],
    ['POST', '/api/tokens', { body: 'nope' }, 'body'],
    ['DELETE', '/api/tokens/x', {}, 'params.id'],
    ['GET', '/api/admin/audit?limit=0', {}, 'query.limit'],
    ['GET', '/api/admin/audit?limit=501', {}, 'query.limit'],
    ['GET', '/api/admin/audit?limit=ten', {}, 'query.limit'],
    ['GET', '/api/admin/audit?status=99', {}, 'query.status'],
    ['GET', '/api/admin/audit?method=FETCH', {}, 'query.method'],
    ['GET', '/api/admin/audit?from=yesterday', {}, 'query.from'],
    ['GET', '/api/admin/audit?to=2025-13-45', {}, 'query.to'],
    ['GET', '/api/admin/audit?before=-3', {}, 'query.before'],
    ['GET', '/api/admin/audit?path=api', {}, 'query.path'],
  ];

  it.each(cases)('%s %s %j → 400 naming %s', async (method, path, request, field) => {
    const { token } = await (async () => {
      await auth.createUser({ username: 'admin', password: PASSWORD, role: 'admin' });
      return auth.login({ username: 'admin', password: PASSWORD });
    })();
    // Authenticated by bearer (routes check access first); the login route is public anyway.
    const res = await call(method, path, { ...request, bearer: token });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('WEBCASA_BAD_REQUEST');
    expect(res.json.error.field).toBe(field);
    expect(res.json.error.message).toContain(field);
  });
});

describe('audit log', () => {
  it('records every mutating request with user, method, path, status and IP; never bodies', async () => {
    const users = await createUsers();
    await db.core.deleteFrom('audit_log').execute();
    const admin = users.admin.token;
    await call('POST', '/api/users', {
      bearer: admin,
      body: { username: 'dave', password: PASSWORD, role: 'viewer' },
      ip: '198.51.100.4',
    });
    await call('POST', '/api/test/admin', { bearer: users.viewer.token });
    await call('DELETE', '/api/users/abc', { bearer: admin });
    await call('GET', '/api/users', { bearer: admin });
    await httpLogin('operator', 'a wrong password');
    await httpLogin('operator');
    const login = await httpLogin('admin');
    // A request CSRF refuses is recorded too.
    await call('POST', '/api/test/admin', { cookie: sessionCookie(login.headers.get('set-cookie')) });

    const rows = await db.core.selectFrom('audit_log').selectAll().orderBy('id').execute();
    expect(rows.map((r) => [r.username, r.method, r.path, r.status])).toEqual([
      ['admin', 'POST', '/api/users', 201],
      ['viewer', 'POST', '/api/test/admin', 403],
      ['admin', 'DELETE', '/api/users/abc', 400],
      [null, 'POST', '/api/auth/login', 401],
      ['operator', 'POST', '/api/auth/login', 200],
      ['admin', 'POST', '/api/auth/login', 200],
      ['admin', 'POST', '/api/test/admin', 403],
    ]);
    expect(rows[0]).toMatchObject({
      user_id: users.admin.id,
      ip: '198.51.100.4',
      time: clock,
      detail: null,
      plugin: null,
    });
    expect(rows[1]!.ip).toBeNull();
    expect(JSON.parse(rows[3]!.detail!)).toEqual({ username: 'operator' });
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
  });

  it('takes the client IP from a local proxy’s X-Forwarded-For, never from a remote client’s', async () => {
    const users = await createUsers();
    await db.core.deleteFrom('audit_log').execute();
    const headers = { 'x-forwarded-for': '192.0.2.99, 203.0.113.50' };
    await call('POST', '/api/test/viewer', { bearer: users.admin.token, ip: '127.0.0.1', headers });
    await call('POST', '/api/test/viewer', { bearer: users.admin.token, ip: '198.51.100.7', headers });
    const rows = await db.core.selectFrom('audit_log').select('ip').orderBy('id').execute();
    expect(rows.map((r) => r.ip)).toEqual(['203.0.113.50', '198.51.100.7']);
  });

  it('names the plugin of /api/plugins/<id>/… requests', async () => {
    const users = await createUsers();
    await db.core.deleteFrom('audit_log').execute();
    await call('POST', '/api/plugins/docker/containers/abc/restart', { bearer: users.admin.token });
    const row = await db.core.selectFrom('audit_log').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ plugin: 'docker', status: 404, username: 'admin' });
  });

  it('a failing insert does not fail the request', async () => {
    const users = await createUsers();
    const logged: string[] = [];
    const broken = new Hono<CoreEnv>();
    broken.onError((error, c) => errorResponse(error, c));
    broken.use(authMiddleware(auth));
    broken.use(auditMiddleware(db.core, { logger: { error: (_data, message) => logged.push(message) } }));
    broken.post('/x', (c) => c.json({ ok: true }));
    await db.core.schema.alterTable('audit_log').renameTo('audit_log_gone').execute();
    const res = await broken.request('/x', {
      method: 'POST',
      headers: { authorization: `Bearer ${users.admin.token}` },
    });
    expect(res.status).toBe(200);
    expect(logged).toEqual(['audit log insert failed']);
    await db.core.schema.alterTable('audit_log_gone').renameTo('audit_log').execute();
  });

  it('GET /api/admin/audit filters by user, method, status, path and time, and pages', async () => {
    const users = await createUsers();
    await db.core.deleteFrom('audit_log').execute();
    const start = clock;
    await call('POST', '/api/test/viewer', { bearer: users.viewer.token });
    clock += 1000;
    await call('POST', '/api/test/admin', { bearer: users.viewer.token });
    clock += 1000;
    await call('POST', '/api/tokens', { bearer: users.operator.token, body: { name: 'a' } });
    await call('POST', '/api/tokens', { bearer: users.operator.token, body: { name: 'b' } });
    await call('DELETE', '/api/users/999', { bearer: users.admin.token });
    const admin = users.admin.token;

    const byUser = await call('GET', '/api/admin/audit?user=VIEWER', { bearer: admin });
    expect(byUser.status).toBe(200);
    expect(byUser.json.items.map((i: { path: string }) => i.path)).toEqual([
      '/api/test/admin',
      '/api/test/viewer',
    ]);
    expect(byUser.json.nextBefore).toBeNull();
    const byId = await call('GET', `/api/admin/audit?user=${users.operator.id}`, { bearer: admin });
    expect(byId.json.items).toHaveLength(2);

    const byMethod = await call('GET', '/api/admin/audit?method=delete', { bearer: admin });
    expect(byMethod.json.items).toMatchObject([
      { method: 'DELETE', path: '/api/users/999', status: 404, username: 'admin' },
    ]);
    const byStatus = await call('GET', '/api/admin/audit?status=403', { bearer: admin });
    expect(byStatus.json.items).toMatchObject([{ username: 'viewer', path: '/api/test/admin' }]);
    const byPath = await call('GET', '/api/admin/audit?path=/api/test/', { bearer: admin });
    expect(byPath.json.items).toHaveLength(2);
    const combined = await call('GET', '/api/admin/audit?user=operator&method=POST&status=201', {
      bearer: admin,
    });
    expect(combined.json.items).toHaveLength(2);
    const byTime = await call(
      'GET',
      `/api/admin/audit?from=${start + 1000}&to=${new Date(start + 2000).toISOString()}`,
      { bearer: admin },
    );
    expect(byTime.json.items.map((i: { path: string }) => i.path)).toEqual(['/api/test/admin']);

    const page1 = await call('GET', '/api/admin/audit?limit=3', { bearer: admin });
    expect(page1.json.items).toHaveLength(3);
    expect(page1.json.nextBefore).toBe(page1.json.items[2].id);
    const page2 = await call('GET', `/api/admin/audit?limit=3&before=${page1.json.nextBefore}`, {
      bearer: admin,
    });
    // Five requests above, plus the audit GETs (not mutating, so not recorded).
    expect(page2.json.items).toHaveLength(2);
    expect(page2.json.nextBefore).toBeNull();

    expect((await call('GET', '/api/admin/audit', { bearer: users.operator.token })).status).toBe(403);
    expect((await call('GET', '/api/admin/audit')).status).toBe(401);
  });
});
