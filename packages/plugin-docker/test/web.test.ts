import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineRequest, ensureBusyboxImage, removeContainersByPrefix } from '@webcasa/docker-testkit';
import { launchChromium, signIn } from '@webcasa/e2e/browser';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { buildShell } from '@webcasa/web/build';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerPlugin } from '../src/server.js';
import {
  BUSYBOX_IMAGE,
  finished,
  freePort,
  manifest,
  poll,
  removeVolumesAndNetworksByPrefix,
} from './helpers.js';

// The shell built with this plugin's web entry, then Debian's chromium against a real panel
// and the real engine.
const P = `wcwt${process.pid}`;
const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'docker-shell-'));
const shots = join(root, 'test-results', 'screenshots');

let t: TestPanel;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await ensureBusyboxImage();
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
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(shots, { recursive: true });
  // plugin-testing's administrator
  await signIn(page, t.url, 'admin', 'test-password-123');
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (t) {
    const del = await t.client.delete(`/api/plugins/docker/stacks/${P}-listed?removeVolumes=1`);
    if (del.status === 202) await t.panel.runs.wait(del.body.runId);
  }
  await removeContainersByPrefix(P);
  await removeVolumesAndNetworksByPrefix(P);
  await engineRequest('DELETE', `/images/${encodeURIComponent(`${P}/tagged:v1`)}`).catch(() => undefined);
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

const MiB = 1024 * 1024;

interface Inspect {
  State: { Running: boolean };
  Config: { Env: string[]; Cmd: string[] };
  HostConfig: {
    Memory: number;
    NanoCpus: number;
    RestartPolicy: { Name: string };
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    Mounts?: { Type: string; Source: string; Target: string; ReadOnly?: boolean }[];
  };
}

async function inspectContainer(name: string): Promise<{ status: number; info?: Inspect }> {
  const res = await engineRequest('GET', `/containers/${name}/json`);
  return { status: res.status, info: res.status === 200 ? (JSON.parse(res.body) as Inspect) : undefined };
}

/** Opens a plugin page in advanced mode (the switch is remembered, but do not rely on test order). */
async function openAdvanced(path: string, table: string) {
  await page.goto(`${t.url}/p/docker${path}`);
  const advanced = page.getByRole('button', { name: 'Advanced mode' });
  const list = page.getByRole('table', { name: table });
  await advanced.or(list).first().waitFor({ timeout: 15_000 });
  if (await advanced.isVisible()) await advanced.click();
  await list.waitFor({ timeout: 15_000 });
}

