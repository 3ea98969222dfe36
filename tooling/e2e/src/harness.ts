import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Panel, type PanelOptions, startPanel } from '@webcasa/core';
import { buildShell, type ShellBuild, webPluginConfig } from '@webcasa/web/build';
import { build } from 'vite';
import { PASSWORD } from './browser.js';

export { CHROMIUM, CHROMIUM_ARGS, launchChromium, PASSWORD, signIn } from './browser.js';

export const e2eDir = join(import.meta.dirname, '..');
export const fixturesDir = join(e2eDir, 'fixtures');
export const artifactsDir = join(e2eDir, 'test-results');
export const screenshotsDir = join(artifactsDir, 'screenshots');

/** Build the run-time fixture's prebuilt web module, as a plugin author would. */
export async function buildRuntimeFixture(): Promise<void> {
  const root = join(fixturesDir, 'runtime');
  await build(
    webPluginConfig({
      root,
      entry: join(root, 'web/index.tsx'),
      outDir: join(root, 'dist/web'),
      logLevel: 'error',
    }),
  );
}

/** Build the shell with the fixtures `hello` and `crashy` bundled (not `runtime`). */
export function buildTestShell(outDir: string): Promise<ShellBuild> {
  return buildShell({
    outDir,
    pluginDirs: [join(fixturesDir, 'hello'), join(fixturesDir, 'crashy')],
    resolveFrom: e2eDir,
    logLevel: 'error',
  });
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shell built by the global setup. */
    shell: ShellBuild;
  }
}

export interface TestPanel {
  panel: Panel;
  url: string;
  setupToken: () => string | undefined;
  dataDir: string;
  stop(): Promise<void>;
}

export interface TestPanelOptions {
  /** Fixture folders to load (default: all four). */
  plugins?: string[];
  /** Default `warn`. */
  logLevel?: string;
  /** Environment the panel reads its settings from (`WEBCASA_CADDY*`); default: an empty one. */
  env?: Record<string, string>;
  /** Caddy connection timings (short in tests). */
  sites?: PanelOptions['sites'];
}

/** A real panel on 127.0.0.1 with the fixture plugins, serving the built shell. */
export async function startTestPanel(webRoot: string, options: TestPanelOptions = {}): Promise<TestPanel> {
  const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-e2e-'));
  let token: string | undefined;
  const panel = await startPanel({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    stdoutLogs: false,
    logLevel: options.logLevel ?? 'warn',
    // Not the test runner's environment: Caddy stays off unless a test asks for it.
    env: options.env ?? { WEBCASA_CADDY: 'off' },
    sites: options.sites,
    webRoot,
    pluginDirs: (options.plugins ?? ['hello', 'crashy', 'runtime', 'stats']).map((d) => join(fixturesDir, d)),
    onSetupToken: (t) => {
      token = t;
    },
  });
  return {
    panel,
    url: panel.url,
    dataDir,
    setupToken: () => token,
    async stop() {
      await panel.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function freshDir(name: string): string {
  const dir = join(e2eDir, 'dist', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Create the first administrator through the API (setup token), as the setup page does. */
export async function setupAdmin(panel: TestPanel): Promise<string> {
  const res = await fetch(`${panel.url}/api/auth/setup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ setupToken: panel.setupToken(), username: 'admin', password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`setup failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** A JSON API call with a bearer token; throws on an error answer. */
export async function callApi<T>(
  panel: TestPanel,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(panel.url + path, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Poll `fn` until it returns a truthy value (bounded). */
export async function until<T>(
  fn: () => Promise<T | undefined | null | false>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await fn();
      if (value) return value as T;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * The panel lends installed plugins its SDK; under vitest the workspace SDK is TypeScript
 * source that Node cannot import from node_modules, so the built one (a re-export of its
 * dist, in a folder under `scratch`) is linked where the installer links peers (it keeps a
 * link that is already there).
 */
export function linkBuiltSdk(dataDir: string, scratch: string): void {
  const peer = mkdtempSync(join(scratch, 'sdk-peer-'));
  const built = join(e2eDir, 'node_modules', '@webcasa', 'plugin-sdk', 'dist', 'index.js');
  writeFileSync(
    join(peer, 'package.json'),
    JSON.stringify({
      name: '@webcasa/plugin-sdk',
      version: '0.1.0',
      type: 'module',
      exports: { '.': './index.js' },
    }),
  );
  writeFileSync(join(peer, 'index.js'), `export * from ${JSON.stringify(built)};\n`);
  const scope = join(dataDir, 'plugins', 'node_modules', '@webcasa');
  mkdirSync(scope, { recursive: true });
  symlinkSync(peer, join(scope, 'plugin-sdk'), 'dir');
}
