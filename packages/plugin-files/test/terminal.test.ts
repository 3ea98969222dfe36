import type { TestSocket } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testHooks } from '../src/server.js';
import { type Fixture, startFiles } from './helpers.js';

let f: Fixture;
const events: { type: string; payload: Record<string, unknown> }[] = [];
beforeAll(async () => {
  f = await startFiles({ terminalShell: '/bin/sh' });
  f.t.panel.bus.on('files.terminal.*' as never, (e: { type: string; payload: Record<string, unknown> }) => {
    events.push({ type: e.type, payload: e.payload });
  });
});
afterAll(() => f.stop());

/** Collect output until `pattern` appears (bounded by time). */
async function waitFor(socket: TestSocket, pattern: RegExp, timeoutMs = 8000): Promise<string> {
  let text = '';
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const m = JSON.parse(await socket.next(Math.max(1, end - Date.now())));
    if (m.type === 'output') text += m.data;
    if (m.type === 'exit') text += `\n[exit ${m.reason}]`;
    if (pattern.test(text)) return text;
  }
  throw new Error(`no ${pattern} in ${JSON.stringify(text)}`);
}

describe('terminal', () => {
  it('runs a command and reports its output, resize included', async () => {
    const s = await f.t.client.ws('/ws/plugins/files/terminal?cols=100&rows=30');
    const ready = JSON.parse(await s.next());
    expect(ready).toMatchObject({ type: 'ready' });
    s.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    s.send(JSON.stringify({ type: 'input', data: 'stty size; echo "h""i"\n' }));
    const out = await waitFor(s, /\bhi\b/);
    expect(out).toMatch(/40 120/);
    s.send(JSON.stringify({ type: 'input', data: 'exit\n' }));
    await waitFor(s, /\[exit shell exited\]/);
    expect(await s.closed).toBe(1000);
    const opened = events.find(
      (e) => e.type === 'files.terminal.opened' && e.payload.sessionId === ready.sessionId,
    );
    const closed = events.find(
      (e) => e.type === 'files.terminal.closed' && e.payload.sessionId === ready.sessionId,
    );
    expect(opened?.payload).toMatchObject({ user: 'admin', shell: '/bin/sh' });
    expect(closed?.payload).toMatchObject({ user: 'admin', reason: 'shell exited' });
  });

  it('records session start and end in the core audit log', async () => {
    const s = await f.t.client.ws('/ws/plugins/files/terminal');
    const ready = JSON.parse(await s.next());
    s.send(JSON.stringify({ type: 'input', data: 'exit\n' }));
    await waitFor(s, /\[exit shell exited\]/);
    // The audit write is not awaited by the session; poll briefly (bounded).
    type Entry = {
      path: string;
      username: string;
      plugin: string;
      ip: string | null;
      detail: Record<string, unknown>;
    };
    let mine: Entry[] = [];
    for (let i = 0; i < 50 && mine.length < 2; i++) {
      const res = await f.t.client.get('/api/admin/audit?method=EVENT&path=/plugins/files/terminal.');
      expect(res.status).toBe(200);
      const items = (res.body as { items: Entry[] }).items;
      mine = items.filter((e) => e.detail?.sessionId === ready.sessionId);
      if (mine.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    expect(mine.map((e) => e.path).sort()).toEqual([
      '/plugins/files/terminal.closed',
      '/plugins/files/terminal.opened',
    ]);
    const opened = mine.find((e) => e.path.endsWith('opened'));
    const closed = mine.find((e) => e.path.endsWith('closed'));
    expect(opened).toMatchObject({
      username: 'admin',
      plugin: 'files',
      detail: { shell: '/bin/sh', runAs: 'panel user' },
    });
    expect(closed).toMatchObject({
      username: 'admin',
      detail: { shell: '/bin/sh', reason: 'shell exited' },
    });
    expect(typeof closed?.detail.durationMs).toBe('number');
    // The client's address, as the panel records it for HTTP requests (the test connects over loopback).
    for (const entry of [opened, closed]) expect(entry?.ip).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
  });

  it('refuses non-admins', async () => {
    const operator = await f.t.clientAs('operator');
    const s = await operator.ws('/ws/plugins/files/terminal');
    expect(JSON.parse(await s.next())).toMatchObject({ type: 'error' });
    expect(await s.closed).toBe(4403);
  });

  it('answers bad messages without dying', async () => {
    const s = await f.t.client.ws('/ws/plugins/files/terminal');
    await s.next();
    try {
      s.send('not json');
      s.send(JSON.stringify({ type: 'resize', cols: -1, rows: 2 }));
      // The shell's prompt may come first (under load): skip output, bounded.
      let m = JSON.parse(await s.next());
      for (let i = 0; i < 20 && m.type === 'output'; i++) m = JSON.parse(await s.next());
      expect(m).toMatchObject({ type: 'error', message: 'bad message' });
    } finally {
      // Never left open: the next test counts the open sessions.
      await s.close();
    }
  });

  it('reaps idle sessions', async () => {
    // The plugin checks every 30 s; drive the same check with a clock 31 minutes ahead.
    const s = await f.t.client.ws('/ws/plugins/files/terminal');
    const ready = JSON.parse(await s.next());
    expect(testHooks.terminals?.reap(Date.now() + 29 * 60_000)).toBe(0);
    expect(testHooks.terminals?.reap(Date.now() + 31 * 60_000)).toBe(1);
    await waitFor(s, /\[exit idle timeout\]/);
    expect(
      events.some(
        (e) =>
          e.type === 'files.terminal.closed' &&
          e.payload.sessionId === ready.sessionId &&
          e.payload.reason === 'idle timeout',
      ),
    ).toBe(true);
  });

  it('closes every session when the plugin is disabled', async () => {
    const a = await f.t.client.ws('/ws/plugins/files/terminal');
    const b = await f.t.client.ws('/ws/plugins/files/terminal');
    const ids = [JSON.parse(await a.next()).sessionId, JSON.parse(await b.next()).sessionId];
    expect((await f.t.client.post('/api/admin/plugins/files/disable')).status).toBe(200);
    const codes = await Promise.all([a.closed, b.closed]);
    for (const code of codes) expect([1000, 1001]).toContain(code);
    for (const id of ids) {
      expect(
        events.some(
          (e) =>
            e.type === 'files.terminal.closed' &&
            e.payload.sessionId === id &&
            e.payload.reason === 'plugin stopped',
        ),
      ).toBe(true);
    }
    expect((await f.t.client.post('/api/admin/plugins/files/enable')).status).toBe(200);
  });
});
