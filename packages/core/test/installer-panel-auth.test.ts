// Installing through the panel's own HTTP stack: the installer routes as startPanel mounts
// them, behind session cookies, roles, CSRF and the audit log (the other installer tests
// mount the routes on a side app). The package is a .tgz built here with tar.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, PASSWORD, startHarness } from './helpers.js';
import { builtSdkPeer, removeScratch, writeFixturePlugin } from './installer-registry.js';

let h: Harness;
let tgz: Buffer;
const scratch = mkdtempSync(join(tmpdir(), 'webcasa-auth-install-'));

interface Session {
  cookie: string;
  csrf: string;
}

/** Sign in the way the browser does: the session cookie plus the CSRF token of the answer. */
async function signIn(username: string): Promise<Session> {
  const res = await fetch(`${h.panel.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const cookie = /webcasa_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!cookie) throw new Error('no session cookie');
  const body = (await res.json()) as { csrfToken: string };
  return { cookie, csrf: body.csrfToken };
}

/** A request carrying the cookie; the CSRF header only when `csrf` is given. */
async function browserCall(
  method: string,
  path: string,
  session: Session,
  options: { csrf?: string; body?: RequestInit['body']; json?: unknown } = {},
) {
  const headers: Record<string, string> = { cookie: `webcasa_session=${session.cookie}` };
  if (options.csrf !== undefined) headers['x-csrf-token'] = options.csrf;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const res = await fetch(h.panel.url + path, { method, headers, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}

function tarballForm(accept?: string): FormData {
  const form = new FormData();
  form.set('tarball', new File([tgz], 'uptime.tgz'));
  if (accept !== undefined) form.set('acceptPermissions', accept);
  return form;
}

beforeAll(async () => {
  // `npm pack` layout: everything under package/.
  const source = writeFixturePlugin({ version: '1.0.0', permissions: ['network'] });
  cpSync(source, join(scratch, 'package'), { recursive: true });
  execFileSync('tar', ['-czf', join(scratch, 'uptime.tgz'), '-C', scratch, 'package']);
  tgz = readFileSync(join(scratch, 'uptime.tgz'));
  // The panel lends installed plugins its own SDK; under vitest that is TypeScript source
  // Node cannot import from node_modules, so the built SDK is linked where the installer
  // would link it (it keeps an existing link).
  const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-core-'));
  const peers = join(dataDir, 'plugins', 'node_modules', '@webcasa');
  mkdirSync(peers, { recursive: true });
  symlinkSync(builtSdkPeer(scratch)['@webcasa/plugin-sdk']!, join(peers, 'plugin-sdk'), 'dir');
  h = await startHarness([], { dataDir });
  await h.panel.auth.createUser({ username: 'vera', password: PASSWORD, role: 'viewer' });
  await h.panel.auth.createUser({ username: 'otto', password: PASSWORD, role: 'operator' });
}, 60_000);

afterAll(async () => {
  await h?.stop();
  removeScratch();
  rmSync(scratch, { recursive: true, force: true });
});

describe('installing through the panel with a browser session', () => {
  it('refuses viewers and operators with 403, even with a valid CSRF token', async () => {
    for (const username of ['vera', 'otto']) {
      const s = await signIn(username);
      const preview = await browserCall('POST', '/api/admin/plugins/install/preview', s, {
        csrf: s.csrf,
        body: tarballForm(),
      });
      expect(preview.status, username).toBe(403);
      const install = await browserCall('POST', '/api/admin/plugins/install', s, {
        csrf: s.csrf,
        json: { spec: 'webcasa-plugin-uptime@1.0.0', acceptPermissions: ['network'] },
      });
      expect(install.status, username).toBe(403);
      expect((await browserCall('GET', '/api/admin/plugins/search?q=x', s)).status, username).toBe(403);
      expect((await browserCall('GET', '/api/admin/plugins/registry', s)).status, username).toBe(403);
    }
  });

  it('refuses an admin session without the CSRF header, or with a wrong one', async () => {
    const s = await signIn('admin');
    const missing = await browserCall('POST', '/api/admin/plugins/install', s, {
      body: tarballForm('network'),
    });
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('WEBCASA_CSRF');
    const wrong = await browserCall('POST', '/api/admin/plugins/install', s, {
      csrf: 'not-the-token',
      body: tarballForm('network'),
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('WEBCASA_CSRF');
    const uninstall = await browserCall('DELETE', '/api/admin/plugins/uptime', s);
    expect(uninstall.status).toBe(403);
    expect(h.panel.manager.info('uptime')).toBeUndefined();
  });

  it('previews and installs an uploaded .tgz with the session and its CSRF token, live', async () => {
    const s = await signIn('admin');
    const preview = await browserCall('POST', '/api/admin/plugins/install/preview', s, {
      csrf: s.csrf,
      body: tarballForm(),
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({
      id: 'uptime',
      version: '1.0.0',
      permissions: ['network'],
      problems: [],
    });

    // Not accepting the permission: the run fails and nothing is installed.
    const refused = await browserCall('POST', '/api/admin/plugins/install', s, {
      csrf: s.csrf,
      body: tarballForm(''),
    });
    expect(refused.status).toBe(202);
    const refusedRun = await h.panel.runs.wait(refused.body.runId);
    expect(refusedRun.status).toBe('failed');
    expect(refusedRun.error).toMatch(/asks for network/);
    expect(h.panel.manager.info('uptime')).toBeUndefined();

    const res = await browserCall('POST', '/api/admin/plugins/install', s, {
      csrf: s.csrf,
      body: tarballForm('network'),
    });
    expect(res.status).toBe(202);
    const run = await h.panel.runs.wait(res.body.runId);
    expect(run.status, await h.panel.runs.exportLog(res.body.runId, 'text')).toBe('succeeded');
    expect(run.createdBy).toBe('admin');
    const version = await browserCall('GET', '/api/plugins/uptime/version', s);
    expect(version.body).toEqual({ version: '1.0.0', answer: 42 });
    const installed = await browserCall('GET', '/api/admin/plugins/installed', s);
    expect(installed.body.installed).toMatchObject([{ id: 'uptime', from: 'tarball' }]);
  });

  it('records the install, and the refused attempts, in the audit log', async () => {
    const res = await h.call('GET', '/api/admin/audit?path=/api/admin/plugins/install&limit=100');
    expect(res.status).toBe(200);
    const entries = res.body.items as {
      username: string | null;
      method: string;
      path: string;
      status: number;
    }[];
    const installs = entries.filter((e) => e.path === '/api/admin/plugins/install' && e.method === 'POST');
    expect(installs.filter((e) => e.username === 'admin' && e.status === 202)).toHaveLength(2);
    // Refused by CSRF (admin) and by role (viewer, operator): recorded with their 403.
    expect(installs.filter((e) => e.username === 'admin' && e.status === 403)).toHaveLength(2);
    expect(installs.some((e) => e.username === 'vera' && e.status === 403)).toBe(true);
    expect(installs.some((e) => e.username === 'otto' && e.status === 403)).toBe(true);
  });

  it('uninstalls with the session and its CSRF token, and audits it', async () => {
    const s = await signIn('admin');
    const res = await browserCall('DELETE', '/api/admin/plugins/uptime?keepData=false', s, { csrf: s.csrf });
    expect(res.status).toBe(202);
    expect((await h.panel.runs.wait(res.body.runId)).status).toBe('succeeded');
    expect(h.panel.manager.info('uptime')).toBeUndefined();
    const audit = await h.call('GET', '/api/admin/audit?method=DELETE&path=/api/admin/plugins/uptime');
    const deletes = (audit.body.items as { status: number; username: string }[]).map((e) => [
      e.username,
      e.status,
    ]);
    expect(deletes).toContainEqual(['admin', 202]);
    expect(deletes).toContainEqual(['admin', 403]);
  });
});
