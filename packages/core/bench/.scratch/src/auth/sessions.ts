import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CoreDatabase } from '../db/schema.js';

/** Prefix of browser session tokens (the `webcasa_session` cookie value). */
export const SESSION_PREFIX = 'wcs_';
/** Name of the session cookie. */
export const SESSION_COOKIE = 'webcasa_session';

/**
 * SHA-256 (hex) of a token. Session and API tokens carry 256 random bits, so a
 * fast hash is enough: there is nothing to brute-force, and lookups stay cheap.
 *
 * @example
 * await db.selectFrom('sessions').where('id', '=', hashToken(cookie))…
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** `prefix` + 32 random bytes, base64url. */
export function randomToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Compare two strings in constant time (for equal lengths; different lengths never match). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** One cookie's value from a raw `Cookie` header (for requests outside Hono, e.g. WebSocket upgrades). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return undefined;
}

export interface NewSession {
  /** The plaintext token for the cookie; only its hash is stored. */
  token: string;
  /** sessions.id (the hash). */
  id: string;
  csrfToken: string;
  expiresAt: number;
}

/** Store a new session for a user. */
export async function insertSession(
  db: Kysely<CoreDatabase>,
  input: { userId: number; now: number; ttlMs: number; ip?: string | null; userAgent?: string | null },
): Promise<NewSession> {
  const token = randomToken(SESSION_PREFIX);
  const id = hashToken(token);
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = input.now + input.ttlMs;
  await db
    .insertInto('sessions')
    .values({
      id,
      user_id: input.userId,
      csrf_token: csrfToken,
      created_at: input.now,
      expires_at: expiresAt,
      last_seen_at: input.now,
      ip: input.ip?.slice(0, 64) ?? null,
      user_agent: input.userAgent?.slice(0, 512) ?? null,
    })
    .execute();
  return { token, id, csrfToken, expiresAt };
}

/** A session joined with its user, as {@link findSession} returns it. */
export interface SessionLookup {
  id: string;
  csrf_token: string;
  expires_at: number;
  last_seen_at: number;
  user_id: number;
  username: string;
  role: 'admin' | 'operator' | 'viewer';
  disabled: number;
}

/** A session by id (the token's hash), with the fields of its user that authentication needs. */
export function findSession(db: Kysely<CoreDatabase>, id: string): Promise<SessionLookup | undefined> {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id',
      'sessions.csrf_token',
      'sessions.expires_at',
      'sessions.last_seen_at',
      'sessions.user_id',
      'users.username',
      'users.role',
      'users.disabled',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
}

/** Delete every session of a user, except `keepId` if given. Returns how many went. */
export async function deleteUserSessions(
  db: Kysely<CoreDatabase>,
  userId: number,
  keepId?: string,
): Promise<number> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepId) query = query.where('id', '!=', keepId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}
