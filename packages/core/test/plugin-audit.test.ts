/**
 * `ctx.core.audit`: plugins write audit entries for what happens outside an
 * HTTP request (a terminal session, a scheduled deletion). The panel attributes
 * each entry to the calling plugin — in-process and isolated alike — so a
 * plugin cannot write in another's name, and refuses malformed entries.
 */
import { join } from 'node:path';
import { defineServerPlugin, type PluginContext } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './helpers.js';

let ctxRef: PluginContext | undefined;
let h: Harness;

beforeAll(async () => {
  h = await startHarness(
    [
      {
        manifest: { id: 'auditor', name: 'Auditor', version: '1.0.0', engine: '^1.0.0' },
        plugin: defineServerPlugin({
          setup(ctx) {
            ctxRef = ctx;
          },
        }),
      },
    ],
    { pluginDirs: [join(import.meta.dirname, 'fixtures', 'audit', 'auditor')] },
  );
});
afterAll(async () => {
  await h?.stop();
});

interface AuditItem {
  method: string;
  path: string;
  status: number;
  plugin: string | null;
  username: string | null;
  ip: string | null;
  detail: unknown;
}

async function auditItems(query = ''): Promise<AuditItem[]> {
  const res = await h.call('GET', `/api/admin/audit?method=EVENT${query}`);
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('ctx.core.audit', () => {
  it('records an in-process plugin entry as EVENT /plugins/<id>/<action>, filterable', async () => {
    await ctxRef!.core.audit({
      action: 'terminal.opened',
      user: { id: 1, username: 'admin' },
      ip: '127.0.0.1',
      detail: { sessionId: 'abc', shell: '/bin/sh' },
    });
    const items = await auditItems('&path=/plugins/auditor/');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      method: 'EVENT',
      path: '/plugins/auditor/terminal.opened',
      status: 200,
      plugin: 'auditor',
      username: 'admin',
      ip: '127.0.0.1',
    });
    expect(JSON.stringify(items[0]!.detail)).toContain('abc');
  });

  it('attributes an in-process entry to the caller even if it names another plugin', async () => {
    await ctxRef!.core.audit({ action: 'spoof.try', plugin: 'core' } as never);
    const items = await auditItems('&path=/plugins/');
    const spoof = items.find((i) => i.path.endsWith('/spoof.try'));
    expect(spoof).toMatchObject({ plugin: 'auditor', path: '/plugins/auditor/spoof.try', username: null });
  });

  it('refuses malformed entries with the field named and stores nothing', async () => {
    const before = (await auditItems()).length;
    await expect(ctxRef!.core.audit({ action: '' })).rejects.toMatchObject({ field: 'action' });
    await expect(ctxRef!.core.audit({ action: 'a b' })).rejects.toMatchObject({ field: 'action' });
    await expect(ctxRef!.core.audit({ action: 'ok', status: 42 })).rejects.toMatchObject({ field: 'status' });
    await expect(
      ctxRef!.core.audit({ action: 'ok', detail: { blob: 'x'.repeat(5000) } }),
    ).rejects.toMatchObject({
      field: 'detail',
    });
    expect((await auditItems()).length).toBe(before);
  });

  it('records entries from an isolated plugin, attributed by the panel', async () => {
    const ok = await h.call('POST', '/api/plugins/iso-auditor/audit', {
      action: 'job.deleted',
      status: 204,
      detail: { rows: 12 },
    });
    expect(ok.body).toEqual({ ok: true });
    const items = await auditItems('&path=/plugins/iso-auditor/');
    const entry = items.find((i) => i.path === '/plugins/iso-auditor/job.deleted');
    expect(entry).toMatchObject({ method: 'EVENT', plugin: 'iso-auditor', status: 204 });
    expect(items.some((i) => i.plugin === 'someone-else')).toBe(false);

    const bad = await h.call('POST', '/api/plugins/iso-auditor/audit', { action: '../../etc' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/action/);
  });
});
