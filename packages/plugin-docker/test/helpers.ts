import { createServer } from 'node:net';
import { BUSYBOX_IMAGE, engineRequest, ensureBusyboxImage } from '@webcasa/docker-testkit';
import { startTestPanel, type TestPanel } from '@webcasa/plugin-testing';
import manifest from '../manifest.json' with { type: 'json' };
import { createDockerPlugin } from '../src/server.js';

export { BUSYBOX_IMAGE, manifest };

/** A panel with the docker plugin (plus `extra` plugins), the busybox image present. */
export async function startDockerPanel(
  extra: { manifest: Record<string, unknown>; plugin: unknown }[] = [],
): Promise<TestPanel> {
  await ensureBusyboxImage();
  return startTestPanel({
    plugins: [{ manifest, plugin: createDockerPlugin() }, ...(extra as never[])],
  });
}

/** Waits for a run to end and answers its info and log text. */
export async function finished(t: TestPanel, runId: string) {
  const info = await t.panel.runs.wait(runId);
  const log = await t.client.get(`/api/runs/${runId}/log`);
  return { info, log: typeof log.body === 'string' ? log.body : JSON.stringify(log.body) };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Deletes volumes and networks whose names start with the prefix (test clean-up). */
export async function removeVolumesAndNetworksByPrefix(prefix: string): Promise<void> {
  const vols = JSON.parse((await engineRequest('GET', '/volumes')).body) as {
    Volumes: { Name: string }[] | null;
  };
  for (const v of vols.Volumes ?? [])
    if (v.Name.startsWith(prefix)) await engineRequest('DELETE', `/volumes/${v.Name}?force=1`);
  const nets = JSON.parse((await engineRequest('GET', '/networks')).body) as { Name: string; Id: string }[];
  for (const n of nets) if (n.Name.startsWith(prefix)) await engineRequest('DELETE', `/networks/${n.Id}`);
}

export async function poll<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}
