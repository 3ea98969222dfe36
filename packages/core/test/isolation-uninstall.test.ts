/**
 * The `uninstall` hook of a plugin that runs in its own process: the running process stops
 * the plugin, runs the hook and exits; a disabled plugin gets a short-lived process (set up,
 * never started) just for the hook. The hook has its context (it reads its config over RPC).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type Harness, startHarness } from './helpers.js';
import { alive, ISOLATION_FIXTURES } from './isolation-host.js';

let h: Harness;
const scratch = mkdtempSync(join(tmpdir(), 'webcasa-iso-uninstall-'));
const marker = join(scratch, 'uninstalled.ndjson');
// Three copies of the fixture under different ids, one per case.
const ids = ['iso-un-running', 'iso-un-disabled', 'iso-un-failing'];

/** The fixture under another id; its server entry re-exports the original (which resolves the SDK). */
function copyFixture(id: string): string {
  const dir = join(scratch, id);
  const source = join(ISOLATION_FIXTURES, 'uninstall');
  mkdirSync(dir);
  const read = (file: string) => JSON.parse(readFileSync(join(source, file), 'utf8'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...read('manifest.json'), id }));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ ...read('package.json'), name: `webcasa-plugin-${id}` }),
  );
  writeFileSync(
    join(dir, 'server.js'),
    `export { default } from ${JSON.stringify(join(source, 'server.js'))};\n`,
  );
  return dir;
}

const lines = () =>
  existsSync(marker)
    ? readFileSync(marker, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { pid: number; started: boolean; stopped: boolean })
    : [];

beforeAll(async () => {
  h = await startHarness([], { pluginDirs: ids.map(copyFixture), logLevel: 'warn' });
  for (const id of ids) {
    const res = await h.call('PUT', `/api/admin/plugins/${id}/config`, {
      marker,
      hookFails: id === 'iso-un-failing',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  await h?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('uninstall hook of isolated plugins', () => {
  it('runs in the running process, after stop(), and the process then ends', async () => {
    const info = h.panel.manager.info('iso-un-running')!;
    expect(info).toMatchObject({ status: 'running', isolation: 'process' });
    const pid = info.pid!;
    expect(alive(pid)).toBe(true);
    await h.panel.manager.remove('iso-un-running');
    expect(lines()).toEqual([{ pid, started: true, stopped: true }]);
    expect(alive(pid)).toBe(false);
    expect(h.panel.manager.info('iso-un-running')).toBeUndefined();
  });

  it('runs in a short-lived process for a disabled plugin: set up for its context, never started', async () => {
    await h.panel.manager.disable('iso-un-disabled');
    expect(h.panel.manager.info('iso-un-disabled')?.pid).toBeNull();
    await h.panel.manager.remove('iso-un-disabled');
    const hook = lines()[1];
    expect(hook).toMatchObject({ started: false, stopped: true });
    expect(hook!.pid).not.toBe(process.pid);
    expect(alive(hook!.pid)).toBe(false);
    expect(h.panel.manager.info('iso-un-disabled')).toBeUndefined();
  });

  it('a failing hook is logged and the plugin is forgotten anyway', async () => {
    const pid = h.panel.manager.info('iso-un-failing')!.pid!;
    await h.panel.manager.remove('iso-un-failing');
    expect(lines()).toHaveLength(2);
    expect(alive(pid)).toBe(false);
    expect(h.panel.manager.info('iso-un-failing')).toBeUndefined();
    // The panel's log says why (written asynchronously: polled, bounded).
    await eventually(async () => {
      const log = await h.call('GET', '/api/admin/logs?q=uninstall%20hook%20failed');
      return JSON.stringify(log.body).includes('the uninstall hook refuses');
    }, 5000);
  });
});
