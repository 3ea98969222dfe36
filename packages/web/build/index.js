// Builds the Web.Casa shell: first the shared vendor modules (one file per
// bare specifier in SHARED_MODULES), then the app with those imports left bare
// and an inline import map pointing them at the vendor files. Plugins whose web
// entries are bundled become lazy chunks of the app build.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import solid from 'vite-plugin-solid';
import { iconGroups, lucideIcons, SHELL_ICONS } from './icons.js';
import { isSharedModule, SHARED_MODULES, vendorName } from './shared.js';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The file of @webcasa/plugin-sdk's web part (`web.ts` in the workspace, `web.js` published). */
function sdkWebFile() {
  const index = createRequire(join(webDir, 'package.json')).resolve('@webcasa/plugin-sdk');
  for (const name of ['web.ts', 'web.js']) {
    const file = join(dirname(index), name);
    if (existsSync(file)) return file;
  }
  throw new Error(`@webcasa/plugin-sdk has no web module beside ${index}`);
}

/** Vendor entries: the plugin SDK is served by its browser half. */
const vendorEntries = () =>
  Object.fromEntries(
    SHARED_MODULES.map((spec) => [vendorName(spec), spec === '@webcasa/plugin-sdk' ? sdkWebFile() : spec]),
  );

/**
 * In the browser the SDK's web part needs only PLUGIN_API_VERSION from its
 * manifest module, which otherwise drags zod and semver in: serve the constant alone.
 */
function sdkBrowserPlugin() {
  const web = sdkWebFile();
  const id = '\0webcasa-sdk-version';
  return {
    name: 'webcasa-sdk-browser',
    enforce: 'pre',
    resolveId(source, importer) {
      return importer === web && /^\.\/manifest(\.js)?$/.test(source) ? id : undefined;
    },
    load(loaded) {
      if (loaded !== id) return undefined;
      const dir = dirname(web);
      const file = ['manifest.ts', 'manifest.js'].map((n) => join(dir, n)).find((f) => existsSync(f));
      const version = /PLUGIN_API_VERSION\s*=\s*['"]([^'"]+)['"]/.exec(readFileSync(file, 'utf8'))?.[1];
      if (!version) throw new Error(`PLUGIN_API_VERSION not found in ${file}`);
      return `export const PLUGIN_API_VERSION = ${JSON.stringify(version)};\n`;
    },
  };
}

/** The shared modules the shell's first page loads (preloaded with the entry). */
const INITIAL_SHARED = ['solid-js', 'solid-js/web', '@solidjs/router', '@webcasa/ui'];

function exportTarget(value) {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    for (const key of ['browser', 'import', 'default']) {
      const found = exportTarget(value[key]);
      if (found) return found;
    }
  }
  return undefined;
}

function findPackageDir(name, fromDir) {
  const req = createRequire(join(resolve(fromDir), 'package.json'));
  for (const probe of [`${name}/package.json`, `${name}/manifest`]) {
    try {
      let dir = dirname(req.resolve(probe));
      while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
      return dir;
    } catch {
      // try the next probe
    }
  }
  for (const base of req.resolve.paths(name) ?? []) {
    if (existsSync(join(base, name, 'package.json'))) return join(base, name);
  }
  throw new Error(`plugin package ${name} cannot be found from ${fromDir}; is it installed?`);
}

/**
 * Read a plugin package as the shell build needs it: id and icons from the
 * manifest, and the file of its `./web` export (absent: nothing to bundle).
 */
export function readPluginWeb(packageDir) {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const manifestRel = exportTarget(pkg.exports?.['./manifest']) ?? './manifest.json';
  const manifest = JSON.parse(readFileSync(join(packageDir, manifestRel), 'utf8'));
  const webRel = exportTarget(pkg.exports?.['./web']);
  const icons = [manifest.icon, ...(manifest.web?.menu ?? []).map((m) => m.icon)].filter(Boolean);
  return {
    id: manifest.id,
    packageName: pkg.name,
    version: pkg.version,
    webEntry: webRel ? join(packageDir, webRel) : undefined,
    icons,
  };
}

const BUNDLED = 'virtual:webcasa/bundled-plugins';
const ICONS = 'virtual:webcasa/icons';

/** Vite plugin: the bundled plugins' loaders, the icon data and the import map. */
export function shellPlugin({ plugins, icons, importMap, preload }) {
  const resolved = (id) => `\0${id}`;
  return {
    name: 'webcasa-shell',
    resolveId(id) {
      if (id === BUNDLED || id === ICONS || id.startsWith(`${ICONS}/`)) return resolved(id);
      return undefined;
    },
    load(id) {
      if (id === resolved(BUNDLED)) {
        const lines = plugins
          .filter((p) => p.webEntry)
          .map((p) => `  ${JSON.stringify(p.id)}: () => import(${JSON.stringify(p.webEntry)}),`);
        return `export default {\n${lines.join('\n')}\n};\n`;
      }
      if (id === resolved(ICONS)) {
        const all = lucideIcons();
        const inline = Object.fromEntries(icons.filter((n) => all.has(n)).map((n) => [n, all.get(n)]));
        const groups = [...iconGroups().keys()]
          .map((k) => `  ${JSON.stringify(k)}: () => import(${JSON.stringify(`${ICONS}/${k}`)}),`)
          .join('\n');
        return `export const icons = ${JSON.stringify(inline)};\nexport const groups = {\n${groups}\n};\n`;
      }
      if (id.startsWith(resolved(`${ICONS}/`))) {
        const key = id.slice(resolved(`${ICONS}/`).length);
        return `export default ${JSON.stringify(iconGroups().get(key) ?? {})};\n`;
      }
      return undefined;
    },
    transformIndexHtml: {
      order: 'pre',
      handler() {
        if (!importMap) return [];
        return [
          {
            tag: 'script',
            attrs: { type: 'importmap' },
            children: JSON.stringify({ imports: importMap }),
            injectTo: 'head-prepend',
          },
          ...preload.map((href) => ({
            tag: 'link',
            attrs: { rel: 'modulepreload', href },
            injectTo: 'head',
          })),
        ];
      },
    },
  };
}

