import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { fetchVia, freePort, requireCaddy, startBackend } from '../src/sites.js';

// The Sites page against a panel managing a real caddy on 127.0.0.1 high ports. Caddy
// starts out "not installed" (WEBCASA_CADDY_BINARY names a path with nothing there yet):
// the page says so and how to install it, and a site is saved anyway. Then Debian's
// caddy is "installed" at that path, Reload starts it, and the site created in the UI
// is fetched through Caddy.

const shell = inject('shell');
const caddy = requireCaddy();
let panel: TestPanel;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let token: string;
let backend: Awaited<ReturnType<typeof startBackend>>;
let binDir: string;
let httpPort: number;
let siteId: number;
const DOMAIN = 'app.e2e.test';
const pageErrors: string[] = [];

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
const nav = (label: string) =>
  page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: label, exact: true });
const banner = () => page.getByTestId('caddy-banner');

beforeAll(async () => {
  mkdirSync(screenshotsDir, { recursive: true });
  backend = await startBackend('backend-e2e');
  binDir = mkdtempSync(join(tmpdir(), 'webcasa-e2e-bin-'));
  httpPort = await freePort();
  const env = {
    WEBCASA_CADDY: 'managed',
    WEBCASA_CADDY_HTTP_PORT: String(httpPort),
    WEBCASA_CADDY_HTTPS_PORT: String(await freePort()),
    WEBCASA_CADDY_ADMIN: `127.0.0.1:${await freePort()}`,
    WEBCASA_CADDY_BIND: '127.0.0.1',
    WEBCASA_CADDY_BINARY: join(binDir, 'caddy'),
  };
  panel = await startTestPanel(shell.outDir, {
    plugins: [],
    env,
    sites: { pollMs: 1000, supervisor: { startupTimeoutMs: 15_000, checkEveryMs: 500, maxBackoffMs: 2_000 } },
  });
  token = await setupAdmin(panel);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await signIn(page, panel.url);
});

afterAll(async () => {
  await browser?.close();
  await panel?.stop();
  await backend?.close();
  if (binDir) rmSync(binDir, { recursive: true, force: true });
});

