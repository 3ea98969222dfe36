import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Panel, startPanel } from '@webcasa/core';
import { buildShell, type ShellBuild, webPluginConfig } from '@webcasa/web/build';
import { type Browser, chromium } from 'playwright-core';
import { build } from 'vite';

export const e2eDir = join(import.meta.dirname, '..');
export const fixturesDir = join(e2eDir, 'fixtures');
export const artifactsDir = join(e2eDir, 'test-results');
export const screenshotsDir = join(artifactsDir, 'screenshots');

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

/**
 * Launch chromium with a fresh profile: playwright-core gives every launch its
 * own temporary `--user-data-dir` and removes it on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}

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

export interface TestPanel {
  panel: Panel;
  url: string;
  setupToken: () => string | undefined;
  dataDir: string;
  stop(): Promise<void>;
}

/** A real panel on 127.0.0.1 with the fixture plugins, serving the built shell. */
export async function startTestPanel(webRoot: string): Promise<TestPanel> {
  const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-e2e-'));
  let token: string | undefined;
  const panel = await startPanel({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    stdoutLogs: false,
    logLevel: 'warn',
    webRoot,
    pluginDirs: ['hello', 'crashy', 'runtime', 'stats'].map((d) => join(fixturesDir, d)),
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
