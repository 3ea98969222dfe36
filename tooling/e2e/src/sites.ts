import { existsSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import { createServer } from 'node:net';

/** Debian's caddy (`apt-get install caddy`); override with `WEBCASA_E2E_CADDY`. */
export const CADDY = process.env.WEBCASA_E2E_CADDY ?? '/usr/bin/caddy';

export function requireCaddy(): string {
  if (!existsSync(CADDY)) {
    throw new Error(`the Sites browser test needs a caddy binary at ${CADDY}: apt-get install -y caddy`);
  }
  return CADDY;
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A local HTTP app on 127.0.0.1 that says who it is and what it saw. */
export async function startBackend(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`${name} answered ${req.method} ${req.url} for ${req.headers.host}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** GET through Caddy on 127.0.0.1:`port` as if for `host` (bounded by a timeout). */
export function fetchVia(
  port: number,
  host: string,
  path = '/',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'GET', agent: false, headers: { host: `${host}:${port}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}
