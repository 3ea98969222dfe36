import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestUser, Role } from '@webcasa/plugin-sdk';
import type { Kysely, Updateable } from 'kysely';
import type { CoreDatabase, UsersTable } from '../db/schema.js';
import { badRequest, HttpError, notFound, tooManyRequests } from '../errors.js';
import type { SecretBox } from '../settings/secrets.js';
import { assertPasswordRules, hashPassword, verifyPassword } from './passwords.js';
import { type RateLimitOptions, SlidingWindowLimiter } from './rate-limit.js';
import {
  deleteUserSessions,
  findSession,
  hashToken,
  insertSession,
  randomToken,
  readCookie,
  SESSION_COOKIE,
  SESSION_PREFIX,
} from './sessions.js';
import {
  deleteSetupTokenHash,
  generateSetupToken,
  hashSetupToken,
  setupTokenMatches,
  storeSetupTokenHash,
} from './setup-token.js';
import {
  type CreatedToken,
  LAST_USED_RESOLUTION_MS,
  parseScopes,
  SCOPE_PATTERN,
  TOKEN_DISPLAY_PREFIX,
  TOKEN_PREFIX,
  type TokenInfo,
  toTokenInfo,
} from './tokens.js';
import { base32Encode, generateTotpSecret, totpUrl, verifyTotp } from './totp.js';
import {
  assertUsername,
  findUserById,
  findUserByName,
  isUniqueViolation,
  lastAdmin,
  otherEnabledAdmins,
  toUserInfo,
  type UserInfo,
  type UserRow,
  usernameTaken,
} from './users.js';

const DAY_MS = 86_400_000;
/** Sessions slide, but the row is rewritten at most this often. */
const SESSION_TOUCH_MS = 60_000;
const RECOVERY_CODE_COUNT = 10;
const TOTP_ISSUER = 'Web.Casa';

/** Options of {@link createAuthService}. */
export interface AuthServiceOptions {
  db: Kysely<CoreDatabase>;
  /** Encrypts TOTP secrets at rest. */
  secrets: SecretBox;
  /** Clock in epoch ms, injectable for tests. */
  now?: () => number;
  /** Idle time after which a session ends; each use extends it (default 7 days). */
  sessionTtlMs?: number;
  /** Consecutive failed logins before a user is locked, and for how long (default 5, 15 min). */
  lockout?: { maxFailures: number; lockMs: number };
  /** Login (and setup) attempts per IP (default 10 a minute); `false` turns the limit off. */
  loginRateLimit?: Pick<RateLimitOptions, 'limit' | 'windowMs' | 'maxKeys'> | false;
}

export interface NewUserInput {
  username: string;
  password: string;
  role: Role;
}

export interface UserPatch {
  role?: Role;
  disabled?: boolean;
  password?: string;
}

export interface LoginInput {
  username: string;
  password: string;
  /** Six-digit code from the authenticator app, when two-factor is on. */
  totp?: string;
  /** One of the recovery codes, instead of `totp`; each works once. */
  recoveryCode?: string;
  ip?: string | null;
  userAgent?: string | null;
}

export interface LoginResult {
  /** The session token (`wcs_…`) for the cookie or a bearer header; shown only now. */
  token: string;
  /** Send it back as `X-CSRF-Token` on mutating requests authenticated by the cookie. */
  csrfToken: string;
  /** Epoch ms; each use of the session moves it forward. */
  expiresAt: number;
  /** sessions.id (the token's hash), for logout. */
  sessionId: string;
  user: { id: number; username: string; role: Role };
}

/** What a presented token resolved to. */
export type Credential =
  | { kind: 'session'; user: RequestUser; sessionId: string; csrfToken: string; expiresAt: number }
  | { kind: 'token'; user: RequestUser; tokenId: number };

export interface NewTokenInput {
  name: string;
  /** Permission strings; leave out for the owner's full role. */
  scopes?: string[];
  /** 1 to 3650; leave out for a token that does not expire. */
  expiresInDays?: number;
}

export interface TotpEnrollment {
  /** Base32 secret, for typing into an authenticator app. */
  secret: string;
  /** `otpauth://` URL, for a QR code. */
  otpauthUrl: string;
}