describe('the Sites page with a real Caddy', () => {
  it('says Caddy is not installed and how to install it; a site created in the UI is saved anyway', async () => {
    await nav('Sites').click();
    await page.getByRole('heading', { name: 'Sites', level: 1 }).waitFor();
    await expect.poll(() => banner().getAttribute('data-state')).toBe('missing');
    expect(await banner().getByRole('strong').first().textContent()).toBe('Caddy is not installed');
    expect(await banner().locator('.install-hint code').allTextContents()).toContain(
      'sudo apt install caddy',
    );
    await page.getByText('No sites yet').waitFor();
    await shot('30-sites-caddy-missing');

    await page.getByRole('link', { name: 'Add site' }).first().click();
    await page.waitForURL('**/sites/new');
    const form = page.getByRole('form', { name: 'Site' });
    // Novice mode: the essentials only.
    expect(await form.getByLabel('Upstreams').count()).toBe(0);
    await form.getByLabel('Domains').fill(`https://${DOMAIN}`);
    await form.getByLabel('Forward to').fill('not a host!');
    await form.getByLabel('HTTPS').selectOption('off');
    await form.getByRole('button', { name: 'Create site' }).click();
    // The API's field errors, each under its field.
    await expect
      .poll(() => form.locator('[data-field="domains"] .wc-error').textContent())
      .toContain('give the domain only, without http:// or https://');
    expect(await form.locator('[data-field="upstreams"] .wc-error').textContent()).toContain('"not a host!"');
    expect(await form.getByLabel('Domains').getAttribute('aria-invalid')).toBe('true');
    await shot('31-site-form-errors');
    await form.getByLabel('Domains').fill(DOMAIN);
    await form.getByLabel('Forward to').fill(`127.0.0.1:${backend.port}`);
    await form.getByRole('button', { name: 'Create site' }).click();
    await page.waitForURL(/\/sites\/\d+$/);
    siteId = Number(page.url().split('/').pop());
    await page.getByRole('heading', { name: DOMAIN, level: 1 }).waitFor();
    expect(await page.getByTestId('site-status').textContent()).toBe('Not live yet');
    const stored = await callApi<{ sites: { domains: string[]; upstreams: string[]; tls: string }[] }>(
      panel,
      token,
      'GET',
      '/api/sites',
    );
    expect(stored.sites).toMatchObject([
      { domains: [DOMAIN], upstreams: [`127.0.0.1:${backend.port}`], tls: 'off' },
    ]);
  });

  it('starts Caddy once it is installed, and the site is served through it', async () => {
    symlinkSync(caddy, join(binDir, 'caddy'));
    await nav('Sites').click();
    await page.getByRole('button', { name: 'Reload Caddy' }).click();
    // The page looks again by itself while Caddy starts and the change is not live yet.
    await expect.poll(() => banner().getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
    // The version is asked of the binary separately, so it may come a moment later.
    expect(await banner().getByRole('strong').first().textContent()).toMatch(
      /^Caddy (v?2\.\d+\.\d+ )?is running$/,
    );
    const row = page.locator('tr[data-key]').filter({ hasText: DOMAIN });
    await expect.poll(() => row.locator('[data-status]').textContent(), { timeout: 15_000 }).toBe('Live');
    expect(await row.getByRole('link', { name: 'Open' }).getAttribute('href')).toBe(
      `http://${DOMAIN}:${httpPort}/`,
    );
    const answer = await until(async () => {
      const r = await fetchVia(httpPort, DOMAIN, '/hello?x=1');
      return r.status === 200 && r.body.includes('backend-e2e') ? r : undefined;
    }, 'the site through Caddy');
    expect(answer.body).toBe(`backend-e2e answered GET /hello?x=1 for ${DOMAIN}:${httpPort}`);
    await shot('32-sites-live');
  });

  it('edits the site in advanced mode: a response header and the access log, live requests, the generated JSON', async () => {
    await page.getByTestId(`site-link-${siteId}`).click();
    await page.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Advanced' }).click();
    const form = page.getByRole('form', { name: 'Site' });
    await form.getByLabel('Response headers').fill('X-Served-By: webcasa-e2e');
    await form.getByLabel('Access log').check();
    await form.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('.wc-toasts').getByText(`Site ${DOMAIN} saved`).waitFor();
    await expect.poll(() => page.getByTestId('site-status').textContent(), { timeout: 15_000 }).toBe('Live');
    const answer = await until(async () => {
      const r = await fetchVia(httpPort, DOMAIN, '/after-edit');
      return r.headers['x-served-by'] === 'webcasa-e2e' ? r : undefined;
    }, 'the new header');
    expect(answer.body).toContain('backend-e2e answered GET /after-edit');
    // The request shows in the site's access log on the page.
    const requests = page.getByRole('table', { name: 'Requests' });
    await expect.poll(() => requests.textContent(), { timeout: 15_000 }).toContain('/after-edit');
    const certs = page.getByRole('table', { name: 'Certificates' });
    expect(await certs.textContent()).toContain('None (HTTP)');
    await page.getByRole('button', { name: 'Caddy JSON of this site' }).click();
    const json = page.getByTestId('caddy-json');
    await expect.poll(() => json.textContent()).toContain(`"dial": "127.0.0.1:${backend.port}"`);
    expect(await json.textContent()).toContain('"X-Served-By"');
    await shot('33-site-caddy-json');
    await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
    await shot('34-site-edit-advanced');
    await page.getByRole('group', { name: 'Mode' }).getByRole('button', { name: 'Novice' }).click();
  });

  it('shows sites read-only to a viewer', async () => {
    await callApi(panel, token, 'POST', '/api/users', {
      username: 'vera',
      password: 'vera-password-1',
      role: 'viewer',
    });
    const viewer = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const vpage = await viewer.newPage();
    vpage.setDefaultTimeout(10_000);
    vpage.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await signIn(vpage, panel.url, 'vera', 'vera-password-1');
      await vpage.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Sites' }).click();
      await vpage.locator('tr[data-key]').filter({ hasText: DOMAIN }).waitFor();
      expect(await vpage.getByRole('link', { name: 'Add site' }).count()).toBe(0);
      expect(await vpage.getByRole('button', { name: 'Reload Caddy' }).count()).toBe(0);
      await vpage.getByTestId(`site-link-${siteId}`).click();
      await vpage.getByText('You can look at sites; operators and administrators can change them.').waitFor();
      expect(await vpage.getByRole('form', { name: 'Site' }).getByLabel('Domains').isDisabled()).toBe(true);
      expect(await vpage.getByRole('button', { name: 'Delete site' }).count()).toBe(0);
    } finally {
      await viewer.close();
    }
  });

  it('deletes the site after a confirmation, and Caddy stops serving it', async () => {
    await page.getByRole('button', { name: 'Delete site' }).click();
    const dialog = page.getByRole('alertdialog', { name: `Delete site ${DOMAIN}?` });
    await dialog.getByRole('button', { name: 'Delete site' }).click();
    await page.waitForURL(/\/sites$/);
    await page.getByText('No sites yet').waitFor();
    await until(async () => {
      const r = await fetchVia(httpPort, DOMAIN, '/').catch(() => undefined);
      return r === undefined || !r.body.includes('backend-e2e');
    }, 'Caddy to stop serving the site');
  });

  it('ran without uncaught page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
