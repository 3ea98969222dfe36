import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, screenshotsDir, startTestPanel, type TestPanel } from '../src/harness.js';

// The flow, in one browser tab against one real panel: first-run setup → the
// sidebar shows the installed plugins → a plugin page → disable it on the Plugins page
// and its menu entry goes without a reload → a page that throws shows the error
// boundary → sign out. Screenshots of each main page go to test-results/screenshots/.

let panel: TestPanel;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const shell = inject('shell');
const pageErrors: string[] = [];
const cspViolations: string[] = [];
const PASSWORD = 'a-long-password-1';

async function shot(name: string) {
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true });
}

/** Set a marker on window: it survives client-side navigation and vanishes on a reload. */
async function markPage() {
  await page.evaluate(() => {
    (window as unknown as { __noReload: number }).__noReload = 1;
  });
}
async function stillSamePage(): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __noReload?: number }).__noReload === 1);
}

function nav(label: string) {
  return page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: label, exact: true });
}

async function api<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(panel.url + path, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

beforeAll(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  panel = await startTestPanel(shell.outDir);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await panel?.stop();
});

describe('the web shell in chromium', () => {
  it('is served with the import map, a strict CSP and cache headers', async () => {
    expect(shell.bundledPlugins.map((p) => p.id).sort()).toEqual(['crashy', 'hello']);
    const index = await fetch(`${panel.url}/admin/plugins`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toContain('unsafe-eval');
    const html = await index.text();
    expect(html).toContain('<script type="importmap">');
    const asset = await fetch(panel.url + shell.importMap['solid-js']);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
  });

  it('runs first-run setup with the one-time token and lands on the dashboard', async () => {
    await page.goto(panel.url);
    await page.waitForURL('**/setup');
    await expect.poll(() => page.getByRole('heading', { name: 'Set up Web.Casa' }).isVisible()).toBe(true);
    // A wrong token is refused inline, with the field named.
    await page.getByLabel('Setup token').fill('WRONG-TOKEN');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.locator('.wc-field-invalid').first().waitFor();
    await shot('01-setup');
    await page.getByLabel('Setup token').fill(panel.setupToken()!);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.waitForURL(`${panel.url}/`);
    await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
  });

  it('builds the sidebar from the running plugins’ menus, with a dashboard card from a slot', async () => {
    await nav('Hello').waitFor();
    await nav('Crashy').waitFor();
    await nav('Runtime').waitFor();
    // Groups by manifest: "tools" holds Hello (order 10) before Crashy (order 30).
    const tools = page.getByRole('region', { name: 'Tools' });
    expect(await tools.getByRole('link').allTextContents()).toEqual(['Hello', 'Crashy']);
    // Menu icons are Lucide icons by name, drawn as SVG.
    expect(await nav('Hello').locator('svg[data-icon="hand"] path').count()).toBeGreaterThan(0);
    await page.getByTestId('hello-card').waitFor();
    await shot('02-dashboard');
  });

  it('opens a bundled plugin page that calls its own API, and its nested route', async () => {
    await markPage();
    await nav('Hello').click();
    await page.waitForURL('**/p/hello');
    await expect.poll(() => page.getByTestId('greeting').textContent()).toBe('Hello, admin!');
    await shot('03-plugin-page');
    await page.getByRole('link', { name: 'Item 42' }).click();
    await expect.poll(() => page.getByTestId('item').textContent()).toBe('Item 42');
    expect(await stillSamePage()).toBe(true);
  });

  it('loads a run-time plugin through the import map, sharing one Solid and one @webcasa/ui', async () => {
    const loaded: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/plugins/runtime/assets/')) loaded.push(r.url());
    });
    await nav('Runtime').click();
    await expect.poll(() => page.getByTestId('runtime-solid').textContent()).toBe('one solid');
    expect(await page.getByTestId('runtime-mode').textContent()).toBe('novice');
    // The module's own solid-js tracks the shell's signal: the same instance.
    await page.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Advanced' }).click();
    await expect.poll(() => page.getByTestId('runtime-mode').textContent()).toBe('advanced');
    // The module came from the panel at run time, and the page imports resolve to the shell's vendor files.
    const resources = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    expect(resources.some((r) => r.includes('/api/plugins/runtime/assets/index.js?v=1.4.0'))).toBe(true);
    expect(resources.filter((r) => /solid-js-[\w-]+\.js$/.test(r))).toHaveLength(1);
    // The runs protocol: progress bar and live log.
    await page.getByRole('button', { name: 'Start job' }).click();
    await expect
      .poll(() => page.locator('.wc-run').getAttribute('data-status'), { timeout: 10_000 })
      .toBe('succeeded');
    expect(await page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(await page.getByRole('log').textContent()).toContain('step 5 of 5');
    await shot('04-runtime-plugin-run');
    await page.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Novice' }).click();
  });

  it('disables a plugin on the Plugins page and its menu entry disappears without a reload', async () => {
    await nav('Plugins').click();
    await page.getByRole('heading', { name: 'Plugins', level: 1 }).waitFor();
    const graph = page.getByTestId('dependency-graph');
    await graph.waitFor();
    expect(await graph.locator('[data-edge="stats->hello"]').count()).toBe(1);
    await shot('05-plugins');
    const disable = page.locator('[data-action="disable-hello"]');
    await disable.click();
    // The confirmation is a modal: focus starts on Cancel, Tab stays inside, Escape returns focus.
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => !!document.activeElement?.closest('[role="alertdialog"]'))).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe(
      'disable-hello',
    );
    // Now for real: stats needs hello, so the shell asks to disable both.
    await disable.click();
    await dialog.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('alertdialog').getByText('is needed by stats').waitFor();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    await nav('Hello').waitFor({ state: 'detached' });
    expect(await nav('Crashy').isVisible()).toBe(true);
    expect(await stillSamePage()).toBe(true);
    await page.locator('[data-action="enable-hello"]').waitFor();
  });

  it('follows a change made elsewhere through the panel’s push, without a reload', async () => {
    const login = await api<{ token: string }>('POST', '/api/auth/login', {
      username: 'admin',
      password: PASSWORD,
    });
    await api('POST', '/api/admin/plugins/hello/enable', undefined, login.token);
    await nav('Hello').waitFor();
    await api('POST', '/api/admin/plugins/crashy/disable', undefined, login.token);
    await nav('Crashy').waitFor({ state: 'detached' });
    await api('POST', '/api/admin/plugins/crashy/enable', undefined, login.token);
    await nav('Crashy').waitFor();
    // A plugin's notification arrives as a toast.
    await api('POST', '/api/plugins/runtime/notify', undefined, login.token);
    await page.getByRole('status').filter({ hasText: 'Runtime says hi' }).waitFor();
    expect(await stillSamePage()).toBe(true);
  });

  it('shows an error boundary for a page that throws, inside a working layout', async () => {
    await nav('Crashy').click();
    const boundary = page.getByTestId('plugin-error');
    await boundary.waitFor();
    expect(await boundary.textContent()).toContain('crashy: this page always fails');
    await shot('06-error-boundary');
    await nav('Dashboard').click();
    await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
    expect(await stillSamePage()).toBe(true);
  });

  it('manages users: create one in a dialog, with the API’s field errors inline', async () => {
    await nav('Users').click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add user' });
    await dialog.getByLabel('User name').fill('alice');
    await dialog.getByLabel('Password').fill('short');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expect
      .poll(() => dialog.locator('.wc-error').first().textContent())
      .toMatch(/at least 10 characters/);
    await dialog.getByLabel('Password').fill('alice-password-1');
    await dialog.getByLabel('Role').selectOption('operator');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.locator('tr[data-key]').filter({ hasText: 'alice' });
    await row.waitFor();
    expect(await row.getByRole('combobox').inputValue()).toBe('operator');
    // The table sorts from its header, by keyboard too.
    await page.getByRole('button', { name: /User name/ }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    expect(await page.locator('tr[data-key] td:first-child').allTextContents()).toEqual(['alice', 'admin']);
    await shot('07-users');
  });

  it('creates an API token, shows its secret once, and lists it', async () => {
    await nav('API tokens').click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('ci script');
    await page.getByRole('button', { name: 'Create token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Copy your new token' });
    const secret = await dialog.getByRole('textbox').inputValue();
    expect(secret).toMatch(/^wct_/);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.locator('tr[data-key]').filter({ hasText: 'ci script' }).waitFor();
    // The token works against the API.
    const me = await api<{ user: { username: string } }>('GET', '/api/auth/me', undefined, secret);
    expect(me.user.username).toBe('admin');
    await shot('08-tokens');
  });

  it('filters the audit log on the server', async () => {
    await nav('Audit log').click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.locator('tr[data-key]').first().waitFor();
    await page.getByLabel('Path').fill('/api/admin/plugins/');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/path=%2Fapi%2Fadmin%2Fplugins%2F/);
    await expect
      .poll(async () => {
        const paths = await page.locator('tr[data-key] td:nth-child(4)').allTextContents();
        return paths.length > 0 && paths.every((p) => p.startsWith('/api/admin/plugins/'));
      })
      .toBe(true);
    await shot('09-audit');
  });

  it('renders a plugin’s settings form from its JSON Schema: novice fields, inline validation, masked secrets', async () => {
    await nav('Settings').click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    const hello = page.locator('details[data-plugin="hello"]');
    await hello.locator('summary').click();
    // Novice: the required field and the optional one without a default; the rest keep their defaults.
    await hello.getByLabel('Who to greet').waitFor();
    expect(
      await hello.locator('[data-field]').evaluateAll((els) => els.map((e) => e.getAttribute('data-field'))),
    ).toEqual(['name', 'apiKey']);
    await hello.getByLabel('Who to greet').fill('world');
    await hello.getByLabel('API key').fill('s3cret-value');
    await hello.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings of Hello saved').waitFor();
    // The stored secret comes back masked, never as its value.
    await expect.poll(() => hello.getByLabel('API key').getAttribute('placeholder')).toBe('••••••••');
    expect(await hello.getByLabel('API key').inputValue()).toBe('');
    // Advanced: every field; a value out of range is refused inline before saving.
    await page.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Advanced' }).click();
    await hello.getByLabel('Retries').fill('99');
    expect(await hello.locator('[data-field="retries"] .wc-error').textContent()).toBe('must be at most 10');
    await hello.getByLabel('Greeting').fill('Hi');
    await hello.getByLabel('Retries').fill('5');
    await hello.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings of Hello saved').first().waitFor();
    await shot('10-settings');
    const greeting = await page.evaluate(async () => (await fetch('/api/plugins/hello/greeting')).json());
    expect(greeting).toEqual({ text: 'Hi, world!' });
    await page.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Novice' }).click();
  });

  it('switches to Chinese and the dark theme, and remembers both across a reload', async () => {
    await page.getByLabel('Language', { exact: true }).selectOption('zh-CN');
    await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '仪表盘' }).click();
    await page.getByTestId('theme-toggle').click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.reload();
    await page.getByRole('heading', { name: '欢迎，admin' }).waitFor();
    expect(
      await page.evaluate(() => [document.documentElement.dataset.theme, document.documentElement.lang]),
    ).toEqual(['dark', 'zh-CN']);
    await shot('11-dashboard-zh-dark');
    await page.getByLabel('语言', { exact: true }).selectOption('en');
    await page.getByTestId('theme-toggle').click();
  });

  it('handles an ended session gracefully: back to sign-in with a message, then back to the page', async () => {
    await nav('Users').click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    // End the browser's session from outside (as an expiry or a sign-out elsewhere would).
    const cookie = (await context.cookies()).find((c) => c.name === 'webcasa_session')!;
    await api('POST', '/api/auth/logout', undefined, cookie.value);
    await page.getByRole('button', { name: 'Refresh' }).or(nav('Audit log')).first().click();
    await page.getByTestId('session-expired').waitFor();
    expect(page.url()).toContain('/login?expired=1');
    await shot('12-login-expired');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
  });

  it('signs out from the account menu, by keyboard', async () => {
    const button = page.getByRole('button', { name: 'Account menu for admin' });
    await button.focus();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('menu').waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('menuitem');
    await page.keyboard.press('Escape');
    await page.getByRole('menu').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-haspopup'))).toBe('menu');
    await button.click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL('**/login?signedOut=1');
    await shot('13-login');
    // Signed out for real: protected pages send us back to sign-in.
    await page.goto(`${panel.url}/admin/users`);
    await page.waitForURL('**/login?next=%2Fadmin%2Fusers');
    expect(await page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
  });

  it('ran without uncaught page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
