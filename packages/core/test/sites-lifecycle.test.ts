import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusEvent } from '@webcasa/event-bus';
import { afterEach, describe, expect, it } from 'vitest';
import { CaddyAdminClient, parseAdminAddress } from '../src/sites/caddy-client.js';
import {
  caddyEnv,
  fetchVia,
  freePort,
  occupyPort,
  requireCaddy,
  retry,
  type SitesHarness,
  skipCaddy,
  startBackend,
  startSitesHarness,
} from './sites-helpers.js';

// Caddy coming and going: refusals, a missing binary, an external Caddy,
// and the panel killed with -9 and started again.

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (error) {
      console.error('cleanup failed', error);
    }
  }
});

async function harness(...args: Parameters<typeof startSitesHarness>): Promise<SitesHarness> {
  const h = await startSitesHarness(...args);
  cleanups.push(() => h.stop());
  return h;
}

async function backend(name: string) {
  const b = await startBackend(name);
  cleanups.push(() => b.close());
  return b;
}

/** Running (an exited orphan nobody reaped, a zombie, counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop()?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe.skipIf(skipCaddy)('Caddy lifecycle', () => {
  it('a config Caddy rejects answers 422 with its message, stores nothing and leaves the previous sites serving', async () => {
    requireCaddy();
    const httpsPort = await freePort();
    const blocker: Server = await occupyPort(httpsPort);
    cleanups.push(() => new Promise((r) => blocker.close(r)));
    const b = await backend('live');
    const h = await harness({ httpsPort });
    const failures: BusEvent[] = [];
    h.panel.bus.on('caddy.failed', (e) => void failures.push(e));

    const live = await h.call('POST', '/api/sites', {
      domains: ['live.test'],
      kind: 'reverse_proxy',
      upstreams: [`127.0.0.1:${b.port}`],
      tls: 'off',
    });
    expect(live.status).toBe(201);
    // TLS internal needs the HTTPS port, which another process holds: Caddy refuses the whole config.
    const refused = await h.call('POST', '/api/sites', {
      domains: ['refused.test'],
      kind: 'reverse_proxy',
      upstreams: [`127.0.0.1:${b.port}`],
      tls: 'internal',
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('WEBCASA_CADDY_REJECTED');
    expect(refused.body.error.message).toMatch(/address already in use/);
    expect(refused.body.error.details.caddy).toMatch(new RegExp(`:${httpsPort}`));
    expect(failures.at(-1)?.payload).toMatchObject({ reason: 'create', rejected: true });
    const list = await h.call('GET', '/api/sites');
    expect(list.body.sites.map((s: any) => s.domains[0])).toEqual(['live.test']);
    // An update Caddy refuses is not stored either.
    const upd = await h.call('PUT', `/api/sites/${live.body.id}`, { tls: 'internal' });
    expect(upd.status).toBe(422);
    expect((await h.call('GET', `/api/sites/${live.body.id}`)).body).toMatchObject({
      tls: 'off',
      revision: 1,
    });
    // The previous config is still the live one.
    // Every connection, not just the first: Caddy 2.6 leaves servers of a config that failed to
    // start running beside the old one, so the panel restarts its caddy after such a refusal.
    for (let i = 0; i < 10; i++) {
      const still = await fetchVia(h.httpPort, 'live.test');
      expect(still.status, still.body).toBe(200);
      expect(JSON.parse(still.body).backend).toBe('live');
    }
    expect(await h.admin().getConfig()).toEqual(await h.sites.service.generate());
    const status = await h.call('GET', '/api/sites/caddy');
    expect(status.body.lastRejection).toMatchObject({
      reason: 'update',
      message: expect.stringMatching(/in use/),
    });
    expect(status.body.message).toMatch(/previous configuration is still live/);

    await new Promise((r) => blocker.close(r));
    const accepted = await h.call('POST', '/api/sites', {
      domains: ['refused.test'],
      kind: 'reverse_proxy',
      upstreams: [`127.0.0.1:${b.port}`],
      tls: 'internal',
    });
    expect(accepted.status).toBe(201);
    expect(accepted.body.status).toBe('applied');
    const after = (await h.call('GET', '/api/sites/caddy')).body;
    expect(after.lastApply.ok).toBe(true);
    expect(after.lastRejection).toBeNull();
  });

  it('without a caddy binary the panel runs, says how to install it, and applies once caddy appears', async () => {
    const caddy = requireCaddy();
    const bin = mkdtempSync(join(tmpdir(), 'webcasa-bin-'));
    cleanups.push(() => rmSync(bin, { recursive: true, force: true }));
    const b = await backend('later');
    const h = await harness({ env: { WEBCASA_CADDY_BINARY: join(bin, 'caddy') } });
    const status = await h.call('GET', '/api/sites/caddy');
    expect(status.body).toMatchObject({ mode: 'managed', found: false, running: false, pending: false });
    expect(status.body.message).toMatch(/not found/);
    expect(status.body.installHint).toMatch(/apt install caddy/);
    const created = await h.call('POST', '/api/sites', {
      domains: ['later.test'],
      kind: 'reverse_proxy',
      upstreams: [`127.0.0.1:${b.port}`],
      tls: 'off',
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('pending');
    expect((await h.call('GET', '/api/sites/caddy')).body.pending).toBe(true);

    symlinkSync(caddy, join(bin, 'caddy'));
    const got = await retry(() => fetchVia(h.httpPort, 'later.test'), 15_000, 200);
    expect(JSON.parse(got.body).backend).toBe('later');
    const after = await retry(async () => {
      const s = (await h.call('GET', `/api/sites/${created.body.id}`)).body;
      if (s.status !== 'applied') throw new Error(s.status);
      return (await h.call('GET', '/api/sites/caddy')).body;
    });
    expect(after).toMatchObject({ found: true, running: true, pending: false, installHint: null });
  });

  it('drives an external Caddy through its admin address, re-applies when its config drifts, and leaves it running', async () => {
    const binary = requireCaddy();
    const dir = mkdtempSync(join(tmpdir(), 'webcasa-ext-'));
    const adminPort = await freePort();
    writeFileSync(
      join(dir, 'caddy.json'),
      JSON.stringify({
        admin: { listen: `127.0.0.1:${adminPort}`, config: { persist: false } },
        storage: { module: 'file_system', root: join(dir, 'data') },
      }),
    );
    mkdirSync(join(dir, 'xdg'));
    const child: ChildProcess = spawn(binary, ['run', '--config', join(dir, 'caddy.json')], {
      env: { ...process.env, XDG_DATA_HOME: join(dir, 'xdg'), XDG_CONFIG_HOME: join(dir, 'xdg') },
      stdio: 'ignore',
    });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    });
    const admin = new CaddyAdminClient(parseAdminAddress(`127.0.0.1:${adminPort}`));
    await retry(async () => {
      if (!(await admin.ping())) throw new Error('external caddy not up');
    });

    const b = await backend('ext');
    const h = await harness({
      env: { WEBCASA_CADDY: 'external', WEBCASA_CADDY_ADMIN: `127.0.0.1:${adminPort}` },
    });
    const status = await h.call('GET', '/api/sites/caddy');
    expect(status.body).toMatchObject({ mode: 'external', found: true, running: true, pid: null });
    const created = await h.call('POST', '/api/sites', {
      domains: ['ext.test'],
      kind: 'reverse_proxy',
      upstreams: [`127.0.0.1:${b.port}`],
      tls: 'off',
    });
    expect(created.status).toBe(201);
    expect(JSON.parse((await fetchVia(h.httpPort, 'ext.test')).body).backend).toBe('ext');
    // The external Caddy's own storage setting is kept.
    expect(((await admin.getConfig()) as any).storage).toEqual({
      module: 'file_system',
      root: join(dir, 'data'),
    });

    // Someone loads another config behind the panel's back: the panel notices and re-applies.
    await admin.load({ admin: { listen: `127.0.0.1:${adminPort}`, config: { persist: false } } });
    await expect(fetchVia(h.httpPort, 'ext.test')).rejects.toThrow();
    const back = await retry(() => fetchVia(h.httpPort, 'ext.test'), 10_000, 200);
    expect(back.status).toBe(200);
    expect(await admin.getConfig()).toEqual(await h.sites.service.generate());

    await h.stop();
    cleanups.pop();
    expect(await admin.ping()).toBe(true);
  });

  it('kill -9 of the panel: Caddy keeps serving; on restart the panel adopts it and reconciles it from the database', async () => {
    requireCaddy();
    const b = await backend('kept');
    const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-sites-crash-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = await caddyEnv();
    const httpPort = Number(env.WEBCASA_CADDY_HTTP_PORT);

    const runChild = () =>
      new Promise<{ child: ChildProcess; caddyPid: number }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            join(import.meta.dirname, 'fixtures/sites-panel.ts'),
            dataDir,
            JSON.stringify(env),
            String(b.port),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stderr = '';
        child.stderr!.on('data', (d) => {
          stderr += d;
        });
        const guard = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`child panel did not get ready: ${stderr}`));
        }, 30_000);
        child.stdout!.setEncoding('utf8');
        child.stdout!.on('data', (chunk: string) => {
          const m = /ready (\d+) true/.exec(chunk);
          if (!m) return;
          clearTimeout(guard);
          resolve({ child, caddyPid: Number(m[1]) });
        });
      });

    // 1. The panel dies without a chance to stop Caddy; the sites stay up.
    const first = await runChild();
    cleanups.push(() => {
      if (alive(first.caddyPid)) process.kill(first.caddyPid, 'SIGKILL');
    });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(alive(first.caddyPid)).toBe(true);
    expect(JSON.parse((await fetchVia(httpPort, 'kept.test')).body).backend).toBe('kept');

    // 2. While the panel is down, Caddy loses the sites (someone reloads it by hand).
    const admin = new CaddyAdminClient(parseAdminAddress(`unix/${join(dataDir, 'caddy', 'admin.sock')}`));
    const current = (await admin.getConfig()) as any;
    await admin.load({ admin: current.admin, storage: current.storage });
    await expect(fetchVia(httpPort, 'kept.test')).rejects.toThrow();

    // 3. Restart: the same caddy process is adopted and given the database's config.
    const h = await startSitesHarness({ dataDir, env, keep: true });
    cleanups.push(() => h.stop());
    const status = (await h.call('GET', '/api/sites/caddy')).body;
    expect(status).toMatchObject({ running: true, pid: first.caddyPid, pending: false });
    expect(JSON.parse((await fetchVia(httpPort, 'kept.test')).body).backend).toBe('kept');
    expect((await fetchVia(httpPort, 'moved.test')).status).toBe(301);
    expect(await h.admin().getConfig()).toEqual(await h.sites.service.generate());

    // 4. Panel stopped cleanly stops Caddy; if Caddy is also gone, the next start runs a new one.
    await h.stop();
    cleanups.pop();
    expect(alive(first.caddyPid)).toBe(false);
    const h2 = await harness({ dataDir, env, keep: true });
    const status2 = (await h2.call('GET', '/api/sites/caddy')).body;
    expect(status2.running).toBe(true);
    expect(status2.pid).not.toBe(first.caddyPid);
    expect(JSON.parse((await fetchVia(httpPort, 'kept.test')).body).backend).toBe('kept');
  });

  it('a managed caddy that dies is restarted and given the sites again', async () => {
    requireCaddy();
    const b = await backend('phoenix');
    const h = await harness();
    await h.call('POST', '/api/sites', {
      domains: ['phoenix.test'],
      kind: 'reverse_proxy',
      upstreams: [`127.0.0.1:${b.port}`],
      tls: 'off',
    });
    const pid = (await h.call('GET', '/api/sites/caddy')).body.pid as number;
    process.kill(pid, 'SIGKILL');
    const got = await retry(
      async () => {
        const s = (await h.call('GET', '/api/sites/caddy')).body;
        if (!s.running || s.pid === pid) throw new Error('not restarted yet');
        return fetchVia(h.httpPort, 'phoenix.test');
      },
      15_000,
      200,
    );
    expect(JSON.parse(got.body).backend).toBe('phoenix');
  });
});
