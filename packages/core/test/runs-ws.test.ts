/**
 * Runs over a real server: Hono on @hono/node-server listening on 127.0.0.1:0, the WsHub
 * attached to it, and the real `ws` client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { createEventBus } from '@webcasa/event-bus';
import type { RequestUser, RunInfo } from '@webcasa/plugin-sdk';
import { Hono } from 'hono';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClientOptions, WebSocket } from 'ws';
import { openDatabase, type PanelDatabase } from '../src/db/database.js';
import type { CoreEnv } from '../src/http/env.js';
import { errorResponse } from '../src/http/error-handler.js';
import {
  createRunManager,
  RUN_NOT_FOUND_CLOSE_CODE,
  type RunManager,
  type RunMessage,
  registerRunRoutes,
  registerRunSocket,
} from '../src/runs/index.js';
import { WsHub } from '../src/ws/index.js';

const USER: RequestUser = { id: 7, username: 'ops', role: 'operator', via: 'session' };

// Stands in for the panel's auth: a session cookie, a bearer token or ?token=.
async function authenticate(req: IncomingMessage): Promise<RequestUser | undefined> {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.headers.cookie?.split(/;\s*/).includes('webcasa_session=s3cret')) return USER;
  if (req.headers.authorization === 'Bearer tok' || url.searchParams.get('token') === 'tok')
    return { ...USER, via: 'token' };
  return undefined;
}

let dir: string;
let db: PanelDatabase;
let runs: RunManager;
let hub: WsHub;
let server: Server;
let port: number;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webcasa-runs-ws-'));
  db = await openDatabase(dir);
  const logger = pino({ level: 'silent' });
  runs = createRunManager({ db: db.core, bus: createEventBus(), logger, limits: { cancelGraceMs: 200 } });
  await runs.init();

  const app = new Hono<CoreEnv>();
  app.use(async (c, next) => {
    const user = await authenticate((c.env as { incoming: IncomingMessage }).incoming);
    if (user) c.set('user', user);
    await next();
  });
  app.onError((error, c) => errorResponse(error, c));
  registerRunRoutes(app, undefined, { runs });

  hub = new WsHub({ authenticate, logger });
  registerRunSocket(hub, runs);
  server = createAdaptorServer({ fetch: app.fetch }) as Server;
  hub.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await hub.close();
  await runs.shutdown();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Client {
  ws: WebSocket;
  messages: RunMessage[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Connect with the session cookie unless told otherwise; collects every message from the start. */
function connect(
  path: string,
  options: ClientOptions = { headers: { cookie: 'webcasa_session=s3cret' } },
): Client {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, options);
  sockets.push(ws);
  const messages: RunMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(data.toString()) as RunMessage));
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return { ws, messages, closed };
}

/** The HTTP status a refused upgrade was answered with. */
function refusal(path: string, headers: Record<string, string> = {}): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => reject(new Error(`${path} was accepted`)));
    ws.once('error', () => {});
  });
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (ws.readyState === WebSocket.OPEN) return resolve();
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

