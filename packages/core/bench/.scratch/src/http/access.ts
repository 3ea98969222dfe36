import type { Context, MiddlewareHandler } from 'hono';
import type { Role } from '@webcasa/plugin-sdk';
import { forbidden, unauthorized } from '../errors.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether `role` is at least `min`. */
export function roleAtLeast(role: Role, min: Role): boolean {
  return RANK[role] >= RANK[min];
}

/**
 * Permission check for a permission string (`core:<area>` or `plugin:<id>:<scope>`)
 * with the role it needs. A token limited to scopes must list the permission.
 */
export function hasPermission(c: Context, permission: string, minRole: Role): boolean {
  const user = c.get('user' as never) as { role: Role; scopes?: string[] } | undefined;
  if (!user) return false;
  if (!roleAtLeast(user.role, minRole)) return false;
  if (user.scopes && !user.scopes.includes(permission) && !user.scopes.includes('*')) return false;
  return true;
}

/** Middleware: 401 when anonymous, 403 when the role is below `min`. */
export function requireRole(min: Role): MiddlewareHandler {
  return async (c, next) => {
    const user = c.get('user' as never) as { role: Role } | undefined;
    if (!user) throw unauthorized();
    if (!roleAtLeast(user.role, min)) throw forbidden(`this needs the ${min} role`);
    await next();
  };
}
