import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@webcasa/core';
import pkg from '../package.json' with { type: 'json' };
import config from '../webcasa.config.js';

const here = dirname(fileURLToPath(import.meta.url));
// The distribution's folder, where its plugin packages resolve from (src/ or dist/ alike).
const appDir = resolve(here, '..');
// The shell that `pnpm build` writes to dist/web, when it has been built.
const webRoot = resolve(appDir, 'dist/web');
// Built (node dist/server.js): the plugins were bundled into dist/plugins by build.mjs,
// runnable on plain Node. From sources (tsx): the workspace packages themselves.
const builtPlugins = join(here, 'plugins');
const bundled =
  fileURLToPath(import.meta.url).endsWith(join('dist', 'server.js')) && existsSync(builtPlugins);

process.exitCode = await runCli(process.argv.slice(2), {
  ...config,
  version: pkg.version,
  resolveFrom: appDir,
  plugins: bundled ? [] : config.plugins,
  panel: {
    ...config.panel,
    webRoot: existsSync(join(webRoot, 'index.html')) ? webRoot : undefined,
    pluginDirs: bundled
      ? readdirSync(builtPlugins).map((name) => join(builtPlugins, name))
      : config.panel?.pluginDirs,
  },
});
