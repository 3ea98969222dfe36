// Builds the distribution into dist/: one ES module bundle that runs on plain
// Node 20 (`node dist/server.js start`), and the web shell in dist/web with the
// web entries of the distribution's plugins bundled as lazy chunks. Native
// addons stay external and are resolved from node_modules; dist/package.json
// lists them for a standalone copy.
//
//   node build.mjs             server bundle and web shell
//   node build.mjs --web-only  the web shell only (what `pnpm start` runs first)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildShell } from '@webcasa/web/build';
import { build } from 'esbuild';

const appDir = dirname(fileURLToPath(import.meta.url));
process.chdir(appDir);
const webOnly = process.argv.includes('--web-only');
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/**
 * The plugin list of webcasa.config.ts, read without loading the core:
 * `defineDistribution` is an identity function, stubbed here.
 */
async function distributionConfig() {
  const out = await build({
    entryPoints: ['webcasa.config.ts'],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'warning',
    plugins: [
      {
        name: 'stub-core',
        setup(b) {
          b.onResolve({ filter: /^@webcasa\/core$/ }, () => ({ path: 'core', namespace: 'stub' }));
          b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
            contents: 'export const defineDistribution = (d) => d;',
            loader: 'js',
          }));
        },
      },
    ],
  });
  const url = `data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`;
  return (await import(url)).default;
}

async function buildWeb() {
  const config = await distributionConfig();
  const web = await buildShell({
    outDir: 'dist/web',
    plugins: config.plugins ?? [],
    resolveFrom: appDir,
    logLevel: 'warn',
  });
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `built dist/web: ${web.bundledPlugins.length} bundled plugin web entries, first page ${kb(web.initial.jsGzipBytes)} JS + ${kb(web.initial.cssGzipBytes)} CSS gzipped`,
  );
}

if (webOnly) {
  await buildWeb();
} else {
  rmSync('dist', { recursive: true, force: true });
  mkdirSync('dist', { recursive: true });
  await build({
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/server.js',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    external: ['better-sqlite3'],
    banner: {
      // Bundled CommonJS dependencies still call require(); give them one.
      js: "#!/usr/bin/env node\nimport { createRequire as __webcasaCreateRequire } from 'node:module';\nconst require = __webcasaCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  writeFileSync(
    'dist/package.json',
    `${JSON.stringify(
      {
        name: pkg.name,
        version: pkg.version,
        private: true,
        type: 'module',
        bin: { webcasa: './server.js' },
        engines: pkg.engines,
        dependencies: { 'better-sqlite3': pkg.dependencies['better-sqlite3'] },
      },
      null,
      2,
    )}\n`,
  );
  console.log('built dist/server.js');
  await buildWeb();
}