/**
 * Users, sessions, API tokens, two-factor and first-run setup.
 * Errors are {@link HttpError}s whose `field` names the request field at fault.
 */
export interface AuthService {
  /** Create a user; 409 naming `body.username` when the name is taken (in any case). */
  createUser(input: NewUserInput): Promise<UserInfo>;
  listUsers(): Promise<UserInfo[]>;
  getUser(id: number): Promise<UserInfo | undefined>;
  /** Change role, disabled flag or password; refuses to demote or disable the last enabled admin. */
  updateUser(id: number, patch: UserPatch): Promise<UserInfo>;
  /** Delete a user with their sessions and tokens; refuses the last enabled admin. */
  deleteUser(id: number): Promise<void>;
  /** Set a password and end the user's sessions (but `keepSessionId`). Clears a lockout. */
  setPassword(userId: number, password: string, options?: { keepSessionId?: string }): Promise<void>;
  /** A user changing their own password: checks the current one first. */
  changePassword(
    userId: number,
    currentPassword: string,
    newPassword: string,
    keepSessionId?: string,
  ): Promise<void>;
  countUsers(): Promise<number>;
  /** Check credentials (and the second factor) and open a session. */
  login(input: LoginInput): Promise<LoginResult>;
  /** End a session by its id (the token hash). */
  logout(sessionId: string): Promise<void>;
  /** The user behind a session (`wcs_…`) or API (`wct_…`) token, if it is valid. */
  authenticate(token: string): Promise<RequestUser | undefined>;
  /**
   * The user behind a raw Node request (WebSocket upgrades): `Authorization: Bearer`,
   * else a `token` query parameter (browsers cannot set headers on WebSockets), else
   * the session cookie. The caller checks `Origin` (cookies ride along cross-site).
   */
  authenticateRequest(req: Pick<IncomingMessage, 'headers' | 'url'>): Promise<RequestUser | undefined>;
  /** Like {@link AuthService.authenticate}, with the session or token it came from. */
  resolveCredential(token: string): Promise<Credential | undefined>;
  /** Create an API token; the plaintext is in the result only. */
  createToken(userId: number, input: NewTokenInput): Promise<CreatedToken>;
  /** Active tokens of one user, or of everyone when `userId` is undefined. */
  listTokens(userId?: number): Promise<TokenInfo[]>;
  /** Revoke a token of `byUser` (any token if admin); 404 otherwise. */
  revokeToken(id: number, byUser: Pick<RequestUser, 'id' | 'role'>): Promise<void>;
  /** Start two-factor enrollment: a new secret, active after {@link AuthService.confirmTotp}. */
  enrollTotp(userId: number): Promise<TotpEnrollment>;
  /** Confirm enrollment with a current code; returns 10 single-use recovery codes (shown once). */
  confirmTotp(userId: number, code: string): Promise<string[]>;
  /** Turn two-factor off, after checking the password. */
  disableTotp(userId: number, password: string): Promise<void>;
  /** With no user yet: a fresh one-time setup token to print (the old one stops working). */
  ensureSetupToken(): Promise<string | undefined>;
  /** Whether no user exists yet. */
  setupNeeded(): Promise<boolean>;
  /** Create the first admin with the setup token and sign them in. */
  completeSetup(input: {
    setupToken: string;
    username: string;
    password: string;
    ip?: string | null;
    userAgent?: string | null;
  }): Promise<LoginResult>;
  /** Delete expired sessions; returns how many. Call it from a schedule. */
  purgeExpired(): Promise<number>;
}

/** The TOTP secret at rest: encrypted JSON, with the last accepted step so a code cannot be replayed. */
interface StoredTotp {
  secret: string;
  lastStep: number;
}

function invalidCredentials(): HttpError {
  return new HttpError(401, 'WEBCASA_INVALID_CREDENTIALS', 'invalid username or password');
}

function totpInvalid(message = 'the two-factor code is not valid (or was already used)'): HttpError {
  return new HttpError(401, 'WEBCASA_TOTP_INVALID', message);
}

