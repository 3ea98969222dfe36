import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main, scaffold } from '../src/index.js';

const run = promisify(execFile);
const pkgRoot = resolve(import.meta.dirname, '..');
// Scaffolds go inside this package so the plugin's imports resolve to the workspace's packages.
const scratch = join(pkgRoot, '.scaffold-tmp');
mkdirSync(scratch, { recursive: true });
writeFileSync(join(scratch, '.gitignore'), '*\n');
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const fresh = () => {
  const dir = mkdtempSync(join(scratch, 'p-'));
  made.push(dir);
  return dir;
};
const bin = (name: string) => join(pkgRoot, 'node_modules', '.bin', name);

describe('create-webcasa-plugin', () => {
  it('scaffolds a plugin that typechecks, passes its own tests and builds publishable ESM', async () => {
    const dir = join(fresh(), 'webcasa-plugin-notes');
    const files = scaffold({ dir });
    expect(files).toEqual(
      expect.arrayContaining([
        'manifest.json',
        'package.json',
        'src/server.ts',
        'src/web/index.tsx',
        'test/plugin.test.ts',
        'vite.config.ts',
        'tsconfig.web.json',
        'README.md',
        '.gitignore',
        '.changeset/initial-release.md',
      ]),
    );
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ id: 'notes', version: pkg.version, engine: '^1.0.0' });
    expect(pkg).toMatchObject({ name: 'webcasa-plugin-notes', keywords: ['webcasa-plugin'] });
    expect(readFileSync(join(dir, 'src/server.ts'), 'utf8')).toContain("'plugin_notes_items'");

    await run(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: dir, timeout: 120_000 });
    await run(bin('tsc'), ['-p', 'tsconfig.web.json'], { cwd: dir, timeout: 120_000 });
    const tests = await run(bin('vitest'), ['run', '--root', dir, '--reporter', 'dot'], {
      cwd: dir,
      timeout: 120_000,
    });
    expect(tests.stdout).toMatch(/3 passed/);
    await run(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: dir, timeout: 120_000 });
    await run(bin('vite'), ['build'], { cwd: dir, timeout: 120_000 });
    expect(existsSync(join(dir, 'dist/server.js'))).toBe(true);
    expect(existsSync(join(dir, 'dist/server.d.ts'))).toBe(true);
    const web = readFileSync(join(dir, 'dist/web/index.js'), 'utf8');
    expect(web).toMatch(/from\s*"@webcasa\/plugin-sdk"/);
    // Solid stays a bare import for the shell's import map: never bundled.
    const chunks = (await run('sh', ['-c', 'cat dist/web/*.js'], { cwd: dir })).stdout;
    expect(chunks).toMatch(/from\s*"solid-js(\/web)?"/);
    expect(chunks).not.toMatch(/createRenderEffect\s*=\s*function|function createRoot\(/);
  }, 240_000);

  it('refuses a bad id and a non-empty folder, with the reason', async () => {
    expect(() => scaffold({ dir: join(fresh(), 'x'), id: 'Bad_Id' })).toThrow(/not a usable plugin id/);
    expect(() => scaffold({ dir: join(fresh(), 'webcasa-plugin-core') })).toThrow(/not a usable plugin id/);
    const dir = fresh();
    scaffold({ dir: join(dir, 'webcasa-plugin-one') });
    expect(() => scaffold({ dir: join(dir, 'webcasa-plugin-one') })).toThrow(/not empty/);
    expect(await main([])).toBe(2);
  });
});
