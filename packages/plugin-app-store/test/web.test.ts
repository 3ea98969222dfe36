import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { buildShell } from '@webcasa/web/build';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dockerManifest from '../../plugin-docker/manifest.json' with { type: 'json' };
import { FIXTURE_STORE } from './fixtures.js';

// The shell built with this plugin's web entry, Debian's chromium, and a real panel whose
// store is the Runtipi fixture folder.
const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'app-store-shell-'));
const shots = join(root, 'test-results', 'screenshots');
const CHROMIUM = process.env.WEBCASA_CHROMIUM ?? '/usr/bin/chromium';

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
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
    headless: true,
    timeout: 30_000,
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(shots, { recursive: true });
  await page.goto(`${t.url}/login`);
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('test-password-123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main menu' }).waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  rmSync(outDir, { recursive: true, force: true });
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
