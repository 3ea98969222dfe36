import { defineServerPlugin } from '@webcasa/plugin-sdk';
import './events.js';

/** Plugin tables are named `plugin_<id>_*`; the context's database reaches no others. */
const ITEMS = 'plugin___ID___items';

interface Item {
  id: number;
  title: string;
  created_at: number;
}

export default defineServerPlugin({
  async setup(ctx) {
    await ctx.migrate({
      '001_items': {
        async up(db) {
          await db.schema
            .createTable(ITEMS)
            .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
            .addColumn('title', 'text', (c) => c.notNull())
            .addColumn('created_at', 'integer', (c) => c.notNull())
            .execute();
        },
      },
    });

    // GET /api/plugins/__ID__/items
    ctx.router.get('/items', async (c) => {
      const items = (await ctx.db.selectFrom(ITEMS).selectAll().orderBy('id').execute()) as Item[];
      return c.json({ items });
    });

    // POST /api/plugins/__ID__/items { title }
    ctx.router.post('/items', async (c) => {
      const body = (await c.req.json().catch(() => null)) as { title?: unknown } | null;
      const title = typeof body?.title === 'string' ? body.title.trim() : '';
      if (!title || title.length > 200) {
        return c.json(
          { error: { code: 'BAD_REQUEST', message: 'body.title: 1 to 200 characters', field: 'body.title' } },
          400,
        );
      }
      const row = await ctx.db
        .insertInto(ITEMS)
        .values({ title, created_at: Date.now() })
        .returning('id')
        .executeTakeFirstOrThrow();
      const item = { id: Number(row.id), title };
      ctx.events.emit('__ID__.item.created', item);
      ctx.logger.info('item created', item);
      return c.json(item, 201);
    });
  },
});
