import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DISCOVERY_CODES, type DiscoveryProblem, discoverPlugins } from './discovery.js';
import { RESOLUTION_CODES, resolvePlugins } from './resolver.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/discovery/', import.meta.url));
const fixture = (name: string) => join(fixtures, name);

let tmp: string;
beforeEach(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), 'webcasa-discovery-')));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** `<tmp>/plugins/node_modules` laid out like an npm install of the `installed/` fixtures. */
function installedDir(): string {
  const modules = join(tmp, 'plugins', 'node_modules');
  mkdirSync(modules, { recursive: true });
  cpSync(fixture('installed'), modules, { recursive: true });
  mkdirSync(join(modules, '.bin'));
  writeFileSync(join(modules, '.package-lock.json'), '{}');
  return join(tmp, 'plugins');
}

/** A distribution folder whose node_modules links to fixture packages, as pnpm does. */
function distribution(links: Record<string, string>): string {
  const dir = join(tmp, 'distribution');
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fixture-distribution', private: true }));
  for (const [name, target] of Object.entries(links)) {
    const link = join(dir, 'node_modules', name);
    mkdirSync(join(link, '..'), { recursive: true });
    symlinkSync(target, link, 'dir');
  }
  return dir;
}

function problemOf(problems: DiscoveryProblem[], packageName: string): DiscoveryProblem {
  const found = problems.filter((p) => p.packageName === packageName);
  expect(found, `problems of ${packageName}`).toHaveLength(1);
  return found[0]!;
}

