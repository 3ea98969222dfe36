import { rmSync } from 'node:fs';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dockerManifest from '../../plugin-docker/manifest.json' with { type: 'json' };
import manifest from '../manifest.json' with { type: 'json' };
import plugin from '../src/server.js';
import { FIXTURE_STORE, tempStore, writeJson } from './fixtures.js';

// The HTTP API on a real panel with plugin-docker (its real safety review), the fixture
// store as a local folder, and a broken copy of it.
let t: TestPanel;
let broken: string;
const base = '/api/plugins/app-store';

beforeAll(async () => {
  broken = tempStore(['whoami', 'gitea']);
  writeJson(`${broken}/apps/gitea/config.json`, '{ nope');
  t = await startTestPanel({
    plugins: [
      {
        manifest: dockerManifest,
        plugin: () => import('@webcasa/plugin-docker/server').then((m) => m.default),
      },
      { manifest, plugin },
    ],
  });
});

afterAll(async () => {
  await t?.stop();
  rmSync(broken, { recursive: true, force: true });
});

describe('sources', () => {
  it('adds the fixture folder and a broken one, reporting bad apps by id and field', async () => {
    const fixture = await t.client.post(`${base}/sources`, {
      kind: 'local',
      location: FIXTURE_STORE,
      name: 'Fixture',
    });
    expect(fixture.status).toBe(201);
    expect(fixture.body).toMatchObject({ id: 1, apps: 7, lastSyncOk: true, problems: [] });
    const bad = await t.client.post(`${base}/sources`, { kind: 'local', location: broken });
    expect(bad.body).toMatchObject({ apps: 1, lastSyncOk: true });
    expect(bad.body.problems).toEqual([
      expect.objectContaining({ app: 'gitea', file: 'config.json', field: '(file)' }),
    ]);
  });

  it('refuses bad sources with a 400 naming the field, and records failed git syncs', async () => {
    expect(
      (await t.client.post(`${base}/sources`, { kind: 'git', location: 'ext::sh -c id' })).body.error.field,
    ).toBe('body.location');
    expect(
      (await t.client.post(`${base}/sources`, { kind: 'local', location: 'relative/path' })).body.error.field,
    ).toBe('body.location');
    expect((await t.client.post(`${base}/sources`, { kind: 'svn', location: 'x' })).body.error.field).toBe(
      'body.kind',
    );
    expect((await t.client.post(`${base}/sources`, { kind: 'local', location: FIXTURE_STORE })).status).toBe(
      409,
    );
    const git = await t.client.post(`${base}/sources`, {
      kind: 'git',
      location: 'file:///nonexistent/store.git',
    });
    expect(git.status).toBe(201);
    expect(git.body).toMatchObject({ lastSyncOk: false, apps: 0 });
    expect(git.body.lastError).toMatch(/git clone failed/);
    expect((await t.client.delete(`${base}/sources/${git.body.id}`)).status).toBe(204);
  });
});

