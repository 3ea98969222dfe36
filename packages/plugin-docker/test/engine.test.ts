import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { engineRequest, removeContainersByPrefix } from '@webcasa/docker-testkit';
import type { TestPanel } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUSYBOX_IMAGE,
  finished,
  poll,
  removeVolumesAndNetworksByPrefix,
  startDockerPanel,
} from './helpers.js';

// Images, networks, volumes, pulls and the "Docker is not available" state.
const P = `wcet${process.pid}`;
let t: TestPanel;
const api = '/api/plugins/docker';

beforeAll(async () => {
  t = await startDockerPanel();
}, 60_000);

afterAll(async () => {
  await removeContainersByPrefix(P);
  await removeVolumesAndNetworksByPrefix(P);
  await engineRequest('DELETE', `/images/${encodeURIComponent(`${P}/tagged:1`)}?force=1`);
  await t?.stop();
});

describe('images', () => {
  it('lists, tags, inspects and removes images', async () => {
    const list = await t.client.get(`${api}/images`);
    expect(list.status).toBe(200);
    expect(list.body.items.some((i: { tags: string[] }) => i.tags.includes(BUSYBOX_IMAGE))).toBe(true);
    const tag = await t.client.post(`${api}/images/tag`, {
      image: BUSYBOX_IMAGE,
      repo: `${P}/tagged`,
      tag: '1',
    });
    expect(tag.status).toBe(201);
    const inspect = await t.client.get(`${api}/images/inspect?image=${encodeURIComponent(`${P}/tagged:1`)}`);
    expect(inspect.body.RepoTags).toContain(`${P}/tagged:1`);
    const del = await t.client.delete(`${api}/images?image=${encodeURIComponent(`${P}/tagged:1`)}`);
    expect(del.status).toBe(200);
    expect(del.body.removed).toContainEqual({ Untagged: `${P}/tagged:1` });
    const again = await t.client.delete(`${api}/images?image=${encodeURIComponent(`${P}/tagged:1`)}`);
    expect(again.status).toBe(404);
  });

  it('prunes only what the label filter selects', async () => {
    const res = await t.client.post(`${api}/images/prune`, { label: `casa.web.test=${P}` });
    expect(res.status).toBe(200);
    expect(res.body.deleted).toEqual([]);
  });

  it('a pull that fails is a failed run carrying the engine message', async () => {
    const image = `${P}-nonexistent/nothing:1`;
    const res = await t.client.post(`${api}/images/pull`, { image });
    expect(res.status).toBe(202);
    const { info, log } = await finished(t, res.body.runId);
    expect(info.status).toBe('failed');
    expect(info.error).toBeTruthy();
    // The same request straight to the engine fails with the same reason.
    const raw = await engineRequest(
      'POST',
      `/images/create?fromImage=${encodeURIComponent(`${P}-nonexistent/nothing`)}&tag=1`,
    );
    const engineText =
      raw.status === 200
        ? (raw.body.match(/"error":"([^"]+)"/)?.[1] ?? raw.body)
        : JSON.parse(raw.body).message;
    expect(engineText).toBeTruthy();
    // The engine's message names the registry lookup that failed; compare its stable start.
    expect(info.error?.slice(0, 30)).toBe(String(engineText).slice(0, 30));
    expect(log).toContain(info.error?.slice(0, 30));
  });
});

