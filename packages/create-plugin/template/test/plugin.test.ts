import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import manifest from '../manifest.json' with { type: 'json' };
import plugin from '../src/server.js';

let t: TestPanel;
beforeAll(async () => {
  t = await startTestPanel({ plugins: [{ manifest, plugin }] });
});
afterAll(() => t?.stop());

it('starts', () => {
  expect(t.panel.manager.info('__ID__')?.status).toBe('running');
});

it('stores items in its table and emits an event', async () => {
  const seen: unknown[] = [];
  const off = t.panel.bus.on('__ID__.item.created', (event) => {
    seen.push(event.payload);
  });
  const created = await t.client.post('/api/plugins/__ID__/items', { title: 'first' });
  expect(created.status).toBe(201);
  const list = await t.client.get('/api/plugins/__ID__/items');
  expect(list.body.items.map((i: { title: string }) => i.title)).toEqual(['first']);
  expect(seen).toEqual([{ id: created.body.id, title: 'first' }]);
  off();
});

it('answers 400 naming the field for a bad body', async () => {
  const res = await t.client.post('/api/plugins/__ID__/items', { title: '' });
  expect(res.status).toBe(400);
  expect(res.body.error.field).toBe('body.title');
});
