import { request } from 'node:http';
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { WebcasaError } from '../errors.js';

/** Caddy answered and refused the config; the previous config stays live. */
export class CaddyRejectedError extends WebcasaError {
  constructor(
    readonly caddyMessage: string,
    readonly caddyStatus: number,
  ) {
    super('WEBCASA_CADDY_REJECTED', `Caddy rejected the configuration: ${caddyMessage}`, 422, {
      caddy: caddyMessage,
    });
    this.name = 'CaddyRejectedError';
  }
}

/** The admin endpoint could not be reached (not running, wrong address, timeout). */
export class CaddyUnavailableError extends WebcasaError {
  constructor(message: string) {
    super('WEBCASA_CADDY_UNAVAILABLE', message, 503);
    this.name = 'CaddyUnavailableError';
  }
}

/** An admin address in both forms: Caddy's (`admin.listen`) and Node's (where to connect). */
export interface AdminAddress {
  /** As Caddy writes it: `127.0.0.1:2019` or `unix//run/caddy/admin.sock`. */
  caddy: string;
  socketPath?: string;
  host?: string;
  port?: number;
}

/**
 * Parse an admin address: `host:port`, `http://host:port`, `unix//abs/path`,
 * `unix:/abs/path` or `/abs/path.sock`. Throws a message naming the problem.
 */
export function parseAdminAddress(raw: string): AdminAddress {
  const text = raw.trim();
  const unix = /^unix(?::|\/)\/?(\/.+)$/.exec(text) ?? (text.startsWith('/') ? [text, text] : null);
  if (unix) {
    const path = unix[1]!;
    if (!isAbsolute(path)) throw new Error(`admin socket path "${path}" must be absolute`);
    if (Buffer.byteLength(path) > 100) {
      throw new Error(`admin socket path "${path}" is too long for a unix socket (over 100 bytes)`);
    }
    return { caddy: `unix/${path}`, socketPath: path };
  }
  const hostPort = text.replace(/^https?:\/\//, '').replace(/\/$/, '');
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(hostPort);
  if (!m) throw new Error(`"${raw}" is not an admin address (host:port or unix//path/to/admin.sock)`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error(`admin port ${port} is not between 1 and 65535`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  if (!isIP(host) && !/^[a-z0-9.-]+$/i.test(host)) throw new Error(`"${host}" is not a host name`);
  return { caddy: `${isIP(host) === 6 ? `[${host}]` : host}:${port}`, host, port };
}

export interface CaddyResponse {
  status: number;
  body: string;
}

/**
 * Talks to Caddy's admin API over loopback TCP or a unix socket. Only the admin
 * API is used: `POST /load` to apply, `GET /config/` and `GET /id/…` to read back.
 *
 * @example
 * const caddy = new CaddyAdminClient(parseAdminAddress('unix//var/lib/webcasa/caddy/admin.sock'));
 * await caddy.load(config);
 */
export class CaddyAdminClient {
  constructor(
    readonly address: AdminAddress,
    private readonly timeoutMs = 30_000,
  ) {}

  /** One request; rejects with {@link CaddyUnavailableError} when Caddy cannot be reached. */
  request(
    method: string,
    path: string,
    body?: string,
    options: { headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<CaddyResponse> {
    const a = this.address;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...options.headers };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      // Caddy checks the Host header against its allowed origins: for a unix socket the
      // default allows only an empty one; for TCP, the listen address itself.
      // Over TCP it also sends the matching Origin, which `enforce_origin` requires.
      if (a.socketPath) {
        headers.host = '';
      } else {
        headers.host = `${a.host && isIP(a.host) === 6 ? `[${a.host}]` : a.host}:${a.port}`;
        headers.origin = `http://${headers.host}`;
      }
      const req = request(
        {
          method,
          path,
          headers,
          agent: false,
          // Node would replace an empty Host with "localhost" unless told not to add one.
          ...(a.socketPath ? { socketPath: a.socketPath, setHost: false } : { host: a.host, port: a.port }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (error) =>
            reject(new CaddyUnavailableError(`Caddy admin ${a.caddy}: ${error.message}`)),
          );
        },
      );
      req.setTimeout(options.timeoutMs ?? this.timeoutMs, () => {
        req.destroy(new Error(`no answer within ${options.timeoutMs ?? this.timeoutMs} ms`));
      });
      req.on('error', (error) =>
        reject(new CaddyUnavailableError(`Caddy admin ${a.caddy}: ${error.message}`)),
      );
      req.end(body);
    });
  }

  /**
   * Replace Caddy's whole config atomically. Caddy keeps the previous config when
   * it refuses the new one ({@link CaddyRejectedError} with its message).
   * `force` reloads even an unchanged config (Caddy skips those otherwise).
   */
  async load(config: unknown, options: { force?: boolean } = {}): Promise<void> {
    const res = await this.request(
      'POST',
      '/load',
      JSON.stringify(config),
      options.force ? { headers: { 'cache-control': 'must-revalidate' } } : {},
    );
    if (res.status >= 200 && res.status < 300) return;
    throw new CaddyRejectedError(caddyError(res), res.status);
  }

  /** `GET /config/<path>`: the live config (or part of it), parsed. */
  async getConfig(path = ''): Promise<unknown> {
    const res = await this.request('GET', `/config/${path}`, undefined, { timeoutMs: 10_000 });
    if (res.status !== 200) throw new CaddyRejectedError(caddyError(res), res.status);
    return res.body.trim() === '' ? null : JSON.parse(res.body);
  }

  /** Whether an object with this `@id` is in the live config. */
  async hasId(id: string): Promise<boolean> {
    const res = await this.request('GET', `/id/${encodeURIComponent(id)}`, undefined, { timeoutMs: 5_000 });
    return res.status === 200;
  }

  /** True when the admin endpoint answers. */
  async ping(timeoutMs = 2_000): Promise<boolean> {
    try {
      const res = await this.request('GET', '/config/admin', undefined, { timeoutMs });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** Ask Caddy to exit (`POST /stop`). */
  async stop(): Promise<void> {
    await this.request('POST', '/stop', undefined, { timeoutMs: 5_000 });
  }
}

function caddyError(res: CaddyResponse): string {
  try {
    const parsed = JSON.parse(res.body) as { error?: string };
    if (parsed.error) return parsed.error;
  } catch {}
  return res.body.trim() || `HTTP ${res.status}`;
}