/** Recovery codes: 10 base32 characters as `xxxxx-xxxxx` (50 random bits each). */
function generateRecoveryCode(): string {
  const text = base32Encode(randomBytes(7)).slice(0, 10).toLowerCase();
  return `${text.slice(0, 5)}-${text.slice(5)}`;
}

function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^a-z2-7]/g, '');
}

/**
 * Create the authentication service over the core database.
 *
 * @example
 * const auth = createAuthService({ db: database.core, secrets: createSecretBox(loadOrCreateKey(dataDir)) });
 * const setupToken = await auth.ensureSetupToken();
 * if (setupToken) logger.info(`open the panel and use the setup token ${setupToken}`);
 * const { token } = await auth.login({ username: 'admin', password, ip });
 * const user = await auth.authenticate(token);
 */
/** How long a resolved credential is reused without asking the database (also the worst-case delay for changes made by another process, e.g. the CLI). */
const CREDENTIAL_CACHE_MS = 2_000;
const CREDENTIAL_CACHE_MAX = 1_000;

/** A credential and how long it may be reused from the cache. */
interface Resolved {
  credential: Credential;
  cacheUntil: number;
}

export function createAuthService(options: AuthServiceOptions): AuthService {
  return new DefaultAuthService(options);
}

class DefaultAuthService implements AuthService {
  readonly #credentials = new Map<string, { credential: Credential; until: number }>();
  readonly #db: Kysely<CoreDatabase>;
  readonly #secrets: SecretBox;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #lockout: { maxFailures: number; lockMs: number };
  readonly #loginLimiter: SlidingWindowLimiter | undefined;
  /** Guards password re-checks (change password, turn off 2FA) per user. */
  readonly #confirmLimiter: SlidingWindowLimiter;
  #dummyHash: Promise<string> | undefined;

