import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  engineRequest,
  ensureBusyboxImage,
  ensureDocker,
  removeContainersByPrefix,
  removeNetworksByPrefix,
} from '@webcasa/docker-testkit';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dockerManifest from '../../plugin-docker/manifest.json' with { type: 'json' };
import {
  caddyEnv,
  commit,
  createStoreRepo,
  freePort,
  type TestApp,
  until,
  viaCaddy,
  writeStoreApp,
} from './helpers.js';

// The whole path on real components: a git store, plugin-docker with the real dockerd and
// compose, the panel's managed caddy on high loopback ports, and the app answering on its domain.
const root = fileURLToPath(new URL('..', import.meta.url));
const suffix = Math.random().toString(36).slice(2, 8);
const appId = `wcase2e${suffix}`;
const image = `webcasa-appstore-e2e/web:${suffix}`;
const stack = `app-store-${appId}`;
const domain = `${appId}.test`;

let t: TestPanel;
let httpPort: number;
let repo: string;
let sourceId: number;
let appPort: number;
const v1: TestApp = { id: appId, image, version: '1.0.0', tipi: 1 };

async function stackContainers(): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${stack}`] }));
  const res = await engineRequest('GET', `/containers/json?all=1&filters=${filters}`);
  return (JSON.parse(res.body) as { Names: string[] }[]).map((c) => c.Names[0] ?? '');
}

async function finished(runId: string) {
  const info = await t.panel.runs.wait(runId);
  if (info.status !== 'succeeded') {
    const log = await t.client.get(`/api/runs/${runId}/log`);
    throw new Error(
      `run ${runId} ${info.status}: ${info.error}\n${typeof log.body === 'string' ? log.body : JSON.stringify(log.body)}`,
    );
  }
  return info;
}

/** A GET with the path sent exactly as given (fetch would normalise `../`). */
function rawGet(path: string, token: string): Promise<{ status: number; body: Buffer }> {
  const url = new URL(t.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'GET',
        agent: false,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function install(extra: Record<string, unknown> = {}) {
  const body = {
    source: sourceId,
    app: appId,
    values: { GREETING: 'hello' },
    domain,
    tls: 'off',
    port: appPort,
    ...extra,
  };
  const review = await t.client.post(`/api/plugins/app-store/apps/${sourceId}/${appId}/review`, body);
  expect(review.status).toBe(200);
  const res = await t.client.post('/api/plugins/app-store/install', {
    ...body,
    acceptRisks: (review.body.findings as { rule: string }[]).map((f) => f.rule),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body as { runId: string; id: string };
}

beforeAll(async () => {
  await ensureDocker();
  await ensureBusyboxImage('webcasa-test/busybox:1', image);
  repo = createStoreRepo(v1);
  appPort = await freePort();
  const caddy = await caddyEnv();
  httpPort = caddy.httpPort;
  t = await startTestPanel({
    // plugin-docker as code (its package is being built beside this one); this plugin as a package dir.
    plugins: [
      {
        manifest: dockerManifest,
        plugin: () => import('@webcasa/plugin-docker/server').then((m) => m.default),
      },
    ],
    pluginDirs: [root],
    panel: {
      env: caddy.env,
      sites: {
        pollMs: 500,
        supervisor: { startupTimeoutMs: 15_000, checkEveryMs: 300, maxBackoffMs: 2_000 },
      },
    },
  });
  const info = t.panel.manager.info('app-store');
  if (info?.status !== 'running')
    console.log(JSON.stringify(t.panel.manager.listProblems(), null, 1).slice(0, 3000));
  if (info?.status !== 'running') throw new Error(`app-store did not start: ${JSON.stringify(info)}`);
}, 120_000);

afterAll(async () => {
  await t?.stop();
  await removeContainersByPrefix(stack);
  await removeNetworksByPrefix(stack);
  await engineRequest('DELETE', `/images/${encodeURIComponent(image)}?noprune=1`).catch(() => undefined);
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe('app store end to end', () => {
  it('adds a git store and syncs it', async () => {
    const res = await t.client.post('/api/plugins/app-store/sources', {
      kind: 'git',
      location: `file://${repo}`,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ kind: 'git', apps: 1, lastSyncOk: true, lastError: null, problems: [] });
    sourceId = res.body.id;
    const list = await t.client.get(`/api/plugins/app-store/apps?q=${appId}`);
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: appId, version: '1.0.0', tipi_version: 1, source: sourceId }),
    ]);
    const detail = await t.client.get(`/api/plugins/app-store/apps/${sourceId}/${appId}`);
    expect(detail.body.descriptionHtml).toContain('<strong>1.0.0</strong>');
    expect(detail.body.descriptionHtml).not.toContain('<script>');
    expect(detail.body.descriptionHtml).toContain('&lt;script&gt;');
  });

  it('refuses bad form values with a 400 naming the field', async () => {
    const res = await t.client.post('/api/plugins/app-store/install', {
      source: sourceId,
      app: appId,
      values: { GREETING: 'x' },
      port: appPort,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('body.values.GREETING');
    expect(res.body.error.message).toContain('at least 2 characters');
    const bad = await t.client.post('/api/plugins/app-store/install', {
      source: sourceId,
      app: appId,
      values: {},
      port: 'x',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('body.port');
  });

  it('installs with a domain: the app answers through Caddy', async () => {
    const { runId, id } = await install();
    expect(id).toBe(appId);
    await finished(runId);
    const page = await until(
      () => viaCaddy(httpPort, domain),
      (r) => r.status === 200,
    );
    expect(page.body).toContain('version 1.0.0 says hello');
    const env = join(t.dataDir, 'plugins', 'app-store', 'app-data', appId, 'app.env');
    expect(statSync(env).mode & 0o777).toBe(0o600);
    const envText = readFileSync(env, 'utf8');
    expect(envText).toContain('GREETING=hello');
    expect(envText).toMatch(/^E2E_SECRET=[0-9a-f]{16}$/m);
    expect(envText).toContain(`APP_PORT=${appPort}`);
    const installed = await t.client.get(`/api/plugins/app-store/installed/${appId}`);
    expect(installed.body).toMatchObject({
      status: 'running',
      state: 'running',
      domain,
      publish: 'loopback',
      update: null,
      values: { GREETING: 'hello' },
      secrets: ['E2E_SECRET'],
    });
    // The generated secret is never sent back, in the list either.
    expect(installed.body.values).not.toHaveProperty('E2E_SECRET');
    const secret = /^E2E_SECRET=(.*)$/m.exec(envText)?.[1] ?? '';
    expect(JSON.stringify((await t.client.get('/api/plugins/app-store/installed')).body)).not.toContain(
      secret,
    );
    const sites = await t.client.get('/api/sites');
    const items = sites.body.sites;
    expect(items.filter((s: { domains: string[] }) => s.domains.includes(domain))).toHaveLength(1);
    const logs = await t.client.get(`/api/plugins/app-store/installed/${appId}/logs?tail=50`);
    expect(logs.status).toBe(200);
    expect(typeof logs.body.text).toBe('string');
  });

  it('updates to the newer version from the store, with a backup first', async () => {
    writeStoreApp(repo, { ...v1, version: '2.0.0', tipi: 2 });
    commit(repo, 'v2');
    const sync = await t.client.post(`/api/plugins/app-store/sources/${sourceId}/sync`);
    expect(sync.body).toMatchObject({ lastSyncOk: true, apps: 1 });
    const before = await t.client.get(`/api/plugins/app-store/installed/${appId}`);
    expect(before.body.update).toEqual({ version: '2.0.0', tipiVersion: 2 });
    const res = await t.client.post(`/api/plugins/app-store/installed/${appId}/update`, {});
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await finished(res.body.runId);
    const page = await until(
      () => viaCaddy(httpPort, domain),
      (r) => r.body.includes('version 2.0.0'),
    );
    expect(page.body).toContain('version 2.0.0 says hello');
    const after = await t.client.get(`/api/plugins/app-store/installed/${appId}`);
    expect(after.body).toMatchObject({ version: '2.0.0', tipiVersion: 2, update: null, status: 'running' });
    expect(after.body.backups).toHaveLength(1);
    const backup = join(t.dataDir, 'plugins', 'app-store', 'backups', appId, after.body.backups[0].name);
    expect(statSync(backup).size).toBeGreaterThan(0);
    expect(after.body.backups[0].name).toMatch(new RegExp(`^${appId}-1\\.0\\.0-1-.*\\.tar\\.gz$`));
    // The data dir survived the update: both versions wrote to it.
    const history = readFileSync(
      join(t.dataDir, 'plugins', 'app-store', 'app-data', appId, 'data', 'history'),
      'utf8',
    );
    expect(history).toContain('1.0.0');
    expect(history).toContain('2.0.0');
  });

  it('downloads a backup listed for the app; any other name is 404, never a file outside', async () => {
    const view = await t.client.get(`/api/plugins/app-store/installed/${appId}`);
    const name = view.body.backups[0].name as string;
    const base = `/api/plugins/app-store/installed/${appId}/backups`;
    const res = await fetch(`${t.url}${base}/${encodeURIComponent(name)}`, {
      headers: { authorization: `Bearer ${t.client.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${name}"`);
    const bytes = Buffer.from(await res.arrayBuffer());
    const onDisk = readFileSync(join(t.dataDir, 'plugins', 'app-store', 'backups', appId, name));
    expect(bytes.equals(onDisk)).toBe(true);
    expect(bytes.subarray(0, 2).toString('hex')).toBe('1f8b');
    // Hostile names: traversal (raw and encoded), absolute paths, files that exist but are not backups.
    const token = t.client.token;
    for (const path of [
      `${base}/..%2Fx`,
      `${base}/..%2F..%2Fapp-data%2F${appId}%2Fapp.env`,
      `${base}/%2e%2e%2f%2e%2e%2fapp-data%2f${appId}%2fapp.env`,
      `${base}/..%5C..%5Capp.env`,
      `${base}/%2Fetc%2Fpasswd`,
      `${base}/${encodeURIComponent(`${name}/../${name}`)}`,
      `${base}/${encodeURIComponent(`${name}.partial`)}`,
      `${base}/../../app-data/${appId}/app.env`,
      `${base}/..`,
      `/api/plugins/app-store/installed/nope/backups/${encodeURIComponent(name)}`,
      `/api/plugins/app-store/installed/..%2F${appId}/backups/${encodeURIComponent(name)}`,
    ]) {
      const r = await rawGet(path, token);
      expect([400, 404], `${path} → ${r.status}`).toContain(r.status);
      expect(r.body.includes(Buffer.from('GREETING=')), path).toBe(false);
      expect(r.body.subarray(0, 2).toString('hex'), path).not.toBe('1f8b');
    }
    const missing = await t.client.get(`${base}/..%2Fx`);
    expect(missing.body.error).toMatchObject({ code: 'WEBCASA_APP_STORE_NOT_FOUND', field: 'params.name' });
    // Backups hold app.env: viewers may not download them.
    const viewer = await t.clientAs('viewer');
    expect((await viewer.get(`${base}/${encodeURIComponent(name)}`)).status).toBe(403);
  });

  it('changes settings: env and compose re-rendered and redeployed', async () => {
    const envPath = join(t.dataDir, 'plugins', 'app-store', 'app-data', appId, 'app.env');
    const secretBefore = /^E2E_SECRET=(.*)$/m.exec(readFileSync(envPath, 'utf8'))?.[1];
    expect(secretBefore).toMatch(/^[0-9a-f]{16}$/);
    // A secret sent empty keeps its value (the settings dialog never sees it).
    const res = await t.client.put(`/api/plugins/app-store/installed/${appId}/settings`, {
      values: { GREETING: 'changed', E2E_SECRET: '' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await finished(res.body.runId);
    const page = await until(
      () => viaCaddy(httpPort, domain),
      (r) => r.body.includes('says changed'),
    );
    expect(page.body).toContain('version 2.0.0 says changed');
    const env = readFileSync(join(t.dataDir, 'plugins', 'app-store', 'app-data', appId, 'app.env'), 'utf8');
    expect(env).toContain('GREETING=changed');
    expect(env).toContain(`E2E_SECRET=${secretBefore}`);
    const bad = await t.client.put(`/api/plugins/app-store/installed/${appId}/settings`, {
      values: { GREETING: '' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('body.values.GREETING');
  });

  it('rolls back to the previous compose file when an update fails', async () => {
    // v3 mounts a volume at a relative path: the deploy fails.
    {
      writeStoreApp(repo, { ...v1, version: '3.0.0', tipi: 3, broken: true });
      commit(repo, 'v3');
      await t.client.post(`/api/plugins/app-store/sources/${sourceId}/sync`);
      const res = await t.client.post(`/api/plugins/app-store/installed/${appId}/update`, {});
      expect(res.status).toBe(202);
      const info = await t.panel.runs.wait(res.body.runId);
      expect(info.status).toBe('failed');
      expect(info.error).toMatch(/rolled back/);
      const page = await until(
        () => viaCaddy(httpPort, domain),
        (r) => r.status === 200,
      );
      expect(page.body).toContain('version 2.0.0 says changed');
      const after = await t.client.get(`/api/plugins/app-store/installed/${appId}`);
      expect(after.body).toMatchObject({
        version: '2.0.0',
        tipiVersion: 2,
        status: 'running',
        update: { version: '3.0.0', tipiVersion: 3 },
      });
      expect(after.body.lastError).toMatch(/update to 3.0.0 failed/);
      expect(after.body.backups).toHaveLength(2);
    }
    // The store fixes it in a later version (installed by the keep-data test below).
    writeStoreApp(repo, { ...v1, version: '4.0.0', tipi: 4 });
    commit(repo, 'v4');
    expect((await t.client.post(`/api/plugins/app-store/sources/${sourceId}/sync`)).body.lastSyncOk).toBe(
      true,
    );
  });

  it('uninstalls with the data: no containers, no site, no data', async () => {
    const res = await t.client.delete(`/api/plugins/app-store/installed/${appId}?deleteData=true`);
    expect(res.status).toBe(202);
    await finished(res.body.runId);
    expect(await stackContainers()).toEqual([]);
    const sites = await t.client.get('/api/sites');
    const items = sites.body.sites;
    expect(items.filter((s: { domains: string[] }) => s.domains.includes(domain))).toEqual([]);
    // With no site left Caddy may not listen on HTTP at all: refused or 404, never the app.
    const after = await viaCaddy(httpPort, domain).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(after).not.toBe(200);
    expect(existsSync(join(t.dataDir, 'plugins', 'app-store', 'app-data', appId))).toBe(false);
    expect((await t.client.get('/api/plugins/app-store/installed')).body.items).toEqual([]);
  });

  it('uninstalls keeping the data', async () => {
    const { runId } = await install({ domain: null });
    await finished(runId);
    const direct = await until(
      () =>
        fetch(`http://127.0.0.1:${appPort}/`).then(async (r) => ({ status: r.status, body: await r.text() })),
      (r) => r.status === 200,
    );
    expect(direct.body).toContain('version 4.0.0 says hello');
    const res = await t.client.delete(`/api/plugins/app-store/installed/${appId}`);
    await finished(res.body.runId);
    expect(await stackContainers()).toEqual([]);
    const dataDir = join(t.dataDir, 'plugins', 'app-store', 'app-data', appId);
    expect(existsSync(join(dataDir, 'app.env'))).toBe(true);
    expect(readFileSync(join(dataDir, 'data', 'history'), 'utf8')).toContain('4.0.0');
  });
});
