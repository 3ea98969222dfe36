import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  callApi,
  launchChromium,
  screenshotsDir,
  setupAdmin,
  signIn,
  startTestPanel,
  type TestPanel,
  until,
} from '../src/harness.js';

// The operator pages in one browser tab against one real panel: a plugin's own page
// (overview, settings with profiles and TOML, actions as runs, logs, metrics), the
// message bell, and the Runs pages. The fixture plugin `hello` has the actions, logs
// and notifications (fixtures/hello/server.js).

const shell = inject('shell');
let panel: TestPanel;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token: string;
const pageErrors: string[] = [];
const cspViolations: string[] = [];

async function shot(name: string, options: { toasts?: boolean } = {}) {
  // From the top, so the sticky top bar is where it belongs in a full-page picture; toasts
  // hidden unless they are the point, so they do not cover the page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({
    path: join(screenshotsDir, `${name}.png`),
    fullPage: true,
    style: options.toasts ? undefined : '.wc-toasts { display: none !important; }',
  });
}
const api = <T>(method: string, path: string, body?: unknown) => callApi<T>(panel, token, method, path, body);
const nav = (label: string) =>
  page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: label, exact: true });
const tab = (name: string) => page.getByRole('tab', { name, exact: true });
const toast = (text: string) => page.locator('.wc-toasts').getByText(text).first();

beforeAll(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  panel = await startTestPanel(shell.outDir, { plugins: ['hello', 'stats'], logLevel: 'info' });
  token = await setupAdmin(panel);
  browser = await launchChromium();
  context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    acceptDownloads: true,
  });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await signIn(page, panel.url);
});

afterAll(async () => {
  await browser?.close();
  await panel?.stop();
});

