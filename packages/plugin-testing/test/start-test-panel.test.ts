import { existsSync } from 'node:fs';
import { defineServerPlugin } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPanel, type TestPanel } from '../src/index.js';

const manifest = {
  id: 'notes',
  name: 'Notes',
  version: '1.0.0',
  engine: '^1.0.0',
  scopes: { 'notes.write': { minRole: 'operator' as const } },
};

const plugin = defineServerPlugin({
  async setup(ctx) {
    await ctx.migrate({
      '001_notes': {
        async up(db) {
          await db.schema
            .createTable('plugin_notes_items')
            .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
            .addColumn('text', 'text', (c) => c.notNull())
            .execute();
        },
      },
    });
    ctx.router.get('/items', async (c) =>
      c.json(await ctx.db.selectFrom('plugin_notes_items').selectAll().execute()),
    );
    ctx.router.post('/items', ctx.requireScope('notes.write'), async (c) => {
      const { text } = await c.req.json<{ text: string }>();
      await ctx.db.insertInto('plugin_notes_items').values({ text }).execute();
      ctx.events.emit('notes.created' as never, { text } as never);
      return c.json({ ok: true }, 201);
    });
    ctx.ws.route('/live', (socket) => socket.send(`hello ${socket.user.username}`));
  },
});

let t: TestPanel;
beforeAll(async () => {
  t = await startTestPanel({ plugins: [{ manifest, plugin }] });
});
afterAll(async () => {
  const dir = t.dataDir;
  await t.stop();
  expect(existsSync(dir)).toBe(false);
});

describe('startTestPanel', () => {
  it('boots a real panel on 127.0.0.1 with the plugin running and an admin client', async () => {
    expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(t.panel.manager.isRunning('notes')).toBe(true);
    const created = await t.client.post('/api/plugins/notes/items', { text: 'first' });
    expect(created.status).toBe(201);
    const list = await t.client.get('/api/plugins/notes/items');
    expect(list.body).toEqual([{ id: 1, text: 'first' }]);
  });

  it('gives clients for other roles and an anonymous one', async () => {
    const viewer = await t.clientAs('viewer');
    expect((await viewer.get('/api/plugins/notes/items')).status).toBe(200);
    expect((await viewer.post('/api/plugins/notes/items', { text: 'nope' })).status).toBe(403);
    const operator = await t.clientAs('operator');
    expect((await operator.post('/api/plugins/notes/items', { text: 'yes' })).status).toBe(201);
    expect((await t.anonymous.get('/api/plugins/notes/items')).status).toBe(401);
  });

  it('opens authenticated WebSockets to plugin routes', async () => {
    const socket = await t.client.ws('/ws/plugins/notes/live');
    expect(await socket.next()).toBe('hello admin');
    expect(await socket.close()).toBe(1000);
    await expect(t.anonymous.ws('/ws/plugins/notes/live')).rejects.toThrow(/401/);
  });
});
