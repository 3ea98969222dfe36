#!/usr/bin/env node
// Checks every publishable package as it would be published: builds, packs
// with pnpm (which applies publishConfig), then runs publint and
// @arethetypeswrong/cli (ESM-only profile) on the result.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const packs = mkdtempSync(join(tmpdir(), 'webcasa-packs-'));
let failures = 0;

execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=./packages/*'], {
  cwd: root,
  stdio: 'inherit',
});

for (const name of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', name);
  const pkgFile = join(dir, 'package.json');
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  if (pkg.private) continue;
  console.log(`\n== ${pkg.name}`);
  const publint = spawnSync('pnpm', ['exec', 'publint', '--pack', 'pnpm', '--strict', dir], {
    cwd: root,
    stdio: 'inherit',
  });
  if (publint.status !== 0) failures++;
  const packed = execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: dir, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  const tarball = packed.startsWith('/') ? packed : join(packs, packed);
  const attw = spawnSync(
    'pnpm',
    ['exec', 'attw', tarball, '--profile', 'esm-only', '--format', 'table-flipped'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (attw.status !== 0) failures++;
}
rmSync(packs, { recursive: true, force: true });
console.log(failures ? `\n${failures} package check(s) failed` : '\nall packages pass publint and attw');
process.exit(failures ? 1 : 0);
