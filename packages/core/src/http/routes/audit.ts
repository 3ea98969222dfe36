import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { z } from 'zod';
import { assertScope } from '../../auth/middleware.js';
import type { CoreDatabase } from '../../db/schema.js';
import type { CoreEnv } from '../env.js';
import { queryInt, queryTime } from '../query.js';
import { defineRoute, type RouteRegistry } from '../route.js';

// EVENT: entries plugins write through `ctx.core.audit` (not HTTP requests).
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'EVENT'] as const;

const auditQuery = z.object({
  user: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters').optional(),
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(METHODS, { error: `must be one of ${METHODS.join(', ')}` }))
    .optional(),
  path: z.string().startsWith('/', 'must start with /').max(2048).optional(),
  status: queryInt(100, 599).optional(),
  from: queryTime.optional(),
  to: queryTime.optional(),
  limit: queryInt(1, 500).optional(),
  before: queryInt(1, Number.MAX_SAFE_INTEGER).optional(),
});

export interface AuditEntry {
  id: number;
  time: number;
  userId: number | null;
  username: string | null;
  ip: string | null;
  method: string;
  path: string;
  status: number;
  plugin: string | null;
  detail: unknown;
}

export interface AuditRoutesOptions {
  db: Kysely<CoreDatabase>;
}

function parseDetail(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The audit log for admins: `GET /api/admin/audit`, newest first, filtered by
 * user (name or id), method, path prefix, status and time range (`from`
 * inclusive, `to` exclusive); page with `before=<nextBefore>`.
 *
 * @example
 * registerAuditRoutes(app, registry, { db: database.core });
 * // GET /api/admin/audit?user=alice&method=delete&limit=50
 */
export function registerAuditRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry | undefined,
  options: AuditRoutesOptions,
): void {
  const { db } = options;
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/admin/audit',
      summary: 'Search the audit log (newest first)',
      tag: 'audit',
      access: 'admin',
      query: auditQuery,
    },
    async (c, { query }) => {
      assertScope(c, 'core:audit');
      const limit = query.limit ?? 100;
      let q = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit);
      if (query.user !== undefined) {
        const name = query.user;
        q = q.where((eb) =>
          /^\d+$/.test(name)
            ? eb.or([eb('user_id', '=', Number(name)), eb(sql`lower(username)`, '=', name.toLowerCase())])
            : eb(sql`lower(username)`, '=', name.toLowerCase()),
        );
      }
      if (query.method !== undefined) q = q.where('method', '=', query.method);
      // instr() = 1 is a literal prefix test: no LIKE wildcards to escape, and case-sensitive like paths.
      if (query.path !== undefined) q = q.where(sql<boolean>`instr(path, ${query.path}) = 1`);
      if (query.status !== undefined) q = q.where('status', '=', query.status);
      if (query.from !== undefined) q = q.where('time', '>=', query.from);
      if (query.to !== undefined) q = q.where('time', '<', query.to);
      if (query.before !== undefined) q = q.where('id', '<', query.before);
      const rows = await q.execute();
      const items: AuditEntry[] = rows.map((r) => ({
        id: r.id,
        time: r.time,
        userId: r.user_id,
        username: r.username,
        ip: r.ip,
        method: r.method,
        path: r.path,
        status: r.status,
        plugin: r.plugin,
        detail: parseDetail(r.detail),
      }));
      return c.json({ items, nextBefore: items.length === limit ? items.at(-1)!.id : null });
    },
  );
}