describe('browsing', () => {
  it('lists, filters by category and searches', async () => {
    const all = await t.client.get(`${base}/apps?source=1`);
    expect(all.body.items).toHaveLength(7);
    expect(all.body.categories).toEqual(expect.arrayContaining([{ id: 'development', count: 2 }]));
    const dev = await t.client.get(`${base}/apps?source=1&category=development`);
    expect(dev.body.items.map((a: { id: string }) => a.id).sort()).toEqual(['gitea', 'it-tools']);
    const q = await t.client.get(`${base}/apps?q=adblock`);
    expect(q.body.items.map((a: { id: string }) => a.id)).toEqual(['adguard']);
    expect((await t.client.get(`${base}/apps?source=x`)).body.error.field).toBe('query.source');
  });

  it('answers an app page with version, source, architectures and safe description HTML', async () => {
    const res = await t.client.get(`${base}/apps/1/adguard`);
    expect(res.body).toMatchObject({
      version: 'v0.107.79',
      tipi_version: 64,
      source_url: 'https://github.com/AdguardTeam',
      supported_architectures: ['arm64', 'amd64'],
      composeKind: 'yaml',
      hasLogo: true,
    });
    expect(res.body.descriptionHtml).toMatch(/<h\d>/);
    expect((await t.client.get(`${base}/apps/1/nope`)).status).toBe(404);
  });

  it('serves logos with the real content type and cache headers', async () => {
    const png = await fetch(`${t.url}${base}/apps/1/nextcloud/logo`, {
      headers: { authorization: `Bearer ${t.client.token}` },
    });
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('cache-control')).toBe('private, max-age=86400');
    expect(png.headers.get('x-content-type-options')).toBe('nosniff');
    const jpg = await fetch(`${t.url}${base}/apps/1/gitea/logo`, {
      headers: { authorization: `Bearer ${t.client.token}` },
    });
    expect(jpg.headers.get('content-type')).toBe('image/jpeg');
    const etag = jpg.headers.get('etag') ?? '';
    const again = await fetch(`${t.url}${base}/apps/1/gitea/logo`, {
      headers: { authorization: `Bearer ${t.client.token}`, 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect((await t.anonymous.get(`${base}/apps/1/gitea/logo`)).status).toBe(401);
  });
});

describe('install checks', () => {
  it('validates form values on the server: 400 naming the field', async () => {
    const res = await t.client.post(`${base}/install`, {
      source: 1,
      app: 'nextcloud',
      values: { NEXTCLOUD_ADMIN_USER: 'admin', NEXTCLOUD_ADMIN_PASSWORD: 'short' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'WEBCASA_BAD_REQUEST',
      field: 'body.values.NEXTCLOUD_ADMIN_PASSWORD',
    });
    const domain = await t.client.post(`${base}/install`, {
      source: 1,
      app: 'whoami',
      values: {},
      domain: 'not a domain',
      port: 1,
    });
    expect(domain.body.error.field).toBe('body.domain');
    expect((await t.client.post(`${base}/install`, { source: 1, app: 'nope', values: {} })).status).toBe(404);
  });

  it("shows the safety review's findings and refuses to install without accepting them", async () => {
    const review = await t.client.post(`${base}/apps/1/uptime-kuma/review`, { values: {} });
    expect(review.status).toBe(200);
    const rules = review.body.findings.map((f: { rule: string }) => f.rule);
    expect(rules).toContain('docker-socket');
    const res = await t.client.post(`${base}/install`, { source: 1, app: 'uptime-kuma', values: {} });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'WEBCASA_APP_STORE_RISKS', field: 'body.acceptRisks' });
    expect(res.body.error.details.findings.length).toBeGreaterThan(0);
    expect((await t.client.get(`${base}/installed`)).body.items).toEqual([]);
  });

  it('needs the apps.write scope', async () => {
    const viewer = await t.clientAs('viewer');
    expect((await viewer.post(`${base}/install`, { source: 1, app: 'whoami', values: {} })).status).toBe(403);
    expect((await viewer.get(`${base}/apps`)).status).toBe(200);
  });
});

describe('settings', () => {
  it('follows a changed sync interval without a restart', async () => {
    const before = await t.client.get(`${base}/sources`);
    expect(before.body.syncIntervalHours).toBe(24);
    expect(before.body.nextSyncAt).toBeGreaterThan(Date.now() + 23 * 3_600_000);
    const put = await t.client.put('/api/admin/plugins/app-store/config', { syncIntervalHours: 2 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const after = await t.client.get(`${base}/sources`);
    expect(after.body.syncIntervalHours).toBe(2);
    const now = Date.now();
    expect(after.body.nextSyncAt).toBeGreaterThan(now + 2 * 3_600_000 - 60_000);
    expect(after.body.nextSyncAt).toBeLessThanOrEqual(now + 2 * 3_600_000);
    // The longest setting (720 h) is accepted and planned, not turned into a runaway timer.
    await t.client.put('/api/admin/plugins/app-store/config', { syncIntervalHours: 720 });
    const longest = await t.client.get(`${base}/sources`);
    expect(longest.body.syncIntervalHours).toBe(720);
    // Without the hourly tick Node would fire such a timer every millisecond: no sync happens.
    await new Promise((r) => setTimeout(r, 300));
    expect(
      (await t.client.get(`${base}/sources`)).body.items.find((s: { id: number }) => s.id === 1).lastSyncAt,
    ).toBe(before.body.items.find((s: { id: number }) => s.id === 1).lastSyncAt);
    await t.client.put('/api/admin/plugins/app-store/config', { syncIntervalHours: null });
    expect((await t.client.get(`${base}/sources`)).body.syncIntervalHours).toBe(24);
  });
});
