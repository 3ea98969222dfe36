import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  engineRequest,
  ensureBusyboxImage,
  ensureDocker,
  removeContainersByPrefix,
  removeNetworksByPrefix,
} from '@webcasa/docker-testkit';
import { launchChromium, signIn } from '@webcasa/e2e/browser';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { buildShell } from '@webcasa/web/build';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dockerManifest from '../../plugin-docker/manifest.json' with { type: 'json' };
import { FIXTURE_STORE } from './fixtures.js';
import { freePort, until, writeStoreApp } from './helpers.js';

// The shell built with this plugin's web entry, Debian's chromium, and a real panel whose
// store is the Runtipi fixture folder.
const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'app-store-shell-'));
const shots = join(root, 'test-results', 'screenshots');
// The installed app of the settings test: busybox httpd serving its GREETING.
const suffix = Math.random().toString(36).slice(2, 8);
const appId = `wcweb${suffix}`;
const image = `webcasa-appstore-web/web:${suffix}`;
const stack = `app-store-${appId}`;
const appStore = mkdtempSync(join(tmpdir(), 'app-store-web-store-'));

let t: TestPanel;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await buildShell({ outDir, pluginDirs: [root], resolveFrom: root, logLevel: 'silent' });
  t = await startTestPanel({
    plugins: [
      {
        manifest: dockerManifest,
        plugin: () => import('@webcasa/plugin-docker/server').then((m) => m.default),
      },
    ],
    pluginDirs: [root],
    panel: { webRoot: outDir },
  });
  const added = await t.client.post('/api/plugins/app-store/sources', {
    kind: 'local',
    location: FIXTURE_STORE,
    name: 'Fixture',
  });
  if (added.status !== 201) throw new Error(JSON.stringify(added.body));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(shots, { recursive: true });
  // plugin-testing's administrator
  await signIn(page, t.url, 'admin', 'test-password-123');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await removeContainersByPrefix(stack);
  await removeNetworksByPrefix(stack);
  await engineRequest('DELETE', `/images/${encodeURIComponent(image)}?noprune=1`).catch(() => undefined);
  rmSync(outDir, { recursive: true, force: true });
  rmSync(appStore, { recursive: true, force: true });
});

describe('store browser', () => {
  it('lists the fixture apps with logos, and search filters them', async () => {
    await page.goto(`${t.url}/p/app-store`);
    await page.getByRole('heading', { name: 'App Store' }).waitFor();
    const cards = page.getByTestId('app-card');
    await expect.poll(() => cards.count(), { timeout: 15_000 }).toBe(7);
    await page.getByText('Nextcloud').first().waitFor();
    // Logos load through the logo route (the browser decoded them: naturalWidth > 0).
    await expect
      .poll(
        () =>
          page
            .locator('[data-testid="app-card"] img')
            .evaluateAll(
              (imgs) =>
                imgs.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0).length,
            ),
        { timeout: 15_000 },
      )
      .toBe(7);
    await page.screenshot({ path: join(shots, 'store.png'), fullPage: true });
    await page.getByLabel('Search apps').fill('password');
    await expect.poll(() => cards.count()).toBe(1);
    expect(await cards.first().textContent()).toContain('VaultWarden');
    await page.getByLabel('Search apps').fill('');
    await page.getByRole('button', { name: /^development/ }).click();
    await expect.poll(() => cards.count()).toBe(2);
  });

  it('opens an app, renders its install form from form_fields and shows validation errors', async () => {
    await page.goto(`${t.url}/p/app-store/app/1/nextcloud`);
    await page.getByRole('heading', { name: 'Nextcloud', exact: true }).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('app-version').textContent()).toContain('33-apache (tipi 35)');
    await page.getByRole('button', { name: 'Install', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username *').waitFor();
    expect(await dialog.getByLabel('Password *').getAttribute('type')).toBe('password');
    await dialog.getByLabel(/^Domain/).waitFor();
    await dialog.getByLabel('Username *').fill('ab');
    await dialog.getByRole('button', { name: 'Review' }).click();
    await dialog.getByText('Username: must be at least 3 characters').waitFor();
    await dialog.getByText('Password: is required').waitFor();
    expect(await dialog.getByLabel('Username *').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: join(shots, 'install-dialog.png'), fullPage: true });
  });
});

describe('app stores page', () => {
  it('shows the automatic sync interval, following the setting', async () => {
    await page.goto(`${t.url}/p/app-store/sources`);
    const next = page.getByTestId('next-sync');
    await next.waitFor({ timeout: 15_000 });
    expect(await next.textContent()).toContain('every 24 h');
    await t.client.put('/api/admin/plugins/app-store/config', { syncIntervalHours: 6 });
    await page.reload();
    await expect.poll(() => next.textContent(), { timeout: 15_000 }).toContain('every 6 h');
    await t.client.put('/api/admin/plugins/app-store/config', { syncIntervalHours: null });
  });
});