describe('discoverPlugins: package directories', () => {
  it('reads a valid package: manifest with defaults, entries from condition objects, real paths', () => {
    const { plugins, problems } = discoverPlugins({ fromDir: tmp, dirs: [fixture('valid')] });
    expect(problems).toEqual([]);
    expect(plugins).toHaveLength(1);
    const plugin = plugins[0]!;
    const dir = realpathSync(fixture('valid'));
    expect(plugin).toMatchObject({
      id: 'valid',
      packageName: 'webcasa-plugin-valid',
      packageVersion: '1.2.0',
      packageDir: dir,
      // `import` is preferred, `types` ignored
      serverEntry: join(dir, 'server.js'),
      // no `import` condition: `default`
      webEntry: join(dir, 'web.js'),
      source: 'dir',
    });
    expect(plugin.manifest).toMatchObject({ id: 'valid', version: '1.2.0', priority: 5, category: 'other' });
    expect(plugin.manifest.dependencies).toEqual({});
  });

  it('resolves relative dirs against fromDir', () => {
    const { plugins } = discoverPlugins({ fromDir: fixtures, dirs: ['valid'] });
    expect(plugins.map((p) => p.id)).toEqual(['valid']);
  });

  it('reports malformed manifest JSON as a problem, not a throw', () => {
    const { plugins, problems } = discoverPlugins({ fromDir: tmp, dirs: [fixture('bad-json')] });
    expect(plugins).toEqual([]);
    const problem = problemOf(problems, 'webcasa-plugin-bad-json');
    expect(problem.code).toBe(DISCOVERY_CODES.MANIFEST_INVALID);
    expect(problem.code).toBe('WEBCASA_MANIFEST_INVALID');
    expect(problem.message).toContain('webcasa-plugin-bad-json');
    expect(problem.message).toMatch(/manifest\.json is not valid JSON/);
    expect(problem.packageDir).toBe(realpathSync(fixture('bad-json')));
  });

  it('reports a malformed package.json', () => {
    const { problems } = discoverPlugins({ fromDir: tmp, dirs: [fixture('bad-package-json')] });
    const problem = problemOf(problems, 'bad-package-json');
    expect(problem.code).toBe('WEBCASA_PLUGIN_PACKAGE_INVALID');
    expect(problem.message).toMatch(/package\.json .* is not valid JSON/);
  });

  it('names each bad manifest field', () => {
    const { plugins, problems } = discoverPlugins({ fromDir: tmp, dirs: [fixture('invalid-manifest')] });
    expect(plugins).toEqual([]);
    const problem = problemOf(problems, 'webcasa-plugin-invalid-manifest');
    expect(problem.code).toBe('WEBCASA_MANIFEST_INVALID');
    expect(problem.message).toContain('webcasa-plugin-invalid-manifest');
    expect(problem.message).toMatch(/\bid: must be 2-40 characters/);
    expect(problem.message).toMatch(/\bengine: /);
    expect(problem.message).toMatch(/\bpermissions\.0: /);
  });

  it('refuses a manifest whose version differs from package.json, naming both', () => {
    const { plugins, problems } = discoverPlugins({ fromDir: tmp, dirs: [fixture('version-mismatch')] });
    expect(plugins).toEqual([]);
    const problem = problemOf(problems, 'webcasa-plugin-version-mismatch');
    expect(problem.code).toBe('WEBCASA_MANIFEST_VERSION_MISMATCH');
    expect(problem.message).toContain('plugin version-mismatch');
    expect(problem.message).toContain('1.0.0');
    expect(problem.message).toContain('1.1.0');
  });

  it('refuses a server export that points to a missing file', () => {
    const { plugins, problems } = discoverPlugins({ fromDir: tmp, dirs: [fixture('missing-server')] });
    expect(plugins).toEqual([]);
    const problem = problemOf(problems, 'webcasa-plugin-missing-server');
    expect(problem.code).toBe('WEBCASA_PLUGIN_ENTRY_MISSING');
    expect(problem.message).toContain('plugin missing-server');
    expect(problem.message).toContain('./dist/server.js');
    expect(problem.message).toContain('was the package built?');
  });

  it('refuses a package without a ./manifest export', () => {
    const { problems } = discoverPlugins({ fromDir: tmp, dirs: [fixture('no-manifest')] });
    const problem = problemOf(problems, 'webcasa-plugin-no-manifest');
    expect(problem.code).toBe('WEBCASA_PLUGIN_NO_MANIFEST');
    expect(problem.message).toContain('"./manifest"');
  });

  it('refuses a manifest that is a module, since reading it would run plugin code', () => {
    const { problems } = discoverPlugins({ fromDir: tmp, dirs: [fixture('js-manifest')] });
    const problem = problemOf(problems, 'webcasa-plugin-js-manifest');
    expect(problem.code).toBe('WEBCASA_PLUGIN_NO_MANIFEST');
    expect(problem.message).toContain('./manifest.js');
    expect(problem.message).toContain('JSON');
  });

  it('refuses exports that point outside the package', () => {
    const { problems } = discoverPlugins({ fromDir: tmp, dirs: [fixture('escaping-export')] });
    const problem = problemOf(problems, 'webcasa-plugin-escaping-export');
    expect(problem.code).toBe('WEBCASA_PLUGIN_PACKAGE_INVALID');
    expect(problem.message).toContain('../valid/server.js');
  });

  it('reports a directory that does not exist or has no package.json', () => {
    const { problems } = discoverPlugins({ fromDir: tmp, dirs: [join(tmp, 'nope'), tmp] });
    expect(problems.map((p) => p.code)).toEqual(['WEBCASA_PLUGIN_NOT_FOUND', 'WEBCASA_PLUGIN_NOT_FOUND']);
    expect(problems[0]!.message).toContain(join(tmp, 'nope'));
    expect(problems[1]!.message).toContain('no package.json');
  });

  it('locates a server entry that throws at import time without importing it', () => {
    const { plugins, problems } = discoverPlugins({ fromDir: tmp, dirs: [fixture('throwing-server')] });
    expect(problems).toEqual([]);
    expect(plugins.map((p) => p.id)).toEqual(['throwing-server']);
    expect(plugins[0]!.serverEntry).toBe(join(realpathSync(fixture('throwing-server')), 'server.js'));
    expect(
      (globalThis as { __webcasaThrowingServerImported?: boolean }).__webcasaThrowingServerImported,
    ).toBe(undefined);
  });

  it('keeps going past broken packages: every good one is found, every bad one reported once', () => {
    const names = [
      'bad-json',
      'valid',
      'bad-package-json',
      'invalid-manifest',
      'version-mismatch',
      'missing-server',
      'no-manifest',
      'js-manifest',
      'escaping-export',
      'throwing-server',
    ];
    const { plugins, problems } = discoverPlugins({ fromDir: tmp, dirs: names.map(fixture) });
    expect(plugins.map((p) => p.id)).toEqual(['valid', 'throwing-server']);
    expect(problems.map((p) => p.code)).toEqual([
      'WEBCASA_MANIFEST_INVALID',
      'WEBCASA_PLUGIN_PACKAGE_INVALID',
      'WEBCASA_MANIFEST_INVALID',
      'WEBCASA_MANIFEST_VERSION_MISMATCH',
      'WEBCASA_PLUGIN_ENTRY_MISSING',
      'WEBCASA_PLUGIN_NO_MANIFEST',
      'WEBCASA_PLUGIN_NO_MANIFEST',
      'WEBCASA_PLUGIN_PACKAGE_INVALID',
    ]);
  });
});

