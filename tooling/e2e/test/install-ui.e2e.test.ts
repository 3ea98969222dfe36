import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scaffold } from 'create-webcasa-plugin';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pluginTables } from '../../../packages/core/src/plugins/installer/index.js';
import {
  e2eDir,
  launchChromium,
  linkBuiltSdk,
  screenshotsDir,
  setupAdmin,
  signIn,
  startTestPanel,
  type TestPanel,
  until,
} from '../src/harness.js';
import { publish, type Registry, startRegistry } from '../src/verdaccio.js';

// The Plugins page's install flow in chromium, against the panel's own installer routes:
// point the panel at a verdaccio on 127.0.0.1 in the registry form, search for a plugin
// scaffolded and published here, read the permissions dialog, install, see its menu entry
// appear live and open its page, then uninstall it from the page. Screenshots of each step
// go to test-results/screenshots/install-ui-*.png.

const run = promisify(execFile);
const shell = inject('shell');
const bin = (name: string) => join(e2eDir, 'node_modules', '.bin', name);
// Inside tooling/e2e, so the scaffold's imports resolve to the workspace's packages.
const scratch = join(e2eDir, '.scaffold-tmp');
let work: string;
let registry: Registry;
let panel: TestPanel;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function shot(name: string) {
  await page.screenshot({ path: join(screenshotsDir, `install-ui-${name}.png`), fullPage: true });
}

const menuLink = (label: string) =>
  page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: label, exact: true });

beforeAll(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, '.gitignore'), '*\n');
  work = mkdtempSync(join(scratch, 'install-ui-'));
  [registry, panel, browser] = await Promise.all([
    startRegistry(),
    startTestPanel(shell.outDir, { plugins: [] }),
    launchChromium(),
  ]);
  await setupAdmin(panel);
  linkBuiltSdk(panel.dataDir, work);

  // A third-party plugin asking for one permission, scaffolded, built and published.
  const pluginDir = join(work, 'webcasa-plugin-memo');
  scaffold({ dir: pluginDir, description: 'Short memos, installed from the Plugins page' });
  for (const file of ['package.json', 'manifest.json']) {
    const path = join(pluginDir, file);
    const json = JSON.parse(readFileSync(path, 'utf8'));
    json.version = '1.0.0';
    if (file === 'manifest.json') json.permissions = ['network'];
    writeFileSync(path, JSON.stringify(json, null, 2));
  }
  await run(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: pluginDir, timeout: 60_000 });
  await run(bin('vite'), ['build', '--logLevel', 'error'], { cwd: pluginDir, timeout: 60_000 });
  await publish(registry, pluginDir);

  page = await (
    await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' })
  ).newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await signIn(page, panel.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await panel?.stop();
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('installing a plugin from the Plugins page', () => {
  it('points the panel at the registry with the registry form (token masked)', async () => {
    await page.goto(`${panel.url}/admin/plugins`);
    await page.getByRole('heading', { name: 'Browse and install' }).waitFor();
    await page.getByText('Registry', { exact: true }).click();
    const form = page.getByTestId('registry-form');
    await form.getByLabel('Registry URL').fill(registry.url);
    await form.getByLabel('Access token').fill('not-a-real-token');
    expect(await form.getByLabel('Access token').getAttribute('type')).toBe('password');
    await form.getByRole('button', { name: 'Save registry' }).click();
    await form.getByText(`Using ${registry.url}`).waitFor();
    await form.getByText('A token is stored (encrypted)').waitFor();
    // Verdaccio accepts anonymous reads; the token is not needed for this one.
    await form.getByRole('button', { name: 'Remove the token' }).click();
    await form.getByText('No token: only public packages.').waitFor();
    await shot('registry');
  });

  it('searches the registry and shows the plugin as a card', async () => {
    await page.getByLabel('Search the registry').fill('memo');
    await page.getByRole('button', { name: 'Search' }).click();
    const card = page.getByTestId('search-result-webcasa-plugin-memo');
    await card.waitFor();
    expect(await card.textContent()).toContain('Short memos, installed from the Plugins page');
    expect(await card.textContent()).toContain('1.0.0');
    await shot('search');
  });

  it('lists the permission in the dialog and installs only after it is accepted', async () => {
    await page.getByRole('button', { name: 'Install webcasa-plugin-memo' }).click();
    const dialog = page.getByRole('dialog', { name: 'Install Memo 1.0.0?' });
    await dialog.waitFor();
    const permissions = dialog.getByTestId('install-permissions');
    expect(await permissions.locator('[data-permission]').allTextContents()).toEqual(['network']);
    expect(await dialog.textContent()).toContain('^1.0.0'); // the engine range
    const confirm = dialog.getByRole('button', { name: 'Install', exact: true });
    expect(await confirm.isDisabled()).toBe(true);
    await shot('permissions');
    await dialog.getByLabel('I accept these permissions').check();
    expect(await confirm.isDisabled()).toBe(false);
    await confirm.click();
    const outcome = page.getByTestId('operation-outcome');
    await outcome.waitFor({ timeout: 45_000 }).catch(async (error) => {
      await shot('install-failure');
      throw error;
    });
    expect(await outcome.getAttribute('data-outcome'), (await outcome.textContent()) ?? '').toBe('success');
    await page.getByTestId('plugin-operation').getByText('is running').first().waitFor();
    await shot('installed');
  });

  it('shows its menu entry without a reload and opens its page', async () => {
    await menuLink('Memo').waitFor();
    // The card now says it is installed.
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('search-result-webcasa-plugin-memo').getByText('Installed 1.0.0').waitFor();
    await menuLink('Memo').click();
    await page.getByTestId('memo-title').waitFor();
    expect(page.url()).toBe(`${panel.url}/p/memo`);
    await shot('page');
  });

  it('uninstalls it from the Plugins page: menu entry, tables and package gone', async () => {
    await page.goto(`${panel.url}/admin/plugins`);
    await page.getByRole('button', { name: 'Uninstall Memo' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Uninstall Memo?' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Keep its data folder and settings').isChecked()).toBe(false);
    await shot('uninstall-dialog');
    await dialog.getByRole('button', { name: 'Uninstall', exact: true }).click();
    const outcome = page.getByTestId('operation-outcome');
    await outcome.waitFor({ timeout: 30_000 });
    expect(await outcome.textContent()).toBe('Memo uninstalled');
    await until(async () => (await menuLink('Memo').count()) === 0, 'the menu entry to go');
    expect(await page.getByRole('button', { name: 'Uninstall Memo' }).count()).toBe(0);
    expect(pluginTables(panel.panel.db.shared.db, 'memo')).toEqual([]);
    expect(existsSync(join(panel.dataDir, 'plugins', 'node_modules', 'webcasa-plugin-memo'))).toBe(false);
    expect(existsSync(join(panel.dataDir, 'plugins', 'memo'))).toBe(false);
    await shot('uninstalled');
    expect(pageErrors).toEqual([]);
  });
});
