// @vitest-environment node
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Panel, startPanel } from '@webcasa/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createApi } from '../src/api/client.js';

// The client against a real panel, with a cookie jar standing in for the browser.
let panel: Panel;
let dataDir: string;
let setupToken = '';

function browserLikeFetch() {
  let cookie = '';
  const f: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(input, { ...init, headers });
    const set = res.headers.get('set-cookie');
    if (set) cookie = /Max-Age=0|expires=Thu, 01 Jan 1970/i.test(set) ? '' : set.split(';')[0]!;
    return res;
  };
  return f;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'webcasa-ui-api-'));
  panel = await startPanel({
    dataDir,
    port: 0,
    stdoutLogs: false,
    logLevel: 'warn',
    onSetupToken: (t) => {
      setupToken = t;
    },
    inlinePlugins: [
      {
        manifest: {
          id: 'echo',
          name: 'Echo',
          version: '1.0.0',
          engine: '^1.0.0',
          config: {
            type: 'object',
            properties: { word: { type: 'string', default: 'hi', minLength: 2 } },
          },
          actions: {
            shout: {
              title: 'Shout',
              input: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
            },
          },
        },
        plugin: {
          $$type: '@webcasa/server-plugin',
          apiVersion: '1.0.0',
          setup(ctx: any) {
            ctx.router.post('/echo', async (c: any) => {
              ctx.logger.warn('echoed a body');
              return c.json({ got: await c.req.json() });
            });
            ctx.router.post('/notify', async (c: any) => {
              await ctx.notify({ title: 'Disk almost full', priority: 'high', link: '/p/echo' });
              return c.body(null, 204);
            });
            ctx.actions.handle('shout', async (input: { text: string }, run: any) => {
              run.log(input.text.toUpperCase());
              await run.artifact('out.txt', `${input.text}!`);
              return { files: run.files.map((f: { name: string; size: number }) => [f.name, f.size]) };
            });
          },
        } as never,
      },
    ],
  });
}, 30_000);
afterAll(async () => {
  await panel.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('createApi against a real panel', () => {
  const expired: ApiError[] = [];
  let client: ReturnType<typeof createApi>;

  it('runs first-run setup and keeps the CSRF token for mutating calls', async () => {
    client = createApi({
      baseUrl: panel.url,
      fetch: browserLikeFetch(),
      onUnauthorized: (e) => expired.push(e),
    });
    expect(await client.auth.setupNeeded()).toBe(true);
    expect(await client.auth.me()).toBeNull();
    const answer = await client.auth.setup({ setupToken, username: 'admin', password: 'a-long-password-1' });
    expect(answer.user).toMatchObject({ username: 'admin', role: 'admin' });
    expect(client.csrfToken()).toBe(answer.csrfToken);
    const user = await client.users.create({ username: 'bob', password: 'bob-password-1', role: 'viewer' });
    expect(user).toMatchObject({ username: 'bob', role: 'viewer', disabled: false });
    expect((await client.plugins.list()).map((p) => p.id)).toEqual(['echo']);
    expect(await client.plugin('echo').post('/echo', { a: 1 })).toEqual({ got: { a: 1 } });
    expect(expired).toHaveLength(0);
  });

  it('is refused without the CSRF token (so it does send it)', async () => {
    const token = client.csrfToken();
    client.setCsrfToken(null);
    const error = await client.users
      .create({ username: 'eve', password: 'eve-password-1', role: 'viewer' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: 'WEBCASA_CSRF' });
    client.setCsrfToken(token);
  });

  it('maps validation errors to fields', async () => {
    const error = (await client.users
      .create({ username: 'x', password: 'short', role: 'viewer' })
      .catch((e) => e)) as ApiError;
    expect(error.code).toBe('WEBCASA_BAD_REQUEST');
    expect(error.fieldErrors()).toMatchObject({
      username: expect.any(String),
      password: 'must be at least 10 characters',
    });
    expect(error.requestId).toBeTruthy();
  });

  it('reports an ended session once per failed request, but not a wrong password', async () => {
    await client.auth.logout();
    const error = await client.users.list().catch((e) => e);
    expect(error).toMatchObject({ status: 401, code: 'WEBCASA_UNAUTHORIZED' });
    expect(expired).toHaveLength(1);
    const wrong = await client.auth.login({ username: 'admin', password: 'nope-nope-nope' }).catch((e) => e);
    expect(wrong).toMatchObject({ status: 401, code: 'WEBCASA_INVALID_CREDENTIALS' });
    expect(expired).toHaveLength(1);
    await client.auth.login({ username: 'admin', password: 'a-long-password-1' });
    expect((await client.users.list()).map((u) => u.username)).toEqual(['admin', 'bob']);
  });

  it('covers settings profiles and TOML, actions with files, messages, logs and metrics', async () => {
    // Profiles and TOML.
    expect(await client.plugins.profiles('echo')).toEqual([{ name: 'default', active: true }]);
    await client.plugins.setConfig('echo', { word: 'hello' });
    expect((await client.plugins.createProfile('echo', 'staging')).map((p) => p.name)).toEqual([
      'default',
      'staging',
    ]);
    await client.plugins.activateProfile('echo', 'staging');
    expect((await client.plugins.config('echo')).profile).toBe('staging');
    const toml = await client.request<string>('GET', new URL(client.plugins.tomlUrl('echo')).pathname);
    expect(toml).toContain('word = "hello"');
    expect((await client.plugins.importToml('echo', 'word = "howdy"\n')).config).toEqual({ word: 'howdy' });
    const bad = (await client.plugins.importToml('echo', 'word = "x"').catch((e) => e)) as ApiError;
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.fieldErrors())).toEqual(['word']);
    await client.plugins.activateProfile('echo', 'default');
    await client.plugins.deleteProfile('echo', 'staging');
    expect(await client.plugins.profiles('echo')).toEqual([{ name: 'default', active: true }]);

    // Actions: JSON and multipart, then artifacts.
    const [action] = await client.actions.list();
    expect(action).toMatchObject({ plugin: 'echo', name: 'shout', available: true, mutating: true });
    const json = await client.runs.start({ plugin: 'echo', action: 'shout', input: { text: 'hey' } });
    const withFile = await client.runs.start({ plugin: 'echo', action: 'shout', input: { text: 'file' } }, [
      { field: 'upload', file: new Blob(['12345']), name: 'five.txt' },
    ]);
    const ended = async (id: string) => {
      for (let i = 0; i < 100; i++) {
        const run = await client.runs.get(id);
        if (run.status !== 'running' && run.status !== 'queued') return run;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`run ${id} did not end`);
    };
    expect((await ended(json.id)).status).toBe('succeeded');
    expect((await ended(withFile.id)).status).toBe('succeeded');
    const artifacts = await client.runs.artifacts(withFile.id);
    expect(artifacts.map((a) => a.name)).toEqual(['out.txt', 'result.json']);
    expect(await client.request('GET', artifacts[1]!.url)).toEqual({ files: [['five.txt', 5]] });
    const missing = (await client.runs
      .start({ plugin: 'echo', action: 'shout', input: {} })
      .catch((e) => e)) as ApiError;
    expect(missing.fieldErrors()).toEqual({ 'input.text': expect.stringContaining('text') });

    // Messages.
    await client.plugin('echo').post('/notify');
    const inbox = await client.messages.list();
    expect(inbox.unread).toBe(1);
    expect(inbox.items[0]).toMatchObject({ plugin: 'echo', title: 'Disk almost full', priority: 'high' });
    await client.messages.read(inbox.items[0]!.id);
    expect((await client.messages.list({ unread: true })).items).toEqual([]);
    await client.plugin('echo').post('/notify');
    expect(await client.messages.readAll()).toEqual({ marked: 1 });
    await client.messages.dismiss(inbox.items[0]!.id);
    expect((await client.messages.list()).items).toHaveLength(1);

    // Logs and metrics.
    // The log is written asynchronously: look a few times.
    let found: string[] = [];
    for (let i = 0; i < 50 && !found.length; i++) {
      found = (await client.logs.query('echo', { q: 'echoed', level: 'warn' })).lines.map((l) => l.msg);
      if (!found.length) await new Promise((r) => setTimeout(r, 20));
    }
    expect(found).toContain('echoed a body');
    const bad2 = (await client.logs.query('echo', { q: '(', regex: true }).catch((e) => e)) as ApiError;
    expect(bad2.fieldErrors()).toHaveProperty('q');
    expect((await client.logs.files('echo')).map((f) => f.name)).toEqual(['echo.log']);
    expect(client.logs.downloadUrl('echo', 'echo.log')).toBe(
      `${panel.url}/api/admin/plugins/echo/logs/download?file=echo.log`,
    );
    expect(client.logs.socketUrl('echo', { level: 'warn' })).toBe(
      `${panel.url.replace('http', 'ws')}/ws/admin/plugins/echo/logs?level=warn`,
    );
    const metrics = await client.metrics.snapshot();
    expect(metrics.plugins.echo!.requests).toBeGreaterThan(0);
    expect(metrics.plugins.echo!.runsStarted).toBe(2);
    const history = await client.metrics.history({ plugin: 'echo', metric: 'requests', points: 10 });
    expect(history).toMatchObject({ metrics: ['requests'], series: [{ plugin: 'echo' }] });
  });

  it('says when the panel does not answer', async () => {
    const down = createApi({ baseUrl: 'http://127.0.0.1:1' });
    await expect(down.info()).rejects.toMatchObject({ status: 0, code: 'WEBCASA_NETWORK' });
  });
});