describe('discoverPlugins: installed folder', () => {
  it('finds keyword-marked packages, scoped ones included, and ignores the rest', () => {
    const { plugins, problems } = discoverPlugins({ fromDir: tmp, installedDir: installedDir() });
    expect(problems).toEqual([]);
    // Sorted by folder name: @acme/… before webcasa-plugin-uptime. not-a-plugin has a valid
    // manifest but no keyword; broken-dependency has unreadable JSON; @acme/helper is a library.
    expect(plugins.map((p) => [p.id, p.packageName, p.source])).toEqual([
      ['scoped', '@acme/webcasa-plugin-scoped', 'installed'],
      ['uptime', 'webcasa-plugin-uptime', 'installed'],
    ]);
    expect(plugins[1]!.webEntry).toBe(
      join(tmp, 'plugins', 'node_modules', 'webcasa-plugin-uptime', 'web.js'),
    );
  });

  it('follows symlinked packages, as pnpm installs them', () => {
    const modules = join(tmp, 'plugins', 'node_modules');
    mkdirSync(join(modules, '@acme'), { recursive: true });
    symlinkSync(fixture('installed/webcasa-plugin-uptime'), join(modules, 'webcasa-plugin-uptime'), 'dir');
    symlinkSync(
      fixture('installed/@acme/webcasa-plugin-scoped'),
      join(modules, '@acme', 'scoped-link'),
      'dir',
    );
    const { plugins } = discoverPlugins({ fromDir: tmp, installedDir: join(tmp, 'plugins') });
    expect(plugins.map((p) => p.id)).toEqual(['scoped', 'uptime']);
    expect(plugins[1]!.packageDir).toBe(realpathSync(fixture('installed/webcasa-plugin-uptime')));
  });

  it('finds nothing, quietly, when the folder does not exist yet', () => {
    expect(discoverPlugins({ fromDir: tmp, installedDir: join(tmp, 'missing') })).toEqual({
      plugins: [],
      problems: [],
    });
  });

  it('reports a broken package that does carry the keyword', () => {
    const dir = installedDir();
    cpSync(fixture('version-mismatch'), join(dir, 'node_modules', 'webcasa-plugin-version-mismatch'), {
      recursive: true,
    });
    const { plugins, problems } = discoverPlugins({ fromDir: tmp, installedDir: dir });
    expect(plugins.map((p) => p.id)).toEqual(['scoped', 'uptime']);
    expect(problems.map((p) => [p.packageName, p.code])).toEqual([
      ['webcasa-plugin-version-mismatch', 'WEBCASA_MANIFEST_VERSION_MISMATCH'],
    ]);
  });
});

describe('discoverPlugins: distribution packages', () => {
  it('resolves listed packages from fromDir, with or without "./package.json" in exports', () => {
    const fromDir = distribution({
      // exports lacks "./package.json": found through the node_modules fallback
      'webcasa-plugin-valid': fixture('valid'),
      // exports has it: found through require.resolve
      '@acme/webcasa-plugin-uptime': fixture('installed/webcasa-plugin-uptime'),
    });
    const { plugins, problems } = discoverPlugins({
      fromDir,
      packages: ['webcasa-plugin-valid', '@acme/webcasa-plugin-uptime'],
    });
    expect(problems).toEqual([]);
    expect(plugins.map((p) => [p.id, p.source, p.packageDir])).toEqual([
      ['valid', 'distribution', realpathSync(fixture('valid'))],
      ['uptime', 'distribution', realpathSync(fixture('installed/webcasa-plugin-uptime'))],
    ]);
  });

  it('reports a listed package that is not installed, or not a package name', () => {
    const fromDir = distribution({});
    const { plugins, problems } = discoverPlugins({
      fromDir,
      packages: ['@acme/webcasa-plugin-gone', '../evil'],
    });
    expect(plugins).toEqual([]);
    expect(problems).toEqual([
      {
        packageName: '@acme/webcasa-plugin-gone',
        packageDir: fromDir,
        code: 'WEBCASA_PLUGIN_NOT_FOUND',
        message: expect.stringContaining(
          '@acme/webcasa-plugin-gone is listed by the distribution but cannot be found',
        ),
      },
      {
        packageName: '../evil',
        packageDir: fromDir,
        code: 'WEBCASA_PLUGIN_NOT_FOUND',
        message: expect.stringContaining('not a valid package name'),
      },
    ]);
  });

  it('reads a package reached twice once, and lists distribution, dirs, then installed', () => {
    const fromDir = distribution({ 'webcasa-plugin-valid': fixture('valid') });
    const { plugins } = discoverPlugins({
      fromDir,
      packages: ['webcasa-plugin-valid'],
      dirs: [fixture('valid'), fixture('throwing-server')],
      installedDir: installedDir(),
    });
    expect(plugins.map((p) => [p.id, p.source])).toEqual([
      ['valid', 'distribution'],
      ['throwing-server', 'dir'],
      ['scoped', 'installed'],
      ['uptime', 'installed'],
    ]);
  });
});

describe('discovery feeding the resolver', () => {
  it('orders discovered plugins and names both packages of a duplicate id', () => {
    const { plugins } = discoverPlugins({
      fromDir: tmp,
      dirs: [fixture('valid'), fixture('duplicate-valid')],
      installedDir: installedDir(),
    });
    const result = resolvePlugins(plugins, { apiVersion: '1.0.0' });
    // valid has priority 5 and is ready at once; scoped needs uptime.
    expect(result.order.map((p) => p.id)).toEqual(['valid', 'uptime', 'scoped']);
    expect(result.skipped).toHaveLength(1);
    const duplicate = result.skipped[0]!;
    expect(duplicate.code).toBe(RESOLUTION_CODES.DUPLICATE);
    expect(duplicate.message).toContain('"valid"');
    expect(duplicate.message).toContain('webcasa-plugin-valid@1.2.0');
    expect(duplicate.message).toContain('@acme/webcasa-plugin-valid-fork@3.0.0');
    expect(duplicate.candidate.packageName).toBe('@acme/webcasa-plugin-valid-fork');
  });
});
