import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeContainersByPrefix } from '@webcasa/docker-testkit';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { buildShell } from '@webcasa/web/build';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerPlugin } from '../src/server.js';
import { BUSYBOX_IMAGE, finished, manifest, removeVolumesAndNetworksByPrefix } from './helpers.js';

// The shell built with this plugin's web entry, then Debian's chromium against a real panel
// and the real engine.
const P = `wcwt${process.pid}`;
const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'docker-shell-'));
const shots = join(root, 'test-results', 'screenshots');
const CHROMIUM = process.env.WEBCASA_CHROMIUM ?? '/usr/bin/chromium';

let t: TestPanel;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await buildShell({ outDir, pluginDirs: [root], resolveFrom: root, logLevel: 'silent' });
  t = await startTestPanel({
    plugins: [{ manifest, plugin: createDockerPlugin() }],
    panel: { webRoot: outDir },
  });
  const res = await t.client.post('/api/plugins/docker/stacks', {
    name: `${P}-listed`,
    compose: `services:\n  app:\n    image: ${BUSYBOX_IMAGE}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n`,
  });
  expect((await finished(t, res.body.runId)).info.status).toBe('succeeded');
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
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (t) {
    const del = await t.client.delete(`/api/plugins/docker/stacks/${P}-listed?removeVolumes=1`);
    if (del.status === 202) await t.panel.runs.wait(del.body.runId);
  }
  await removeContainersByPrefix(P);
  await removeVolumesAndNetworksByPrefix(P);
  await t?.stop();
  rmSync(outDir, { recursive: true, force: true });
});

describe('Stacks page', () => {
  it('lists a stack with its state', async () => {
    await page.goto(`${t.url}/p/docker`);
    const row = page.getByTestId(`stack-${P}-listed`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('running');
    await page.screenshot({ path: join(shots, 'stacks.png'), fullPage: true });
  });

  it('shows the safety warnings before deploying a hostile stack, and deploys after confirmation', async () => {
    await page.goto(`${t.url}/p/docker`);
    await page.getByRole('button', { name: 'New stack' }).click();
    await page.getByLabel('Name').fill(`${P}-hostile`);
    await page
      .getByLabel('Compose file (YAML)')
      .fill(
        `services:\n  evil:\n    image: ${BUSYBOX_IMAGE}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n    pid: host\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n`,
      );
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const warnings = page.getByTestId('safety-warnings');
    await warnings.waitFor({ timeout: 10_000 });
    const text = await warnings.textContent();
    expect(text).toContain('services.evil.pid');
    expect(text).toContain('services.evil.volumes[0]');
    expect(text).toContain('Docker socket');
    await page.screenshot({ path: join(shots, 'safety-dialog.png'), fullPage: true });
    // Nothing is applied until the risks are accepted.
    const deployAnyway = page.getByRole('button', { name: 'Deploy anyway' });
    expect(await deployAnyway.isDisabled()).toBe(true);
    expect((await t.client.get(`/api/plugins/docker/stacks/${P}-hostile`)).status).toBe(404);
    await page.getByLabel('I understand these risks').check();
    await deployAnyway.click();
    await page.getByTestId(`stack-${P}-hostile`).waitFor({ timeout: 30_000 });
    const stack = await t.client.get(`/api/plugins/docker/stacks/${P}-hostile`);
    expect(stack.status).toBe(200);
    const del = await t.client.delete(`/api/plugins/docker/stacks/${P}-hostile?removeVolumes=1`);
    expect((await t.panel.runs.wait(del.body.runId)).status).toBe('succeeded');
  });

  it('shows the advanced pages only in advanced mode', async () => {
    await page.goto(`${t.url}/p/docker/containers`);
    await page.getByText('This page is part of advanced mode.').waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Advanced mode' }).click();
    await page.getByRole('table', { name: 'Containers' }).waitFor({ timeout: 10_000 });
    await page
      .getByRole('cell', { name: new RegExp(`${P}-listed`) })
      .first()
      .waitFor();
    await page.screenshot({ path: join(shots, 'containers.png'), fullPage: true });
  });
});
