import { PLUGIN_ID_PATTERN } from '@webcasa/plugin-sdk';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { CoreEnv } from '../http/env.js';
import { defineRoute, type RouteRegistry } from '../http/route.js';
import { type MessageService, PRIORITIES } from './messages.js';

const idParams = z.object({ id: z.coerce.number().int().positive() });

export function registerMessageRoutes(
  app: Hono<CoreEnv>,
  registry: RouteRegistry,
  deps: { messages: MessageService },
): void {
  defineRoute(
    app,
    registry,
    {
      method: 'get',
      path: '/api/messages',
      summary: 'Messages from plugins, newest first, with the unread count',
      tag: 'messages',
      access: 'user',
      permission: 'core:messages',
      query: z.object({
        minPriority: z.enum(PRIORITIES).optional(),
        plugin: z.string().regex(PLUGIN_ID_PATTERN, 'not a plugin id').optional(),
        unread: z.enum(['true', 'false']).optional(),
        limit: z.coerce.number().int().min(1).max(200).optional(),
        before: z.coerce.number().int().positive().optional(),
      }),
    },
    async (c, { query }) => c.json(await deps.messages.list({ ...query, unread: query.unread === 'true' })),
  );
  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/messages/:id/read',
      summary: 'Mark a message read',
      tag: 'messages',
      access: 'user',
      permission: 'core:messages',
      params: idParams,
    },
    async (c, { params }) => {
      await deps.messages.markRead(params.id);
      return c.body(null, 204);
    },
  );
  defineRoute(
    app,
    registry,
    {
      method: 'post',
      path: '/api/messages/read-all',
      summary: 'Mark every message read',
      tag: 'messages',
      access: 'user',
      permission: 'core:messages',
    },
    async (c) => c.json({ marked: await deps.messages.markAllRead() }),
  );
  defineRoute(
    app,
    registry,
    {
      method: 'delete',
      path: '/api/messages/:id',
      summary: 'Dismiss a message',
      tag: 'messages',
      access: 'user',
      permission: 'core:messages',
      params: idParams,
    },
    async (c, { params }) => {
      await deps.messages.dismiss(params.id);
      return c.body(null, 204);
    },
  );
}
