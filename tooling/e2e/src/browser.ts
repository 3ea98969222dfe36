// Debian's chromium through playwright-core, and the shell's sign-in: shared by these browser
// tests and the plugin packages' own (`@webcasa/e2e/browser`).
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's chromium; never a downloaded browser. */
export const CHROMIUM = process.env.WEBCASA_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** The administrator's password in the e2e harness's panels. */
export const PASSWORD = 'a-long-password-1';

/**
 * Launch chromium with a fresh profile: playwright-core gives every launch its
 * own temporary `--user-data-dir` and removes it on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

/**
 * Sign in through the sign-in page and wait for the shell's menu. A failure says where the
 * browser was and what the page showed, so a sign-in form that never appears can be told
 * apart from a slow machine.
 */
export async function signIn(
  page: Page,
  url: string,
  username = 'admin',
  password = PASSWORD,
): Promise<void> {
  const errors: string[] = [];
  const onError = (e: Error) => errors.push(e.message);
  page.on('pageerror', onError);
  try {
    await page.goto(`${url}/login`);
    await page.getByLabel('User name').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main menu' }).waitFor();
  } catch (error) {
    const text = await page
      .locator('body')
      .textContent({ timeout: 1_000 })
      .catch(() => null);
    throw new Error(
      `sign-in failed at ${page.url()}: ${(error as Error).message}\npage errors: ${errors.join(' | ') || 'none'}\npage text: ${(text ?? '(no body)').slice(0, 500)}`,
    );
  } finally {
    page.off('pageerror', onError);
  }
}
