/**
 * The panel never trusts a plugin process. Here the "child" is a hand-driven RPC peer on a real
 * socket that skips the SDK's own checks and calls the panel's side directly, as a hostile
 * plugin could: every context service still enforces the guard, the permissions and the
 * declared dependencies, and a transaction cannot keep the database lock.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostSession } from '../src/isolation/host-session.js';
import type { HostPeer } from '../src/isolation/protocol.js';
import { RpcPeer } from '../src/isolation/rpc.js';
import { createTestHost, type TestHost } from './isolation-host.js';

let host: TestHost;
let session: HostSession;
let rogue: RpcPeer<any, any, any, any>;
const sockets: Socket[] = [];
let dir: string;

beforeAll(async () => {
  host = await createTestHost();
  dir = mkdtempSync(join(tmpdir(), 'webcasa-rogue-'));
  const server = createServer();
  server.listen(join(dir, 'rpc.sock'));
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const a = connect(join(dir, 'rpc.sock'));
  await once(a, 'connect');
  const [b] = await accepted;
  server.close();
  sockets.push(a, b);
  const manifest = parseManifest({ id: 'rogue', name: 'Rogue', version: '1.0.0', engine: '^1.0.0' });
  const peer: HostPeer = new RpcPeer(a, { name: 'plugin rogue', streamParity: 1 });
  session = new HostSession(peer, manifest, host.deps, host.deps.pluginLogger('rogue'), {
    callTimeoutMs: 1000,
    txTimeoutMs: 400,
  });
  rogue = new RpcPeer(b, { name: 'panel', streamParity: 0 });
});

afterAll(async () => {
  await session?.dispose(1001, 'done');
  for (const s of sockets) s.destroy();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a plugin process that skips the SDK', () => {
  it('cannot call core functions its manifest does not grant, nor reach past them', async () => {
    await expect(
      rogue.call('core', { path: ['hosts', 'create'], args: [{ domains: ['x.example.com'] }] }),
    ).rejects.toMatchObject({
      code: 'WEBCASA_PLUGIN_PERMISSION',
      message:
        'plugin rogue may not call core.hosts.create(): its manifest does not ask for the "hosts" permission',
    });
    await expect(rogue.call('core', { path: ['caddy', 'reload'], args: [] })).rejects.toMatchObject({
      code: 'WEBCASA_PLUGIN_PERMISSION',
    });
    expect(await rogue.call('core', { path: ['hosts', 'list'], args: [] })).toEqual([]);
    expect(await rogue.call('core', { path: ['hosts', 'get'], args: [42] })).toBeUndefined();
    expect(await rogue.call('core', { path: ['info'], args: [] })).toMatchObject({ version: 'test' });
    await expect(rogue.call('core', { path: ['users', 'list'], args: [] })).rejects.toMatchObject({
      code: 'WEBCASA_PLUGIN_PERMISSION',
    });
    await expect(rogue.call('core', { path: ['backups', 'run'], args: [] })).rejects.toMatchObject({
      code: 'WEBCASA_CORE_UNKNOWN',
      status: 404,
    });
    await expect(rogue.call('core', { path: ['info', 'call'], args: [] })).rejects.toMatchObject({
      status: 404,
    });
    await expect(rogue.call('core', { path: ['__proto__', 'toString'], args: [] })).rejects.toMatchObject({
      status: 400,
    });
  });

  it('reaches only its own tables, whatever SQL it sends', async () => {
    await rogue.call('db.query', { sql: 'create table "plugin_rogue_t" (x integer)', parameters: [] });
    await rogue.call('db.query', { sql: 'insert into "plugin_rogue_t" values (?)', parameters: [1n] });
    const own = await rogue.call('db.query', { sql: 'select x from "plugin_rogue_t"', parameters: [] });
    expect(own.rows).toEqual([{ x: 1 }]);
    for (const sql of [
      'select * from users',
      'select * from plugin_rogue_t join sessions',
      'delete from settings where 1',
      'pragma writable_schema = 1',
      "attach database '/tmp/x.db' as x",
      'drop table users',
    ]) {
      await expect(rogue.call('db.query', { sql, parameters: [] }), sql).rejects.toMatchObject({
        code: 'WEBCASA_DB_TABLE_DENIED',
        status: 403,
      });
    }
    await expect(rogue.call('db.query', { sql: 42, parameters: [] })).rejects.toMatchObject({ status: 400 });
  });

  // `DELETE FROM <table>` without WHERE runs as SQLite's truncate (opcode Clear, root page in P1),
  // which opens no cursor: the guard checks Clear's P1 too.
  it('cannot empty another table with DELETE without WHERE', async () => {
    await expect(
      rogue.call('db.query', { sql: 'delete from settings', parameters: [] }),
    ).rejects.toMatchObject({
      code: 'WEBCASA_DB_TABLE_DENIED',
    });
  });

  it('cannot hold the database lock past its transaction limit', async () => {
    const { tx } = await rogue.call('db.begin', null);
    await rogue.call('db.query', { sql: 'insert into "plugin_rogue_t" values (2)', parameters: [], tx });
    expect(session.transactionCount).toBe(1);
    const began = Date.now();
    // The core waits for the lock; the transaction is rolled back at its 400 ms limit.
    const users = await host.db.core.selectFrom('users').selectAll().execute();
    expect(users).toEqual([]);
    expect(Date.now() - began).toBeGreaterThanOrEqual(250);
    expect(session.transactionCount).toBe(0);
    await expect(rogue.call('db.query', { sql: 'select 1', parameters: [], tx })).rejects.toMatchObject({
      code: 'WEBCASA_DB_TX_GONE',
    });
    const rows = await rogue.call('db.query', {
      sql: 'select x from "plugin_rogue_t" order by x',
      parameters: [],
    });
    expect(rows.rows).toEqual([{ x: 1 }]); // the insert inside the transaction was rolled back
  });

  it('uses no service it did not declare, registers no WebSocket route outside its own, emits only as itself', async () => {
    await expect(
      rogue.call('service.invoke', { dep: 'docker', method: 'restart', args: [] }),
    ).rejects.toMatchObject({
      code: 'WEBCASA_PLUGIN_UNDECLARED_DEPENDENCY',
    });
    await expect(rogue.call('ws.route', { pattern: '/ws/runs/:id' })).rejects.toMatchObject({
      code: 'WEBCASA_PLUGIN_WS_PATH',
    });
    const seen: string[] = [];
    const off = host.deps.bus.on('rogue.says' as never, (e) => {
      seen.push(e.source);
    });
    rogue.notify('events.emit', { type: 'rogue.says', payload: {}, source: 'core' });
    await expect.poll(() => seen).toEqual(['rogue']);
    off();
  });
});
