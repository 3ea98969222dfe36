import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PluginSocket, RequestUser } from '@webcasa/plugin-sdk';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type ClientOptions, WebSocket } from 'ws';
import { WsHub, type WsHubOptions } from './hub.js';

const USER: RequestUser = { id: 1, username: 'alice', role: 'admin', via: 'token' };

async function authenticate(req: IncomingMessage): Promise<RequestUser | undefined> {
  const url = new URL(req.url ?? '/', 'http://x');
  const ok = req.headers.authorization === 'Bearer good' || url.searchParams.get('token') === 'good';
  return ok ? USER : undefined;
}

let server: Server | undefined;
let hub: WsHub | undefined;
let base = '';
const clients: WebSocket[] = [];

async function start(options: Partial<WsHubOptions> = {}): Promise<WsHub> {
  server = createServer((_req, res) => res.writeHead(426).end());
  hub = new WsHub({ authenticate, logger: pino({ level: 'silent' }), ...options });
  hub.attach(server);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hub;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await hub?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  hub = undefined;
});

// Messages are queued from the start: a server may send before the client's 'open' handler ran.
const inbox = new WeakMap<WebSocket, string[]>();
function client(url: string, options: ClientOptions = {}): WebSocket {
  const ws = new WebSocket(url, options);
  const queue: string[] = [];
  inbox.set(ws, queue);
  ws.on('message', (data) => queue.push(data.toString()));
  clients.push(ws);
  return ws;
}

