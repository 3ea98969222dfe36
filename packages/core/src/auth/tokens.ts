import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { ApiTokensTable } from '../db/schema.js';

/** Prefix of API tokens (`Authorization: Bearer wct_…`). */
export const TOKEN_PREFIX = 'wct_';
/** How many characters of a token are kept in clear to tell tokens apart. */
export const TOKEN_DISPLAY_PREFIX = 12;
/** `last_used_at` is written at most this often per token, to spare the database. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * A permission string: `*` (everything the role allows), `core:<area>` or
 * `plugin:<id>:<scope>` (lower case, digits, `-`, `_`, `.`; parts joined by `:`).
 * Matching is exact, as in `hasPermission` (http/access.ts).
 */
export const SCOPE_PATTERN = /^(\*|[a-z][a-z0-9_.-]*(:[a-z0-9_.-]+){1,3})$/;

export const scopeSchema = z
  .string({ error: 'must be a string' })
  .max(100, 'must be at most 100 characters')
  .regex(SCOPE_PATTERN, 'must be "*", "core:<area>" or "plugin:<id>:<scope>"');

/** An API token as the API shows it: never its hash. */
export interface TokenInfo {
  id: number;
  userId: number;
  /** Owner's username (useful in the admin-wide list). */
  username?: string;
  name: string;
  /** First characters of the token, e.g. `wct_AbCdEfGh`. */
  prefix: string;
  /** Permission strings the token is limited to, or null for the owner's full role. */
  scopes: string[] | null;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
}

/** What {@link AuthService.createToken} returns: the token in clear, shown this once. */
export interface CreatedToken extends TokenInfo {
  token: string;
}

/** The `scopes` column as a list; null means the owner's full role. */
export function parseScopes(text: string | null): string[] | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    // A damaged value must not widen the token to the full role.
    return [];
  }
}

/** Map a row to what the API may show (no hash). */
export function toTokenInfo(row: Selectable<ApiTokensTable> & { username?: string }): TokenInfo {
  const info: TokenInfo = {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    scopes: parseScopes(row.scopes),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
  };
  if (row.username !== undefined) info.username = row.username;
  return info;
}

/**
 * Whether a caller limited to `held` scopes may grant `wanted` to a new token:
 * a token can never create one wider than itself.
 *
 * @example
 * scopesWithin(['core:tokens', 'plugin:docker:read'], ['plugin:docker:read']); // true
 * scopesWithin(['plugin:docker:read'], null); // false (null = the full role)
 */
export function scopesWithin(held: string[] | undefined, wanted: string[] | null): boolean {
  if (held === undefined || held.includes('*')) return true;
  if (wanted === null || wanted.includes('*')) return false;
  return wanted.every((scope) => held.includes(scope));
}