  constructor(options: AuthServiceOptions) {
    this.#db = options.db;
    this.#secrets = options.secrets;
    this.#now = options.now ?? Date.now;
    this.#ttlMs = options.sessionTtlMs ?? 7 * DAY_MS;
    this.#lockout = options.lockout ?? { maxFailures: 5, lockMs: 15 * 60_000 };
    this.#loginLimiter =
      options.loginRateLimit === false
        ? undefined
        : new SlidingWindowLimiter({ ...options.loginRateLimit, now: this.#now });
    this.#confirmLimiter = new SlidingWindowLimiter({ limit: 10, windowMs: 60_000, now: this.#now });
  }

  // ---- users -------------------------------------------------------------

  async createUser(input: NewUserInput): Promise<UserInfo> {
    assertUsername(input.username);
    assertPasswordRules(input.password);
    if (await findUserByName(this.#db, input.username)) throw usernameTaken(input.username);
    const passwordHash = await hashPassword(input.password);
    const row = await this.#insertUser(this.#db, input.username, passwordHash, input.role);
    return toUserInfo(row, this.#now());
  }

  async #insertUser(
    db: Kysely<CoreDatabase>,
    username: string,
    passwordHash: string,
    role: Role,
  ): Promise<UserRow> {
    const now = this.#now();
    try {
      return await db
        .insertInto('users')
        .values({ username, password_hash: passwordHash, role, created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      // Two requests racing for one name: the unique index decides.
      if (isUniqueViolation(error)) throw usernameTaken(username);
      throw error;
    }
  }

  async listUsers(): Promise<UserInfo[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('id').execute();
    const now = this.#now();
    return rows.map((row) => toUserInfo(row, now));
  }

  async getUser(id: number): Promise<UserInfo | undefined> {
    const row = await findUserById(this.#db, id);
    return row && toUserInfo(row, this.#now());
  }

  async updateUser(id: number, patch: UserPatch): Promise<UserInfo> {
    this.#forgetCredentials();
    if (patch.password !== undefined) assertPasswordRules(patch.password);
    const passwordHash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;
    // One transaction, so two admins demoting each other at once cannot both succeed.
    const row = await this.#db.transaction().execute(async (trx) => {
      const current = await findUserById(trx, id);
      if (!current) throw notFound(`user ${id} not found`);
      const enabledAdmin = current.role === 'admin' && current.disabled === 0;
      const demoting = patch.role !== undefined && patch.role !== 'admin';
      if (
        enabledAdmin &&
        (demoting || patch.disabled === true) &&
        (await otherEnabledAdmins(trx, id)) === 0
      ) {
        throw lastAdmin(demoting ? 'demote' : 'disable');
      }
      const now = this.#now();
      const values: Updateable<UsersTable> = { updated_at: now };
      if (patch.role !== undefined) values.role = patch.role;
      if (patch.disabled !== undefined) values.disabled = patch.disabled ? 1 : 0;
      if (passwordHash !== undefined)
        Object.assign(values, { password_hash: passwordHash, failed_attempts: 0, locked_until: null });
      const updated = await trx
        .updateTable('users')
        .set(values)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      // A disabled user or a reset password must not leave open sessions behind.
      if (patch.disabled === true || passwordHash !== undefined) await deleteUserSessions(trx, id);
      return updated;
    });
    return toUserInfo(row, this.#now());
  }

  async deleteUser(id: number): Promise<void> {
    this.#forgetCredentials();
    await this.#db.transaction().execute(async (trx) => {
      const current = await findUserById(trx, id);
      if (!current) throw notFound(`user ${id} not found`);
      if (current.role === 'admin' && current.disabled === 0 && (await otherEnabledAdmins(trx, id)) === 0) {
        throw lastAdmin('delete');
      }
      // Sessions and API tokens go with the user (foreign keys cascade).
      await trx.deleteFrom('users').where('id', '=', id).execute();
    });
  }

  async setPassword(
    userId: number,
    password: string,
    options: { keepSessionId?: string } = {},
  ): Promise<void> {
    await this.#setPassword(userId, password, 'body.password', options.keepSessionId);
  }

  async #setPassword(userId: number, password: string, field: string, keepSessionId?: string): Promise<void> {
    this.#forgetCredentials();
    assertPasswordRules(password, field);
    const passwordHash = await hashPassword(password);
    const result = await this.#db
      .updateTable('users')
      .set({ password_hash: passwordHash, failed_attempts: 0, locked_until: null, updated_at: this.#now() })
      .where('id', '=', userId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound(`user ${userId} not found`);
    await deleteUserSessions(this.#db, userId, keepSessionId);
  }

  async changePassword(
    userId: number,
    currentPassword: string,
    newPassword: string,
    keepSessionId?: string,
  ): Promise<void> {
    await this.#confirmPassword(userId, currentPassword, 'body.currentPassword');
    await this.#setPassword(userId, newPassword, 'body.newPassword', keepSessionId);
  }

  /** Re-check a signed-in user's password before a sensitive change. */
  async #confirmPassword(userId: number, password: string, field: string): Promise<UserRow> {
    const limit = this.#confirmLimiter.hit(`user:${userId}`);
    if (!limit.allowed) {
      const seconds = Math.ceil(limit.retryAfterMs / 1000);
      throw tooManyRequests(`too many password checks; try again in ${seconds} s`, seconds);
    }
    const row = await findUserById(this.#db, userId);
    if (!row) throw notFound(`user ${userId} not found`);
    if (!(await verifyPassword(password, row.password_hash))) {
      throw new HttpError(403, 'WEBCASA_PASSWORD_WRONG', `${field}: is not your current password`, field);
    }
    return row;
  }

  async countUsers(): Promise<number> {
    const row = await this.#db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  // ---- login and sessions ------------------------------------------------

  #limitAttempt(kind: string, ip: string | null | undefined): void {
    if (!this.#loginLimiter) return;
    const result = this.#loginLimiter.hit(`${kind}:${ip ?? 'unknown'}`);
    if (!result.allowed) {
      const seconds = Math.ceil(result.retryAfterMs / 1000);
      throw tooManyRequests(
        `too many ${kind} attempts from this address; try again in ${seconds} s`,
        seconds,
      );
    }
  }

  async login(input: LoginInput): Promise<LoginResult> {
    this.#limitAttempt('login', input.ip);
    const row = await findUserByName(this.#db, input.username);
    if (!row) {
      // Same scrypt work as for a real user, so timing does not tell which names exist.
      this.#dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(input.password, await this.#dummyHash);
      throw invalidCredentials();
    }
    const now = this.#now();
    if (row.locked_until !== null && row.locked_until > now) throw this.#locked(row.locked_until, now);
    if (!(await verifyPassword(input.password, row.password_hash))) {
      await this.#recordFailure(row.id);
      throw invalidCredentials();
    }
    if (row.disabled === 1) {
      throw new HttpError(
        403,
        'WEBCASA_ACCOUNT_DISABLED',
        `the account "${row.username}" is disabled; ask an admin`,
      );
    }
    if (row.totp_enabled === 1) await this.#checkSecondFactor(row, input);
    if (row.failed_attempts !== 0 || row.locked_until !== null) {
      await this.#db
        .updateTable('users')
        .set({ failed_attempts: 0, locked_until: null })
        .where('id', '=', row.id)
        .execute();
    }
    return this.#openSession(row, input.ip, input.userAgent);
  }

  #locked(until: number, now: number): HttpError {
    const seconds = Math.ceil((until - now) / 1000);
    const minutes = Math.ceil(seconds / 60);
    return new HttpError(
      423,
      'WEBCASA_ACCOUNT_LOCKED',
      `this account is locked after too many failed logins until ${new Date(until).toISOString()} ` +
        `(about ${minutes} min); an admin can unlock it by setting a new password`,
      undefined,
      { lockedUntil: until, retryAfterSeconds: seconds },
    );
  }

  async #recordFailure(userId: number): Promise<void> {
    const row = await this.#db
      .updateTable('users')
      .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
      .where('id', '=', userId)
      .returning('failed_attempts')
      .executeTakeFirst();
    if (row && row.failed_attempts >= this.#lockout.maxFailures) {
      // The count restarts, so after the lock ends the user gets a full set of attempts again.
      await this.#db
        .updateTable('users')
        .set({ failed_attempts: 0, locked_until: this.#now() + this.#lockout.lockMs })
        .where('id', '=', userId)
        .execute();
    }
  }

  async #checkSecondFactor(row: UserRow, input: LoginInput): Promise<void> {
    if (input.totp) {
      if (!(await this.#useTotpCode(row, input.totp))) {
        await this.#recordFailure(row.id);
        throw totpInvalid();
      }
      return;
    }
    if (input.recoveryCode) {
      if (!(await this.#useRecoveryCode(row, input.recoveryCode))) {
        await this.#recordFailure(row.id);
        throw totpInvalid('the recovery code is not valid (or was already used)');
      }
      return;
    }
    // Not a failure: this is the first step of the two-step sign-in.
    throw new HttpError(
      401,
      'WEBCASA_TOTP_REQUIRED',
      'enter the code from your authenticator app (or a recovery code)',
    );
  }

  #readTotp(envelope: string): StoredTotp {
    const text = this.#secrets.decrypt(envelope);
    // A bare base32 secret (e.g. written by a tool) has no replay mark yet.
    if (!text.startsWith('{')) return { secret: text, lastStep: -1 };
    const value = JSON.parse(text) as Partial<StoredTotp>;
    return { secret: String(value.secret), lastStep: value.lastStep ?? -1 };
  }

  /** Accept a code once: the step it matched is stored with a compare-and-set on the column. */
  async #useTotpCode(row: UserRow, code: string, db: Kysely<CoreDatabase> = this.#db): Promise<boolean> {
    if (!row.totp_secret) return false;
    const stored = this.#readTotp(row.totp_secret);
    const step = verifyTotp(stored.secret, code, this.#now());
    if (step === undefined || step <= stored.lastStep) return false;
    const result = await db
      .updateTable('users')
      .set({ totp_secret: this.#secrets.encrypt(JSON.stringify({ secret: stored.secret, lastStep: step })) })
      .where('id', '=', row.id)
      .where('totp_secret', '=', row.totp_secret)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async #useRecoveryCode(row: UserRow, code: string): Promise<boolean> {
    if (!row.recovery_codes) return false;
    let hashes: string[];
    try {
      hashes = JSON.parse(row.recovery_codes) as string[];
    } catch {
      return false;
    }
    if (!Array.isArray(hashes)) return false;
    const given = normalizeRecoveryCode(code);
    if (given.length !== 10) return false;
    const matches = await Promise.all(hashes.map((hash) => verifyPassword(given, hash)));
    const index = matches.indexOf(true);
    if (index === -1) return false;
    const remaining = hashes.filter((_, i) => i !== index);
    // Compare-and-set: of two sign-ins racing with the same code, one wins.
    const result = await this.#db
      .updateTable('users')
      .set({ recovery_codes: JSON.stringify(remaining) })
      .where('id', '=', row.id)
      .where('recovery_codes', '=', row.recovery_codes)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async #openSession(row: UserRow, ip?: string | null, userAgent?: string | null): Promise<LoginResult> {
    const session = await insertSession(this.#db, {
      userId: row.id,
      now: this.#now(),
      ttlMs: this.#ttlMs,
      ip,
      userAgent,
    });
    return {
      token: session.token,
      csrfToken: session.csrfToken,
      expiresAt: session.expiresAt,
      sessionId: session.id,
      user: { id: row.id, username: row.username, role: row.role },
    };
  }

  async logout(sessionId: string): Promise<void> {
    this.#forgetCredentials();
    await this.#db.deleteFrom('sessions').where('id', '=', sessionId).execute();
  }

  async authenticate(token: string): Promise<RequestUser | undefined> {
    return (await this.resolveCredential(token))?.user;
  }

  async authenticateRequest(req: Pick<IncomingMessage, 'headers' | 'url'>): Promise<RequestUser | undefined> {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      return match ? this.authenticate(match[1]!) : undefined;
    }
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
    if (query) return this.authenticate(query);
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    return cookie?.startsWith(SESSION_PREFIX) ? this.authenticate(cookie) : undefined;
  }

  async resolveCredential(token: string): Promise<Credential | undefined> {
    if (typeof token !== 'string' || token.length > 200) return undefined;
    // A short-lived cache: every authenticated request would otherwise query the
    // database. Anything that revokes or changes a credential clears it at once.
    const now = this.#now();
    const cached = this.#credentials.get(token);
    if (cached && cached.until > now) return cached.credential;
    let resolved: Resolved | undefined;
    if (token.startsWith(SESSION_PREFIX)) resolved = await this.#resolveSession(token);
    else if (token.startsWith(TOKEN_PREFIX)) resolved = await this.#resolveApiToken(token);
    if (!resolved) return undefined;
    if (this.#credentials.size >= CREDENTIAL_CACHE_MAX) this.#credentials.clear();
    this.#credentials.set(token, {
      credential: resolved.credential,
      until: Math.min(now + CREDENTIAL_CACHE_MS, resolved.cacheUntil),
    });
    return resolved.credential;
  }

  /** Forget cached credentials (after a logout, revocation, password or role change). */
  #forgetCredentials(): void {
    this.#credentials.clear();
  }

  async #resolveSession(token: string): Promise<Resolved | undefined> {
    const id = hashToken(token);
    const session = await findSession(this.#db, id);
    if (!session) return undefined;
    const now = this.#now();
    if (session.expires_at <= now) {
      await this.logout(id);
      return undefined;
    }
    if (session.disabled === 1) return undefined;
    let expiresAt = session.expires_at;
    let touchedAt = session.last_seen_at;
    if (now - session.last_seen_at >= SESSION_TOUCH_MS) {
      touchedAt = now;
      expiresAt = now + this.#ttlMs;
      await this.#db
        .updateTable('sessions')
        .set({ last_seen_at: now, expires_at: expiresAt })
        .where('id', '=', id)
        .execute();
    }
    return {
      credential: {
        kind: 'session',
        user: { id: session.user_id, username: session.username, role: session.role, via: 'session' },
        sessionId: id,
        csrfToken: session.csrf_token,
        expiresAt,
      },
      // Not past expiry, nor past the next sliding-expiry touch.
      cacheUntil: Math.min(expiresAt, touchedAt + SESSION_TOUCH_MS),
    };
  }

  async #resolveApiToken(token: string): Promise<Resolved | undefined> {
    const row = await this.#db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([
        'api_tokens.id',
        'api_tokens.scopes',
        'api_tokens.expires_at',
        'api_tokens.revoked_at',
        'api_tokens.last_used_at',
        'users.id as user_id',
        'users.username',
        'users.role',
        'users.disabled',
      ])
      .where('api_tokens.token_hash', '=', hashToken(token))
      .executeTakeFirst();
    const now = this.#now();
    if (!row || row.revoked_at !== null || row.disabled === 1) return undefined;
    if (row.expires_at !== null && row.expires_at <= now) return undefined;
    let usedAt = row.last_used_at ?? now;
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
      usedAt = now;
      await this.#db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
    }
    const user: RequestUser = { id: row.user_id, username: row.username, role: row.role, via: 'token' };
    const scopes = parseScopes(row.scopes);
    if (scopes) user.scopes = scopes;
    return {
      credential: { kind: 'token', user, tokenId: row.id },
      // Not past expiry, nor past the next last-used update.
      cacheUntil: Math.min(row.expires_at ?? Number.POSITIVE_INFINITY, usedAt + LAST_USED_RESOLUTION_MS),
    };
  }

  async purgeExpired(): Promise<number> {
    const result = await this.#db
      .deleteFrom('sessions')
      .where('expires_at', '<=', this.#now())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // ---- API tokens --------------------------------------------------------

  async createToken(userId: number, input: NewTokenInput): Promise<CreatedToken> {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name.length < 1 || name.length > 100)
      throw badRequest('body.name: must be 1-100 characters', 'body.name');
    let scopes: string[] | null = null;
    if (input.scopes !== undefined) {
      if (!Array.isArray(input.scopes) || input.scopes.length === 0 || input.scopes.length > 50) {
        throw badRequest(
          'body.scopes: list 1-50 permissions, or leave it out for the full role',
          'body.scopes',
        );
      }
      input.scopes.forEach((scope, i) => {
        if (typeof scope !== 'string' || !SCOPE_PATTERN.test(scope)) {
          throw badRequest(
            `body.scopes.${i}: must be "*", "core:<area>" or "plugin:<id>:<scope>"`,
            `body.scopes.${i}`,
          );
        }
      });
      scopes = [...new Set(input.scopes)];
    }
    const days = input.expiresInDays;
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) {
      throw badRequest('body.expiresInDays: must be a whole number from 1 to 3650', 'body.expiresInDays');
    }
    const owner = await findUserById(this.#db, userId);
    if (!owner) throw notFound(`user ${userId} not found`);
    const token = randomToken(TOKEN_PREFIX);
    const now = this.#now();
    const row = await this.#db
      .insertInto('api_tokens')
      .values({
        user_id: userId,
        name,
        token_hash: hashToken(token),
        prefix: token.slice(0, TOKEN_DISPLAY_PREFIX),
        scopes: scopes ? JSON.stringify(scopes) : null,
        created_at: now,
        expires_at: days === undefined ? null : now + days * DAY_MS,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...toTokenInfo({ ...row, username: owner.username }), token };
  }

  async listTokens(userId?: number): Promise<TokenInfo[]> {
    let query = this.#db
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .selectAll('api_tokens')
      .select('users.username')
      .where('api_tokens.revoked_at', 'is', null)
      .orderBy('api_tokens.id');
    if (userId !== undefined) query = query.where('api_tokens.user_id', '=', userId);
    return (await query.execute()).map(toTokenInfo);
  }

  async revokeToken(id: number, byUser: Pick<RequestUser, 'id' | 'role'>): Promise<void> {
    this.#forgetCredentials();
    let query = this.#db
      .updateTable('api_tokens')
      .set({ revoked_at: this.#now() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null);
    // Someone else's token answers like a missing one, so ids reveal nothing.
    if (byUser.role !== 'admin') query = query.where('user_id', '=', byUser.id);
    const result = await query.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound(`API token ${id} not found`);
  }

  // ---- two-factor --------------------------------------------------------

  async enrollTotp(userId: number): Promise<TotpEnrollment> {
    const row = await findUserById(this.#db, userId);
    if (!row) throw notFound(`user ${userId} not found`);
    if (row.totp_enabled === 1) {
      throw new HttpError(
        409,
        'WEBCASA_TOTP_ENABLED',
        'two-factor authentication is already on; turn it off first',
      );
    }
    const secret = generateTotpSecret();
    await this.#db
      .updateTable('users')
      .set({
        totp_secret: this.#secrets.encrypt(JSON.stringify({ secret, lastStep: -1 } satisfies StoredTotp)),
        updated_at: this.#now(),
      })
      .where('id', '=', userId)
      .execute();
    return { secret, otpauthUrl: totpUrl({ secret, account: row.username, issuer: TOTP_ISSUER }) };
  }

  async confirmTotp(userId: number, code: string): Promise<string[]> {
    const row = await findUserById(this.#db, userId);
    if (!row) throw notFound(`user ${userId} not found`);
    if (row.totp_enabled === 1) {
      throw new HttpError(409, 'WEBCASA_TOTP_ENABLED', 'two-factor authentication is already on');
    }
    if (!row.totp_secret) {
      throw new HttpError(
        409,
        'WEBCASA_TOTP_NOT_ENROLLED',
        'start two-factor enrollment first (POST /api/auth/totp/enroll)',
      );
    }
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
    const hashes = await Promise.all(codes.map((c) => hashPassword(normalizeRecoveryCode(c))));
    // The confirming code is consumed too, so it cannot be replayed to sign in.
    const ok = await this.#db.transaction().execute(async (trx) => {
      if (!(await this.#useTotpCode(row, code, trx))) return false;
      await trx
        .updateTable('users')
        .set({ totp_enabled: 1, recovery_codes: JSON.stringify(hashes), updated_at: this.#now() })
        .where('id', '=', userId)
        .execute();
      return true;
    });
    if (!ok) {
      throw new HttpError(
        400,
        'WEBCASA_TOTP_INVALID',
        'body.code: the code does not match; check the clock of your device',
        'body.code',
      );
    }
    return codes;
  }

  async disableTotp(userId: number, password: string): Promise<void> {
    await this.#confirmPassword(userId, password, 'body.password');
    await this.#db
      .updateTable('users')
      .set({ totp_enabled: 0, totp_secret: null, recovery_codes: null, updated_at: this.#now() })
      .where('id', '=', userId)
      .execute();
  }

  // ---- first-run setup ---------------------------------------------------

  async ensureSetupToken(): Promise<string | undefined> {
    if ((await this.countUsers()) > 0) {
      await deleteSetupTokenHash(this.#db);
      return undefined;
    }
    const token = generateSetupToken();
    await storeSetupTokenHash(this.#db, hashSetupToken(token), this.#now());
    return token;
  }

  async setupNeeded(): Promise<boolean> {
    return (await this.countUsers()) === 0;
  }

  async completeSetup(input: {
    setupToken: string;
    username: string;
    password: string;
    ip?: string | null;
    userAgent?: string | null;
  }): Promise<LoginResult> {
    this.#limitAttempt('setup', input.ip);
    assertUsername(input.username);
    assertPasswordRules(input.password);
    const passwordHash = await hashPassword(input.password);
    // Checking, creating and consuming in one transaction: only one first admin, ever.
    const row = await this.#db.transaction().execute(async (trx) => {
      const count = await trx
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      if (Number(count.n) > 0) {
        throw new HttpError(409, 'WEBCASA_SETUP_DONE', 'the panel is already set up; sign in instead');
      }
      if (typeof input.setupToken !== 'string' || !(await setupTokenMatches(trx, input.setupToken))) {
        throw new HttpError(
          403,
          'WEBCASA_SETUP_TOKEN_INVALID',
          'body.setupToken: not the current setup token (the panel prints it at start while no user exists)',
          'body.setupToken',
        );
      }
      const created = await this.#insertUser(trx, input.username, passwordHash, 'admin');
      await deleteSetupTokenHash(trx);
      return created;
    });
    return this.#openSession(row, input.ip, input.userAgent);
  }
}
