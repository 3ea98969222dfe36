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
        manifest: { id: 'echo', name: 'Echo', version: '1.0.0', engine: '^1.0.0' },
        plugin: {
          $$type: '@webcasa/server-plugin',
          apiVersion: '1.0.0',
          setup(ctx: { router: { post: Function } }) {
            ctx.router.post(
              '/echo',
              async (c: { req: { json(): Promise<unknown> }; json(v: unknown): Response }) =>
                c.json({ got: await c.req.json() }),
            );
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

  it('says when the panel does not answer', async () => {
    const down = createApi({ baseUrl: 'http://127.0.0.1:1' });
    await expect(down.info()).rejects.toMatchObject({ status: 0, code: 'WEBCASA_NETWORK' });
  });
});
