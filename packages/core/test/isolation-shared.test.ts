/**
 * One suite, two transports: the same fixture plugin (test/fixtures/isolation/fixture-plugin.js)
 * runs in the panel's process (`iso-inproc`) and in its own process (`iso-process`), and every
 * test below runs against both. Differences are deliberate and named (credentials, stdout).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineServerPlugin, type PluginContext } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, type Harness, PASSWORD, startHarness } from './helpers.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'isolation');

let h: Harness;
let user: PluginContext | undefined;
const pids: number[] = [];

beforeAll(async () => {
  h = await startHarness(
    [
      {
        // An in-process consumer of both providers' services.
        manifest: {
          id: 'iso-user',
          name: 'user',
          version: '1.0.0',
          engine: '^1.0.0',
          dependencies: { 'iso-inproc': '^1.0.0', 'iso-process': '^1.0.0' },
        },
        plugin: defineServerPlugin({
          setup(ctx) {
            user = ctx;
            ctx.router.get('/use/:dep', async (c) => {
              const service = (await ctx.use(c.req.param('dep'))) as {
                add(a: number, b: number): Promise<number>;
                whoami(): Promise<string>;
              };
              return c.json({ sum: await service.add(2, 3), whoami: await service.whoami() });
            });
          },
        }),
      },
    ],
    {
      pluginDirs: [join(fixtures, 'inproc'), join(fixtures, 'process'), join(fixtures, 'consumer')],
      logLevel: 'info', // the stdout/stderr test reads the plugin's log file
    },
  );
  await h.panel.auth.createUser({ username: 'vera', password: PASSWORD, role: 'viewer' });
});

afterAll(async () => {
  for (const p of h.panel.manager.list()) if (p.pid) pids.push(p.pid);
  await h?.stop();
  // No process outlives the panel.
  for (const pid of pids) expect(alive(pid)).toBe(false);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Client {
  socket?: WebSocket;
  status?: number;
  /** Messages in order, from the first (which can arrive with the upgrade itself). */
  next?: () => Promise<string>;
}

function wsConnect(url: string, token: string): Promise<Client> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url.replace('http', 'ws'), {
      headers: { authorization: `Bearer ${token}` },
    });
    const queue: string[] = [];
    let waiting: ((m: string) => void) | undefined;
    socket.on('message', (data) => {
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w(String(data));
      } else queue.push(String(data));
    });
    const next = () =>
      queue.length > 0
        ? Promise.resolve(queue.shift()!)
        : new Promise<string>((r) => {
            waiting = r;
          });
    socket.once('open', () => resolve({ socket, next }));
    socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    socket.once('error', () => resolve({ status: -1 }));
  });
}