describe('networks and volumes', () => {
  it('creates, lists and removes a network', async () => {
    const res = await t.client.post(`${api}/networks`, {
      name: `${P}-net`,
      subnet: '172.31.254.0/24',
      internal: true,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const list = await t.client.get(`${api}/networks`);
    expect(list.body.items).toContainEqual(
      expect.objectContaining({ name: `${P}-net`, internal: true, subnets: ['172.31.254.0/24'] }),
    );
    expect((await t.client.post(`${api}/networks`, { name: `${P}-net` })).status).toBe(409);
    expect((await t.client.delete(`${api}/networks/${res.body.id}`)).status).toBe(200);
    expect((await t.client.delete(`${api}/networks/${res.body.id}`)).status).toBe(404);
  });

  it('creates, inspects, removes and prunes volumes', async () => {
    const res = await t.client.post(`${api}/volumes`, { name: `${P}-vol`, labels: { 'casa.web.test': P } });
    expect(res.status).toBe(201);
    expect((await t.client.post(`${api}/volumes`, { name: `${P}-vol` })).status).toBe(409);
    const inspect = await t.client.get(`${api}/volumes/${P}-vol`);
    expect(inspect.body.Labels).toMatchObject({ 'casa.web.managed': '1', 'casa.web.test': P });
    expect((await t.client.get(`${api}/volumes`)).body.items.map((v: { name: string }) => v.name)).toContain(
      `${P}-vol`,
    );
    // A volume in use cannot be removed: the engine's 409.
    const c = await t.client.post(`${api}/containers`, {
      image: BUSYBOX_IMAGE,
      name: `${P}-user`,
      cmd: ['true'],
      volumes: [{ source: `${P}-vol`, target: '/data' }],
    });
    expect(c.status).toBe(201);
    const busy = await t.client.delete(`${api}/volumes/${P}-vol`);
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toMatch(/in use/);
    await t.client.delete(`${api}/containers/${c.body.id}`);
    const pruned = await t.client.post(`${api}/volumes/prune`, { label: `casa.web.test=${P}` });
    expect(pruned.body.deleted).toEqual([`${P}-vol`]);
    expect((await t.client.get(`${api}/volumes/${P}-vol`)).status).toBe(404);
  });
});

describe('when Docker is not available', () => {
  it('answers 503 and a status with the reason, and recovers when the engine is back', async () => {
    const missing = `/tmp/${P}-missing.sock`;
    const set = await t.client.put('/api/admin/plugins/docker/config', { socketPath: missing });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const status = await poll(
      () => t.client.get(`${api}/status`),
      (r) => r.body.available === false,
    );
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ available: false, connection: `unix://${missing}` });
    expect(status.body.error).toContain(missing);
    expect(status.body.hint).toMatch(/Is Docker installed and running/);
    for (const path of ['/containers', '/stacks', '/images', '/networks', '/volumes']) {
      const res = await t.client.get(`${api}${path}`);
      expect(res.status, path).toBe(503);
      expect(res.body.error.code).toBe('DOCKER_UNAVAILABLE');
      expect(res.body.error.message).toContain(missing);
    }
    // The pure review still works without an engine.
    expect(
      (await t.client.post(`${api}/stacks/review`, { compose: 'services:\n  a:\n    image: x\n' })).status,
    ).toBe(200);
    // The engine "returns" at the configured path (a proxy to the real socket): the background
    // retry picks it up without any configuration change.
    const proxy = createServer((conn) => {
      const upstream = connect('/var/run/docker.sock');
      conn.pipe(upstream).pipe(conn);
      conn.on('error', () => upstream.destroy());
      upstream.on('error', () => conn.destroy());
    });
    await new Promise<void>((r) => proxy.listen(missing, r));
    try {
      const retried = await poll(
        () => t.client.get(`${api}/status`),
        (r) => r.body.available === true,
        40_000,
      );
      expect(retried.body).toMatchObject({ available: true, connection: `unix://${missing}` });
      expect((await t.client.get(`${api}/containers`)).status).toBe(200);
    } finally {
      await t.client.put('/api/admin/plugins/docker/config', { socketPath: '/var/run/docker.sock' });
      proxy.close();
      rmSync(missing, { force: true });
    }
    const back = await poll(
      () => t.client.get(`${api}/status`),
      (r) => r.body.available === true,
    );
    expect(back.body).toMatchObject({ available: true, connection: 'unix:///var/run/docker.sock' });
    expect(back.body.engineVersion).toMatch(/^\d+\./);
    expect((await t.client.get(`${api}/containers`)).status).toBe(200);
  });
});
