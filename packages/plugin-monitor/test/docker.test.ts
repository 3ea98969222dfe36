import {
  BUSYBOX_IMAGE,
  engineRequest,
  ensureBusyboxImage,
  ensureDocker,
  removeContainersByPrefix,
} from '@webcasa/docker-testkit';
import dockerManifest from '@webcasa/plugin-docker/manifest' with { type: 'json' };
import { createDockerPlugin } from '@webcasa/plugin-docker/server';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import manifest from '../manifest.json' with { type: 'json' };
import { createFakeSource, createMonitorPlugin, type MonitorHandle, type Sample } from '../src/server.js';

// Container metrics on real components: the real docker plugin against the real dockerd, a
// busybox container burning CPU. The machine's own figures come from the fake source (other
// tests cover the real one); only the containers part is under test here.

const prefix = `wc-monitor-${Math.random().toString(36).slice(2, 8)}-`;
const busy = `${prefix}busy`;

type Container = Sample['containers'][number];

async function engine(method: string, path: string, body?: unknown) {
  const res = await engineRequest(
    method,
    path,
    body === undefined ? undefined : JSON.stringify(body),
    body === undefined ? {} : { 'content-type': 'application/json' },
  );
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
  return res;
}

/** Starts a busybox container running `cmd`, limited to a quarter of one CPU. */
async function runContainer(name: string, cmd: string[]): Promise<string> {
  const res = await engine('POST', `/containers/create?name=${encodeURIComponent(name)}`, {
    Image: BUSYBOX_IMAGE,
    Cmd: cmd,
    HostConfig: { NanoCpus: 250_000_000 },
  });
  const { Id } = JSON.parse(res.body) as { Id: string };
  await engine('POST', `/containers/${Id}/start`);
  return Id;
}

/** Collects samples (at most for `ms`) until `ok` holds for one; answers the last sample. */
async function collectUntil(handle: MonitorHandle, ok: (s: Sample) => boolean, ms = 12_000) {
  const until = Date.now() + ms;
  let sample = await handle.collect();
  while (!ok(sample) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    sample = await handle.collect();
  }
  return sample;
}

const byName = (s: Sample, name: string): Container | undefined => s.containers.find((c) => c.name === name);

describe('with the docker plugin and a real engine', () => {
  let t: TestPanel;
  let handle!: MonitorHandle;
  let busyId: string;

  beforeAll(async () => {
    await ensureDocker();
    await ensureBusyboxImage();
    busyId = await runContainer(busy, ['sh', '-c', 'while true; do :; done']);
    t = await startTestPanel({
      plugins: [
        { manifest: dockerManifest, plugin: createDockerPlugin() },
        {
          manifest,
          plugin: createMonitorPlugin({ source: createFakeSource(), onReady: (h) => (handle = h) }),
        },
      ],
    });
    for (const id of ['docker', 'monitor'])
      expect(t.panel.manager.info(id)?.status, `${id} plugin`).toBe('running');
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await removeContainersByPrefix(prefix);
  });

  it('samples a running container: its CPU and memory, by name', async () => {
    const sample = await collectUntil(handle, (s) => {
      const c = byName(s, busy);
      return c !== undefined && c.cpu > 0 && c.memBytes > 0;
    });
    const c = byName(sample, busy);
    expect(c, JSON.stringify(sample.containers)).toMatchObject({ id: busyId, name: busy });
    expect(c?.memBytes).toBeGreaterThan(0);
    expect(c?.cpu).toBeGreaterThan(0);
    // Percent of one core: the loop gets the quarter of a CPU the engine allows it (25, give or
    // take the jitter of a one-second reading), never a whole core.
    expect(c?.cpu).toBeLessThan(50);

    const current = await t.client.get('/api/plugins/monitor/current');
    expect(current.status).toBe(200);
    expect(current.body.containers).toContainEqual(expect.objectContaining({ id: busyId, name: busy }));
    expect(current.body.metrics[`container.${busy}.cpu`]).toBeGreaterThan(0);
    expect(current.body.metrics[`container.${busy}.mem`]).toBeGreaterThan(0);
    const metrics = await t.client.get('/api/plugins/monitor/metrics');
    expect(metrics.body.items).toEqual(
      expect.arrayContaining([`container.${busy}.cpu`, `container.${busy}.mem`]),
    );
  });

  it('follows the docker plugin being disabled and enabled again, without waiting a minute', async () => {
    expect(byName(await handle.collect(), busy)).toBeDefined();
    await t.panel.manager.disable('docker');
    expect((await handle.collect()).containers).toEqual([]);
    await t.panel.manager.enable('docker');
    // The restarted plugin provides a new service; monitor looks it up on plugin.enabled.
    const sample = await collectUntil(handle, (s) => byName(s, busy) !== undefined, 5_000);
    expect(byName(sample, busy), JSON.stringify(sample.containers)).toMatchObject({ id: busyId });
  });

  it('drops a container from the samples once it is removed', async () => {
    expect(byName(await handle.collect(), busy)).toBeDefined();
    await engine('DELETE', `/containers/${busyId}?force=1`);
    const sample = await collectUntil(handle, (s) => byName(s, busy) === undefined, 5_000);
    expect(sample.containers.map((c) => c.name)).not.toContain(busy);
    const current = await t.client.get('/api/plugins/monitor/current');
    expect(current.body.containers.map((c: Container) => c.name)).not.toContain(busy);
    expect(current.body.metrics).not.toHaveProperty([`container.${busy}.cpu`]);
    expect(current.body.metrics).not.toHaveProperty([`container.${busy}.mem`]);
  });
});

it('runs without the docker plugin: no containers, the machine figures as usual', async () => {
  let handle!: MonitorHandle;
  const t = await startTestPanel({
    plugins: [
      {
        manifest,
        plugin: createMonitorPlugin({ source: createFakeSource({ cpu: 42 }), onReady: (h) => (handle = h) }),
      },
    ],
  });
  try {
    const sample = await handle.collect();
    expect(sample.containers).toEqual([]);
    expect(sample.cpu.total).toBe(42);
    const current = await t.client.get('/api/plugins/monitor/current');
    expect(current.status).toBe(200);
    expect(current.body.containers).toEqual([]);
    expect(Object.keys(current.body.metrics).filter((k) => k.startsWith('container.'))).toEqual([]);
  } finally {
    await t.stop();
  }
});
