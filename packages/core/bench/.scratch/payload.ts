import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { LoadGenerator } from './load.js';
const body = { plugins: Array.from({ length: 8 }, (_, i) => ({ id: `bench-0${i}`, name: 'x'.repeat(20), description: 'y'.repeat(80), web: { routes: [{ path: '/', title: 'Overview' }, { path: '/items/:id', title: 'Item' }], menu: [{ path: '/', label: 'Bench', icon: 'box', group: 'plugins', order: 101 }] }, events: ['a.b.c', 'a.b.d'], scopes: { read: { description: 'See items', minRole: 'viewer' }, write: { description: 'Change items', minRole: 'operator' } }, pad: 'z'.repeat(250) })) };
console.log('bytes', JSON.stringify(body).length);
const app = new Hono();
app.get('/hello', (c) => c.json({ hello: 'world' }));
app.get('/big', (c) => c.json(body));
const s: any = await new Promise((r) => { const x = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => r(x)); });
const load = new LoadGenerator();
for (let i = 0; i < 2; i++) for (const p of ['/hello', '/big']) {
  const r = await load.run({ port: s.address().port, path: p, connections: 32, warmupMs: 500, durationMs: 2000 });
  console.log(p, Math.round(r.rps), r.p50Ms.toFixed(2), 'genElu', r.generatorElu.toFixed(2), 'srvElu', r.serverElu.toFixed(2));
}
await load.close(); s.close(); s.closeAllConnections();
