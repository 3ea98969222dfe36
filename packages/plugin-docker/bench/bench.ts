/**
 * Benchmark of the Docker plugin, printed as JSON lines.
 *
 * list-300-containers: 300 stopped busybox containers (name prefix `wcbench<pid>-`), then
 * `GET /api/plugins/docker/containers` through a real panel (HTTP, auth, routing, mapping)
 * against a raw dockerode `listContainers({ all: true })` on the same socket, alternating,
 * ITERATIONS times each (default 30). Prints the median of each and the ratio. Cleans up.
 */
import { performance } from 'node:perf_hooks';
import { BUSYBOX_IMAGE, ensureBusyboxImage, removeContainersByPrefix } from '@webcasa/docker-testkit';
import { startTestPanel } from '@webcasa/plugin-testing';
import Docker from 'dockerode';
import manifest from '../manifest.json' with { type: 'json' };
import { createDockerPlugin } from '../src/server.js';

const COUNT = Number(process.env.BENCH_CONTAINERS ?? 300);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 30);
const PREFIX = `wcbench${process.pid}-`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

async function main(): Promise<void> {
  await ensureBusyboxImage();
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const t = await startTestPanel({ plugins: [{ manifest, plugin: createDockerPlugin() }] });
  try {
    const created = performance.now();
    for (let i = 0; i < COUNT; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, COUNT - i) }, (_, j) =>
          docker.createContainer({ Image: BUSYBOX_IMAGE, name: `${PREFIX}${i + j}`, Cmd: ['true'] }),
        ),
      );
    }
    const all = await docker.listContainers({ all: true });
    const total = all.length;
    console.log(
      JSON.stringify({
        step: 'created',
        containers: COUNT,
        totalInEngine: total,
        ms: Math.round(performance.now() - created),
      }),
    );
    // Warm both paths once.
    await t.client.get('/api/plugins/docker/containers');
    await docker.listContainers({ all: true });
    const panel: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      let t0 = performance.now();
      const res = await t.client.get('/api/plugins/docker/containers');
      panel.push(performance.now() - t0);
      if (res.status !== 200 || res.body.items.length < COUNT)
        throw new Error(`panel answered ${res.status} with ${res.body.items?.length} containers`);
      t0 = performance.now();
      await docker.listContainers({ all: true });
      raw.push(performance.now() - t0);
    }
    const p = median(panel);
    const r = median(raw);
    console.log(
      JSON.stringify({
        bench: 'list-300-containers',
        containers: total,
        iterations: ITERATIONS,
        panelMedianMs: Math.round(p * 10) / 10,
        rawDockerodeMedianMs: Math.round(r * 10) / 10,
        ratio: Math.round((p / r) * 100) / 100,
      }),
    );
  } finally {
    await removeContainersByPrefix(PREFIX);
    await t.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
