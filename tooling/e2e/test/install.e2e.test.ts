import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scaffold } from 'create-webcasa-plugin';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pluginTables } from '../../../packages/core/src/plugins/installer/index.js';
import {
  callApi,
  e2eDir,
  launchChromium,
  linkBuiltSdk,
  setupAdmin,
  signIn,
  startTestPanel,
  type TestPanel,
  until,
} from '../src/harness.js';
import { publish, type Registry, startRegistry } from '../src/verdaccio.js';

// The third-party path end to end: scaffold a plugin with create-webcasa-plugin, build
// it, publish it to a real verdaccio on 127.0.0.1, install it into a running panel through
// the installer API, use its route and its page in chromium, update, see a broken update
// roll back, and uninstall it leaving nothing behind.

const run = promisify(execFile);
const shell = inject('shell');
const bin = (name: string) => join(e2eDir, 'node_modules', '.bin', name);
// Inside tooling/e2e, so the scaffold's imports resolve to the workspace's packages.
const scratch = join(e2eDir, '.scaffold-tmp');
let work: string;
let pluginDir: string;
let registry: Registry;
let panel: TestPanel;
let token: string;
let browser: Browser;
let page: Page;
const timings: Record<string, number> = {};

const api = <T>(method: string, path: string, body?: unknown) => callApi<T>(panel, token, method, path, body);

async function waitRun(runId: string) {
  const info = await panel.panel.runs.wait(runId);
  return { status: info.status, error: info.error, log: await panel.panel.runs.exportLog(runId, 'text') };
}

/** Set the version in package.json and manifest.json (what a release script does). */
function setVersion(version: string) {
  for (const file of ['package.json', 'manifest.json']) {
    const path = join(pluginDir, file);
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), version }, null, 2));
  }
}

async function build() {
  await run(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: pluginDir, timeout: 60_000 });
  await run(bin('vite'), ['build', '--logLevel', 'error'], { cwd: pluginDir, timeout: 60_000 });
}

beforeAll(async () => {
  mkdirSync(scratch, { recursive: true });
  writeFileSync(join(scratch, '.gitignore'), '*\n');
  work = mkdtempSync(join(scratch, 'install-'));
  [registry, panel, browser] = await Promise.all([
    startRegistry(),
    startTestPanel(shell.outDir, { plugins: [] }),
    launchChromium(),
  ]);
  token = await setupAdmin(panel);
  // The panel's own installer, through its API: the registry is a setting like any admin sets.
  linkBuiltSdk(panel.dataDir, work);
  await api('PUT', '/api/admin/plugins/registry', { url: registry.url });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(10_000);
  await signIn(page, panel.url);
});

afterAll(async () => {
  await browser?.close();
  await panel?.stop();
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (timings.total) process.stdout.write(`scaffold → published → installed: ${JSON.stringify(timings)}\n`);
});

describe('a third-party plugin from scaffold to uninstall', () => {
  it('scaffolds, builds and publishes 1.0.0, installs it live and serves its route', async () => {
    const t0 = performance.now();
    pluginDir = join(work, 'webcasa-plugin-notes');
    scaffold({ dir: pluginDir });
    setVersion('1.0.0');
    timings.scaffoldMs = Math.round(performance.now() - t0);
    await build();
    timings.buildMs = Math.round(performance.now() - t0 - timings.scaffoldMs);
    await publish(registry, pluginDir);
    const t1 = performance.now();
    timings.publishMs = Math.round(t1 - t0 - timings.scaffoldMs - timings.buildMs);
    const found = await api<any>('GET', '/api/admin/plugins/search?q=notes');
    expect(found.results.map((r: { name: string }) => r.name)).toContain('webcasa-plugin-notes');
    const preview = await api<any>('POST', '/api/admin/plugins/install/preview', {
      spec: 'webcasa-plugin-notes@^1',
    });
    expect(preview).toMatchObject({ id: 'notes', version: '1.0.0', permissions: [], problems: [] });
    const { runId } = await api<any>('POST', '/api/admin/plugins/install', {
      spec: 'webcasa-plugin-notes@^1',
      acceptPermissions: preview.permissions,
    });
    const outcome = await waitRun(runId);
    expect(outcome.status, outcome.log).toBe('succeeded');
    timings.installMs = Math.round(performance.now() - t1);
    timings.total = Math.round(performance.now() - t0);

    expect(await api('POST', '/api/plugins/notes/items', { title: 'from the API' })).toMatchObject({ id: 1 });
    const list = await api<{ items: { title: string }[] }>('GET', '/api/plugins/notes/items');
    expect(list.items.map((i) => i.title)).toEqual(['from the API']);
  });

  it('opens its page in chromium, loaded at run time into the shell', async () => {
    await page.goto(`${panel.url}/p/notes`);
    await page.getByTestId('notes-title').waitFor();
    await until(
      async () => (await page.getByTestId('notes-items').textContent())?.includes('from the API'),
      'items',
    );
    await page.getByPlaceholder('New item').fill('from the page');
    await page.getByRole('button', { name: 'Add' }).click();
    await until(
      async () => (await page.getByTestId('notes-items').textContent())?.includes('from the page'),
      'new item',
    );
  });

  it('updates to 1.1.0, then rolls a 1.2.0 whose setup throws back to 1.1.0', async () => {
    setVersion('1.1.0');
    await build();
    await publish(registry, pluginDir);
    let outcome = await waitRun((await api<any>('POST', '/api/admin/plugins/notes/update', {})).runId);
    expect(outcome.status, outcome.log).toBe('succeeded');
    expect(panel.panel.manager.info('notes')?.version).toBe('1.1.0');

    setVersion('1.2.0');
    const server = join(pluginDir, 'src', 'server.ts');
    writeFileSync(
      server,
      readFileSync(server, 'utf8').replace(
        'async setup(ctx) {',
        "async setup(ctx) {\n    if (ctx.id) throw new Error('1.2.0 is broken');",
      ),
    );
    await build();
    await publish(registry, pluginDir);
    outcome = await waitRun((await api<any>('POST', '/api/admin/plugins/notes/update', {})).runId);
    expect(outcome.status).toBe('failed');
    expect(outcome.log).toMatch(/1\.2\.0 is broken/);
    expect(panel.panel.manager.info('notes')).toMatchObject({ status: 'running', version: '1.1.0' });
    const list = await api<{ items: { title: string }[] }>('GET', '/api/plugins/notes/items');
    expect(list.items).toHaveLength(2);
  });

  it('uninstalls, leaving no tables, files or routes', async () => {
    const outcome = await waitRun((await api<any>('DELETE', '/api/admin/plugins/notes')).runId);
    expect(outcome.status, outcome.log).toBe('succeeded');
    expect(pluginTables(panel.panel.db.shared.db, 'notes')).toEqual([]);
    expect(existsSync(join(panel.dataDir, 'plugins', 'notes'))).toBe(false);
    expect(existsSync(join(panel.dataDir, 'plugins', 'node_modules', 'webcasa-plugin-notes'))).toBe(false);
    const res = await fetch(`${panel.url}/api/plugins/notes/items`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(404);
    const plugins = await api<{ plugins: { id: string }[] }>('GET', '/api/plugins');
    expect(plugins.plugins.map((p) => p.id)).not.toContain('notes');
  });
});
