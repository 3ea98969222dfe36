// Fixture plugin packages for the installer tests. The registry itself (a real verdaccio on
// 127.0.0.1 and real `npm publish`) is the e2e harness's, where verdaccio is a devDependency.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export { publish, type Registry, startRegistry, VERDACCIO_BIN } from '../../../tooling/e2e/src/verdaccio.js';

const here = dirname(fileURLToPath(import.meta.url));

const scratch: string[] = [];
/** A temp folder removed by {@link removeScratch}. */
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
/** Remove the fixture and peer folders this module made. */
export function removeScratch(): void {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface FixtureOptions {
  name?: string;
  id?: string;
  version: string;
  /** Throw from setup (to see an update roll back). */
  setupThrows?: boolean;
  /** Setup waits this long first (to kill the panel while it is being set up). */
  setupDelayMs?: number;
  permissions?: string[];
  dependencies?: Record<string, string>;
  /** npm dependencies (installed with the plugin, production only). */
  npmDependencies?: Record<string, string>;
  engine?: string;
  /** Setup writes `<ctx.dataDir>/state.json` (a file uninstall must remove, unless keep-data). */
  writesDataFile?: boolean;
}

/** Write a small plugin package (plain ESM, no build) to a fresh temp folder. */
export function writeFixturePlugin(options: FixtureOptions): string {
  const dir = scratchDir('webcasa-fixture-');
  const id = options.id ?? 'uptime';
  const name = options.name ?? `webcasa-plugin-${id}`;
  mkdirSync(join(dir, 'dist'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name,
      version: options.version,
      type: 'module',
      keywords: ['webcasa-plugin'],
      exports: {
        './manifest': './manifest.json',
        './server': './dist/server.js',
        './package.json': './package.json',
      },
      peerDependencies: { '@webcasa/plugin-sdk': '*' },
      dependencies: options.npmDependencies,
      scripts: { postinstall: "node -e \"require('fs').writeFileSync('SCRIPT-RAN', '')\"" },
    }),
  );
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      id,
      name: `Fixture ${id}`,
      version: options.version,
      engine: options.engine ?? '^1.0.0',
      description: 'installer fixture',
      permissions: options.permissions ?? [],
      dependencies: options.dependencies ?? {},
    }),
  );
  const lib = Object.keys(options.npmDependencies ?? {})[0];
  writeFileSync(
    join(dir, 'dist', 'server.js'),
    `import { defineServerPlugin } from '@webcasa/plugin-sdk';
${lib ? `import { answer } from '${lib}';` : 'const answer = () => 42;'}
export default defineServerPlugin({
  async setup(ctx) {
    ${options.setupThrows ? `throw new Error('setup of ${options.version} refuses');` : ''}
    ${options.setupDelayMs ? `await new Promise((r) => setTimeout(r, ${options.setupDelayMs}));` : ''}
    ${options.writesDataFile ? "(await import('node:fs')).writeFileSync(ctx.dataDir + '/state.json', '{}');" : ''}
    await ctx.migrate({
      '001_checks': {
        async up(db) {
          await db.schema.createTable('plugin_${id}_checks').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('url', 'text').execute();
        },
      },
    });
    ctx.router.get('/version', (c) => c.json({ version: '${options.version}', answer: answer() }));
    ctx.router.post('/checks', async (c) => {
      await ctx.db.insertInto('plugin_${id}_checks').values({ url: 'https://example.org' }).execute();
      return c.json({ ok: true });
    });
  },
  uninstall() {
    globalThis.__uninstalled = (globalThis.__uninstalled ?? 0) + 1;
  },
});
`,
  );
  return dir;
}

/** A plain npm library (for a plugin's production dependency). */
export function writeLibrary(name: string, version: string): string {
  const dir = scratchDir('webcasa-lib-');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name, version, type: 'module', exports: './index.js', scripts: { install: 'exit 1' } }),
  );
  writeFileSync(join(dir, 'index.js'), 'export const answer = () => 42;\n');
  return dir;
}

/**
 * The SDK as an installed plugin sees it under vitest: workspace packages export
 * TypeScript sources, which Node cannot import from node_modules natively, so the
 * tests lend the built SDK (`pnpm --filter @webcasa/plugin-sdk build`) instead.
 */
export function builtSdkPeer(parent?: string): Record<string, string> {
  const built = resolve(here, '../../plugin-sdk/dist/index.js');
  if (!existsSync(built)) throw new Error(`build the SDK first: ${built} is missing`);
  const dir = parent ? mkdtempSync(join(parent, 'sdk-peer-')) : scratchDir('webcasa-sdk-peer-');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: '@webcasa/plugin-sdk',
      version: '0.1.0',
      type: 'module',
      exports: { '.': './index.js' },
    }),
  );
  writeFileSync(join(dir, 'index.js'), `export * from ${JSON.stringify(built)};\n`);
  return { '@webcasa/plugin-sdk': dir };
}
