import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type InlinePlugin, type Panel, type PanelOptions, startPanel } from '../src/server.js';

export interface Harness {
  panel: Panel;
  dataDir: string;
  token: string;
  /** fetch against the panel with the admin's bearer token (pass token: '' for anonymous). */
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  login(username: string, password: string): Promise<string>;
  stop(): Promise<void>;
}

export const PASSWORD = 'correct-horse-battery';

/** A real panel on a temp data dir and a free port, with an admin signed in. */
export async function startHarness(
  plugins: InlinePlugin[] = [],
  options: Partial<PanelOptions> & { dataDir?: string; keep?: boolean } = {},
): Promise<Harness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'webcasa-core-'));
  const panel = await startPanel({
    stdoutLogs: false,
    logLevel: 'fatal',
    onSetupToken: () => {},
    ...options,
    dataDir,
    port: 0,
    inlinePlugins: plugins,
  });
  async function call(
    method: string,
    path: string,
    body?: unknown,
    opts: { token?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token ?? harness.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] ??= 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(panel.url + path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, body: parsed as any, headers: res.headers };
  }
  async function login(username: string, password: string): Promise<string> {
    const res = await call('POST', '/api/auth/login', { username, password }, { token: '' });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token;
  }
  const harness: Harness = {
    panel,
    dataDir,
    token: '',
    call,
    login,
    async stop() {
      await panel.stop();
      if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if ((await panel.auth.listUsers()).length === 0) {
    await panel.auth.createUser({ username: 'admin', password: PASSWORD, role: 'admin' });
  }
  harness.token = await login('admin', PASSWORD);
  return harness;
}

/** Poll `check` until it returns true (bounded: fails after `ms`). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}
