/**
 * Fault tests: a real panel with an isolated plugin that is killed, runs out of memory, spins,
 * holds a transaction when it dies, reaches outside its tables and permissions, or hangs in
 * setup. The panel keeps answering through all of it, and no process outlives it.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, startHarness } from './helpers.js';
import { alive, ISOLATION_FIXTURES } from './isolation-host.js';

const LIMITS: Record<string, string> = {
  WEBCASA_ISOLATION_MEMORY_MB: '64',
  WEBCASA_ISOLATION_MAX_CRASHES: '10',
  WEBCASA_ISOLATION_BACKOFF_BASE_MS: '100',
  WEBCASA_ISOLATION_HEALTH_INTERVAL_MS: '250',
  WEBCASA_ISOLATION_HEALTH_TIMEOUT_MS: '1000',
  WEBCASA_ISOLATION_HEALTH_MISSES: '2',
};

let h: Harness;
const seenPids = new Set<number>();
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  for (const [key, value] of Object.entries(LIMITS)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  h = await startHarness([], {
    pluginDirs: [join(ISOLATION_FIXTURES, 'faulty'), join(ISOLATION_FIXTURES, 'hang')],
    setupTimeoutMs: 3000,
  });
});

afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const last = h?.panel.manager.info('iso-faulty')?.pid;
  if (last) seenPids.add(last);
  await h?.stop();
  for (const pid of seenPids) expect(alive(pid), `process ${pid} outlived the panel`).toBe(false);
});

const faulty = () => h.panel.manager.info('iso-faulty')!;
const marker = (name: string) => join(h.dataDir, 'plugins', 'iso-faulty', name);

/** The current process id, once the plugin is running (again). */
async function runningPid(not?: number): Promise<number> {
  await eventually(() => {
    const pid = faulty().pid;
    return pid !== null && pid !== not;
  }, 15_000);
  const pid = faulty().pid!;
  seenPids.add(pid);
  return pid;
}

async function waitFor(file: string): Promise<void> {
  await eventually(() => existsSync(file), 10_000);
  rmSync(file);
}

describe('an isolated plugin that fails', () => {
  it('killed with SIGKILL mid-request: that request gets a 502, the plugin restarts, the panel answers', async () => {
    const pid = await runningPid();
    const before = faulty().restarts;
    const pending = h.call('GET', '/api/plugins/iso-faulty/slow');
    await waitFor(marker('slow-started'));
    process.kill(pid, 'SIGKILL');
    const res = await pending;
    expect(res.status).toBe(502);
    expect(res.body).toEqual({
      error: {
        code: 'WEBCASA_PLUGIN_CRASHED',
        message: 'plugin iso-faulty crashed while handling the request',
      },
    });
    // The panel never stops answering, during the backoff and the restart alike.
    for (let i = 0; i < 5; i++) expect((await h.call('GET', '/api/health')).status).toBe(200);
    const ok = await h.call('GET', '/api/plugins/iso-faulty/ok');
    expect(ok.status).toBe(200);
    expect(ok.body.pid).not.toBe(pid);
    expect(alive(pid)).toBe(false);
    const item = (await h.call('GET', '/api/admin/plugins')).body.plugins.find(
      (p: { id: string }) => p.id === 'iso-faulty',
    );
    expect(item).toMatchObject({
      status: 'running',
      isolation: 'process',
      pid: ok.body.pid,
      restarts: before + 1,
      lastCrash: { reason: 'killed by SIGKILL', signal: 'SIGKILL', exitCode: null },
    });
    seenPids.add(ok.body.pid);
  });

  it('allocating without bound hits the 64 MB heap limit, and is restarted', async () => {
    const pid = await runningPid();
    const before = faulty().restarts;
    const res = await h.call('GET', '/api/plugins/iso-faulty/leak');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('WEBCASA_PLUGIN_CRASHED');
    await runningPid(pid);
    const info = faulty();
    expect(info.restarts).toBe(before + 1);
    expect(info.lastCrash?.reason).toBe('out of memory: the V8 heap reached its 64 MB limit');
    expect(info.lastCrash?.stderr.join('\n')).toMatch(/heap/i);
    expect((await h.call('GET', '/api/plugins/iso-faulty/ok')).status).toBe(200);
  });

  it('blocking its event loop misses health pings, is killed and restarted', async () => {
    const pid = await runningPid();
    const res = await h.call('GET', '/api/plugins/iso-faulty/spin');
    expect(res.status).toBe(502);
    await runningPid(pid);
    expect(faulty().lastCrash?.reason).toMatch(/^unresponsive: no answer to 2 health pings/);
    expect(alive(pid)).toBe(false);
  });

  it('killed inside a transaction: the database lock is released and the transaction rolled back', async () => {
    const pid = await runningPid();
    const pending = h.call('POST', '/api/plugins/iso-faulty/tx-hang');
    await waitFor(marker('tx-open'));
    // The plugin holds the shared connection: the core waits for it.
    let coreDone = false;
    const coreQuery = h.panel.db.core
      .selectFrom('users')
      .select('username')
      .execute()
      .then((rows) => {
        coreDone = true;
        return rows;
      });
    await new Promise((r) => setTimeout(r, 200));
    expect(coreDone).toBe(false);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const rows = await coreQuery;
    expect(rows.map((r) => r.username)).toContain('admin');
    expect(Date.now() - killedAt).toBeLessThan(3000);
    expect((await pending).status).toBe(502);
    await runningPid(pid);
    expect((await h.call('GET', '/api/plugins/iso-faulty/rows')).body).toEqual([]);
  });

  it('reaching outside its tables or its permissions is an error over RPC', async () => {
    await runningPid();
    const viaKysely = await h.call('GET', '/api/plugins/iso-faulty/other-table');
    expect(viaKysely.status).toBe(403);
    expect(viaKysely.body.error.code).toBe('WEBCASA_DB_TABLE_DENIED');
    expect(viaKysely.body.error.message).toContain('"sessions" is outside its own tables');
    const viaRawSql = await h.call('GET', '/api/plugins/iso-faulty/raw-other-table');
    expect(viaRawSql.status).toBe(403);
    expect(viaRawSql.body.error.message).toContain('"users" is outside its own tables');
    // Changing sites needs the "hosts" permission, in-process and isolated alike.
    const hosts = await h.call('POST', '/api/plugins/iso-faulty/hosts');
    expect(hosts.status).toBe(409);
    expect(hosts.body.error).toMatchObject({ code: 'WEBCASA_PLUGIN_PERMISSION' });
    expect(hosts.body.error.message).toContain('plugin iso-faulty may not');
    expect(hosts.body.error.message).toContain('"hosts" permission');
    expect((await h.call('GET', '/api/plugins/iso-faulty/info')).status).toBe(200);
  });

  it('hanging in setup is killed after the setup timeout and marked error', async () => {
    const hang = h.panel.manager.info('iso-hang')!;
    expect(hang.status).toBe('error');
    expect(hang.error?.code).toBe('WEBCASA_PLUGIN_TIMEOUT');
    expect(hang.error?.message).toMatch(
      /^plugin iso-hang: setup did not finish within 3000 ms; its process \(pid \d+\) was killed/,
    );
    const pid = Number(/pid (\d+)/.exec(hang.error!.message)![1]);
    expect(alive(pid)).toBe(false);
    expect(hang.pid).toBeNull();
    expect((await h.call('GET', '/api/plugins/iso-hang/x')).status).toBe(404);
  });
});
