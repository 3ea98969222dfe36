// A real verdaccio on 127.0.0.1 (temp storage and htpasswd, no uplinks) and real `npm publish`.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const VERDACCIO_BIN = resolve(here, '../node_modules/.bin/verdaccio');

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