async function until(predicate: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** A compact trace of messages: `log:<seq>:<line>`, `progress:<p>`, `status:<status>`. */
function trace(messages: RunMessage[]): string[] {
  return messages.map((m) =>
    m.type === 'log'
      ? `log:${m.seq}:${m.line}`
      : m.type === 'progress'
        ? `progress:${m.progress}:${m.message}`
        : `status:${m.run.status}`,
  );
}

describe('/ws/runs/:id', () => {
  it('sends the backlog and status first, then live lines and progress, then the final status and closes 1000', async () => {
    const go = gate();
    const { id } = await runs.start('docker', 'Deploy', async (run) => {
      run.log('before 1');
      run.log('before 2');
      run.log('before 3', 'warn');
      await go.opened;
      run.log('live 1');
      run.log('live 2');
      run.progress(0.5, 'half');
      run.log('live 3', 'error');
    });
    const client = connect(`/ws/runs/${id}`);
    await until(() => client.messages.length === 4);
    expect(trace(client.messages)).toEqual([
      'log:1:before 1',
      'log:2:before 2',
      'log:3:before 3',
      'status:running',
    ]);
    expect(client.messages[2]).toMatchObject({ level: 'warn', time: expect.any(Number) });
    go.open();
    const { code } = await client.closed;
    expect(code).toBe(1000);
    expect(trace(client.messages)).toEqual([
      'log:1:before 1',
      'log:2:before 2',
      'log:3:before 3',
      'status:running',
      'log:4:live 1',
      'log:5:live 2',
      'progress:0.5:half',
      'log:6:live 3',
      'status:succeeded',
    ]);
    const final = client.messages.at(-1) as { type: 'status'; run: RunInfo };
    expect(final.run).toMatchObject({ id, plugin: 'docker', title: 'Deploy', progress: 1, error: null });
  });

  it('replays an ended run and closes; unknown runs close with 4404', async () => {
    const { id } = await runs.start('docker', 'Failing', async (run) => {
      run.log('trying');
      throw new Error('port 80 is taken');
    });
    await runs.wait(id);
    const client = connect(`/ws/runs/${id}?token=tok`, {});
    expect((await client.closed).code).toBe(1000);
    expect(trace(client.messages)).toEqual([
      'log:1:trying',
      'log:2:failed: port 80 is taken',
      'status:failed',
    ]);
    expect((client.messages[2] as { run: RunInfo }).run.error).toBe('port 80 is taken');

    const unknown = connect('/ws/runs/run_doesnotexistaaaa');
    expect(await unknown.closed).toEqual({
      code: RUN_NOT_FOUND_CLOSE_CODE,
      reason: 'run run_doesnotexistaaaa not found',
    });
    expect(unknown.messages).toEqual([]);
  });

  it('sees a cancel made over REST as the final status', async () => {
    const { id } = await runs.start('docker', 'Long', async (run) => {
      run.log('working');
      await new Promise((r) => run.signal.addEventListener('abort', r));
      run.log('cleaning up');
    });
    const client = connect(`/ws/runs/${id}`, { headers: { authorization: 'Bearer tok' } });
    await until(() => client.messages.some((m) => m.type === 'status'));
    const res = await fetch(`http://127.0.0.1:${port}/api/runs/${id}/cancel`, {
      method: 'POST',
      headers: { cookie: 'webcasa_session=s3cret' },
    });
    expect(res.status).toBe(200);
    expect((await client.closed).code).toBe(1000);
    expect(trace(client.messages)).toEqual([
      'log:1:working',
      'status:running',
      'log:2:cleaning up',
      'status:cancelled',
    ]);
    expect((client.messages.at(-1) as { run: RunInfo }).run.error).toBe('cancelled by ops');
  });

  it('gives 20 concurrent clients every line, whenever they joined', async () => {
    const go = gate();
    const total = 2000;
    const { id } = await runs.start('docker', 'Busy', async (run) => {
      for (let i = 1; i <= 300; i++) run.log(`line ${i}`);
      await go.opened;
      for (let i = 301; i <= total; i++) {
        run.log(`line ${i}`);
        if (i % 100 === 0) await new Promise((r) => setTimeout(r, 2));
      }
    });
    const early = Array.from({ length: 10 }, () => connect(`/ws/runs/${id}`));
    await Promise.all(early.map((c) => opened(c.ws)));
    go.open();
    // The rest join mid-run, while lines are being written and flushed.
    const late: Client[] = [];
    for (let i = 0; i < 10; i++) {
      late.push(connect(`/ws/runs/${id}`));
      await new Promise((r) => setTimeout(r, 3));
    }
    const all = [...early, ...late];
    const closes = await Promise.all(all.map((c) => c.closed));
    expect(closes.map((c) => c.code)).toEqual(all.map(() => 1000));
    for (const client of all) {
      const seqs = client.messages.flatMap((m) => (m.type === 'log' ? [m.seq] : []));
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(
        client.messages
          .filter((m) => m.type === 'status')
          .map((m) => (m as { run: RunInfo }).run.status)
          .at(-1),
      ).toBe('succeeded');
    }
  });
});

describe('upgrade checks', () => {
  it('401 without credentials, 404 on an unknown path, 403 for a foreign Origin', async () => {
    const { id } = await runs.start('docker', 'x', async () => {});
    expect(await refusal(`/ws/runs/${id}`)).toBe(401);
    expect(await refusal(`/ws/runs/${id}?token=wrong`)).toBe(401);
    expect(await refusal('/ws/nothing/here', { cookie: 'webcasa_session=s3cret' })).toBe(404);
    expect(
      await refusal(`/ws/runs/${id}`, { cookie: 'webcasa_session=s3cret', origin: 'https://evil.example' }),
    ).toBe(403);
    expect(await refusal(`/ws/runs/${id}`, { cookie: 'webcasa_session=s3cret', origin: 'null' })).toBe(403);
    // The panel's own page is welcome.
    const same = connect(`/ws/runs/${id}`, {
      headers: { cookie: 'webcasa_session=s3cret', origin: `http://127.0.0.1:${port}` },
    });
    expect((await same.closed).code).toBe(1000);
    expect(same.messages.at(-1)).toMatchObject({ type: 'status' });
  });

  it("removeOwner closes the owner's sockets with 1001 and its routes 404 afterwards", async () => {
    hub.route(
      '/ws/plugins/docker/logs',
      (socket) => socket.send(JSON.stringify({ type: 'hello' })),
      'docker',
    );
    hub.route('/ws/plugins/files/watch', (socket) => socket.send(JSON.stringify({ type: 'hello' })), 'files');
    const docker = connect('/ws/plugins/docker/logs');
    const files = connect('/ws/plugins/files/watch');
    await Promise.all([opened(docker.ws), opened(files.ws)]);
    hub.removeOwner('docker');
    expect((await docker.closed).code).toBe(1001);
    expect(await refusal('/ws/plugins/docker/logs', { cookie: 'webcasa_session=s3cret' })).toBe(404);
    expect(files.ws.readyState).toBe(WebSocket.OPEN);
    expect(hub.connectionCount('files')).toBe(1);
    // The core's routes are untouched.
    const { id } = await runs.start('docker', 'after', async () => {});
    await runs.wait(id);
    expect((await connect(`/ws/runs/${id}`).closed).code).toBe(1000);
  });
});
