import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { PluginSocket, RequestUser } from '@webcasa/plugin-sdk';
import type { Logger } from 'pino';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { errorMessage, WebcasaError } from '../errors.js';
import { clientIpFrom } from '../http/client-ip.js';

/** Path params of a matched route, e.g. `{ id: 'run_…' }` for `/ws/runs/:id`. */
export type WsParams = Record<string, string>;

export type WsHandler = (socket: PluginSocket, params: WsParams) => void | Promise<void>;

export interface WsHubOptions {
  /** Who is asking; `undefined` answers the upgrade with 401. */
  authenticate: (req: IncomingMessage) => Promise<RequestUser | undefined>;
  logger: Logger;
  /**
   * Whether a browser `Origin` may connect. Default: its host equals the `Host` header, which
   * refuses cross-site WebSocket hijacking. Requests without `Origin` (non-browser clients) pass.
   */
  allowedOrigins?: (origin: string, host: string) => boolean;
  /** Largest message a client may send, in bytes. Default 1 MiB. */
  maxPayload?: number;
  /** Interval of the ping that finds dead connections. Default 30 s. */
  heartbeatMs?: number;
  /** Queued outgoing bytes past which a slow client is dropped. Default 4 MiB. */
  maxBufferedBytes?: number;
}

interface Route {
  readonly pattern: string;
  readonly segments: readonly string[];
  readonly handler: WsHandler;
  readonly owner: string;
  /** Static segments count: `/ws/runs/latest` wins over `/ws/runs/:id`. */
  readonly score: number;
}

interface Connection {
  readonly ws: WebSocket;
  readonly owner: string;
  alive: boolean;
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function defaultOriginCheck(origin: string, host: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false; // includes the opaque origin "null"
  }
}

