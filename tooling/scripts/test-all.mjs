#!/usr/bin/env node
// Runs every package's tests through turbo, then adds up the JSON reports each
// package's Vitest wrote to test-results/vitest.json and prints one line:
// "N passed, N failed". Exits non-zero when anything failed or nothing ran.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const groups = ['packages', 'apps', 'tooling'];
const packages = [];
for (const group of groups) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkgFile = join(dir, name, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    if (pkg.scripts?.test) packages.push({ name: pkg.name, dir: join(dir, name) });
  }
}
// Stale reports from an earlier run must not be counted.
for (const p of packages) rmSync(join(p.dir, 'test-results', 'vitest.json'), { force: true });

// Some tests install plugins the way users do, from built packages (the SDK's dist).
const built = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=./packages/*'], {
  cwd: root,
  stdio: 'inherit',
});
if (built.status !== 0) {
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}

const extra = process.argv.slice(2);
const run = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue', ...extra], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1' },
});

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const p of packages) {
  const file = join(p.dir, 'test-results', 'vitest.json');
  if (!existsSync(file)) {
    missing.push(p.name);
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load, or a package whose tests ran nothing, counts as a failure.
  if ((report.numFailedTestSuites ?? 0) > 0 && (report.numFailedTests ?? 0) === 0) failed += 1;
  if ((report.numTotalTests ?? 0) === 0) {
    console.error(`${p.name}: no tests ran (counted as a failure)`);
    failed += 1;
  }
}
if (missing.length > 0) {
  console.error(`no test report from: ${missing.join(', ')} (counted as failures)`);
  failed += missing.length;
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status !== 0 || failed > 0 || passed === 0 ? 1 : 0);
