/**
 * The supervisor on its own (an IsolatedPlugin over the real host services, no HTTP server):
 * a crash loop ends in `crashed` with the last stderr lines, stop escalates from the shutdown
 * message to SIGTERM to SIGKILL, and the memory cgroup is used when the machine allows it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestUser } from '@webcasa/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IsolatedPlugin, type IsolationState } from '../src/isolation/index.js';
import { alive, createTestHost, fixture, type TestHost } from './isolation-host.js';

const admin: RequestUser = { id: 1, username: 'admin', role: 'admin', via: 'token' };
let host: TestHost;
const started: IsolatedPlugin[] = [];

beforeAll(async () => {
  host = await createTestHost();
});
afterAll(async () => {
  await Promise.all(started.map((iso) => iso.stop()));
  await host?.close();
});

function isolated(dir: string, limits: ConstructorParameters<typeof IsolatedPlugin>[0]['limits']) {
  const states: IsolationState[] = [];
  const f = fixture(dir);
  host.manifests.set(f.manifest.id, f.manifest);
  const iso = new IsolatedPlugin({
    ...f,
    deps: host.deps,
    limits,
    onStateChange: (state) => states.push(state),
  });
  started.push(iso);
  return { iso, states };
}

describe('IsolatedPlugin', () => {
  it('restarts a crashing plugin with backoff, then gives up: crashed, with its last stderr lines', async () => {
    const { iso, states } = isolated('crashy', { maxCrashes: 3, crashWindowMs: 60_000, backoffBaseMs: 50 });
    await iso.start();
    const first = iso.pid!;
    await expect.poll(() => iso.state, { timeout: 30_000, interval: 50 }).toBe('crashed');
    const info = iso.info();
    expect(info.restarts).toBe(2);
    expect(info.pid).toBeNull();
    expect(info.lastCrash).toMatchObject({ reason: 'exited with code 42', exitCode: 42, signal: null });
    expect(info.lastCrash!.stderr).toContain('crashy: the flux capacitor is gone');
    expect(states).toEqual([
      'starting',
      'ready',
      'running',
      'restarting',
      'running',
      'restarting',
      'running',
      'crashed',
    ]);
    expect(alive(first)).toBe(false);
    const res = await iso
      .fetch(new Request('http://127.0.0.1/api/plugins/iso-crashy/x'), { user: admin, requestId: 'r1' })
      .catch((e: unknown) => e);
    expect(res).toMatchObject({ status: 503, code: 'WEBCASA_PLUGIN_CRASHED' });
    expect((res as Error).message).toBe(
      'plugin iso-crashy crashed 3 times within 60 s and was stopped (last: exited with code 42)',
    );
  });

  it('limits memory (V8 heap, and a cgroup when the machine allows one); stop escalates to SIGKILL', async () => {
    const { iso, states } = isolated('stubborn', { memoryMb: 96, stopTimeoutMs: 300, killGraceMs: 300 });
    await iso.start();
    const pid = iso.pid!;
    const res = await iso.fetch(new Request('http://127.0.0.1/api/plugins/iso-stubborn/x'), {
      user: admin,
      requestId: 'r2',
    });
    expect(await res.text()).toBe('here');

    const info = iso.info();
    expect(info.memoryLimitMb).toBe(96);
    expect(info.memoryRss).toBeGreaterThan(10 * 1024 * 1024);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('--max-old-space-size=96');
    if (info.cgroup) {
      const limitFile = info.cgroup.includes('/memory/') ? 'memory.limit_in_bytes' : 'memory.max';
      const limit = Number(readFileSync(join(info.cgroup, limitFile), 'utf8'));
      expect(limit).toBeGreaterThanOrEqual((96 * 2 + 64) * 1024 * 1024 - 4096);
      expect(readFileSync(join(info.cgroup, 'cgroup.procs'), 'utf8')).toContain(String(pid));
    } else {
      expect(info.cgroupError).toBeTruthy();
    }
    console.info(`memory cgroup: ${info.cgroup ?? `not used (${info.cgroupError})`}`);

    // stop() hangs, process.exit() and SIGTERM are ignored: only SIGKILL ends it.
    const began = Date.now();
    await iso.stop();
    const took = Date.now() - began;
    expect(alive(pid)).toBe(false);
    // stop() timed out in the child (300 ms), no exit within the grace (300), SIGTERM ignored (300), SIGKILL.
    expect(took).toBeGreaterThanOrEqual(850);
    expect(took).toBeLessThan(5000);
    expect(states.slice(-2)).toEqual(['stopping', 'stopped']);
    const log = readFileSync(join(host.dataDir, 'logs', 'iso-stubborn.log'), 'utf8');
    expect(log).toContain('stubborn: exit ignored');
    expect(log).toContain('stubborn: SIGTERM ignored');
    expect(log).toContain(`process ${pid} ignored SIGTERM for 300 ms; killed`);
    if (info.cgroup) expect(() => readFileSync(join(info.cgroup!, 'cgroup.procs'))).toThrow(); // removed
  });
});
