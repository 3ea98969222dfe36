/**
 * The plugin manager and isolation: the admin API shows where each plugin runs, switches a
 * plugin between in-process and its own process live (and remembers the choice), and marks a
 * plugin whose process keeps crashing `crashed`, with the reason.
 */
import { join } from 'node:path';
import { defineServerPlugin } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, startHarness } from './helpers.js';
import { alive, ISOLATION_FIXTURES } from './isolation-host.js';

const dirs = [join(ISOLATION_FIXTURES, 'inproc'), join(ISOLATION_FIXTURES, 'crashy')];
const inline = {
  manifest: { id: 'inline-one', name: 'inline', version: '1.0.0', engine: '^1.0.0', isolation: 'process' },
  plugin: defineServerPlugin({ setup() {} }),
};
let h: Harness;
let saved: string | undefined;

beforeAll(async () => {
  saved = process.env.WEBCASA_ISOLATION_MAX_CRASHES;
  // One crash is enough to give up: this file tests how the manager shows it, not the backoff.
  process.env.WEBCASA_ISOLATION_MAX_CRASHES = '1';
  h = await startHarness([inline], { pluginDirs: dirs, keep: true });
});

afterAll(async () => {
  if (saved === undefined) delete process.env.WEBCASA_ISOLATION_MAX_CRASHES;
  else process.env.WEBCASA_ISOLATION_MAX_CRASHES = saved;
  await h?.stop();
});

const item = async (id: string) =>
  (await h.call('GET', '/api/admin/plugins')).body.plugins.find((p: { id: string }) => p.id === id);

describe('isolation in the plugin manager', () => {
  it('lists isolation, pid, restarts, lastCrash and memory for every plugin', async () => {
    expect(await item('iso-inproc')).toMatchObject({
      status: 'running',
      isolation: 'in-process',
      pid: null,
      restarts: 0,
      lastCrash: null,
      memoryRss: null,
    });
    // An inline plugin has no entry file to start a process with: it runs in-process whatever it asks.
    expect(await item('inline-one')).toMatchObject({ status: 'running', isolation: 'in-process', pid: null });
  });

  it('marks a plugin whose process keeps crashing as crashed, with the reason and its stderr', async () => {
    await eventually(async () => (await item('iso-crashy')).status === 'crashed', 15_000);
    const crashy = await item('iso-crashy');
    expect(crashy.error).toMatchObject({ code: 'WEBCASA_PLUGIN_CRASHED' });
    expect(crashy.error.message).toContain('(last: exited with code 42)');
    expect(crashy.lastCrash).toMatchObject({ reason: 'exited with code 42', exitCode: 42 });
    expect(crashy.lastCrash.stderr).toContain('crashy: the flux capacitor is gone');
    expect(crashy.pid).toBeNull();
    expect((await h.call('GET', '/api/plugins/iso-crashy/x')).status).toBe(404);
    expect((await h.call('GET', '/api/health')).status).toBe(200);
  });

  it('switches a running plugin into its own process and back, live; its data stays', async () => {
    const note = await h.call('POST', '/api/plugins/iso-inproc/notes', { text: 'before the switch' });
    expect(note.status).toBe(200);

    const toProcess = await h.call('POST', '/api/admin/plugins/iso-inproc/isolation', { mode: 'process' });
    expect(toProcess.status).toBe(200);
    expect(toProcess.body).toMatchObject({
      status: 'running',
      isolation: 'process',
      pid: expect.any(Number),
    });
    const pid = toProcess.body.pid as number;
    expect(alive(pid)).toBe(true);
    const notes = await h.call('GET', '/api/plugins/iso-inproc/notes');
    expect(notes.body.map((n: { text: string }) => n.text)).toContain('before the switch');
    const hello = await h.call('GET', '/api/plugins/iso-inproc/hello');
    expect(hello.body.plugin).toBe('iso-inproc');

    const back = await h.call('POST', '/api/admin/plugins/iso-inproc/isolation', { mode: 'in-process' });
    expect(back.body).toMatchObject({ status: 'running', isolation: 'in-process', pid: null });
    expect(alive(pid)).toBe(false);
    expect((await h.call('GET', '/api/plugins/iso-inproc/hello')).status).toBe(200);
  });

  it('refuses what it cannot do, naming why', async () => {
    const inlineSwitch = await h.call('POST', '/api/admin/plugins/inline-one/isolation', { mode: 'process' });
    expect(inlineSwitch.status).toBe(409);
    expect(inlineSwitch.body.error.code).toBe('WEBCASA_PLUGIN_NOT_ISOLATABLE');
    const bad = await h.call('POST', '/api/admin/plugins/iso-inproc/isolation', { mode: 'thread' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('body.mode');
    expect((await h.call('POST', '/api/admin/plugins/nope/isolation', { mode: 'process' })).status).toBe(404);
  });

  it('remembers the choice across panel restarts', async () => {
    await h.call('POST', '/api/admin/plugins/iso-inproc/isolation', { mode: 'process' });
    await h.panel.stop();
    h = await startHarness([inline], { pluginDirs: dirs, dataDir: h.dataDir });
    const again = await item('iso-inproc');
    expect(again).toMatchObject({ status: 'running', isolation: 'process', pid: expect.any(Number) });
    expect((await h.call('GET', '/api/plugins/iso-inproc/hello')).status).toBe(200);
  });
});