// Close reasons are limited to 123 bytes by the protocol; `ws` throws past that.
function safeReason(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  let out = reason;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

/**
 * The WebSocket side of the panel: authenticated upgrades routed by path, for the core
 * (`/ws/runs/:id`) and for plugins (`/ws/plugins/<id>/…`, owned by the plugin id).
 *
 * @example
 * const hub = new WsHub({ authenticate: (req) => auth.fromRequest(req), logger });
 * hub.attach(server);
 * hub.route('/ws/plugins/docker/logs/:container', (socket, { container }) => {
 *   socket.send(JSON.stringify({ hello: container }));
 *   socket.onMessage((text) => socket.send(text));
 * }, 'docker');
 * hub.removeOwner('docker'); // plugin disabled: routes gone, sockets closed with 1001
 */
export class WsHub {
  private readonly options: WsHubOptions;
  private readonly wss: WebSocketServer;
  private readonly routes = new Map<string, Route>();
  private readonly connections = new Set<Connection>();
  private readonly servers = new Set<Server>();
  private readonly maxBuffered: number;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  constructor(options: WsHubOptions) {
    this.options = options;
    this.maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload ?? 1024 * 1024,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs ?? 30_000);
    this.heartbeat.unref();
  }

  /** Handle WebSocket upgrades of `server`. */
  attach(server: Server): void {
    if (this.servers.has(server)) return;
    this.servers.add(server);
    server.on('upgrade', this.onUpgrade);
  }

  /**
   * Accept connections at `pattern` (`:name` matches one path segment). Returns the function
   * that removes the route again; open sockets stay open (see {@link removeOwner}).
   *
   * @example
   * const off = hub.route('/ws/runs/:id', (socket, { id }) => …);
   */
  route(pattern: string, handler: WsHandler, owner = 'core'): () => void {
    if (!pattern.startsWith('/')) {
      throw new WebcasaError(
        'WEBCASA_WS_ROUTE',
        `WebSocket route "${pattern}" of ${owner} must start with /`,
      );
    }
    const segments = splitPath(pattern);
    const key = segments.map((s) => (s.startsWith(':') ? ':' : s)).join('/');
    const taken = this.routes.get(key);
    if (taken) {
      throw new WebcasaError(
        'WEBCASA_WS_ROUTE_TAKEN',
        `WebSocket route "${pattern}" of ${owner} clashes with "${taken.pattern}" of ${taken.owner}`,
      );
    }
    const route: Route = {
      pattern,
      segments,
      handler,
      owner,
      score: segments.filter((s) => !s.startsWith(':')).length,
    };
    this.routes.set(key, route);
    return () => {
      if (this.routes.get(key) === route) this.routes.delete(key);
    };
  }

  /** Remove every route of `owner` and close its open sockets with 1001 (e.g. a plugin was disabled). */
  removeOwner(owner: string, reason = `${owner} was stopped`): void {
    for (const [key, route] of this.routes) if (route.owner === owner) this.routes.delete(key);
    for (const conn of this.connections) if (conn.owner === owner) conn.ws.close(1001, safeReason(reason));
  }

  /** Number of open sockets, optionally of one owner. */
  connectionCount(owner?: string): number {
    if (owner === undefined) return this.connections.size;
    let n = 0;
    for (const conn of this.connections) if (conn.owner === owner) n++;
    return n;
  }

  /** Stop accepting upgrades and close every socket with 1001. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const server of this.servers) server.off('upgrade', this.onUpgrade);
    this.servers.clear();
    for (const conn of this.connections) conn.ws.close(1001, 'the panel is shutting down');
    // Clients get a moment to answer the close frame; the rest are cut off.
    const deadline = setTimeout(() => {
      for (const conn of this.connections) conn.ws.terminate();
    }, 1000);
    deadline.unref();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private match(pathname: string): { route: Route; params: WsParams } | undefined {
    const parts = splitPath(pathname);
    let best: { route: Route; params: WsParams } | undefined;
    for (const route of this.routes.values()) {
      if (route.segments.length !== parts.length || (best && best.route.score >= route.score)) continue;
      const params: WsParams = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = route.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith(':')) {
          try {
            params[seg.slice(1)] = decodeURIComponent(part);
          } catch {
            ok = false;
          }
        } else ok = seg === part;
      }
      if (ok) best = { route, params };
    }
    return best;
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // A client resetting during the async checks must not crash the process.
    const onError = () => socket.destroy();
    socket.on('error', onError);
    this.upgrade(req, socket, head, onError).catch((error: unknown) => {
      this.options.logger.error({ err: error, url: req.url }, 'WebSocket upgrade failed');
      this.reject(socket, 500);
    });
  };

  private async upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    onError: () => void,
  ): Promise<void> {
    if (this.closed) return this.reject(socket, 503);
    const host = req.headers.host ?? '';
    const origin = req.headers.origin;
    if (origin !== undefined && !(this.options.allowedOrigins ?? defaultOriginCheck)(origin, host)) {
      this.options.logger.warn({ origin, host, url: req.url }, 'refused a WebSocket from a foreign origin');
      return this.reject(socket, 403);
    }
    // Authentication comes before routing, so anonymous callers cannot probe which routes exist.
    const user = await this.options.authenticate(req);
    if (!user) return this.reject(socket, 401);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const found = this.match(url.pathname);
    if (!found) return this.reject(socket, 404);
    if (socket.destroyed) return;

    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) {
      // The credential stays with the host, never reaches handlers.
      if (key !== 'token') query[key] = value;
    }
    // The same address the audit log records for HTTP requests (a local proxy's X-Forwarded-For).
    const ip = clientIpFrom(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', onError);
      this.connect(ws, found.route, found.params, user, url.pathname, query, ip);
    });
  }

  private reject(socket: Duplex, status: number): void {
    if (socket.destroyed) return;
    const body = STATUS_TEXT[status] ?? 'Error';
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${status} ${body}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  private connect(
    ws: WebSocket,
    route: Route,
    params: WsParams,
    user: RequestUser,
    path: string,
    query: Record<string, string>,
    ip: string | null,
  ): void {
    const conn: Connection = { ws, owner: route.owner, alive: true };
    this.connections.add(conn);
    const log = this.options.logger;
    log.debug({ path, owner: route.owner, user: user.username }, 'WebSocket connected');
    const closeListeners: (() => void)[] = [];
    let isClosed = false;

    const fail = (error: unknown, where: string) => {
      log.error(
        { err: error, path, owner: route.owner, user: user.username },
        `WebSocket ${where} failed: ${errorMessage(error)}`,
      );
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        // The detail goes to the log only; the client learns nothing about internals.
        ws.close(1011, 'internal error');
      }
    };

    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('error', (error) => log.debug({ err: error, path }, 'WebSocket error'));
    ws.on('close', () => {
      isClosed = true;
      this.connections.delete(conn);
      for (const listener of closeListeners.splice(0)) {
        try {
          listener();
        } catch (error) {
          log.error({ err: error, path, owner: route.owner }, 'WebSocket close listener failed');
        }
      }
    });

    const socket: PluginSocket = {
      user,
      path,
      query,
      ip,
      send: (data) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(String(data));
        // Memory stays bounded: a client that cannot keep up is dropped, not buffered for.
        if (ws.bufferedAmount > this.maxBuffered) {
          log.warn(
            { path, owner: route.owner, user: user.username, buffered: ws.bufferedAmount },
            'dropped a slow WebSocket client',
          );
          ws.terminate();
        }
      },
      close: (code = 1000, reason) => {
        if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) return;
        try {
          ws.close(code, safeReason(reason));
        } catch {
          ws.close(1000, safeReason(reason)); // an invalid code from a handler
        }
      },
      onMessage: (listener) => {
        ws.on('message', (data: RawData) => {
          const text = Buffer.isBuffer(data)
            ? data.toString('utf8')
            : Array.isArray(data)
              ? Buffer.concat(data).toString('utf8')
              : Buffer.from(data).toString('utf8');
          try {
            const result = listener(text) as unknown;
            if (result instanceof Promise) result.catch((error: unknown) => fail(error, 'message handler'));
          } catch (error) {
            fail(error, 'message handler');
          }
        });
      },
      onClose: (listener) => {
        if (isClosed) queueMicrotask(listener);
        else closeListeners.push(listener);
      },
    };

    try {
      const result = route.handler(socket, params);
      if (result instanceof Promise) result.catch((error: unknown) => fail(error, 'handler'));
    } catch (error) {
      fail(error, 'handler');
    }
  }

  private beat(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      try {
        conn.ws.ping();
      } catch {
        conn.ws.terminate();
      }
    }
  }
}
