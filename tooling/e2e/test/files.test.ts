import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildShell } from '@webcasa/web/build';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callApi,
  e2eDir,
  fixturesDir,
  freshDir,
  launchChromium,
  screenshotsDir,
  setupAdmin,
  signIn,
  startTestPanel,
  type TestPanel,
  until,
} from '../src/harness.js';

// The files plugin in a real shell and chromium: edit and save a file (with the ETag check),
// upload by drag and drop (chunked), and `echo hi` in the web terminal.

const pluginDir = join(e2eDir, '..', '..', 'packages', 'plugin-files');
let panel: TestPanel;
let browser: Browser;
let page: Page;
let root: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  const outDir = freshDir('web-files');
  const shell = await buildShell({ outDir, pluginDirs: [pluginDir], resolveFrom: e2eDir, logLevel: 'error' });
  expect(shell.bundledPlugins.map((p) => p.id)).toEqual(['files']);
  // The harness joins plugin folders to the fixtures folder; this one lives in packages/.
  panel = await startTestPanel(outDir, { plugins: [join('..', '..', '..', 'packages', 'plugin-files')] });
  expect(join(fixturesDir, '..', '..', '..', 'packages', 'plugin-files')).toBe(pluginDir);
  const token = await setupAdmin(panel);
  root = realpathSync(mkdtempSync(join(tmpdir(), 'webcasa-e2e-files-')));
  await callApi(panel, token, 'PUT', '/api/admin/plugins/files/config', {
    roots: [root],
    terminalShell: '/bin/sh',
  });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await signIn(page, panel.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await panel?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('files plugin in chromium', () => {
  it('edits a file in CodeMirror and saves it', async () => {
    writeFileSync(join(root, 'notes.md'), '# old title\n');
    await page.goto(`${panel.url}/p/files/`);
    await page.getByTestId('file-open-notes.md').click();
    const editor = page.locator('[data-testid=editor] .cm-content');
    await editor.waitFor();
    await until(async () => (await editor.textContent())?.includes('old title'), 'the file in the editor');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('# new title');
    await expect.poll(() => page.getByTestId('editor-state').textContent()).toBe('Unsaved changes');
    await page.getByTestId('editor-save').click();
    await expect.poll(() => page.getByTestId('editor-state').textContent()).toBe('Saved');
    await until(
      async () => readFileSync(join(root, 'notes.md'), 'utf8') === '# new title',
      'the saved file on disk',
    );
    // Someone else changes the file: the next save is refused (412) and says so.
    writeFileSync(join(root, 'notes.md'), 'changed elsewhere');
    await editor.click();
    await page.keyboard.type('!');
    await page.getByTestId('editor-save').click();
    await page.getByTestId('editor-conflict').waitFor();
    expect(readFileSync(join(root, 'notes.md'), 'utf8')).toBe('changed elsewhere');
    await page.screenshot({ path: join(screenshotsDir, 'files-editor.png'), fullPage: true });
  });

  it('uploads a file dropped on the browser page', async () => {
    await page.goto(`${panel.url}/p/files/`);
    await page.getByTestId('files-table').waitFor();
    const size = 2.5 * 1024 * 1024; // three chunks
    const dataTransfer = await page.evaluateHandle((n) => {
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = i % 251;
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.bin', { type: 'application/octet-stream' }));
      return dt;
    }, size);
    await page.dispatchEvent('[data-testid=files-dropzone]', 'dragover', { dataTransfer });
    await page.dispatchEvent('[data-testid=files-dropzone]', 'drop', { dataTransfer });
    await page.getByTestId('file-row-dropped.bin').waitFor();
    await expect.poll(() => page.getByTestId('files-uploads').textContent()).toContain('100%');
    const data = readFileSync(join(root, 'dropped.bin'));
    expect(data.length).toBe(size);
    expect(data.every((b, i) => b === i % 251)).toBe(true);
    await page.screenshot({ path: join(screenshotsDir, 'files-browser.png'), fullPage: true });
  });

  it('runs `echo hi` in the terminal and shows `hi`', async () => {
    await page.goto(`${panel.url}/p/files/terminal`);
    const term = page.locator('[data-testid=terminal] .xterm');
    await term.waitFor();
    await expect.poll(() => page.getByRole('tab').first().textContent()).toContain('connected');
    await term.click();
    await page.keyboard.type('echo hi\n');
    // A row that is exactly `hi`: the command's output, not the echoed command line.
    await until(async () => {
      const rows = await page.locator('[data-testid=terminal] .xterm-rows > div').allTextContents();
      return rows.some((r) => r.trim() === 'hi');
    }, 'the output `hi` in the terminal');
    await page.screenshot({ path: join(screenshotsDir, 'files-terminal.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
