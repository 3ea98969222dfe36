import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthService } from '../auth/index.js';
import { openDatabase } from '../db/database.js';
import { createSecretBox, loadOrCreateKey } from '../settings/secrets.js';
import { type CliIo, runCli } from './index.js';

let dir: string;
let out: string;
let err: string;
let stdin: string;

function io(): CliIo {
  return {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
    readStdin: async () => stdin,
    env: { WEBCASA_DATA_DIR: join(dir, 'data') },
  };
}

function writePlugin(root: string, id: string, deps: Record<string, string> = {}) {
  const pkgDir = join(root, id);
  mkdirSync(pkgDir, { recursive: true });
  writeFileSync(
    join(pkgDir, 'package.json'),
    JSON.stringify({
      name: `webcasa-plugin-${id}`,
      version: '1.0.0',
      type: 'module',
      keywords: ['webcasa-plugin'],
      exports: { './manifest': './manifest.json', './server': './server.js' },
    }),
  );
  writeFileSync(
    join(pkgDir, 'manifest.json'),
    JSON.stringify({ id, name: id, version: '1.0.0', engine: '^1.0.0', dependencies: deps }),
  );
  writeFileSync(join(pkgDir, 'server.js'), 'throw new Error("the CLI must not run plugin code");\n');
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-cli-'));
  out = '';
  err = '';
  stdin = '';
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('webcasa CLI', () => {
  it('prints help and exits 0 for --help, 2 for unknown commands', async () => {
    expect(await runCli(['--help'], {}, io())).toBe(0);
    expect(out).toContain('admin create');
    expect(await runCli(['frobnicate'], {}, io())).toBe(2);
    expect(err).toContain('unknown command "frobnicate"');
    out = '';
    expect(await runCli(['admin', '--help'], {}, io())).toBe(0);
    expect(out).toContain('--password-stdin');
  });

  it('admin create reads the password from stdin and the user can sign in', async () => {
    stdin = 'a-very-long-password\n';
    expect(await runCli(['admin', 'create', '--username', 'root', '--password-stdin'], {}, io())).toBe(0);
    expect(out).toContain('Created admin "root"');
    const dataDir = join(dir, 'data');
    const db = await openDatabase(dataDir);
    try {
      const auth = createAuthService({ db: db.core, secrets: createSecretBox(loadOrCreateKey(dataDir)) });
      const list = await auth.listUsers();
      expect(list.map((u) => [u.username, u.role])).toEqual([['root', 'admin']]);
      const session = await auth.login({
        username: 'root',
        password: 'a-very-long-password',
        ip: '127.0.0.1',
        userAgent: 'cli-test',
      });
      expect(session.token).toMatch(/^wcs_/);
    } finally {
      await db.close();
    }
  });

  it('refuses admin create without a password, with a weak one, or a duplicate name', async () => {
    expect(await runCli(['admin', 'create', '--username', 'root'], {}, io())).toBe(2);
    expect(err).toContain('--password-stdin');
    err = '';
    stdin = 'short\n';
    expect(await runCli(['admin', 'create', '--username', 'root', '--password-stdin'], {}, io())).toBe(1);
    expect(err).toMatch(/password/);
    stdin = 'a-very-long-password\n';
    expect(await runCli(['admin', 'create', '--username', 'root', '--password-stdin'], {}, io())).toBe(0);
    err = '';
    expect(await runCli(['admin', 'create', '--username', 'ROOT', '--password-stdin'], {}, io())).toBe(1);
    expect(err).toMatch(/exists|taken/);
  });

  it('admin reset-password changes the password', async () => {
    stdin = 'a-very-long-password\n';
    await runCli(['admin', 'create', '--username', 'root', '--password-stdin'], {}, io());
    stdin = 'another-long-password\n';
    expect(
      await runCli(['admin', 'reset-password', '--username', 'root', '--password-stdin'], {}, io()),
    ).toBe(0);
    const dataDir = join(dir, 'data');
    const db = await openDatabase(dataDir);
    try {
      const auth = createAuthService({ db: db.core, secrets: createSecretBox(loadOrCreateKey(dataDir)) });
      await expect(
        auth.login({ username: 'root', password: 'a-very-long-password', ip: '127.0.0.2', userAgent: 't' }),
      ).rejects.toThrow();
      await expect(
        auth.login({ username: 'root', password: 'another-long-password', ip: '127.0.0.3', userAgent: 't' }),
      ).resolves.toBeTruthy();
    } finally {
      await db.close();
    }
    expect(
      await runCli(['admin', 'reset-password', '--username', 'nobody', '--password-stdin'], {}, io()),
    ).toBe(1);
    expect(err).toContain('no user named "nobody"');
  });

  it('plugin list/enable/disable work on installed packages without running their code', async () => {
    const installed = join(dir, 'data', 'plugins', 'node_modules');
    writePlugin(installed, 'base');
    writePlugin(installed, 'child', { base: '^1.0.0' });
    expect(await runCli(['plugin', 'list', '--json'], {}, io())).toBe(0);
    const listed = JSON.parse(out).plugins.map((p: { id: string; state: string }) => `${p.id}:${p.state}`);
    expect(listed.sort()).toEqual(['base:ok', 'child:ok']);

    expect(await runCli(['plugin', 'disable', 'base'], {}, io())).toBe(1);
    expect(err).toContain('needed by child');
    out = '';
    expect(await runCli(['plugin', 'disable', 'base', '--cascade'], {}, io())).toBe(0);
    expect(out).toContain('Disabled base, child');
    out = '';
    await runCli(['plugin', 'list', '--json'], {}, io());
    expect(JSON.parse(out).plugins.every((p: { enabled: boolean }) => !p.enabled)).toBe(true);

    err = '';
    expect(await runCli(['plugin', 'enable', 'child'], {}, io())).toBe(1);
    expect(err).toContain('needs base');
    expect(await runCli(['plugin', 'enable', 'child', '--cascade'], {}, io())).toBe(0);
    expect(await runCli(['plugin', 'enable', 'ghost'], {}, io())).toBe(1);
    expect(err).toContain('no plugin with id "ghost"');
  });

  it('start refuses a bad port with exit 2', async () => {
    expect(await runCli(['start', '--port', 'eighty'], {}, io())).toBe(2);
    expect(err).toContain('--port');
  });
});
