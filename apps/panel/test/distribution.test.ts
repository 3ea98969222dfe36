import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Builds the default distribution and runs it on plain Node, as a user would.
const appDir = join(import.meta.dirname, '..');
const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-dist-'));
let child: ChildProcess | undefined;

beforeAll(() => {
  execFileSync(process.execPath, ['build.mjs'], { cwd: appDir, stdio: 'pipe' });
}, 120_000);

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function startBuilt(args: string[]): Promise<{ url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, ['dist/server.js', ...args], {
      cwd: appDir,
      env: { ...process.env, WEBCASA_DATA_DIR: dataDir, WEBCASA_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const guard = setTimeout(() => reject(new Error(`the built panel did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(guard);
        resolve({ url: m[1]!, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the built panel exited with ${code}:\n${out}`)));
  });
}

describe('the default distribution, built', () => {
  it('is one bundle that runs on plain Node', () => {
    expect(existsSync(join(appDir, 'dist/server.js'))).toBe(true);
    const version = execFileSync(process.execPath, ['dist/server.js', '--version'], {
      cwd: appDir,
    }).toString();
    expect(version).toMatch(/^Web\.Casa 0\.\d+\.\d+ \(core .*, plugin API 1\.\d+\.\d+\)/);
  });

  it('starts, prints the one-time setup token, serves the API and stops cleanly on SIGTERM', async () => {
    const { url, output } = await startBuilt(['start', '--port', '0']);
    expect(output()).toMatch(/one-time setup token/);
    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const setup = await (await fetch(`${url}/api/auth/setup`)).json();
    expect(setup).toMatchObject({ needed: true });
    // Every plugin the distribution ships starts from its bundle on plain Node.
    const setupToken = /setup token:\s+(\S+)/.exec(output())![1]!;
    const session = await fetch(`${url}/api/auth/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ setupToken, username: 'admin', password: 'a long enough passphrase 1' }),
    });
    expect(session.status).toBe(201);
    const { token } = (await session.json()) as { token: string };
    const list = await fetch(`${url}/api/admin/plugins`, { headers: { authorization: `Bearer ${token}` } });
    const { plugins } = (await list.json()) as { plugins: { id: string; status: string }[] };
    expect(Object.fromEntries(plugins.map((p) => [p.id, p.status])), output()).toMatchObject({
      files: 'running',
      monitor: 'running',
      docker: 'running',
      'app-store': 'running',
    });
    // The built shell is served at / and for history routes, with its CSP.
    for (const path of ['/', '/setup']) {
      const page = await fetch(`${url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-/);
      expect(await page.text()).toContain('type="importmap"');
    }
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    child = undefined;
    expect(existsSync(join(dataDir, 'webcasa.db'))).toBe(true);
  });
});
