import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@webcasa/core';
import pkg from '../package.json' with { type: 'json' };
import config from '../webcasa.config.js';

// The distribution's folder, where its plugin packages resolve from (src/ or dist/ alike).
const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The shell that `pnpm build` writes to dist/web, when it has been built.
const webRoot = resolve(appDir, 'dist/web');

process.exitCode = await runCli(process.argv.slice(2), {
  ...config,
  version: pkg.version,
  resolveFrom: appDir,
  panel: { ...config.panel, webRoot: existsSync(join(webRoot, 'index.html')) ? webRoot : undefined },
});