/** Open a client; resolves once open, rejects with the HTTP status of a refused upgrade. */
function open(path: string, options: ClientOptions = {}): Promise<WebSocket> {
  const ws = client(`${base}${path}`, { headers: { authorization: 'Bearer good' }, ...options });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

async function nextMessage(ws: WebSocket, ms = 5000): Promise<string> {
  const queue = inbox.get(ws)!;
  const end = Date.now() + ms;
  while (queue.length === 0) {
    if (Date.now() > end) throw new Error('no message in time');
    await new Promise((r) => setTimeout(r, 5));
  }
  return queue.shift()!;
}

describe('WsHub', () => {
  it('routes by pattern with params, static segments first, and hides the token from handlers', async () => {
    const h = await start();
    const seen: {
      params: Record<string, string>;
      query: Record<string, string>;
      path: string;
      user: string;
    }[] = [];
    const handler = (tag: string) => (socket: PluginSocket, params: Record<string, string>) => {
      seen.push({ params, query: socket.query, path: socket.path, user: socket.user.username });
      socket.send(tag);
    };
    h.route('/ws/items/:id', handler('param'));
    h.route('/ws/items/latest', handler('static'));
    const a = await open('/ws/items/a%20b?x=1');
    expect(await nextMessage(a)).toBe('param');
    const c = client(`${base}/ws/items/latest/?token=good&tail=5`);
    expect(await nextMessage(c)).toBe('static');
    expect(seen).toEqual([
      { params: { id: 'a b' }, query: { x: '1' }, path: '/ws/items/a%20b', user: 'alice' },
      { params: {}, query: { tail: '5' }, path: '/ws/items/latest/', user: 'alice' },
    ]);
  });

  it('refuses a clashing route and forgets a removed one', async () => {
    const h = await start();
    const off = h.route('/ws/a/:id', () => {}, 'docker');
    expect(() => h.route('/ws/a/:other', () => {}, 'files')).toThrow(/clashes with "\/ws\/a\/:id" of docker/);
    expect(() => h.route('ws/no-slash', () => {})).toThrow(/must start with \//);
    off();
    await expect(open('/ws/a/1')).rejects.toThrow('HTTP 404');
  });

  it('echoes messages and reports closes to the handler', async () => {
    const h = await start();
    let closedOnServer = false;
    h.route('/ws/echo', (socket) => {
      socket.onMessage((text) => socket.send(`echo:${text}`));
      socket.onClose(() => {
        closedOnServer = true;
      });
    });
    const ws = await open('/ws/echo');
    const reply = nextMessage(ws);
    ws.send('hi');
    expect(await reply).toBe('echo:hi');
    ws.close(1000);
    await closed(ws);
    for (let i = 0; i < 100 && !closedOnServer; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closedOnServer).toBe(true);
    expect(h.connectionCount()).toBe(0);
  });

  it('closes only the failing socket with 1011 when a handler throws', async () => {
    const h = await start();
    h.route('/ws/boom', () => {
      throw new Error('secret internals');
    });
    h.route('/ws/async-boom', async () => {
      await Promise.resolve();
      throw new Error('later');
    });
    h.route('/ws/message-boom', (socket) => socket.onMessage(() => Promise.reject(new Error('bad message'))));
    h.route('/ws/fine', (socket) => socket.send('still here'));
    const fine = await open('/ws/fine');
    const sync = await open('/ws/boom');
    expect(await closed(sync)).toEqual({ code: 1011, reason: 'internal error' });
    expect((await closed(await open('/ws/async-boom'))).code).toBe(1011);
    const msg = await open('/ws/message-boom');
    msg.send('x');
    expect((await closed(msg)).code).toBe(1011);
    expect(fine.readyState).toBe(WebSocket.OPEN);
  });

  it('caps incoming messages at maxPayload (1009)', async () => {
    const h = await start({ maxPayload: 1024 });
    const got: string[] = [];
    h.route('/ws/in', (socket) => socket.onMessage((t) => got.push(t)));
    const ws = await open('/ws/in');
    ws.send('a'.repeat(1024));
    ws.send('b'.repeat(1025));
    expect((await closed(ws)).code).toBe(1009);
    expect(got).toEqual(['a'.repeat(1024)]);
  });

  it('uses a 1 MiB cap by default', async () => {
    const h = await start();
    h.route('/ws/in', () => {});
    const ws = await open('/ws/in');
    ws.send(Buffer.alloc(1024 * 1024 + 1, 97));
    expect((await closed(ws)).code).toBe(1009);
  });

  it('drops a client that does not read instead of buffering without bound', async () => {
    const h = await start({ maxBufferedBytes: 256 * 1024 });
    let sent = 0;
    let socketRef: PluginSocket | undefined;
    h.route('/ws/firehose', (socket) => {
      socketRef = socket;
    });
    const ws = await open('/ws/firehose');
    ws.pause(); // stop reading: the server's queue can only grow
    const end = closed(ws);
    const chunk = 'z'.repeat(64 * 1024);
    // Bounded: 64 MiB is far more than any loopback socket buffer absorbs.
    for (let i = 0; i < 1024 && h.connectionCount() > 0; i++) {
      socketRef!.send(chunk);
      sent++;
      if (i % 64 === 63) await new Promise((r) => setTimeout(r, 1));
    }
    for (let i = 0; i < 200 && h.connectionCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.connectionCount()).toBe(0);
    expect(sent).toBeLessThan(1024);
    ws.resume();
    expect((await end).code).toBe(1006);
  });

  it('terminates a connection that stops answering pings', async () => {
    const h = await start({ heartbeatMs: 50 });
    h.route('/ws/hb', () => {});
    const alive = await open('/ws/hb');
    const dead = await open('/ws/hb', { autoPong: false });
    const deadClosed = closed(dead);
    expect((await deadClosed).code).toBe(1006);
    await new Promise((r) => setTimeout(r, 150));
    expect(alive.readyState).toBe(WebSocket.OPEN);
    expect(h.connectionCount()).toBe(1);
  });

  it('answers 500 when authentication itself fails, and 503 after close', async () => {
    const h = await start({
      authenticate: async () => {
        throw new Error('db down');
      },
    });
    h.route('/ws/x', () => {});
    await expect(open('/ws/x')).rejects.toThrow('HTTP 500');
    await h.close();
    await expect(open('/ws/x')).rejects.toThrow(/HTTP|ECONNRESET|socket hang up/);
  });

  it('close() closes open sockets with 1001', async () => {
    const h = await start();
    h.route('/ws/x', () => {});
    const ws = await open('/ws/x');
    const end = closed(ws);
    await h.close();
    expect((await end).code).toBe(1001);
  });
});
