import type { AuditEntry } from '@webcasa/plugin-sdk';
import type { Kysely } from 'kysely';
import type { CoreDatabase } from '../db/schema.js';
import { badRequest } from '../errors.js';

const ACTION = /^[A-Za-z0-9][\w.:-]{0,199}$/;
const MAX_DETAIL_BYTES = 4096;

/** An audit entry together with the plugin it is attributed to (set by the host, never by the plugin). */
export interface AttributedAuditEntry extends AuditEntry {
  plugin: string;
}

/**
 * Write one plugin-reported audit entry (`ctx.core.audit`). The plugin id is
 * bound by the host — `bindAudit` in-process, the RPC handler for isolated
 * plugins — so a plugin cannot write entries in another plugin's name.
 * Bad entries are refused with a 400 naming the field, never stored cut short.
 */
export async function recordPluginAudit(
  db: Kysely<CoreDatabase>,
  entry: AttributedAuditEntry,
  now: () => number = Date.now,
): Promise<void> {
  if (typeof entry !== 'object' || entry === null) throw badRequest('audit entry must be an object', 'entry');
  if (typeof entry.action !== 'string' || !ACTION.test(entry.action)) {
    throw badRequest('action must be 1–200 characters of letters, digits, ".", "_", ":" or "-"', 'action');
  }
  const status = entry.status ?? 200;
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw badRequest('status must be an integer from 100 to 599', 'status');
  }
  let detail: string | null = null;
  if (entry.detail !== undefined) {
    if (typeof entry.detail !== 'object' || entry.detail === null || Array.isArray(entry.detail)) {
      throw badRequest('detail must be an object', 'detail');
    }
    detail = JSON.stringify(entry.detail);
    if (Buffer.byteLength(detail) > MAX_DETAIL_BYTES) {
      throw badRequest(`detail must be at most ${MAX_DETAIL_BYTES} bytes as JSON`, 'detail');
    }
  }
  const user = entry.user ?? null;
  if (
    user !== null &&
    (typeof user !== 'object' || !Number.isInteger(user.id) || typeof user.username !== 'string')
  ) {
    throw badRequest('user must be { id, username }', 'user');
  }
  await db
    .insertInto('audit_log')
    .values({
      time: now(),
      user_id: user?.id ?? null,
      username: user?.username.slice(0, 64) ?? null,
      ip: typeof entry.ip === 'string' ? entry.ip.slice(0, 64) : null,
      method: 'EVENT',
      path: `/plugins/${entry.plugin}/${entry.action}`,
      status,
      plugin: entry.plugin,
      detail,
    })
    .execute();
}

/** The `audit` function one plugin sees: every entry it writes is attributed to it. */
export function bindAudit(
  audit: (entry: AuditEntry) => Promise<void>,
  pluginId: string,
): (entry: AuditEntry) => Promise<void> {
  return (entry) => audit({ ...(entry as object), plugin: pluginId } as AttributedAuditEntry);
}