describe.each([
  ['in-process', 'iso-inproc'],
  ['process', 'iso-process'],
] as const)('the fixture plugin %s', (mode, id) => {
  const base = () => `/api/plugins/${id}`;

  it('runs where its manifest says', () => {
    const info = h.panel.manager.info(id)!;
    expect(info.status).toBe('running');
    expect(info.isolation).toBe(mode);
    if (mode === 'process') expect(info.pid).toBeGreaterThan(0);
    else expect(info.pid).toBeNull();
  });

  it('answers routes with the caller, the request id, query and path', async () => {
    const res = await h.call('GET', `${base()}/hello`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ hello: 'admin', plugin: id, requestId: res.headers.get('x-request-id') });
    const q = await h.call('GET', `${base()}/query?a=1&b=two`);
    expect(q.body).toEqual({ query: { a: '1', b: 'two' }, path: `/api/plugins/${id}/query` });
  });

  it('takes a 900 KiB request body and streams back a 5 MiB answer intact', async () => {
    const body = randomBytes(900 * 1024); // the panel's body limit is 1 MiB
    const res = await fetch(`${h.panel.url}${base()}/echo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/octet-stream' },
      body,
    });
    expect(res.status).toBe(200);
    const back = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('x-length')).toBe(String(body.length));
    expect(res.headers.get('x-sha256')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(back.equals(body)).toBe(true);

    const big = await fetch(`${h.panel.url}${base()}/big?bytes=${5 * 1024 * 1024}`, {
      headers: { authorization: `Bearer ${h.token}` },
    });
    expect((await big.arrayBuffer()).byteLength).toBe(5 * 1024 * 1024);
  });

  it('streams a response: the first chunk arrives before the plugin wrote the second', async () => {
    const began = Date.now();
    const res = await fetch(`${h.panel.url}${base()}/stream`, {
      headers: { authorization: `Bearer ${h.token}` },
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now() - began;
    expect(new TextDecoder().decode(first.value)).toBe('first\n');
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toBe('second\n');
    expect(firstAt).toBeLessThan(Date.now() - began - 150);
  });

  it('passes statuses and repeated headers; hides internal errors', async () => {
    const res = await fetch(`${h.panel.url}${base()}/headers`, {
      headers: { authorization: `Bearer ${h.token}`, cookie: 'theme=dark' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(res.headers.get('x-seen-cookie')).toBe('theme=dark');
    // Deliberate difference: an isolated plugin never sees the caller's credentials.
    expect(res.headers.get('x-seen-authorization')).toBe(mode === 'process' ? 'no' : 'yes');
    const teapot = await h.call('GET', `${base()}/status/418`);
    expect(teapot.status).toBe(418);
    expect(teapot.body).toBe('status 418');
    const thrown = await h.call('GET', `${base()}/throw`);
    expect(thrown.status).toBe(500);
    expect(thrown.body.error.code).toBe('WEBCASA_INTERNAL');
    expect(JSON.stringify(thrown.body)).not.toContain('secret internal detail');
  });

  it('uses its own tables: bytes and bigints survive, transactions commit and roll back', async () => {
    const created = await h.call('POST', `${base()}/notes`, { text: 'first' });
    expect(created.body).toEqual({ id: expect.any(Number), isBigInt: true });
    expect((await h.call('POST', `${base()}/tx/commit`)).body).toEqual({ ok: true });
    expect((await h.call('POST', `${base()}/tx/rollback`)).body).toEqual({ rolledBack: 'roll it back' });
    const rows = (await h.call('GET', `${base()}/notes`)).body;
    expect(rows.map((r: { text: string }) => r.text)).toEqual(['first', 'tx-1', 'tx-2']);
    expect(rows[0].data).toEqual([0, 1, 2, 255]);
  });

  it('is refused tables outside plugin_<id>_*', async () => {
    const res = await h.call('GET', `${base()}/forbidden-table`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('WEBCASA_DB_TABLE_DENIED');
    expect(res.body.error.message).toContain(`plugin ${id}`);
  });

  it('reads, validates and watches its config', async () => {
    const first = await h.call('GET', `${base()}/config`);
    expect(first.body.greeting).toBe('hi');
    const put = await h.call('PUT', `/api/admin/plugins/${id}/config`, { greeting: 'hello' });
    expect(put.status).toBe(200);
    await eventually(
      async () => (await h.call('GET', `${base()}/config`)).body.watched?.greeting === 'hello',
    );
    const bad = await h.call('PUT', `${base()}/config`, { greeting: 5 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('body.greeting');
  });

  it('gets events (exact and wildcard) and emits them stamped with its id', async () => {
    const pongs: { source: string; payload: unknown }[] = [];
    const off = h.panel.bus.on('fixture.pong' as never, (e) => {
      pongs.push({ source: e.source, payload: e.payload });
    });
    h.panel.bus.emit('fixture.ping' as never, { n: 7 } as never);
    await eventually(() => pongs.some((p) => p.source === id));
    off();
    expect(pongs.find((p) => p.source === id)!.payload).toEqual({ n: 7, by: id });
    const seen = (await h.call('GET', `${base()}/events`)).body;
    expect(seen.received).toContainEqual({ type: 'fixture.ping', source: 'core', payload: { n: 7 } });
    expect(seen.wildcard).toContain('fixture.ping');

    const sent: string[] = [];
    const offSent = h.panel.bus.on('fixture.sent' as never, (e) => {
      sent.push(e.source);
    });
    const counts = await h.call('POST', `${base()}/emit-async`);
    offSent();
    expect(counts.body.handled).toBeGreaterThanOrEqual(1);
    expect(sent).toContain(id);

    // A failing handler is reported under the plugin's name and counted; the emitter carries on.
    const failures: string[] = [];
    const offErr = h.panel.bus.onHandlerError((f) => {
      failures.push(f.subscriber);
    });
    const result = await h.panel.bus.emitAsync('fixture.fail' as never, {} as never);
    offErr();
    expect(result.failed).toBeGreaterThanOrEqual(1);
    expect(failures).toContain(id);
  });

  it('runs jobs with logs and progress, and cancels them with clean-up', async () => {
    const run = (await h.call('POST', `${base()}/runs`)).body;
    expect(run).toMatchObject({ status: 'succeeded', plugin: id, title: 'fixture run' });
    const log = await h.call('GET', `/api/runs/${run.id}/log?format=text`);
    expect(log.body).toContain('step one');
    expect(log.body).toContain('step two');
    const cancelled = (await h.call('POST', `${base()}/runs/cancel`)).body;
    expect(cancelled).toEqual({ cancelled: true, status: 'cancelled', cleanedUp: true });
  });

  it('implements a declared action: log, artifact and result', async () => {
    const started = await h.call('POST', '/api/runs', {
      plugin: id,
      action: 'greet',
      input: { name: 'ada' },
    });
    expect(started.status).toBe(202);
    const done = await h.panel.runs.wait(started.body.id);
    expect(done.status).toBe('succeeded');
    const hello = await h.call('GET', `/api/runs/${started.body.id}/artifacts/hello.txt`);
    expect(hello.body).toBe('hello ada');
    const result = await h.call('GET', `/api/runs/${started.body.id}/artifacts/result.json`);
    expect(result.body).toEqual({ greeted: 'ada', by: id });
  });

  it('serves a WebSocket route', async () => {
    const { socket, next } = await wsConnect(`${h.panel.url}/ws/plugins/${id}/echo`, h.token);
    expect(socket).toBeDefined();
    expect(await next!()).toBe('hello admin');
    socket!.send('ping');
    expect(await next!()).toBe('echo:ping');
    socket!.close();
  });

  it('keeps its schedule, reaches CoreApi, checks scopes, notifies', async () => {
    await eventually(async () => (await h.call('GET', `${base()}/ticks`)).body.ticks > 2);
    const core = await h.call('GET', `${base()}/core`);
    expect(core.body).toEqual({ version: expect.any(String), pluginApiVersion: expect.any(String) });
    expect((await h.call('GET', `${base()}/admin-only`)).status).toBe(200);
    const viewer = await h.login('vera', PASSWORD);
    const denied = await h.call('GET', `${base()}/admin-only`, undefined, { token: viewer });
    expect(denied.status).toBe(403);
    const notes: unknown[] = [];
    const off = h.panel.bus.on('panel.notification' as never, (e) => {
      notes.push(e.payload);
    });
    await h.call('POST', `${base()}/notify`);
    off();
    expect(notes).toContainEqual(expect.objectContaining({ title: 'fixture says hi', plugin: id }));
    const dir = (await h.call('GET', `${base()}/data-dir`)).body;
    expect(dir).toEqual({ dataDir: join(h.dataDir, 'plugins', id), signalAborted: false });
  });

  it('offers its service to an in-process and to an isolated consumer', async () => {
    expect(user).toBeDefined();
    const fromInProcess = await h.call('GET', `/api/plugins/iso-user/use/${id}`);
    expect(fromInProcess.body).toEqual({ sum: 5, whoami: id });
    const fromIsolated = await h.call('GET', `/api/plugins/iso-consumer/use/${id}`);
    expect(fromIsolated.body).toEqual({ sum: 5, whoami: id });
  });
});

describe('what only isolation does', () => {
  it('refuses services of undeclared dependencies over RPC, as in-process', async () => {
    const res = await h.call('GET', '/api/plugins/iso-consumer/undeclared');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('WEBCASA_PLUGIN_UNDECLARED_DEPENDENCY');
  });

  it("sends the process's stdout and stderr to the plugin's log", async () => {
    const file = join(h.dataDir, 'logs', 'iso-process.log');
    expect((await h.call('POST', '/api/plugins/iso-process/console')).status).toBe(200);
    await eventually(() => readFileSync(file, 'utf8').includes('to stderr from iso-process'));
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('from iso-process'))
      .map((l) => JSON.parse(l));
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'info', stream: 'stdout', msg: 'to stdout from iso-process' }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', stream: 'stderr', msg: 'to stderr from iso-process' }),
    );
  });

  it('disable removes the process and everything it registered; enable brings it back', async () => {
    const pid = h.panel.manager.info('iso-process')!.pid!;
    const off = await h.call('POST', '/api/admin/plugins/iso-process/disable?cascade=true');
    expect(off.status).toBe(200);
    expect(off.body.status).toBe('disabled');
    expect(off.body.pid).toBeNull();
    expect(alive(pid)).toBe(false);
    expect((await h.call('GET', '/api/plugins/iso-process/hello')).status).toBe(404);
    expect((await wsConnect(`${h.panel.url}/ws/plugins/iso-process/echo`, h.token)).status).toBe(404);
    // Only iso-inproc's handlers are left: its exact one and its wildcard.
    expect(h.panel.bus.listenerCount('fixture.ping')).toBe(2);
    const on = await h.call('POST', '/api/admin/plugins/iso-process/enable');
    expect(on.body.status).toBe('running');
    expect(on.body.pid).not.toBe(pid);
    expect((await h.call('GET', '/api/plugins/iso-process/hello')).status).toBe(200);
  });
});
