import type { EventBus } from '@webcasa/event-bus';
import type { NotifyMessage } from '@webcasa/plugin-sdk';
import type { Kysely, Selectable } from 'kysely';
import type { CoreDatabase } from '../db/schema.js';
import { notFound } from '../errors.js';
import '../events.js';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface Message {
  id: number;
  plugin: string;
  title: string;
  body: string | null;
  priority: Priority;
  link: string | null;
  createdAt: number;
  readAt: number | null;
}

export interface MessageQuery {
  minPriority?: Priority;
  plugin?: string;
  unread?: boolean;
  limit?: number;
  /** Id of the last message of the previous page. */
  before?: number;
}

type Row = Selectable<CoreDatabase['messages']>;

function toMessage(row: Row): Message {
  return {
    id: row.id,
    plugin: row.plugin,
    title: row.title,
    body: row.body,
    priority: PRIORITIES[row.priority] ?? 'normal',
    link: row.link,
    createdAt: row.created_at,
    readAt: row.read_at,
  };
}

/**
 * Messages plugins push with `ctx.notify`: stored, listed with filters and
 * paging, pushed live (`panel.notification` on the bus, forwarded to
 * `/ws/events`), marked read or dismissed.
 */
export class MessageService {
  constructor(
    private readonly db: Kysely<CoreDatabase>,
    private readonly bus: EventBus,
    private readonly now: () => number = Date.now,
  ) {}

  async push(plugin: string, message: NotifyMessage): Promise<Message> {
    const priority = PRIORITIES.indexOf(message.priority ?? 'normal');
    const row = {
      plugin,
      title: String(message.title).slice(0, 200),
      body: message.body === undefined ? null : String(message.body).slice(0, 4000),
      priority: priority === -1 ? 1 : priority,
      link:
        typeof message.link === 'string' && message.link.startsWith('/') ? message.link.slice(0, 500) : null,
      created_at: this.now(),
    };
    const { id } = await this.db.insertInto('messages').values(row).returning('id').executeTakeFirstOrThrow();
    const stored = toMessage({ ...row, id, read_at: null, dismissed_at: null });
    this.bus.emit(
      'panel.notification',
      {
        plugin,
        id,
        title: stored.title,
        body: stored.body ?? undefined,
        priority: stored.priority,
        link: stored.link ?? undefined,
      },
      { source: plugin },
    );
    return stored;
  }

  async list(
    query: MessageQuery = {},
  ): Promise<{ items: Message[]; unread: number; nextBefore: number | null }> {
    const limit = query.limit ?? 50;
    let q = this.db.selectFrom('messages').selectAll().where('dismissed_at', 'is', null);
    if (query.minPriority) q = q.where('priority', '>=', PRIORITIES.indexOf(query.minPriority));
    if (query.plugin) q = q.where('plugin', '=', query.plugin);
    if (query.unread) q = q.where('read_at', 'is', null);
    if (query.before !== undefined) q = q.where('id', '<', query.before);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(toMessage);
    const { count } = await this.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('dismissed_at', 'is', null)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return {
      items,
      unread: Number(count),
      nextBefore: rows.length > limit ? items[items.length - 1]!.id : null,
    };
  }

  async markRead(id: number): Promise<void> {
    const result = await this.db
      .updateTable('messages')
      .set({ read_at: this.now() })
      .where('id', '=', id)
      .where('dismissed_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound(`no message with id ${id}`);
  }

  async markAllRead(): Promise<number> {
    const result = await this.db
      .updateTable('messages')
      .set({ read_at: this.now() })
      .where('read_at', 'is', null)
      .where('dismissed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async dismiss(id: number): Promise<void> {
    const result = await this.db
      .updateTable('messages')
      .set({ dismissed_at: this.now() })
      .where('id', '=', id)
      .where('dismissed_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw notFound(`no message with id ${id}`);
  }

  /** Drop dismissed and old messages (kept 90 days). */
  async prune(maxAgeMs = 90 * 24 * 3600_000): Promise<void> {
    const cutoff = this.now() - maxAgeMs;
    await this.db
      .deleteFrom('messages')
      .where((eb) => eb.or([eb('created_at', '<', cutoff), eb('dismissed_at', 'is not', null)]))
      .execute();
  }
}
