import { ROLES, type Role } from '@webcasa/plugin-sdk';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { CoreDatabase, UsersTable } from '../db/schema.js';
import { badRequest, conflict, HttpError } from '../errors.js';

/** Letters, digits, `_`, `.` and `-`, 2 to 32 characters. Unique regardless of case. */
export const USERNAME_PATTERN = /^[a-zA-Z0-9_.-]{2,32}$/;

/** zod schema of a username, for request bodies. */
export const usernameSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .regex(USERNAME_PATTERN, 'must be 2-32 characters: letters, digits, _, . or -');

/** zod schema of a role. */
export const roleSchema = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` });

/** A user as the API shows it: never the password hash, TOTP secret or recovery codes. */
export interface UserInfo {
  id: number;
  username: string;
  role: Role;
  disabled: boolean;
  totpEnabled: boolean;
  /** Epoch ms; set while the account is locked after too many failed logins. */
  lockedUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export type UserRow = Selectable<UsersTable>;

/** Map a row to what the API may show. */
export function toUserInfo(row: UserRow, now = Date.now()): UserInfo {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    disabled: row.disabled === 1,
    totpEnabled: row.totp_enabled === 1,
    lockedUntil: row.locked_until !== null && row.locked_until > now ? row.locked_until : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Throw a 400 naming `field` unless `username` fits {@link USERNAME_PATTERN}. */
export function assertUsername(username: string, field = 'body.username'): void {
  if (typeof username !== 'string' || !USERNAME_PATTERN.test(username)) {
    throw badRequest(`${field}: must be 2-32 characters: letters, digits, _, . or -`, field);
  }
}

/** The 409 for a taken username, naming `body.username`. */
export function usernameTaken(username: string): HttpError {
  return conflict(`the username "${username}" is already taken`, 'body.username');
}

/** Whether an insert failed on the unique (case-insensitive) username index. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** A user row by name, whatever the case typed. */
export function findUserByName(db: Kysely<CoreDatabase>, username: string): Promise<UserRow | undefined> {
  // The column is `collate nocase`, so this matches whatever case was typed.
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

/** A user row by id. */
export function findUserById(db: Kysely<CoreDatabase>, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** How many enabled admins exist besides `exceptId`. */
export async function otherEnabledAdmins(db: Kysely<CoreDatabase>, exceptId: number): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled', '=', 0)
    .where('id', '!=', exceptId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The 409 refusing to leave the panel without an enabled admin. */
export function lastAdmin(action: string): HttpError {
  return new HttpError(
    409,
    'WEBCASA_LAST_ADMIN',
    `cannot ${action} the last enabled admin; make another user an admin first`,
  );
}
