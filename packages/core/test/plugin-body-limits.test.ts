/**
 * Plugin API 1.2, in-process and isolated alike: a manifest's `http.bodyLimits` raises the
 * body limit of the routes it names (at most 64 MiB, checked when the manifest is read) while
 * every other route keeps the panel's 1 MiB; and a plugin's WebSocket carries the client's IP,
 * the same one the audit log records for HTTP requests.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Harness, startHarness } from './helpers.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'isolation');
const MiB = 1024 * 1024;

let h: Harness;
let extraDir: string;

beforeAll(async () => {
  // A copy of the fixture whose manifest asks for more than the panel's cap.
  extraDir = mkdtempSync(join(tmpdir(), 'webcasa-body-limits-'));
  const greedy = join(extraDir, 'greedy');
  mkdirSync(greedy);
  writeFileSync(
    join(greedy, 'server.js'),
    `export { default } from ${JSON.stringify(join(fixtures, 'fixture-plugin.js'))};\n`,
  );
  const pkg = JSON.parse(readFileSync(join(fixtures, 'inproc', 'package.json'), 'utf8'));
  writeFileSync(join(greedy, 'package.json'), JSON.stringify({ ...pkg, name: 'webcasa-plugin-greedy' }));
  writeFileSync(
    join(greedy, 'manifest.json'),
    JSON.stringify({
      id: 'greedy',
      name: 'Greedy',
      version: '1.0.0',
      engine: '^1.2.0',
      http: { bodyLimits: [{ method: 'PUT', path: '/blob', maxBytes: 64 * MiB + 1 }] },
    }),
  );
  h = await startHarness([], {
    pluginDirs: [join(fixtures, 'inproc'), join(fixtures, 'process'), greedy],
  });
});

afterAll(async () => {
  await h?.stop();
  rmSync(extraDir, { recursive: true, force: true });
});

/**
 * POST/PUT raw bytes on a connection of its own (a refused body may end the connection);
 * `chunked` sends them without Content-Length.
 */
function send(
  path: string,
  body: Buffer,
  options: { method?: string; chunked?: boolean } = {},
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      h.panel.url + path,
      {
        method: options.method ?? 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${h.token}`,
          'content-type': 'application/octet-stream',
          ...(options.chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': body.length }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => {
          let parsed: any = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    // The server may answer (413) and close before the whole body is written.
    req.on('error', (error) => (req.writableEnded ? undefined : reject(error)));
    for (let at = 0; at < body.length; at += 256 * 1024) req.write(body.subarray(at, at + 256 * 1024));
    req.end();
  });
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function whoami(
  id: string,
  headers: Record<string, string> = {},
): Promise<{ ip: string | null; user: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${h.panel.url.replace('http', 'ws')}/ws/plugins/${id}/whoami`, {
      headers: { authorization: `Bearer ${h.token}`, ...headers },
    });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no message within 5 s'));
    }, 5000);
    socket.once('message', (data) => {
      clearTimeout(timer);
      socket.close();
      resolve(JSON.parse(String(data)));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe.each([
  ['in-process', 'iso-inproc'],
  ['process', 'iso-process'],
] as const)('a plugin %s', (mode, id) => {
  it('runs where its manifest says', () => {
    expect(h.panel.manager.info(id)).toMatchObject({ status: 'running', isolation: mode });
  });

  it('accepts an 8 MiB body on the route its manifest raised, with or without Content-Length', async () => {
    const body = randomBytes(8 * MiB);
    for (const chunked of [false, true]) {
      const res = await send(`/api/plugins/${id}/upload/big.bin`, body, { chunked });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ name: 'big.bin', length: body.length, sha256: sha256(body) });
    }
  });

  it('refuses a body over the raised limit with 413 naming the field', async () => {
    const res = await send(`/api/plugins/${id}/upload/big.bin`, randomBytes(8 * MiB + 1));
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'WEBCASA_BODY_TOO_LARGE', field: 'body' });
    expect(res.body.error.message).toContain('8388608');
  });

  it('keeps 1 MiB on its other routes and other methods', async () => {
    const big = randomBytes(2 * MiB);
    for (const chunked of [false, true]) {
      const echo = await send(`/api/plugins/${id}/echo`, big, { chunked });
      expect(echo.status).toBe(413);
      expect(echo.body.error).toMatchObject({ code: 'WEBCASA_BODY_TOO_LARGE', field: 'body' });
    }
    // The rule is for POST only, and for one segment after /upload.
    const put = await send(`/api/plugins/${id}/upload/big.bin`, big, { method: 'PUT' });
    expect(put.status).toBe(413);
    const deeper = await send(`/api/plugins/${id}/upload/a/b`, big);
    expect(deeper.status).toBe(413);
    // The panel's own routes too.
    const core = await send('/api/admin/settings', big, { method: 'PUT' });
    expect(core.status).toBe(413);
    expect(core.body.error).toMatchObject({ code: 'WEBCASA_BODY_TOO_LARGE', field: 'body' });
  });

  it('gives WebSockets the client IP the audit log records, a local proxy’s X-Forwarded-For included', async () => {
    const direct = await whoami(id);
    expect(direct.user).toBe('admin');
    expect(direct.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
    const proxied = await whoami(id, { 'x-forwarded-for': '198.51.100.20, 203.0.113.7' });
    expect(proxied.ip).toBe('203.0.113.7');
    // The same request over HTTP: the audit entry carries the same address.
    const res = await h.call(
      'POST',
      `/api/plugins/${id}/notes`,
      { text: 'ip' },
      {
        headers: { 'x-forwarded-for': '198.51.100.20, 203.0.113.7' },
      },
    );
    expect(res.status).toBe(200);
    const audit = await h.call('GET', `/api/admin/audit?path=/api/plugins/${id}/notes`);
    expect(audit.body.items[0]).toMatchObject({ method: 'POST', ip: proxied.ip });
  });
});

describe('the cap', () => {
  it('refuses a manifest asking for more than 64 MiB, naming the field; the rest of the panel runs', async () => {
    const res = await h.call('GET', '/api/admin/plugins');
    expect(res.status).toBe(200);
    expect(res.body.apiVersion).toBe('1.2.0');
    expect(res.body.plugins.map((p: { id: string }) => p.id)).not.toContain('greedy');
    const problem = res.body.problems.find(
      (p: { packageName?: string }) => p.packageName === 'webcasa-plugin-greedy',
    );
    expect(problem).toMatchObject({ code: 'WEBCASA_MANIFEST_INVALID' });
    expect(problem.message).toContain('http.bodyLimits.0.maxBytes');
    expect(problem.message).toContain('64 MiB');
    expect(h.panel.manager.info('iso-inproc')?.status).toBe('running');
  });
});
