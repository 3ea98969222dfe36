// Builds the distribution into dist/: one ES module bundle that runs on plain
// Node 20 (`node dist/server.js start`), and the web shell in dist/web with the
// web entries of the distribution's plugins bundled as lazy chunks. Native
// addons stay external and are resolved from node_modules; dist/package.json
// lists them for a standalone copy.
//
//   node build.mjs             server bundle and web shell
//   node build.mjs --web-only  the web shell only (what `pnpm start` runs first)
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
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

/** The directory of an installed package, found from the distribution's folder. */
function packageDir(name, from = appDir) {
  let dir = from;
  for (let i = 0; i < 20; i++) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return dirname(candidate);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find package ${name} from ${from}`);
}

function exportPath(exportsField, key) {
  const value = exportsField?.[key];
  if (typeof value === 'string') return value;
  return value?.import ?? value?.default;
}

/**
 * Native addons cannot be bundled: esbuild leaves them as imports, and the
 * build records them so they resolve (dist/node_modules links here; a
 * standalone copy gets them from `npm install` of dist/package.json).
 */
const nativePackages = new Map();
const keepNativeExternal = {
  name: 'native-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return undefined;
      const name = args.path.startsWith('@')
        ? args.path.split('/').slice(0, 2).join('/')
        : args.path.split('/')[0];
      let dir;
      try {
        dir = packageDir(name, args.resolveDir);
      } catch {
        return undefined;
      }
      if (!existsSync(join(dir, 'binding.gyp'))) return undefined;
      nativePackages.set(name, {
        dir,
        version: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version,
      });
      return { path: args.path, external: true };
    });
  },
};

// Bundled CommonJS dependencies still call require() and read __dirname (ssh2,
// under dockerode, locates its WebAssembly that way); give them both.
const requireBanner = [
  "import { createRequire as __webcasaCreateRequire } from 'node:module';",
  "import { fileURLToPath as __webcasaFileURLToPath } from 'node:url';",
  "import { dirname as __webcasaDirname } from 'node:path';",
  'const require = __webcasaCreateRequire(import.meta.url);',
  'const __filename = __webcasaFileURLToPath(import.meta.url);',
  'const __dirname = __webcasaDirname(__filename);',
].join('\n');

/**
 * Each plugin the distribution ships becomes a plain-Node package under
 * dist/plugins/<name>: its server entry bundled, its manifest copied (web
 * entries are bundled into the shell instead).
 */
async function buildPlugins(config) {
  for (const name of config.plugins ?? []) {
    const dir = packageDir(name);
    const pluginPkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const manifestFile = exportPath(pluginPkg.exports, './manifest');
    const serverFile = exportPath(pluginPkg.exports, './server');
    const outDir = join('dist/plugins', name.replace('/', '__'));
    mkdirSync(outDir, { recursive: true });
    copyFileSync(join(dir, manifestFile), join(outDir, 'manifest.json'));
    const exportsField = { './manifest': './manifest.json' };
    if (serverFile) {
      await build({
        entryPoints: [join(dir, serverFile)],
        outfile: join(outDir, 'server.js'),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'esm',
        sourcemap: true,
        plugins: [keepNativeExternal],
        banner: { js: requireBanner },
        logLevel: 'warning',
      });
      exportsField['./server'] = './server.js';
    }
    writeFileSync(
      join(outDir, 'package.json'),
      `${JSON.stringify({ name: pluginPkg.name, version: pluginPkg.version, type: 'module', keywords: ['webcasa-plugin'], exports: exportsField }, null, 2)}\n`,
    );
  }
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
    plugins: [keepNativeExternal],
    banner: {
      js: `#!/usr/bin/env node\n${requireBanner}`,
    },
    logLevel: 'warning',
  });
  await buildPlugins(await distributionConfig());
  // Native addons resolve from dist/node_modules: linked to this checkout's copies here.
  for (const [name, { dir }] of nativePackages) {
    const link = join('dist/node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), dir).split(sep).join('/'), link, 'dir');
  }
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
        dependencies: Object.fromEntries([...nativePackages].map(([name, { version }]) => [name, version])),
      },
      null,
      2,
    )}\n`,
  );
  console.log(
    `built dist/server.js and ${(await distributionConfig()).plugins?.length ?? 0} plugin(s) in dist/plugins`,
  );
  await buildWeb();
}
