// Builds the distribution into dist/: one ES module bundle that runs on plain
// Node 20 (`node dist/server.js start`). Native addons stay external and are
// resolved from node_modules; dist/package.json lists them for a standalone copy.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
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