describe('installed app settings', () => {
  let appPort: number;
  const envPath = () => join(t.dataDir, 'plugins', 'app-store', 'app-data', appId, 'app.env');
  const envValue = (key: string) =>
    new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(envPath(), 'utf8'))?.[1] ?? null;

  beforeAll(async () => {
    // A local store with the busybox app, installed through the API (the install form has its own test).
    await ensureDocker();
    await ensureBusyboxImage('webcasa-test/busybox:1', image);
    writeStoreApp(appStore, { id: appId, image, version: '1.0.0', tipi: 1 });
    const added = await t.client.post('/api/plugins/app-store/sources', {
      kind: 'local',
      location: appStore,
    });
    if (added.status !== 201) throw new Error(JSON.stringify(added.body));
    appPort = await freePort();
    const body = { source: added.body.id, app: appId, values: { GREETING: 'hello' }, port: appPort };
    const review = await t.client.post(`/api/plugins/app-store/apps/${added.body.id}/${appId}/review`, body);
    const res = await t.client.post('/api/plugins/app-store/install', {
      ...body,
      acceptRisks: (review.body.findings as { rule: string }[]).map((f) => f.rule),
    });
    if (res.status !== 202) throw new Error(JSON.stringify(res.body));
    const info = await t.panel.runs.wait(res.body.runId);
    if (info.status !== 'succeeded') throw new Error(`install ${info.status}: ${info.error}`);
  }, 180_000);

  it('changes a setting through the dialog: the running app gets the new value, the secret stays', async () => {
    const secret = envValue('E2E_SECRET');
    expect(secret).toMatch(/^[0-9a-f]{16}$/);
    await page.goto(`${t.url}/p/app-store/installed`);
    const row = page.getByRole('row').filter({ hasText: `E2E ${appId}` });
    await row.waitFor({ timeout: 15_000 });
    await row.getByRole('button', { name: 'Settings' }).click();
    const dialog = page.getByRole('dialog', { name: `Settings of E2E ${appId}` });
    // Pre-filled with the current values; the secret is not in the page, left empty means unchanged.
    const greeting = dialog.getByLabel('Greeting *');
    await greeting.waitFor({ timeout: 15_000 });
    expect(await greeting.inputValue()).toBe('hello');
    const secretInput = dialog.getByLabel('Secret');
    expect(await secretInput.inputValue()).toBe('');
    expect(await secretInput.getAttribute('type')).toBe('password');
    expect(await secretInput.getAttribute('placeholder')).toMatch(/Unchanged/);
    expect(await page.content()).not.toContain(secret);
    expect(await dialog.getByLabel('Port').inputValue()).toBe(String(appPort));
    expect(await dialog.getByLabel(/^Domain/).inputValue()).toBe('');
    // A bad value is named next to its field and nothing is sent.
    await greeting.fill('x');
    await dialog.getByRole('button', { name: 'Save and redeploy' }).click();
    await dialog.getByText('Greeting: must be at least 2 characters').waitFor();
    expect(await greeting.getAttribute('aria-invalid')).toBe('true');
    // A good one: the run is followed in the dialog until it succeeded.
    await greeting.fill('from-the-browser');
    await dialog.getByRole('button', { name: 'Save and redeploy' }).click();
    await dialog.locator('.wc-run[data-status="succeeded"]').waitFor({ timeout: 90_000 });
    await page.screenshot({ path: join(shots, 'settings-dialog.png'), fullPage: true });
    expect(envValue('GREETING')).toBe('from-the-browser');
    expect(envValue('E2E_SECRET')).toBe(secret);
    // The running container has the new value, and serves it.
    const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${stack}`] }));
    const list = JSON.parse((await engineRequest('GET', `/containers/json?filters=${filters}`)).body) as {
      Id: string;
    }[];
    expect(list).toHaveLength(1);
    const inspect = JSON.parse((await engineRequest('GET', `/containers/${list[0]?.Id}/json`)).body) as {
      Config: { Env: string[] };
    };
    expect(inspect.Config.Env).toContain('GREETING=from-the-browser');
    const served = await until(
      () =>
        fetch(`http://127.0.0.1:${appPort}/`).then(async (r) => ({ status: r.status, text: await r.text() })),
      (r) => r.status === 200,
    );
    expect(served.text).toContain('says from-the-browser');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it("shows the app's backups in its details with time and size, and downloads one", async () => {
    // A backup as an update leaves it (updates have their own end-to-end test).
    const dir = join(t.dataDir, 'plugins', 'app-store', 'backups', appId);
    mkdirSync(dir, { recursive: true });
    const name = `${appId}-1.0.0-1-2026-01-02T03-04-05-678Z.tar.gz`;
    const bytes = Buffer.alloc(3 * 1024 + 512, 7);
    writeFileSync(join(dir, name), bytes);
    await page.goto(`${t.url}/p/app-store/installed`);
    const row = page.getByRole('row').filter({ hasText: `E2E ${appId}` });
    await row.getByRole('button', { name: 'Details' }).click();
    const details = page.getByRole('region', { name: `Details of E2E ${appId}` });
    const backups = details.getByRole('table', { name: `Backups of E2E ${appId}` });
    await backups.waitFor({ timeout: 15_000 });
    const line = backups.getByRole('row').filter({ hasText: name });
    expect(await line.textContent()).toContain('3.5 KB');
    expect(await line.getByRole('cell').nth(1).textContent()).toMatch(/\d/);
    const link = line.getByRole('link', { name: 'Download' });
    const href = (await link.getAttribute('href')) ?? '';
    // The link works with the browser's session.
    const got = await page.evaluate(async (url) => {
      const r = await fetch(url);
      return {
        status: r.status,
        size: (await r.arrayBuffer()).byteLength,
        type: r.headers.get('content-type'),
      };
    }, href);
    expect(got).toEqual({ status: 200, size: bytes.length, type: 'application/gzip' });
    await page.screenshot({ path: join(shots, 'installed-details.png'), fullPage: true });
  });
});