describe('operator pages in chromium', () => {
  it('opens a plugin’s page from the Plugins table: facts, dependents, timings; tabs by keyboard', async () => {
    await nav('Plugins').click();
    await page.getByTestId('plugin-link-hello').click();
    await page.waitForURL('**/admin/plugins/hello');
    await page.getByRole('heading', { name: 'Hello', level: 1 }).waitFor();
    expect(await page.getByTestId('plugin-status').textContent()).toBe('Running');
    expect(await tab('Overview').getAttribute('aria-selected')).toBe('true');
    expect(await page.getByTestId('plugin-dependents').textContent()).toContain('stats');
    const facts = page.getByRole('tabpanel');
    await facts.getByText('Setup time').waitFor();
    expect(await facts.textContent()).toMatch(/Setup time\d+(\.\d)? ms/);
    expect(await facts.textContent()).toContain('The panel’s process');
    await shot('20-plugin-overview');
    // The ARIA tabs pattern: arrows move and select, the URL follows.
    await tab('Overview').focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL('**/admin/plugins/hello/config');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Settings');
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL('**/admin/plugins/hello/overview');
  });

  it('changes settings, creates and activates a profile, exports TOML and imports a changed copy', async () => {
    await tab('Settings').click();
    const form = page.getByRole('form', { name: 'Settings' });
    await form.getByLabel('Who to greet').fill('operators');
    await form.getByRole('button', { name: 'Save' }).click();
    await toast('Settings of Hello saved').waitFor();

    // A profile copied from the current settings, then made active.
    await page.getByLabel('New profile').fill('staging');
    await page.getByRole('button', { name: 'Create profile' }).click();
    await page.locator('[data-action="activate-staging"]').click();
    await toast('Profile staging is active').waitFor();
    await expect.poll(() => page.getByTestId('active-profile').textContent()).toContain('profile staging');

    // Export, change a value, import: a bad value first is refused inline, naming the field.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('toml-export').click(),
    ]);
    expect(download.suggestedFilename()).toBe('hello.toml');
    const exported = readFileSync((await download.path())!, 'utf8');
    expect(exported).toContain('name = "operators"');
    expect(exported).toContain('greeting = "Hello"');
    const box = page.getByLabel('Or paste TOML');
    await box.fill(exported.replace('greeting = "Hello"', 'greeting = "x"'));
    await page.getByRole('button', { name: 'Import TOML' }).click();
    await expect
      .poll(() => page.locator('[data-field="toml"] .wc-error').textContent())
      .toMatch(/^greeting: must NOT have fewer than 2 characters/);
    expect(await box.getAttribute('aria-invalid')).toBe('true');
    await box.fill(exported.replace('greeting = "Hello"', 'greeting = "Howdy"'));
    await page.getByRole('button', { name: 'Import TOML' }).click();
    await toast('Settings of Hello imported').waitFor();
    await expect
      .poll(() => api<{ text: string }>('GET', '/api/plugins/hello/greeting').then((g) => g.text))
      .toBe('Howdy, operators!');
    await shot('21-plugin-config');

    // Back to the default profile: its values come back; then the other one can go.
    await page.locator('[data-action="activate-default"]').click();
    await toast('Profile default is active').waitFor();
    await expect
      .poll(() => api<{ text: string }>('GET', '/api/plugins/hello/greeting').then((g) => g.text))
      .toBe('Hello, operators!');
    await page.locator('[data-action="delete-staging"]').click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.locator('[data-action="activate-staging"]').waitFor({ state: 'detached' });
    expect(await api<{ profiles: unknown[] }>('GET', '/api/admin/plugins/hello/profiles')).toEqual({
      profiles: [{ name: 'default', active: true }],
    });
  });

  it('runs an action from its form: progress and live log reach succeeded, with its files; cancels a slow one', async () => {
    await tab('Actions').click();
    const greet = page.locator('section[data-action-name="greet"]');
    await greet.getByLabel('Who').fill('world');
    await greet.getByLabel('Files (optional)').setInputFiles({
      name: 'note.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('hello'),
    });
    await greet.getByRole('button', { name: 'Run', exact: true }).click();
    const run = greet.getByTestId('action-run-greet');
    await expect
      .poll(() => run.locator('.wc-run').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('succeeded');
    expect(await run.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    const log = await run.getByRole('log').textContent();
    expect(log).toContain('Hello, world! (3 of 3)');
    expect(log).toContain('received note.txt (5 bytes) as files');
    await run.getByTestId('run-artifacts').getByRole('link', { name: 'greeting.txt' }).waitFor();
    expect(await run.getByTestId('run-artifacts').getByRole('link').allTextContents()).toEqual([
      'greeting.txt',
      'result.json',
    ]);

    // A mutating action asks first (novice mode); then it is cancelled while it runs.
    const count = page.locator('section[data-action-name="count"]');
    await count.getByRole('button', { name: 'Run', exact: true }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Run “Count slowly”?' });
    await dialog.getByRole('button', { name: 'Run' }).click();
    const slow = count.getByTestId('action-run-count');
    await expect
      .poll(() => slow.getByRole('log').textContent(), { timeout: 10_000 })
      .toContain('counted to 5');
    expect(await slow.locator('.wc-run').getAttribute('data-status')).toBe('running');
    await shot('22-plugin-actions');
    await slow.getByRole('button', { name: 'Cancel run' }).click();
    await expect.poll(() => slow.locator('.wc-run').getAttribute('data-status')).toBe('cancelled');
    expect(await slow.textContent()).toContain('cancelled by admin');
  });

  it('counts a message on the bell, marks it read; high ones also raise a toast', async () => {
    const bell = page.getByTestId('messages-bell');
    expect(await bell.getAttribute('aria-label')).toBe('Messages');
    await api('POST', '/api/plugins/hello/notify', {
      title: 'Backup finished',
      body: '3 files saved',
      priority: 'normal',
      link: '/admin/plugins/hello',
    });
    await expect.poll(() => page.getByTestId('messages-unread').textContent()).toBe('1');
    expect(await bell.getAttribute('aria-label')).toBe('Messages, 1 unread');
    // A normal message does not interrupt.
    expect(await page.locator('.wc-toasts').getByText('Backup finished').count()).toBe(0);

    await bell.click();
    const panelRegion = page.getByRole('region', { name: 'Messages' });
    const item = panelRegion.locator('li.message').filter({ hasText: 'Backup finished' });
    await item.waitFor();
    expect(await item.getAttribute('data-priority')).toBe('normal');
    expect(await item.textContent()).toContain('3 files saved');
    expect(await item.getByRole('link', { name: 'Open' }).getAttribute('href')).toBe('/admin/plugins/hello');
    await shot('23-messages');
    await item.getByRole('button', { name: 'Mark “Backup finished” read' }).click();
    await page.getByTestId('messages-unread').waitFor({ state: 'detached' });
    // Escape closes the panel and gives focus back to the bell.
    await page.keyboard.press('Escape');
    await panelRegion.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe(
      'messages-bell',
    );

    await api('POST', '/api/plugins/hello/notify', { title: 'Disk almost full', priority: 'high' });
    await toast('Disk almost full').waitFor();
    await expect.poll(() => page.getByTestId('messages-unread').textContent()).toBe('1');
    await bell.click();
    await panelRegion.getByRole('button', { name: 'Mark all read' }).click();
    await page.getByTestId('messages-unread').waitFor({ state: 'detached' });
    await panelRegion.getByRole('button', { name: 'Dismiss “Backup finished”' }).click();
    await panelRegion
      .locator('li.message')
      .filter({ hasText: 'Backup finished' })
      .waitFor({ state: 'detached' });
    const left = await api<{ items: { title: string; readAt: number | null }[]; unread: number }>(
      'GET',
      '/api/messages',
    );
    expect(left.unread).toBe(0);
    expect(left.items.map((m) => m.title)).toEqual(['Disk almost full']);
    await page.keyboard.press('Escape');
  });

  it('searches the plugin’s log with filters, shows a bad pattern inline, and follows it live', async () => {
    await api('POST', '/api/plugins/hello/log', { msg: 'e2e marker one', level: 'warn' });
    await tab('Logs').click();
    const viewer = page.getByRole('log', { name: 'Log of Hello' });
    await page.getByLabel('Text').fill('marker one');
    // The log is written asynchronously: search until the line is there.
    await until(async () => {
      await page.getByRole('button', { name: 'Search' }).click();
      return (await viewer.textContent())?.includes('[warn] e2e marker one  marker=e2e');
    }, 'the logged line');
    // The action logged through ctx.logger too.
    await page.getByLabel('Text').fill('greeted someone');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => viewer.textContent()).toContain('who=world');
    // A minimum level above the line's finds nothing.
    await page.getByLabel('Minimum level').selectOption('error');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => viewer.textContent()).toContain('No log lines yet');
    // A pattern that is not a regular expression is refused on its field.
    await page.getByLabel('Minimum level').selectOption('');
    await page.getByLabel('Regular expression').check();
    await page.getByLabel('Text').fill('(');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(() => page.locator('[data-field="q"] .wc-error').textContent())
      .toMatch(/regular expression/i);
    await page.getByLabel('Regular expression').uncheck();
    await page.getByLabel('Text').fill('e2e');
    await page.getByRole('button', { name: 'Search' }).click();

    // Live: the last matching lines, then new ones as they are written.
    await page.getByLabel('Live tail').check();
    await expect.poll(() => page.getByTestId('live-state').textContent()).toBe('Following new lines');
    await api('POST', '/api/plugins/hello/log', { msg: 'e2e live line', level: 'info' });
    await expect.poll(() => viewer.textContent(), { timeout: 10_000 }).toContain('e2e live line');
    const file = page.getByTestId('log-files').getByRole('link', { name: 'hello.log' });
    expect(await file.getAttribute('href')).toBe('/api/admin/plugins/hello/logs/download?file=hello.log');
    await shot('24-plugin-logs');
    await page.getByLabel('Live tail').uncheck();
  });

  it('shows the plugin’s metrics: non-zero requests and charts of the history', async () => {
    // Half an hour of per-minute samples, as the sampler would have written them, ending
    // before the minutes this panel's own sampler may be writing now.
    const minute = 60_000;
    const end = Math.floor(Date.now() / minute) * minute - 3 * minute;
    const rows = Array.from({ length: 30 }, (_, i) => ({
      plugin: 'hello',
      time: end - (29 - i) * minute,
      requests: 5 + ((i * 7) % 11),
      errors: i % 9 === 0 ? 1 : 0,
      client_errors: 0,
      latency_p50: 1 + (i % 4) * 0.5,
      latency_p90: 3 + (i % 5),
      latency_p99: 8 + (i % 6),
      events_emitted: i % 3,
      events_handled: i % 2,
      handler_errors: 0,
      runs_started: i % 10 === 0 ? 1 : 0,
      runs_failed: 0,
    }));
    const db = panel.panel.db.core;
    await db.deleteFrom('metric_samples').where('plugin', '=', 'hello').where('time', '<=', end).execute();
    await db.insertInto('metric_samples').values(rows).execute();

    await tab('Metrics').click();
    const requests = page.locator('.stat[data-metric="requests"] dd');
    await requests.waitFor();
    expect(Number((await requests.textContent())!.replace(/\D/g, ''))).toBeGreaterThan(0);
    expect(await page.locator('.stat[data-metric="runsStarted"] dd').textContent()).toBe('2');
    expect(await page.locator('.stat[data-metric="p90"] dd').textContent()).toMatch(/ ms$/);
    const chart = page.getByRole('img', { name: /^Requests: latest \d+, highest \d+$/ });
    await chart.waitFor();
    const highest = Number(/highest (\d+)/.exec((await chart.getAttribute('aria-label'))!)![1]);
    expect(highest).toBeGreaterThanOrEqual(15);
    expect(await chart.locator('path.wc-chart-line').getAttribute('d')).toMatch(
      /^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){10,}/,
    );
    expect(await page.getByTestId('metric-charts').locator('svg').count()).toBe(6);
    await shot('25-plugin-metrics');
  });

  it('lists runs, filters them by status, and opens a finished run with its stored log and files', async () => {
    await nav('Runs').click();
    await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
    const rows = page.locator('tr[data-key]');
    await rows.filter({ hasText: 'Greet someone' }).waitFor();
    expect(await rows.filter({ hasText: 'Count slowly' }).locator('[data-status]').textContent()).toBe(
      'Cancelled',
    );
    await page.getByLabel('Status').selectOption('cancelled');
    await page.waitForURL(/status=cancelled/);
    await expect.poll(() => rows.allTextContents()).toEqual([expect.stringContaining('Count slowly')]);
    await shot('26-runs');
    await page.getByLabel('Status').selectOption('');
    await rows.filter({ hasText: 'Greet someone' }).click();
    await page.waitForURL(/\/runs\/run_/);
    await page.getByRole('heading', { name: 'Greet someone', level: 1 }).waitFor();
    await expect.poll(() => page.getByRole('log').textContent()).toContain('Hello, world! (3 of 3)');
    await page.getByTestId('run-artifacts').getByRole('link', { name: 'greeting.txt' }).waitFor();
    const logHref = await page.getByRole('link', { name: 'Download log', exact: true }).getAttribute('href');
    const text = await page.evaluate(async (href) => (await fetch(href!)).text(), logHref);
    expect(text).toContain('Hello, world! (1 of 3)');
    const greeting = await page.evaluate(async () => {
      const a = document.querySelector<HTMLAnchorElement>('[data-testid="run-artifacts"] a')!;
      return (await fetch(a.href)).text();
    });
    expect(greeting).toBe('Hello, world!\n');
    await shot('27-run-detail');
    // The operator pages speak Chinese too (their strings load with the signed-in layout).
    await page.getByLabel('Language', { exact: true }).selectOption('zh-CN');
    await page.getByRole('link', { name: '任务', exact: true }).first().waitFor();
    expect(await page.getByRole('button', { name: '下载日志', exact: true }).count()).toBe(0);
    expect(await page.getByRole('link', { name: '下载日志', exact: true }).count()).toBe(1);
    await shot('28-run-detail-zh');
    await page.getByLabel('语言', { exact: true }).selectOption('en');
  });

  it('follows a running run live on its page, and cancels it there', async () => {
    const { id } = await api<{ id: string }>('POST', '/api/runs', {
      plugin: 'hello',
      action: 'count',
      input: { steps: 600 },
    });
    await page.goto(`${panel.url}/runs/${id}`);
    const run = page.locator('.wc-run');
    await expect.poll(() => run.getAttribute('data-status')).toBe('running');
    await expect
      .poll(() => page.getByRole('log').textContent(), { timeout: 10_000 })
      .toContain('counted to 5');
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await expect.poll(() => run.getAttribute('data-status')).toBe('cancelled');
    expect((await api<{ status: string }>('GET', `/api/runs/${id}`)).status).toBe('cancelled');
  });

  it('ran without uncaught page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
