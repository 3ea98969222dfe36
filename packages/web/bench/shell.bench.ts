/**
 * The shell's weight and speed:
 *
 * 1. initial JS and CSS of the first page (the sign-in page), gzipped, vs the goal (JS ≤ 60 KB);
 * 2. time to an interactive sign-in page in headless chromium on loopback, as a ratio against
 *    loading a minimal static HTML page from the same panel in the same run (fresh browser
 *    context, so no cache, for every load; loads interleaved; medians).
 *
 * Prints JSON lines; writes bench/.results/latest.json (see tooling/scripts/bench-report.mjs).
 *
 *   pnpm --filter @webcasa/web bench            # 15 loads of each
 *   pnpm --filter @webcasa/web bench --quick    # 3 loads of each
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPanel } from '@webcasa/core';
import { chromium } from 'playwright-core';
import { buildShell } from '../build/index.js';

// Bench panels never start the machine's caddy on ports 80/443 (the sites bench runs its own).
process.env.WEBCASA_CADDY ??= 'off';

const quick = process.argv.includes('--quick');
const LOADS = quick ? 3 : 15;
const JS_GOAL = 60 * 1024;
const CHROMIUM = process.env.WEBCASA_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

const rows: {
  bench: string;
  metric: string;
  value: string;
  baseline: string;
  ratio: number | null;
  goal: string;
}[] = [];
const lines: Record<string, unknown>[] = [];
const emit = (line: Record<string, unknown>) => {
  lines.push(line);
  console.log(JSON.stringify(line));
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const work = mkdtempSync(join(tmpdir(), 'webcasa-shell-bench-'));
const webRoot = join(work, 'web');
const shell = await buildShell({ outDir: webRoot, logLevel: 'error' });
writeFileSync(
  join(webRoot, 'baseline.html'),
  '<!doctype html><html><head><title>baseline</title></head><body><p>ok</p></body></html>\n',
);

const jsKb = shell.initial.jsGzipBytes / 1024;
const cssKb = shell.initial.cssGzipBytes / 1024;
emit({
  bench: 'shell',
  metric: 'initial JS, gzipped',
  bytes: shell.initial.jsGzipBytes,
  goalBytes: JS_GOAL,
  ok: shell.initial.jsGzipBytes <= JS_GOAL,
  files: shell.initial.js,
});
emit({
  bench: 'shell',
  metric: 'initial CSS, gzipped',
  bytes: shell.initial.cssGzipBytes,
  files: shell.initial.css,
});
rows.push({
  bench: 'shell',
  metric: 'initial JS gzip (KB)',
  value: jsKb.toFixed(1),
  baseline: '60',
  ratio: Number((jsKb / 60).toFixed(3)),
  goal: '<= 1 (≤ 60 KB)',
});
rows.push({
  bench: 'shell',
  metric: 'initial CSS gzip (KB)',
  value: cssKb.toFixed(1),
  baseline: '-',
  ratio: null,
  goal: '',
});

let token = '';
const panel = await startPanel({
  dataDir: join(work, 'data'),
  port: 0,
  stdoutLogs: false,
  logLevel: 'warn',
  webRoot,
  onSetupToken: (t) => {
    token = t;
  },
});
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ARGS,
  headless: true,
  timeout: 30_000,
});
try {
  // With an administrator, /login is the sign-in form (not the first-run setup).
  const setup = await fetch(`${panel.url}/api/auth/setup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ setupToken: token, username: 'admin', password: 'bench-password-1' }),
  });
  if (setup.status !== 201) throw new Error(`setup failed: ${setup.status}`);

  const load = async (path: string, ready: (page: import('playwright-core').Page) => Promise<unknown>) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(panel.url + path, { waitUntil: 'commit', timeout: 15_000 });
    await ready(page);
    const ms = performance.now() - started;
    await context.close();
    return ms;
  };
  const loginReady = (page: import('playwright-core').Page) =>
    page.locator('input[name="username"]:not([disabled])').waitFor({ timeout: 15_000 });
  const baselineReady = (page: import('playwright-core').Page) =>
    page.waitForLoadState('load', { timeout: 15_000 });

  // One warm-up of each (the panel's first index.html read, chromium's first context).
  await load('/baseline.html', baselineReady);
  await load('/login', loginReady);
  const login: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    baseline.push(await load('/baseline.html', baselineReady));
    login.push(await load('/login', loginReady));
  }
  const l = median(login);
  const b = median(baseline);
  emit({
    bench: 'shell',
    metric: 'time to an interactive sign-in page (ms, median)',
    loads: LOADS,
    value: Math.round(l),
    baseline: Math.round(b),
    baselineWhat: 'a minimal static HTML page from the same panel',
    ratio: Number((l / b).toFixed(2)),
  });
  rows.push({
    bench: 'shell',
    metric: 'interactive sign-in page (ms)',
    value: l.toFixed(0),
    baseline: b.toFixed(0),
    ratio: Number((l / b).toFixed(3)),
    goal: 'report',
  });
} finally {
  await browser.close();
  await panel.stop();
  rmSync(work, { recursive: true, force: true });
}

const outDir = join(dirname(fileURLToPath(import.meta.url)), '.results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'latest.json'),
  `${JSON.stringify({ package: '@webcasa/web', at: new Date().toISOString(), node: process.version, cores: availableParallelism(), quick, rows, lines }, null, 2)}\n`,
);
if (shell.initial.jsGzipBytes > JS_GOAL) {
  console.error(`initial JS ${jsKb.toFixed(1)} KB is over the ${JS_GOAL / 1024} KB goal`);
  process.exitCode = 1;
}