/**
 * Build the shell into `outDir`.
 *
 * @param {import('./index.js').BuildShellOptions} options
 * @returns {Promise<import('./index.js').ShellBuild>}
 *
 * @example
 * await buildShell({ outDir: 'dist/web', plugins: ['@webcasa/plugin-docker'], resolveFrom: appDir });
 */
export async function buildShell(options = {}) {
  const outDir = resolve(options.outDir ?? join(webDir, 'dist'));
  const resolveFrom = options.resolveFrom ?? process.cwd();
  const logLevel = options.logLevel ?? 'warn';
  const plugins = [
    ...(options.plugins ?? []).map((name) => readPluginWeb(findPackageDir(name, resolveFrom))),
    ...(options.pluginDirs ?? []).map((dir) => readPluginWeb(resolve(resolveFrom, dir))),
  ];
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  // 1. Vendor modules: one entry per shared specifier, exports kept whole.
  const vendor = await build({
    configFile: false,
    root: webDir,
    logLevel,
    plugins: [sdkBrowserPlugin(), solid()],
    build: {
      outDir,
      emptyOutDir: false,
      copyPublicDir: false,
      manifest: 'vendor-manifest.json',
      minify: options.minify ?? true,
      target: 'es2022',
      rollupOptions: {
        input: vendorEntries(),
        preserveEntrySignatures: 'strict',
        output: {
          entryFileNames: 'assets/vendor/[name]-[hash].js',
          chunkFileNames: 'assets/vendor/[name]-[hash].js',
        },
      },
    },
  });
  const manifest = JSON.parse(readFileSync(join(outDir, 'vendor-manifest.json'), 'utf8'));
  rmSync(join(outDir, 'vendor-manifest.json'));
  void vendor;
  const byName = new Map(
    Object.values(manifest)
      .filter((c) => c.isEntry)
      .map((c) => [c.name, c]),
  );
  const importMap = {};
  for (const spec of SHARED_MODULES) {
    const chunk = byName.get(vendorName(spec));
    if (!chunk) throw new Error(`vendor build produced no chunk for ${spec}`);
    importMap[spec] = `/${chunk.file}`;
  }
  // Preload what the first page needs: those entries and every chunk they import statically.
  const preload = new Set();
  const visit = (key) => {
    const chunk = manifest[key];
    if (!chunk || preload.has(`/${chunk.file}`)) return;
    preload.add(`/${chunk.file}`);
    for (const dep of chunk.imports ?? []) visit(dep);
  };
  for (const spec of INITIAL_SHARED) {
    const key = Object.keys(manifest).find(
      (k) => manifest[k].isEntry && manifest[k].name === vendorName(spec),
    );
    if (key) visit(key);
  }

  // 2. The app, with shared imports left bare for the import map.
  const icons = [...new Set([...SHELL_ICONS, 'puzzle', ...plugins.flatMap((p) => p.icons)])];
  await build({
    configFile: false,
    root: webDir,
    base: '/',
    logLevel,
    plugins: [solid(), shellPlugin({ plugins, icons, importMap, preload: [...preload] })],
    build: {
      outDir,
      emptyOutDir: false,
      manifest: 'app-manifest.json',
      minify: options.minify ?? true,
      target: 'es2022',
      modulePreload: { polyfill: false },
      cssCodeSplit: true,
      rollupOptions: {
        external: (id) => isSharedModule(id),
        output: {
          entryFileNames: 'assets/[name]-[hash].js',
          chunkFileNames: 'assets/[name]-[hash].js',
          assetFileNames: 'assets/[name]-[hash][extname]',
        },
      },
    },
  });
  const app = JSON.parse(readFileSync(join(outDir, 'app-manifest.json'), 'utf8'));
  rmSync(join(outDir, 'app-manifest.json'));

  // What the first page loads: the entry, its static imports, its CSS and the preloaded vendor files.
  const initialJs = new Set(preload);
  const initialCss = new Set();
  const walk = (key) => {
    const chunk = app[key];
    if (!chunk || initialJs.has(`/${chunk.file}`)) return;
    initialJs.add(`/${chunk.file}`);
    for (const css of chunk.css ?? []) initialCss.add(`/${css}`);
    for (const dep of chunk.imports ?? []) walk(dep);
  };
  walk('index.html');
  const gz = (files) =>
    [...files].reduce(
      (sum, f) => sum + gzipSync(readFileSync(join(outDir, f.slice(1))), { level: 9 }).length,
      0,
    );
  const info = {
    shell: JSON.parse(readFileSync(join(webDir, 'package.json'), 'utf8')).version,
    importMap,
    bundledPlugins: plugins.filter((p) => p.webEntry).map((p) => ({ id: p.id, package: p.packageName })),
    initial: {
      js: [...initialJs],
      css: [...initialCss],
      jsGzipBytes: gz(initialJs),
      cssGzipBytes: gz(initialCss),
    },
  };
  writeFileSync(join(outDir, 'webcasa-shell.json'), `${JSON.stringify(info, null, 2)}\n`);
  return { outDir, ...info };
}

export { webPluginConfig } from './plugin.js';
export { isSharedModule, SHARED_MODULES, vendorName } from './shared.js';
