import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, signIn } from '@webcasa/e2e/browser';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { buildShell } from '@webcasa/web/build';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import manifest from '../manifest.json' with { type: 'json' };
import plugin from '../src/server.js';

// The shell built with this plugin's web entry, as a distribution does, then Debian's chromium
// (never a downloaded browser) against a real panel: permissions dialog, search, roots.
// Editing, drag-and-drop upload and the terminal are covered in tooling/e2e/test/files.test.ts.
const pkg = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'files-shell-'));
const shots = join(pkg, 'test-results', 'screenshots');
const base = realpathSync(mkdtempSync(join(tmpdir(), 'files-web-')));
const rootA = join(base, 'a');
const rootB = join(base, 'b');

let t: TestPanel;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(join(rootA, 'deep', 'inside'), { recursive: true });
  mkdirSync(rootB);
  await buildShell({ outDir, pluginDirs: [pkg], resolveFrom: pkg, logLevel: 'silent' });
  t = await startTestPanel({ plugins: [{ manifest, plugin }], panel: { webRoot: outDir } });
  const cfg = await t.client.put('/api/admin/plugins/files/config', { roots: [rootA, rootB] });
  expect(cfg.status).toBe(200);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  mkdirSync(shots, { recursive: true });
  // plugin-testing's administrator
  await signIn(page, t.url, 'admin', 'test-password-123');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  rmSync(outDir, { recursive: true, force: true });
  rmSync(base, { recursive: true, force: true });
});

const modeOnDisk = (p: string) => statSync(p).mode & 0o7777;

