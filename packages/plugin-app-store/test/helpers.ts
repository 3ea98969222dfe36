// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables like ${APP_PORT} are literal text here
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Panel env for a managed caddy on high loopback ports (as packages/core's sites tests do). */
export async function caddyEnv(): Promise<{ env: Record<string, string>; httpPort: number }> {
  const httpPort = await freePort();
  const httpsPort = await freePort();
  return {
    httpPort,
    env: {
      ...(process.env as Record<string, string>),
      WEBCASA_CADDY: 'managed',
      WEBCASA_CADDY_HTTP_PORT: String(httpPort),
      WEBCASA_CADDY_HTTPS_PORT: String(httpsPort),
      WEBCASA_CADDY_BIND: '127.0.0.1',
    },
  };
}

/** GET through Caddy on 127.0.0.1:`port` as if for `host`. */
export function viaCaddy(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'GET', agent: false, headers: { host: `${host}:${port}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(5_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Poll `fn` until `check` passes (bounded). */
export async function until<T>(fn: () => Promise<T>, check: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  let error: unknown;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (check(last)) return last;
    } catch (e) {
      error = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`condition not met in ${ms} ms; last: ${JSON.stringify(last) ?? String(error)}`);
}

export interface TestApp {
  id: string;
  image: string;
  version: string;
  tipi: number;
  /** Make the deploy fail: a mount whose container path is relative (the engine refuses it). */
  broken?: boolean;
}

/**
 * A Runtipi-format store as a local git repository with one app: busybox httpd serving a page
 * that names the version and the form's greeting, writing to its data dir.
 */
export function createStoreRepo(app: TestApp): string {
  const repo = mkdtempSync(join(tmpdir(), 'app-store-repo-'));
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  writeStoreApp(repo, app);
  commit(repo, `add ${app.id} ${app.version}`);
  return repo;
}

export function writeStoreApp(repo: string, app: TestApp): void {
  const dir = join(repo, 'apps', app.id);
  mkdirSync(join(dir, 'metadata'), { recursive: true });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify(
      {
        name: `E2E ${app.id}`,
        id: app.id,
        available: true,
        exposable: true,
        port: 8080,
        tipi_version: app.tipi,
        version: app.version,
        categories: ['utilities'],
        short_desc: 'A test page served by busybox httpd',
        author: 'Web.Casa tests',
        source: 'https://example.com/e2e',
        form_fields: [
          { type: 'text', label: 'Greeting', required: true, min: 2, env_variable: 'GREETING' },
          { type: 'random', label: 'Secret', min: 16, encoding: 'hex', env_variable: 'E2E_SECRET' },
        ],
        supported_architectures: ['amd64', 'arm64'],
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'docker-compose.json'),
    JSON.stringify({
      schemaVersion: 2,
      services: [
        {
          name: 'web',
          image: app.image,
          isMain: true,
          internalPort: 80,
          environment: [
            { key: 'GREETING', value: '${GREETING}' },
            { key: 'PAGE_VERSION', value: app.version },
          ],
          // `$$` reaches the shell as `$`: the container's own variables fill the page.
          command: [
            'sh',
            '-c',
            'mkdir -p /www && echo "version $$PAGE_VERSION says $$GREETING" > /www/index.html && echo "$$PAGE_VERSION" >> /data/history && exec httpd -f -p 80 -h /www',
          ],
          volumes: [
            { hostPath: '${APP_DATA_DIR}/data', containerPath: '/data' },
            ...(app.broken ? [{ hostPath: '${APP_DATA_DIR}/x', containerPath: 'not-absolute' }] : []),
          ],
        },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'metadata', 'description.md'),
    `# E2E app\n\nVersion **${app.version}**. <script>alert(1)</script>\n`,
  );
}

export function commit(repo: string, message: string): void {
  execFileSync('git', ['-C', repo, 'add', '-A']);
  execFileSync('git', [
    '-C',
    repo,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@example.com',
    'commit',
    '-q',
    '-m',
    message,
  ]);
}
