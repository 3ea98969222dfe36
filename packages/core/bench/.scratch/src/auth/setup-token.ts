import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CoreDatabase } from '../db/schema.js';
import { hashToken, safeEqual } from './sessions.js';
import { base32Encode } from './totp.js';

/** Settings key holding the SHA-256 of the one-time setup token. */
export const SETUP_TOKEN_KEY = 'core.setup_token_hash';

/**
 * A one-time setup token meant to be printed in the terminal and typed or
 * pasted into the browser: 160 random bits as eight groups of four base32
 * characters (no 0/1/8/9 to mistake for letters), e.g. `K7QX-M2PA-…`.
 *
 * @example
 * generateSetupToken(); // 'K7QX-M2PA-4ZRT-HW6N-BQ3E-YJ5C-D2LF-VG7S'
 */
export function generateSetupToken(): string {
  return base32Encode(randomBytes(20)).match(/.{4}/g)!.join('-');
}

/** Case, spaces and dashes do not matter when the token is typed back. */
export function normalizeSetupToken(token: string): string {
  return token.toUpperCase().replace(/[\s-]/g, '');
}

/** SHA-256 of the normalised token, as stored in settings. */
export function hashSetupToken(token: string): string {
  return hashToken(`setup:${normalizeSetupToken(token)}`);
}

/** Store the hash of a new token, replacing any older one. */
export async function storeSetupTokenHash(
  db: Kysely<CoreDatabase>,
  hash: string,
  now: number,
): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key: SETUP_TOKEN_KEY, value: JSON.stringify(hash), secret: 0, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(hash), updated_at: now }))
    .execute();
}

/** Forget the token (used, or no longer needed). */
export async function deleteSetupTokenHash(db: Kysely<CoreDatabase>): Promise<void> {
  await db.deleteFrom('settings').where('key', '=', SETUP_TOKEN_KEY).execute();
}

/** Whether `token` matches the stored hash (constant-time). False when none is stored. */
export async function setupTokenMatches(db: Kysely<CoreDatabase>, token: string): Promise<boolean> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', SETUP_TOKEN_KEY)
    .executeTakeFirst();
  if (!row) return false;
  let stored: unknown;
  try {
    stored = JSON.parse(row.value);
  } catch {
    return false;
  }
  return typeof stored === 'string' && safeEqual(stored, hashSetupToken(token));
}
