import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, signIn } from '@webcasa/e2e/browser';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { buildShell } from '@webcasa/web/build';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import manifest from '../manifest.json' with { type: 'json' };
import { createFakeSource, createMonitorPlugin, type MonitorHandle } from '../src/server.js';

// The shell built with this plugin's web entry, as a distribution does, then Debian's
// chromium (never a downloaded browser) against a real panel fed by the fake source.
const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'monitor-shell-'));
const shots = join(root, 'test-results', 'screenshots');

let shell: Awaited<ReturnType<typeof buildShell>>;
let t: TestPanel;
let browser: Browser;
let page: Page;
let handle!: MonitorHandle;
let clock = Date.now() - 30 * 60_000;
const fake = createFakeSource({ cpu: 30 });

beforeAll(async () => {
  shell = await buildShell({ outDir, pluginDirs: [root], resolveFrom: root, logLevel: 'silent' });
  const plugin = createMonitorPlugin({ source: fake, now: () => clock, onReady: (h) => (handle = h) });
  t = await startTestPanel({ plugins: [{ manifest, plugin }], panel: { webRoot: outDir } });
  // Half an hour of history, one sample a minute.
  for (let m = 0; m < 30; m++) {
    clock += 60_000;
    fake.cpu = 20 + (m % 10) * 5;
    await handle.collect();
  }
  await handle.flush();
  clock = Date.now();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(shots, { recursive: true });
  // plugin-testing's administrator
  await signIn(page, t.url, 'admin', 'test-password-123');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
  rmSync(outDir, { recursive: true, force: true });
});

describe('web entry', () => {
  it('is bundled into the shell with uPlot only in a lazy chunk', () => {
    expect(JSON.stringify(shell.bundledPlugins)).toContain('monitor');
    const assets = join(outDir, 'assets');
    // uPlot sets the "uplot" CSS class on its root: only the chart chunk holds the string.
    const withUplot = readdirSync(assets).filter(
      (f) => f.endsWith('.js') && readFileSync(join(assets, f), 'utf8').includes('uplot'),
    );
    expect(withUplot).toHaveLength(1);
    expect(withUplot[0]).toMatch(/^chart-/);
    for (const file of shell.initial.js)
      expect(readFileSync(join(outDir, file), 'utf8')).not.toContain('uplot');
  });

  it('shows the dashboard card and the menu entry', async () => {
    await page.goto(`${t.url}/`);
    await page.getByTestId('monitor-card').waitFor({ timeout: 15_000 });
    expect(
      await page
        .getByTestId('monitor-card')
        .getByRole('meter', { name: 'CPU' })
        .getAttribute('aria-valuenow'),
    ).toBe(String(fake.cpu));
    await page
      .getByRole('navigation', { name: 'Main menu' })
      .getByRole('link', { name: 'Monitor' })
      .waitFor();
    await page.screenshot({ path: join(shots, 'dashboard.png') });
  });

  it('shows the live overview, fed by the WebSocket', async () => {
    await page.goto(`${t.url}/p/monitor`);
    await page.getByRole('heading', { name: 'Monitor' }).waitFor();
    await page.getByRole('meter', { name: 'Core 1' }).waitFor({ timeout: 15_000 });
    await page.getByText('eth0').waitFor();
    await page.getByText('live', { exact: false }).first().waitFor();
    // The live loop runs while the page is open…
    await expect.poll(() => handle.live().running, { timeout: 5000 }).toBe(true);
    fake.cpu = 77;
    await expect
      .poll(() => page.getByRole('meter', { name: 'Total' }).getAttribute('aria-valuenow'), { timeout: 5000 })
      .toBe('77');
    await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });
    // …and stops when the user leaves it.
    await page.goto(`${t.url}/p/monitor/rules`);
    await expect.poll(() => handle.live().running, { timeout: 5000 }).toBe(false);
  });

  it('draws the history chart with uPlot and switches ranges', async () => {
    await page.goto(`${t.url}/p/monitor/history`);
    await page.locator('.uplot canvas').first().waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: '24h' }).click();
    await expect
      .poll(() => page.getByRole('button', { name: '24h' }).getAttribute('aria-pressed'))
      .toBe('true');
    await page.locator('.uplot canvas').first().waitFor();
    await page.screenshot({ path: join(shots, 'history.png'), fullPage: true });
  });

  it('shows the lowest and highest values as a band on the 30 d chart', async () => {
    await page.goto(`${t.url}/p/monitor/history`);
    await page.locator('.uplot canvas').first().waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('history-chart').getAttribute('data-series')).toBe('1');
    await page.getByRole('button', { name: '30d' }).click();
    await expect
      .poll(() => page.getByTestId('history-chart').getAttribute('data-series'), { timeout: 5000 })
      .toBe('3');
    await page.getByText('highest', { exact: true }).first().waitFor();
  });

  it('adds an alert rule from the rules page', async () => {
    await page.goto(`${t.url}/p/monitor/rules`);
    await page.getByLabel('Name').fill('Browser rule');
    await page.getByLabel('Threshold').fill('150');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('cell', { name: 'Browser rule' }).waitFor();
    const rules = await t.client.get('/api/plugins/monitor/rules');
    expect(rules.body.items).toEqual([
      expect.objectContaining({ name: 'Browser rule', threshold: 150, metric: 'cpu.total' }),
    ]);
    await page.screenshot({ path: join(shots, 'rules.png'), fullPage: true });
  });

  it('shows its pages and the card in Chinese when the language is switched', async () => {
    await page.goto(`${t.url}/p/monitor`);
    await page.getByRole('heading', { name: 'Monitor' }).waitFor();
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('heading', { name: '监控' }).waitFor();
    await page.getByRole('meter', { name: '总计' }).waitFor({ timeout: 15_000 });
    await page.getByRole('columnheader', { name: '网卡' }).waitFor();
    await page.getByRole('link', { name: '告警规则' }).first().click();
    await page.getByRole('heading', { name: '告警规则' }).waitFor();
    await page.getByRole('button', { name: '添加规则' }).waitFor();
    await page
      .getByText('正常', { exact: true })
      .or(page.getByText('已停用', { exact: true }))
      .first()
      .waitFor();
    await page.goto(`${t.url}/`);
    await page.getByTestId('monitor-card').getByRole('meter', { name: '内存' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('monitor-card').getByRole('link', { name: '详情' }).waitFor();
    await page.screenshot({ path: join(shots, 'dashboard-zh-CN.png') });
    // Back to English for whoever runs next in this browser profile.
    await page.getByLabel('语言').selectOption('en');
  });
});