describe('file browser in chromium', () => {
  it('changes a file mode with the permissions dialog', async () => {
    writeFileSync(join(rootA, 'run.sh'), 'echo ok\n', { mode: 0o644 });
    expect(modeOnDisk(join(rootA, 'run.sh'))).toBe(0o644);
    await page.goto(`${t.url}/p/files/`);
    await page.getByTestId('file-perms-run.sh').click();
    const dialog = page.getByRole('dialog', { name: 'Permissions of run.sh' });
    await dialog.waitFor();
    expect(await dialog.getByTestId('perm-octal').inputValue()).toBe('0644');
    // Execute for everyone by the checkboxes; the octal field follows.
    for (const who of ['Owner', 'Group', 'Others']) await dialog.getByLabel(`${who} Execute`).check();
    expect(await dialog.getByTestId('perm-octal').inputValue()).toBe('0755');
    // Then take write away from the owner by typing the mode: the checkboxes follow.
    await dialog.getByTestId('perm-octal').fill('0555');
    expect(await dialog.getByLabel('Owner Write').isChecked()).toBe(false);
    await page.screenshot({ path: join(shots, 'files-permissions.png') });
    await dialog.getByTestId('perm-apply').click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => modeOnDisk(join(rootA, 'run.sh'))).toBe(0o555);
    await expect.poll(() => page.getByTestId('file-mode-run.sh').textContent()).toBe('0555');
  });

  it('refuses a bad octal mode in the dialog without calling the API', async () => {
    await page.goto(`${t.url}/p/files/`);
    await page.getByTestId('file-perms-run.sh').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('perm-octal').fill('0999');
    await dialog.getByTestId('perm-apply').click();
    await dialog.getByRole('alert').waitFor();
    expect(modeOnDisk(join(rootA, 'run.sh'))).toBe(0o555);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('creates a folder and renames it in dialogs, showing a refused name beside the field', async () => {
    writeFileSync(join(rootA, 'taken.txt'), 'x');
    await page.goto(`${t.url}/p/files/`);
    await page.getByRole('button', { name: 'New folder' }).click();
    let dialog = page.getByRole('dialog', { name: 'New folder' });
    await dialog.getByTestId('name-input').fill('reports');
    await dialog.getByTestId('name-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('file-row-reports').waitFor();
    expect(statSync(join(rootA, 'reports')).isDirectory()).toBe(true);

    await page.getByTestId('file-row-reports').getByRole('button', { name: 'Rename' }).click();
    dialog = page.getByRole('dialog', { name: 'Rename' });
    expect(await dialog.getByTestId('name-input').inputValue()).toBe('reports');
    // A name that exists is refused by the API: the error shows and the typed text stays.
    await dialog.getByTestId('name-input').fill('taken.txt');
    await dialog.getByTestId('name-submit').click();
    await dialog.getByTestId('name-error').waitFor();
    expect(await dialog.getByTestId('name-input').inputValue()).toBe('taken.txt');
    expect(statSync(join(rootA, 'reports')).isDirectory()).toBe(true);
    await dialog.getByTestId('name-input').fill('reports-2026');
    await dialog.getByTestId('name-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByTestId('file-row-reports-2026').waitFor();
    expect(statSync(join(rootA, 'reports-2026')).isDirectory()).toBe(true);
    expect(() => statSync(join(rootA, 'reports'))).toThrow();
  });

  it('finds a file by its content and opens it from the results', async () => {
    writeFileSync(join(rootA, 'deep', 'inside', 'needle.txt'), 'first line\nthe magic word is xyzzy\n');
    writeFileSync(join(rootA, 'deep', 'hay.txt'), 'nothing to see\n');
    await page.goto(`${t.url}/p/files/`);
    await page.getByTestId('files-search-open').click();
    await page.getByTestId('search-content').fill('xyzzy');
    await page.getByTestId('search-run').click();
    await expect.poll(() => page.getByTestId('search-summary').textContent()).toBe('1 results');
    await page.getByTestId('search-results').getByText('line 2').waitFor();
    await page.screenshot({ path: join(shots, 'files-search.png'), fullPage: true });
    await page.getByTestId('search-hit-deep/inside/needle.txt').click();
    const editor = page.locator('[data-testid=editor] .cm-content');
    await editor.waitFor();
    await expect.poll(() => editor.textContent()).toContain('the magic word is xyzzy');
    expect(await page.getByTestId('editor-title').textContent()).toBe('deep/inside/needle.txt');
  });

  it('finds by name and opens a folder hit', async () => {
    await page.goto(`${t.url}/p/files/`);
    await page.getByTestId('files-search-open').click();
    await page.getByTestId('search-name').fill('insi');
    await page.getByTestId('search-run').click();
    await page.getByTestId('search-hit-deep/inside').click();
    await page.getByTestId('file-row-needle.txt').waitFor();
  });

  it('switches between roots and edits the root list', async () => {
    writeFileSync(join(rootB, 'only-in-b.txt'), 'b');
    await page.goto(`${t.url}/p/files/`);
    const tabs = page.getByTestId('files-roots');
    await tabs.getByRole('tab', { name: rootB }).click();
    await page.getByTestId('file-row-only-in-b.txt').waitFor();
    expect(await tabs.getByRole('tab', { name: rootB }).getAttribute('aria-selected')).toBe('true');
    // A file opened from the second root is read from the second root.
    await page.getByTestId('file-open-only-in-b.txt').click();
    await expect.poll(() => page.locator('[data-testid=editor] .cm-content').textContent()).toBe('b');

    const rootC = join(base, 'c');
    mkdirSync(rootC);
    await page.goto(`${t.url}/p/files/`);
    await page.getByTestId('files-manage-roots').click();
    await page.getByTestId('root-input-1').waitFor();
    await page.getByTestId('root-add').click();
    await page.getByTestId('root-input-2').fill('relative/path');
    await page.getByTestId('roots-save').click();
    await page.getByRole('alert').getByText('absolute path').waitFor();
    await page.getByTestId('root-input-2').fill(rootC);
    await page.getByTestId('roots-save').click();
    await expect
      .poll(async () => (await t.client.get('/api/admin/plugins/files/config')).body.config.roots)
      .toEqual([rootA, rootB, rootC]);
    await page.screenshot({ path: join(shots, 'files-roots.png'), fullPage: true });
    await page.goto(`${t.url}/p/files/`);
    await page.getByTestId('files-roots').getByRole('tab', { name: rootC }).waitFor();
  });

  it('shows the browser in Chinese when the language is switched', async () => {
    await page.goto(`${t.url}/p/files/`);
    await page.getByTestId('files-table').waitFor();
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('heading', { name: '文件' }).waitFor();
    await page.getByTestId('file-perms-run.sh').getByText('权限').waitFor();
    await page.getByTestId('files-search-open').getByText('搜索').waitFor();
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { name: 'Files' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
