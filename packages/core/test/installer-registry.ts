// A real verdaccio on 127.0.0.1 with temp storage and htpasswd, and real `npm publish`,
// for the installer tests. verdaccio is a devDependency of tooling/e2e.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const VERDACCIO_BIN = resolve(here, '../../../tooling/e2e/node_modules/.bin/verdaccio');

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

export interface Registry {
  url: string;
  /** An npmrc with the publisher's token. */
  npmrc: string;
  token: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** Start verdaccio (no uplinks: nothing leaves the machine) and sign a publisher in. */
export async function startRegistry(): Promise<Registry> {
  if (!existsSync(VERDACCIO_BIN))
    throw new Error(`verdaccio is not installed at ${VERDACCIO_BIN}; run pnpm install`);
  const dir = mkdtempSync(join(tmpdir(), 'webcasa-verdaccio-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const password = 'publisher-pass-1';
  // The publisher registers itself (npm adduser's request); htpasswd records it.
  writeFileSync(join(dir, 'htpasswd'), '');
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      '  htpasswd:',
      `    file: ${join(dir, 'htpasswd')}`,
      '    max_users: 1',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      'server:',
      '  keepAliveTimeout: 1',
      'log: { type: stdout, format: pretty, level: error }',
      'web: { enable: false }',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    VERDACCIO_BIN,
    ['--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: false,
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([
        new Promise((r) => child.once('exit', r)),
        new Promise((r) => setTimeout(r, 3000)).then(() => child.kill('SIGKILL')),
      ]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`${url}-/ping`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > until || child.exitCode !== null) {
      await stop();
      throw new Error(`verdaccio did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let token: string;
  try {
    const login = await fetch(`${url}-/user/org.couchdb.user:publisher`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        _id: 'org.couchdb.user:publisher',
        name: 'publisher',
        password,
        type: 'user',
        roles: [],
        date: new Date().toISOString(),
      }),
    });
    ({ token } = (await login.json()) as { token: string });
    if (!token) throw new Error(`verdaccio login failed: ${login.status}`);
  } catch (error) {
    await stop();
    throw error;
  }
  const npmrc = join(dir, 'npmrc');
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  return { url, npmrc, token, stop };
}

/** `npm publish` a package folder to the registry. */
export async function publish(registry: Registry, packageDir: string): Promise<void> {
  await run(
    'npm',
    ['publish', '--registry', registry.url, '--userconfig', registry.npmrc, '--ignore-scripts'],
    {
      cwd: packageDir,
      timeout: 60_000,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    },
  );
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
