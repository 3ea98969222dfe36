import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type InlinePlugin, type Panel, type PanelOptions, startPanel } from '@webcasa/core';
import WebSocket from 'ws';

export interface TestPanelOptions {
  /** Plugins as code: `{ manifest, plugin }` (the default export of your server entry). */
  plugins?: InlinePlugin[];
  /** Plugin package directories (e.g. your package root), loaded like installed packages. */
  pluginDirs?: string[];
  /** Extra panel options (setupTimeoutMs, …). */
  panel?: Partial<PanelOptions>;
  /** Role of the signed-in test user. Default admin. */
  role?: 'admin' | 'operator' | 'viewer';
  /** Keep the data dir after stop (for debugging). */
  keepDataDir?: boolean;
}

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small fetch wrapper authenticated with a bearer token. Paths are relative to the panel URL. */
export interface TestClient {
  readonly token: string;
  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse<T>>;
  get<T = any>(path: string): Promise<TestResponse<T>>;
  post<T = any>(path: string, body?: unknown): Promise<TestResponse<T>>;
  put<T = any>(path: string, body?: unknown): Promise<TestResponse<T>>;
  patch<T = any>(path: string, body?: unknown): Promise<TestResponse<T>>;
  delete<T = any>(path: string): Promise<TestResponse<T>>;
  /** Open an authenticated WebSocket to a `/ws/...` path. Resolves once open. */
  ws(path: string): Promise<TestSocket>;
}

/** An open WebSocket whose incoming messages are queued, so none is missed between open and `next()`. */
export interface TestSocket {
  readonly raw: WebSocket;
  /** The next message as text (waits up to `timeoutMs`, default 5 s). */
  next(timeoutMs?: number): Promise<string>;
  send(data: string): void;
  /** Close and wait for the close handshake; resolves with the close code. */
  close(code?: number): Promise<number>;
  /** Resolves with the close code when the server closes the socket. */
  closed: Promise<number>;
}

function wrapSocket(socket: WebSocket): TestSocket {
  const queue: string[] = [];
  const waiters: ((m: string) => void)[] = [];
  socket.on('message', (data) => {
    const text = String(data);
    const waiter = waiters.shift();
    if (waiter) waiter(text);
    else queue.push(text);
  });
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  return {
    raw: socket,
    next(timeoutMs = 5000) {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(deliver);
          if (i !== -1) waiters.splice(i, 1);
          reject(new Error(`no WebSocket message within ${timeoutMs} ms`));
        }, timeoutMs);
        const deliver = (m: string) => {
          clearTimeout(timer);
          resolve(m);
        };
        waiters.push(deliver);
      });
    },
    send: (data) => socket.send(data),
    close(code = 1000) {
      if (socket.readyState === WebSocket.OPEN) socket.close(code);
      return closed;
    },
    closed,
  };
}

export interface TestPanel {
  readonly url: string;
  readonly dataDir: string;
  readonly panel: Panel;
  /** Signed in as `admin` (or the role asked for). */
  readonly client: TestClient;
  /** Create another user and a client signed in as them. */
  clientAs(role: 'admin' | 'operator' | 'viewer', username?: string): Promise<TestClient>;
  /** An unauthenticated client. */
  anonymous: TestClient;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const PASSWORD = 'test-password-123';

export function createTestClient(baseUrl: string, token = ''): TestClient {
  const request = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
    if (body !== undefined) {
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const res = await fetch(new URL(path, baseUrl), init);
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as any };
  };
  return {
    token,
    request,
    get: (p) => request('GET', p),
    post: (p, b) => request('POST', p, b),
    put: (p, b) => request('PUT', p, b),
    patch: (p, b) => request('PATCH', p, b),
    delete: (p) => request('DELETE', p),
    ws(path) {
      const url = new URL(path, baseUrl);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      const socket = new WebSocket(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const wrapped = wrapSocket(socket);
      return new Promise((resolve, reject) => {
        socket.once('open', () => resolve(wrapped));
        socket.once('error', reject);
        socket.once('unexpected-response', (_req, res) =>
          reject(new Error(`WebSocket ${path} answered ${res.statusCode}`)),
        );
      });
    },
  };
}

/**
 * Start a real panel (SQLite file, HTTP server on 127.0.0.1 and a free port)
 * with your plugins, and sign in. Stop it in `afterEach`/`afterAll`, or use
 * `await using panel = await startTestPanel(...)`.
 *
 * @example
 * import plugin from '../src/server/index.js';
 * import manifest from '../manifest.json' with { type: 'json' };
 *
 * const t = await startTestPanel({ plugins: [{ manifest, plugin }] });
 * const res = await t.client.get('/api/plugins/uptime/checks');
 * expect(res.status).toBe(200);
 * await t.stop();
 */
export async function startTestPanel(options: TestPanelOptions = {}): Promise<TestPanel> {
  const dataDir = mkdtempSync(join(tmpdir(), 'webcasa-test-'));
  let panel: Panel;
  try {
    panel = await startPanel({
      stdoutLogs: false,
      logLevel: 'warn',
      ...options.panel,
      dataDir,
      port: 0,
      host: '127.0.0.1',
      inlinePlugins: options.plugins ?? [],
      pluginDirs: options.pluginDirs ?? [],
      onSetupToken: () => {},
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  let counter = 0;
  async function clientAs(role: 'admin' | 'operator' | 'viewer', username?: string): Promise<TestClient> {
    const name = username ?? `${role}${++counter}`;
    await panel.auth.createUser({ username: name, password: PASSWORD, role });
    const res = await createTestClient(panel.url).post('/api/auth/login', {
      username: name,
      password: PASSWORD,
    });
    if (res.status !== 200) throw new Error(`test login failed: ${res.status} ${JSON.stringify(res.body)}`);
    return createTestClient(panel.url, res.body.token);
  }
  const client = await clientAs(options.role ?? 'admin', 'admin');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await panel.stop();
    if (!options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    url: panel.url,
    dataDir,
    panel,
    client,
    clientAs,
    anonymous: createTestClient(panel.url),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