describe('Containers page: create dialog', () => {
  it('creates a running container with a memory limit; a server 400 shows next to its field', async () => {
    const name = `${P}-created`;
    const hostPort = await freePort();
    await openAdvanced('/containers', 'Containers');
    await page.getByRole('button', { name: 'Create container' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create container' });
    await dialog.getByLabel(/^Image/).fill(BUSYBOX_IMAGE);
    await dialog.getByLabel('Name', { exact: true }).fill(name);
    await dialog.getByLabel('Command').fill(`sh -c "sleep 3600"`);
    await dialog.getByLabel(/^Environment/).fill('GREETING=hello world\nMODE=test');
    await dialog.getByLabel(/^Ports/).fill(`127.0.0.1:${hostPort}:80`);
    await dialog.getByLabel(/^Volumes/).fill(`${P}-data:/data`);
    await dialog.getByLabel('Restart policy').selectOption('unless-stopped');
    await dialog.getByLabel('CPUs').fill('0.5');
    // 1 MiB is below the engine's minimum: the server answers 400 naming body.limits.memory.
    const memory = dialog.getByLabel('Memory limit (MiB)');
    await memory.fill('1');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.getByText(/6 MiB/).waitFor({ timeout: 10_000 });
    expect(await memory.getAttribute('aria-invalid')).toBe('true');
    expect(await memory.getAttribute('aria-describedby')).toBeTruthy();
    expect((await inspectContainer(name)).status).toBe(404);
    await page.screenshot({ path: join(shots, 'create-container-error.png'), fullPage: true });

    await memory.fill('64');
    expect(await memory.getAttribute('aria-invalid')).toBeNull();
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByTestId(`container-${name}`).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId(`container-${name}`).textContent()).toContain('running');

    const { status, info } = await inspectContainer(name);
    expect(status).toBe(200);
    expect(info?.State.Running).toBe(true);
    expect(info?.HostConfig.Memory).toBe(64 * MiB);
    expect(info?.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info?.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
    expect(info?.HostConfig.PortBindings['80/tcp']).toEqual([
      { HostIp: '127.0.0.1', HostPort: String(hostPort) },
    ]);
    expect(info?.HostConfig.Mounts).toEqual([
      expect.objectContaining({ Type: 'volume', Source: `${P}-data`, Target: '/data' }),
    ]);
    expect(info?.Config.Cmd).toEqual(['sh', '-c', 'sleep 3600']);
    expect(info?.Config.Env).toEqual(expect.arrayContaining(['GREETING=hello world', 'MODE=test']));
  });

  it('shows malformed lines next to their field without sending anything', async () => {
    await openAdvanced('/containers', 'Containers');
    await page.getByRole('button', { name: 'Create container' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create container' });
    await dialog.getByLabel(/^Image/).fill(BUSYBOX_IMAGE);
    await dialog.getByLabel('Name', { exact: true }).fill(`${P}-malformed`);
    await dialog.getByLabel(/^Ports/).fill('8080:80\nweb');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog
      .getByText('Line 2: expected host port:container port', { exact: false })
      .waitFor({ timeout: 5_000 });
    expect(await dialog.getByLabel(/^Ports/).getAttribute('aria-invalid')).toBe('true');
    expect((await inspectContainer(`${P}-malformed`)).status).toBe(404);
    // An image that is not on this machine: the engine's 404 goes next to the image field.
    await dialog.getByLabel(/^Ports/).fill('');
    const image = dialog.getByLabel(/^Image/);
    await image.fill(`${P}/missing:1`);
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await dialog.getByText(/no such image/i).waitFor({ timeout: 10_000 });
    expect(await image.getAttribute('aria-invalid')).toBe('true');
    expect((await inspectContainer(`${P}-malformed`)).status).toBe(404);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 5_000 });
  });

  it('shows the safety findings and creates only after the risks are accepted', async () => {
    const name = `${P}-risky`;
    await openAdvanced('/containers', 'Containers');
    await page.getByRole('button', { name: 'Create container' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create container' });
    await dialog.getByLabel(/^Image/).fill(BUSYBOX_IMAGE);
    await dialog.getByLabel('Name', { exact: true }).fill(name);
    await dialog.getByLabel('Command').fill('sleep 3600');
    await dialog.getByLabel(/^Volumes/).fill('/var/run/docker.sock:/var/run/docker.sock:ro');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const warnings = page.getByTestId('safety-warnings');
    await warnings.waitFor({ timeout: 10_000 });
    const text = await warnings.textContent();
    expect(text).toContain('body.volumes[0]');
    expect(text).toContain('Docker socket');
    await page.screenshot({ path: join(shots, 'create-container-review.png'), fullPage: true });
    const anyway = page.getByRole('button', { name: 'Create anyway' });
    expect(await anyway.isDisabled()).toBe(true);
    expect((await inspectContainer(name)).status).toBe(404);
    await page.getByRole('alertdialog').getByLabel('I understand these risks').check();
    await anyway.click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    const { status, info } = await inspectContainer(name);
    expect(status).toBe(200);
    expect(info?.State.Running).toBe(true);
  });
});

describe('Containers page: exec terminal', () => {
  it('runs a command typed into the terminal of a running container', async () => {
    const name = `${P}-shell`;
    const res = await t.client.post('/api/plugins/docker/containers', {
      image: BUSYBOX_IMAGE,
      name,
      cmd: ['sleep', '3600'],
      start: true,
    });
    expect(res.status).toBe(201);
    await openAdvanced('/containers', 'Containers');
    const row = page.getByTestId(`container-${name}`);
    await row.waitFor({ timeout: 15_000 });
    await row.getByRole('button', { name: 'Terminal' }).click();
    const terminal = page.getByTestId('exec-terminal');
    await terminal.waitFor({ timeout: 10_000 });
    const rowsText = async () =>
      (await terminal.locator('.xterm-rows > div').allTextContents()).map((l) =>
        l.replace(/\u00a0/g, ' ').trimEnd(),
      );
    // The shell's prompt first: the session is open.
    expect((await poll(rowsText, (r) => r.some((l) => l.includes('#')), 15_000)).join('\n')).toContain('#');
    await terminal.click();
    await page.keyboard.type('echo hi');
    await page.keyboard.press('Enter');
    const lines = await poll(rowsText, (r) => r.some((l) => l.trim() === 'hi'), 15_000);
    expect(lines.map((l) => l.trim())).toContain('hi');
    expect(lines.join('\n')).toContain('echo hi');
    await page.screenshot({ path: join(shots, 'exec-terminal.png'), fullPage: true });
    await page.keyboard.press('Escape');
  });
});

describe('Images page: tag dialog', () => {
  it('tags an image through the dialog; a bad repository is shown inline', async () => {
    await openAdvanced('/images', 'Images');
    const row = page.getByRole('row').filter({ hasText: BUSYBOX_IMAGE });
    await row.first().waitFor({ timeout: 15_000 });
    await row.first().getByRole('button', { name: 'Tag' }).click();
    const dialog = page.getByRole('dialog', { name: /^Tag / });
    await dialog.waitFor({ timeout: 5_000 });
    const repo = dialog.getByLabel('Repository');
    // Upper case is not a repository name: the server's 400 shows under the field.
    await repo.fill(`${P}/Tagged`);
    await dialog.getByLabel('Tag', { exact: true }).fill('v1');
    await dialog.getByRole('button', { name: 'Tag', exact: true }).click();
    await dialog.getByText('lower-case repository name').waitFor({ timeout: 10_000 });
    expect(await repo.getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: join(shots, 'tag-image-error.png'), fullPage: true });

    await repo.fill(`${P}/tagged`);
    await dialog.getByRole('button', { name: 'Tag', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    await page.getByRole('cell', { name: new RegExp(`${P}/tagged:v1`) }).waitFor({ timeout: 10_000 });
    const res = await engineRequest('GET', `/images/${encodeURIComponent(`${P}/tagged:v1`)}/json`);
    expect(res.status).toBe(200);
  });
});
