import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type PanelDatabase } from '../db/database.js';
import { createSecretBox } from '../settings/secrets.js';
import { type AuthService, type AuthServiceOptions, createAuthService } from './service.js';
import { SETUP_TOKEN_KEY } from './setup-token.js';
import { totpCode } from './totp.js';

const PASSWORD = 'correct horse battery';
const MINUTE = 60_000;

let dir: string;
let db: PanelDatabase;
let clock: number;
let auth: AuthService;

function service(options: Partial<AuthServiceOptions> = {}): AuthService {
  return createAuthService({
    db: db.core,
    secrets: createSecretBox(randomBytes(32)),
    now: () => clock,
    ...options,
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-auth-'));
  db = await openDatabase(dir);
  // Mid-step, so ±1-step codes are unambiguous.
  clock = 1_700_000_010_000;
  auth = service({ loginRateLimit: false });
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const login = (username: string, password = PASSWORD, extra: object = {}) =>
  auth.login({ username, password, ip: '10.0.0.1', ...extra });

describe('users', () => {
  it('creates users, unique regardless of case, never exposing the hash', async () => {
    const alice = await auth.createUser({ username: 'Alice', password: PASSWORD, role: 'operator' });
    expect(alice).toMatchObject({ username: 'Alice', role: 'operator', disabled: false, totpEnabled: false });
    expect(JSON.stringify(alice)).not.toContain('scrypt');
    await expect(
      auth.createUser({ username: 'alice', password: PASSWORD, role: 'viewer' }),
    ).rejects.toMatchObject({
      status: 409,
      field: 'body.username',
    });
    expect(await auth.countUsers()).toBe(1);
    expect(await auth.getUser(alice.id)).toMatchObject({ username: 'Alice' });
    expect(await auth.getUser(9999)).toBeUndefined();
  });

  it('validates username and password with a 400 naming the field', async () => {
    await expect(
      auth.createUser({ username: 'a', password: PASSWORD, role: 'viewer' }),
    ).rejects.toMatchObject({
      status: 400,
      field: 'body.username',
    });
    await expect(
      auth.createUser({ username: 'bad name', password: PASSWORD, role: 'viewer' }),
    ).rejects.toMatchObject({
      field: 'body.username',
    });
    await expect(
      auth.createUser({ username: 'bob', password: 'short', role: 'viewer' }),
    ).rejects.toMatchObject({
      status: 400,
      field: 'body.password',
    });
  });

  it('protects the last enabled admin from demotion, disabling and deletion', async () => {
    const root = await auth.createUser({ username: 'root', password: PASSWORD, role: 'admin' });
    await expect(auth.updateUser(root.id, { role: 'operator' })).rejects.toMatchObject({
      status: 409,
      code: 'WEBCASA_LAST_ADMIN',
    });
    await expect(auth.updateUser(root.id, { disabled: true })).rejects.toMatchObject({
      code: 'WEBCASA_LAST_ADMIN',
    });
    await expect(auth.deleteUser(root.id)).rejects.toMatchObject({ code: 'WEBCASA_LAST_ADMIN' });

    // A disabled second admin does not count.
    const second = await auth.createUser({ username: 'second', password: PASSWORD, role: 'admin' });
    await auth.updateUser(second.id, { disabled: true });
    await expect(auth.deleteUser(root.id)).rejects.toMatchObject({ code: 'WEBCASA_LAST_ADMIN' });

    await auth.updateUser(second.id, { disabled: false });
    expect(await auth.updateUser(root.id, { role: 'viewer' })).toMatchObject({ role: 'viewer' });
    await expect(auth.deleteUser(second.id)).rejects.toMatchObject({ code: 'WEBCASA_LAST_ADMIN' });
    await expect(auth.updateUser(424242, { role: 'viewer' })).rejects.toMatchObject({ status: 404 });
    await expect(auth.deleteUser(424242)).rejects.toMatchObject({ status: 404 });
  });

  it('deleting a user removes their sessions and tokens', async () => {
    await auth.createUser({ username: 'root', password: PASSWORD, role: 'admin' });
    const bob = await auth.createUser({ username: 'bob', password: PASSWORD, role: 'viewer' });
    const session = await login('bob');
    const token = await auth.createToken(bob.id, { name: 'ci' });
    await auth.deleteUser(bob.id);
    expect(await auth.authenticate(session.token)).toBeUndefined();
    expect(await auth.authenticate(token.token)).toBeUndefined();
    expect(await db.core.selectFrom('sessions').selectAll().execute()).toHaveLength(0);
    expect(await db.core.selectFrom('api_tokens').selectAll().execute()).toHaveLength(0);
  });

  it('disabling a user or resetting the password ends their sessions', async () => {
    await auth.createUser({ username: 'root', password: PASSWORD, role: 'admin' });
    const bob = await auth.createUser({ username: 'bob', password: PASSWORD, role: 'viewer' });
    const first = await login('bob');
    await auth.updateUser(bob.id, { password: 'another password' });
    expect(await auth.authenticate(first.token)).toBeUndefined();
    await expect(login('bob')).rejects.toMatchObject({ status: 401 });
    const second = await login('bob', 'another password');
    await auth.updateUser(bob.id, { disabled: true });
    expect(await auth.authenticate(second.token)).toBeUndefined();
    await expect(login('bob', 'another password')).rejects.toMatchObject({
      status: 403,
      code: 'WEBCASA_ACCOUNT_DISABLED',
    });
  });

  it('changePassword checks the current password and keeps only the current session', async () => {
    const bob = await auth.createUser({ username: 'bob', password: PASSWORD, role: 'viewer' });
    const here = await login('bob');
    const elsewhere = await login('bob');
    await expect(
      auth.changePassword(bob.id, 'wrong password', 'new password 1', here.sessionId),
    ).rejects.toMatchObject({
      status: 403,
      field: 'body.currentPassword',
    });
    await expect(auth.changePassword(bob.id, PASSWORD, 'short', here.sessionId)).rejects.toMatchObject({
      field: 'body.newPassword',
    });
    await auth.changePassword(bob.id, PASSWORD, 'new password 1', here.sessionId);
    expect(await auth.authenticate(here.token)).toMatchObject({ username: 'bob' });
    expect(await auth.authenticate(elsewhere.token)).toBeUndefined();
  });
});

describe('login and sessions', () => {
  beforeEach(async () => {
    await auth.createUser({ username: 'alice', password: PASSWORD, role: 'operator' });
  });

  it('opens a session stored only as a SHA-256 hash', async () => {
    const result = await login('ALICE');
    expect(result.token).toMatch(/^wcs_[A-Za-z0-9_-]{43}$/);
    expect(result.user).toEqual({ id: 1, username: 'alice', role: 'operator' });
    expect(result.expiresAt).toBe(clock + 7 * 24 * 60 * MINUTE);
    const rows = await db.core.selectFrom('sessions').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(createHash('sha256').update(result.token).digest('hex'));
    expect(rows[0]!.ip).toBe('10.0.0.1');
    expect(JSON.stringify(rows)).not.toContain(result.token);
    expect(await auth.authenticate(result.token)).toEqual({
      id: 1,
      username: 'alice',
      role: 'operator',
      via: 'session',
    });
    expect(await auth.resolveCredential(result.token)).toMatchObject({
      kind: 'session',
      csrfToken: result.csrfToken,
    });
  });

  it('refuses wrong passwords and unknown users alike', async () => {
    const wrong = await login('alice', 'wrong password').catch((e) => e);
    const unknown = await login('nobody').catch((e) => e);
    expect(wrong).toMatchObject({ status: 401, code: 'WEBCASA_INVALID_CREDENTIALS' });
    expect(unknown).toMatchObject({
      status: 401,
      code: 'WEBCASA_INVALID_CREDENTIALS',
      message: wrong.message,
    });
  });

  it('authenticates raw Node requests (WebSocket upgrades) by header, token query or cookie', async () => {
    const { token } = await login('alice');
    const req = (headers: Record<string, string>, url = '/ws/runs/1') => ({ headers, url });
    expect(await auth.authenticateRequest(req({ authorization: `Bearer ${token}` }))).toMatchObject({
      username: 'alice',
    });
    expect(await auth.authenticateRequest(req({}, `/ws/runs/1?token=${token}`))).toMatchObject({
      username: 'alice',
    });
    expect(await auth.authenticateRequest(req({ cookie: `a=b; webcasa_session=${token}` }))).toMatchObject({
      username: 'alice',
    });
    expect(await auth.authenticateRequest(req({}))).toBeUndefined();
    // A bad Authorization header is not rescued by a good cookie.
    expect(
      await auth.authenticateRequest(
        req({ authorization: 'Bearer nope', cookie: `webcasa_session=${token}` }),
      ),
    ).toBeUndefined();
  });

  it('logout ends the session; garbage tokens are nobody', async () => {
    const result = await login('alice');
    await auth.logout(result.sessionId);
    expect(await auth.authenticate(result.token)).toBeUndefined();
    for (const bad of ['', 'wcs_', 'wcs_nope', 'wct_nope', 'Bearer x', 'x'.repeat(5000)]) {
      expect(await auth.authenticate(bad)).toBeUndefined();
    }
  });

  it('sessions slide: each use extends them, idleness ends them', async () => {
    const ttl = 60 * MINUTE;
    auth = service({ loginRateLimit: false, sessionTtlMs: ttl });
    const result = await login('alice');
    clock += ttl - MINUTE;
    expect(await auth.authenticate(result.token)).toBeDefined();
    clock += ttl - MINUTE; // past the first expiry, within the extended one
    expect(await auth.authenticate(result.token)).toBeDefined();
    clock += ttl;
    expect(await auth.authenticate(result.token)).toBeUndefined();
    expect(await db.core.selectFrom('sessions').selectAll().execute()).toHaveLength(0);
  });

  it('purgeExpired deletes only ended sessions', async () => {
    auth = service({ loginRateLimit: false, sessionTtlMs: 10 * MINUTE });
    await login('alice');
    clock += 5 * MINUTE;
    await login('alice');
    clock += 6 * MINUTE;
    expect(await auth.purgeExpired()).toBe(1);
    expect(await db.core.selectFrom('sessions').selectAll().execute()).toHaveLength(1);
  });

  it('locks an account after 5 consecutive failures, even against the right password, until the lock ends', async () => {
    for (let i = 0; i < 4; i++)
      await expect(login('alice', 'wrong password')).rejects.toMatchObject({ status: 401 });
    // A success resets the count.
    await login('alice');
    for (let i = 0; i < 4; i++)
      await expect(login('alice', 'wrong password')).rejects.toMatchObject({ status: 401 });
    expect(await auth.getUser(1)).toMatchObject({ lockedUntil: null });
    await expect(login('alice', 'wrong password')).rejects.toMatchObject({ status: 401 });

    const lockedAt = clock;
    const refused = await login('alice').catch((e) => e);
    expect(refused).toMatchObject({ status: 423, code: 'WEBCASA_ACCOUNT_LOCKED' });
    expect(refused.details).toMatchObject({ lockedUntil: lockedAt + 15 * MINUTE, retryAfterSeconds: 900 });
    expect(refused.message).toContain(new Date(lockedAt + 15 * MINUTE).toISOString());

    clock += 15 * MINUTE - 1;
    await expect(login('alice')).rejects.toMatchObject({ status: 423 });
    clock += 1;
    expect((await login('alice')).user.username).toBe('alice');
  });

  it('an admin password reset lifts a lock', async () => {
    auth = service({ loginRateLimit: false, lockout: { maxFailures: 2, lockMs: MINUTE } });
    for (let i = 0; i < 2; i++) await login('alice', 'wrong password').catch(() => {});
    await expect(login('alice')).rejects.toMatchObject({ status: 423 });
    await auth.setPassword(1, 'a brand new password');
    expect((await login('alice', 'a brand new password')).token).toBeTruthy();
  });

  it('rate-limits login attempts per IP', async () => {
    auth = service({ loginRateLimit: { limit: 3, windowMs: MINUTE } });
    for (let i = 0; i < 3; i++) await login('alice', 'wrong password').catch(() => {});
    const refused = await login('alice').catch((e) => e);
    expect(refused).toMatchObject({ status: 429, code: 'WEBCASA_RATE_LIMITED' });
    expect(refused.details.retryAfterSeconds).toBe(60);
    // Another address is not affected.
    expect((await auth.login({ username: 'alice', password: PASSWORD, ip: '10.0.0.2' })).token).toBeTruthy();
    clock += MINUTE;
    expect((await login('alice')).token).toBeTruthy();
  });
});

describe('API tokens', () => {
  let aliceId: number;
  let bobId: number;
  beforeEach(async () => {
    aliceId = (await auth.createUser({ username: 'alice', password: PASSWORD, role: 'admin' })).id;
    bobId = (await auth.createUser({ username: 'bob', password: PASSWORD, role: 'operator' })).id;
  });

  it('creates a token shown once, stored hashed, authenticating as its owner', async () => {
    const created = await auth.createToken(bobId, { name: ' deploy bot ' });
    expect(created.token).toMatch(/^wct_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      name: 'deploy bot',
      prefix: created.token.slice(0, 12),
      scopes: null,
      expiresAt: null,
    });
    const row = await db.core.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(await auth.listTokens(bobId))).not.toContain(created.token);
    expect(await auth.authenticate(created.token)).toEqual({
      id: bobId,
      username: 'bob',
      role: 'operator',
      via: 'token',
    });
    expect(await auth.resolveCredential(created.token)).toMatchObject({ kind: 'token', tokenId: created.id });
  });

  it('carries scopes into the request user', async () => {
    const created = await auth.createToken(bobId, {
      name: 'read',
      scopes: ['plugin:docker:read', 'core:tokens', 'core:tokens'],
    });
    expect(created.scopes).toEqual(['plugin:docker:read', 'core:tokens']);
    expect(await auth.authenticate(created.token)).toMatchObject({
      scopes: ['plugin:docker:read', 'core:tokens'],
    });
    await expect(auth.createToken(bobId, { name: 'x', scopes: [] })).rejects.toMatchObject({
      field: 'body.scopes',
    });
    await expect(auth.createToken(bobId, { name: 'x', scopes: ['ok:fine', 'NOT OK'] })).rejects.toMatchObject(
      {
        field: 'body.scopes.1',
      },
    );
  });

  it('expires after expiresInDays', async () => {
    const created = await auth.createToken(bobId, { name: 'short', expiresInDays: 1 });
    expect(created.expiresAt).toBe(clock + 86_400_000);
    clock += 86_400_000 - 1;
    expect(await auth.authenticate(created.token)).toBeDefined();
    clock += 1;
    expect(await auth.authenticate(created.token)).toBeUndefined();
    await expect(auth.createToken(bobId, { name: 'x', expiresInDays: 0 })).rejects.toMatchObject({
      field: 'body.expiresInDays',
    });
    await expect(auth.createToken(bobId, { name: 'x', expiresInDays: 3651 })).rejects.toMatchObject({
      field: 'body.expiresInDays',
    });
  });

  it('records last use at most once a minute', async () => {
    const created = await auth.createToken(bobId, { name: 'ci' });
    const lastUsed = async () =>
      (await db.core.selectFrom('api_tokens').select('last_used_at').executeTakeFirstOrThrow()).last_used_at;
    expect(await lastUsed()).toBeNull();
    const first = clock;
    await auth.authenticate(created.token);
    expect(await lastUsed()).toBe(first);
    clock += 59_999;
    await auth.authenticate(created.token);
    expect(await lastUsed()).toBe(first);
    clock += 1;
    await auth.authenticate(created.token);
    expect(await lastUsed()).toBe(clock);
  });

  it('revokes: own tokens for users, any token for admins; others answer 404', async () => {
    const bobs = await auth.createToken(bobId, { name: 'bob' });
    const alices = await auth.createToken(aliceId, { name: 'alice' });
    const bob = { id: bobId, role: 'operator' as const };
    await expect(auth.revokeToken(alices.id, bob)).rejects.toMatchObject({ status: 404 });
    expect(await auth.authenticate(alices.token)).toBeDefined();
    await auth.revokeToken(bobs.id, bob);
    expect(await auth.authenticate(bobs.token)).toBeUndefined();
    await expect(auth.revokeToken(bobs.id, bob)).rejects.toMatchObject({ status: 404 });
    expect((await auth.listTokens(bobId)).map((t) => t.id)).toEqual([]);

    const another = await auth.createToken(bobId, { name: 'bob 2' });
    expect((await auth.listTokens()).map((t) => [t.username, t.name])).toEqual([
      ['alice', 'alice'],
      ['bob', 'bob 2'],
    ]);
    await auth.revokeToken(another.id, { id: aliceId, role: 'admin' });
    expect(await auth.authenticate(another.token)).toBeUndefined();
  });

  it('a disabled owner disables the token', async () => {
    const created = await auth.createToken(bobId, { name: 'ci' });
    await auth.updateUser(bobId, { disabled: true });
    expect(await auth.authenticate(created.token)).toBeUndefined();
  });
});

describe('two-factor', () => {
  let id: number;
  beforeEach(async () => {
    id = (await auth.createUser({ username: 'alice', password: PASSWORD, role: 'admin' })).id;
  });

  async function enable(): Promise<{ secret: string; codes: string[] }> {
    const { secret, otpauthUrl } = await auth.enrollTotp(id);
    expect(otpauthUrl).toContain(`secret=${secret}`);
    // Not active until confirmed.
    expect((await login('alice')).token).toBeTruthy();
    await expect(auth.confirmTotp(id, totpCode(secret, clock + 10 * MINUTE))).rejects.toMatchObject({
      status: 400,
      field: 'body.code',
    });
    const codes = await auth.confirmTotp(id, totpCode(secret, clock));
    return { secret, codes };
  }

  it('stores the secret encrypted and the recovery codes hashed', async () => {
    const { secret, codes } = await enable();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    const row = await db.core.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(row.totp_enabled).toBe(1);
    expect(row.totp_secret).toMatch(/^wcenc:v1:/);
    expect(row.totp_secret).not.toContain(secret);
    for (const code of codes) expect(row.recovery_codes).not.toContain(code);
    expect(JSON.parse(row.recovery_codes!)).toHaveLength(10);
    expect(await auth.getUser(id)).toMatchObject({ totpEnabled: true });
  });

  it('asks for the code, refuses wrong and replayed codes, accepts a fresh one', async () => {
    const { secret } = await enable();
    await expect(login('alice')).rejects.toMatchObject({ status: 401, code: 'WEBCASA_TOTP_REQUIRED' });
    await expect(login('alice', 'wrong password', { totp: totpCode(secret, clock) })).rejects.toMatchObject({
      code: 'WEBCASA_INVALID_CREDENTIALS',
    });
    // The code used to confirm enrollment cannot sign in.
    await expect(login('alice', PASSWORD, { totp: totpCode(secret, clock) })).rejects.toMatchObject({
      status: 401,
      code: 'WEBCASA_TOTP_INVALID',
    });
    clock += 30_000;
    const code = totpCode(secret, clock);
    expect((await login('alice', PASSWORD, { totp: code })).token).toBeTruthy();
    await expect(login('alice', PASSWORD, { totp: code })).rejects.toMatchObject({
      code: 'WEBCASA_TOTP_INVALID',
    });
    // A code of the previous step is older than the last one used: also refused.
    await expect(login('alice', PASSWORD, { totp: totpCode(secret, clock - 30_000) })).rejects.toMatchObject({
      code: 'WEBCASA_TOTP_INVALID',
    });
    clock += 30_000;
    expect((await login('alice', PASSWORD, { totp: totpCode(secret, clock) })).token).toBeTruthy();
  });

  it('a recovery code works exactly once', async () => {
    const { codes } = await enable();
    const code = codes[3]!;
    expect((await login('alice', PASSWORD, { recoveryCode: code.toUpperCase() })).token).toBeTruthy();
    await expect(login('alice', PASSWORD, { recoveryCode: code })).rejects.toMatchObject({
      code: 'WEBCASA_TOTP_INVALID',
    });
    expect((await login('alice', PASSWORD, { recoveryCode: codes[4]! })).token).toBeTruthy();
    const row = await db.core.selectFrom('users').select('recovery_codes').executeTakeFirstOrThrow();
    expect(JSON.parse(row.recovery_codes!)).toHaveLength(8);
  });

  it('wrong second factors count toward the lockout', async () => {
    auth = service({ loginRateLimit: false, lockout: { maxFailures: 3, lockMs: MINUTE } });
    await enable();
    for (let i = 0; i < 3; i++) {
      await expect(login('alice', PASSWORD, { totp: '000000' })).rejects.toMatchObject({
        code: 'WEBCASA_TOTP_INVALID',
      });
    }
    await expect(login('alice', PASSWORD, { recoveryCode: 'aaaaa-aaaaa' })).rejects.toMatchObject({
      status: 423,
    });
  });

  it('turns off only with the password, and cannot be enrolled twice', async () => {
    await enable();
    await expect(auth.enrollTotp(id)).rejects.toMatchObject({ status: 409, code: 'WEBCASA_TOTP_ENABLED' });
    await expect(auth.disableTotp(id, 'wrong password')).rejects.toMatchObject({
      status: 403,
      field: 'body.password',
    });
    await auth.disableTotp(id, PASSWORD);
    expect((await login('alice')).token).toBeTruthy();
    const row = await db.core.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect([row.totp_enabled, row.totp_secret, row.recovery_codes]).toEqual([0, null, null]);
  });

  it('confirm without enrollment is a clear 409', async () => {
    await expect(auth.confirmTotp(id, '123456')).rejects.toMatchObject({
      status: 409,
      code: 'WEBCASA_TOTP_NOT_ENROLLED',
    });
  });
});

describe('first-run setup', () => {
  const storedHash = async () =>
    (
      await db.core
        .selectFrom('settings')
        .select('value')
        .where('key', '=', SETUP_TOKEN_KEY)
        .executeTakeFirst()
    )?.value;

  it('issues a token while no user exists, storing only its hash', async () => {
    const token = await auth.ensureSetupToken();
    expect(token).toMatch(/^([A-Z2-7]{4}-){7}[A-Z2-7]{4}$/);
    const hash = await storedHash();
    expect(hash).toBeDefined();
    expect(hash).not.toContain(token!.replace(/-/g, ''));
    expect(await auth.setupNeeded()).toBe(true);
  });

  it('each start replaces the token; the admin is created once; the token is then gone', async () => {
    const old = (await auth.ensureSetupToken())!;
    const token = (await auth.ensureSetupToken())!;
    const input = { username: 'root', password: PASSWORD, ip: '10.0.0.9' };
    await expect(auth.completeSetup({ ...input, setupToken: old })).rejects.toMatchObject({
      status: 403,
      field: 'body.setupToken',
    });
    expect(await auth.countUsers()).toBe(0);
    // Typed back in lower case with spaces: still fine.
    const result = await auth.completeSetup({ ...input, setupToken: token.toLowerCase().replace(/-/g, ' ') });
    expect(result.user).toMatchObject({ username: 'root', role: 'admin' });
    expect(await auth.authenticate(result.token)).toMatchObject({ role: 'admin' });
    expect(await storedHash()).toBeUndefined();
    await expect(auth.completeSetup({ ...input, username: 'evil', setupToken: token })).rejects.toMatchObject(
      {
        status: 409,
        code: 'WEBCASA_SETUP_DONE',
      },
    );
    expect(await auth.countUsers()).toBe(1);
    expect(await auth.ensureSetupToken()).toBeUndefined();
    expect(await auth.setupNeeded()).toBe(false);
  });

  it('validates the new admin before using up the token', async () => {
    const token = (await auth.ensureSetupToken())!;
    await expect(
      auth.completeSetup({ setupToken: token, username: 'root', password: 'short' }),
    ).rejects.toMatchObject({
      field: 'body.password',
    });
    expect(
      (await auth.completeSetup({ setupToken: token, username: 'root', password: PASSWORD })).user.id,
    ).toBe(1);
  });

  it('refuses everything when no token was ever issued', async () => {
    await expect(
      auth.completeSetup({ setupToken: 'AAAA-AAAA', username: 'root', password: PASSWORD }),
    ).rejects.toMatchObject({
      status: 403,
    });
  });

  it('two racing setups create one admin', async () => {
    const token = (await auth.ensureSetupToken())!;
    const results = await Promise.allSettled([
      auth.completeSetup({ setupToken: token, username: 'one', password: PASSWORD }),
      auth.completeSetup({ setupToken: token, username: 'two', password: PASSWORD }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await auth.countUsers()).toBe(1);
  });
});
