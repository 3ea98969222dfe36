import { engineRequest, removeContainersByPrefix } from '@webcasa/docker-testkit';
import type { TestPanel } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE, poll, startDockerPanel } from './helpers.js';

const P = `wcct${process.pid}`;
let t: TestPanel;
const api = '/api/plugins/docker';

beforeAll(async () => {
  t = await startDockerPanel();
}, 60_000);

afterAll(async () => {
  await removeContainersByPrefix(P);
  await t?.stop();
});

/** A container that keeps running and dies at once on SIGTERM (sh traps it). */
const LOOP = ['sh', '-c', "trap 'exit 0' TERM; echo booted; while true; do sleep 1; done"];

describe('container lifecycle', () => {
  const name = `${P}-life`;
  let id = '';

  it('creates with limits, and inspect shows them', async () => {
    const res = await t.client.post(`${api}/containers`, {
      image: BUSYBOX_IMAGE,
      name,
      cmd: LOOP,
      env: { FOO: 'bar' },
      limits: { memory: 64 * 1024 * 1024, cpus: 0.5 },
      labels: { 'casa.web.test': P },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    id = res.body.id;
    const inspect = await t.client.get(`${api}/containers/${id}`);
    expect(inspect.status).toBe(200);
    expect(inspect.body.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(inspect.body.HostConfig.NanoCpus).toBe(500_000_000);
    expect(inspect.body.Config.Env).toContain('FOO=bar');
    expect(inspect.body.Config.Labels['casa.web.managed']).toBe('1');
    expect(inspect.body.State.Status).toBe('created');
  });

  it('starts, stops, restarts, renames, kills and removes, with bus events', async () => {
    const seen: { type: string; payload: { id: string; exitCode?: number | null } }[] = [];
    const off = t.panel.bus.on(
      'docker.*' as never,
      ((e: { type: string; payload: { id: string } }) => {
        if (e.payload.id === id) seen.push(e);
      }) as never,
    );
    const state = async () => (await t.client.get(`${api}/containers/${id}`)).body.State.Status as string;
    expect((await t.client.post(`${api}/containers/${id}/start`)).status).toBe(200);
    expect(await state()).toBe('running');
    expect((await t.client.post(`${api}/containers/${id}/stop`, { timeout: 5 })).status).toBe(200);
    expect(await state()).toBe('exited');
    expect((await t.client.post(`${api}/containers/${id}/restart`)).status).toBe(200);
    expect(await state()).toBe('running');
    const renamed = await t.client.post(`${api}/containers/${id}/rename`, { name: `${name}-2` });
    expect(renamed.status).toBe(200);
    expect((await t.client.get(`${api}/containers/${id}`)).body.Name).toBe(`/${name}-2`);
    expect((await t.client.post(`${api}/containers/${id}/kill`, { signal: 'SIGKILL' })).status).toBe(200);
    expect(await state()).toBe('exited');
    // Starting a removed one is a 404, stopping a stopped one a 409 (engine 304).
    expect((await t.client.post(`${api}/containers/${id}/stop`)).status).toBe(409);
    expect((await t.client.delete(`${api}/containers/${id}`)).status).toBe(200);
    const gone = await t.client.post(`${api}/containers/${id}/start`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('DOCKER_NOT_FOUND');
    expect(gone.body.error.message).toMatch(/No such container/i);
    const types = await poll(
      async () => seen.map((e) => e.type),
      (v) => v.filter((x) => x === 'docker.container.died').length >= 2,
    );
    off();
    expect(types).toContain('docker.container.started');
    expect(types).toContain('docker.container.stopped');
    // stop and kill (restart started an exited container, so it did not die then).
    expect(types.filter((x) => x === 'docker.container.died').length).toBe(2);
    const killed = seen.filter((e) => e.type === 'docker.container.died').at(-1);
    expect(killed?.payload.exitCode).toBe(137);
  });

  it('refuses a create that needs confirmation, then accepts it', async () => {
    const body = {
      image: BUSYBOX_IMAGE,
      name: `${P}-risky`,
      cmd: ['true'],
      volumes: [{ source: '/etc', target: '/host-etc', readOnly: true }],
      capAdd: ['NET_ADMIN'],
    };
    const res = await t.client.post(`${api}/containers`, body);
    expect(res.status).toBe(422);
    expect(res.body.error.details.findings).toEqual([
      expect.objectContaining({ rule: 'sensitive-mount', path: 'body.volumes[0]' }),
      expect.objectContaining({ rule: 'cap-add', path: 'body.capAdd[0]' }),
    ]);
    const ok = await t.client.post(`${api}/containers`, {
      ...body,
      acceptRisks: ['sensitive-mount', 'cap-add'],
    });
    expect(ok.status).toBe(201);
    expect((await t.client.delete(`${api}/containers/${ok.body.id}?force=1`)).status).toBe(200);
  });
});

describe('logs, stats and exec', () => {
  const name = `${P}-live`;
  let id = '';

  beforeAll(async () => {
    const res = await t.client.post(`${api}/containers`, {
      image: BUSYBOX_IMAGE,
      name,
      cmd: LOOP,
      start: true,
    });
    id = res.body.id;
  });

  it('answers logs with timestamps', async () => {
    const res = await poll(
      () => t.client.get(`${api}/containers/${id}/logs?timestamps=1&tail=10`),
      (r) => r.body.lines?.length > 0,
    );
    expect(res.status).toBe(200);
    expect(res.body.lines[0].stream).toBe('stdout');
    expect(res.body.lines[0].text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z booted$/);
  });

  it('follows logs over the WebSocket, receiving a line written after connecting', async () => {
    const ws = await t.client.ws(`/ws/plugins/docker/containers/${id}/logs?follow=1&timestamps=1&tail=5`);
    const messages: { type: string; text?: string }[] = [];
    for (;;) {
      const m = JSON.parse(await ws.next(5000));
      messages.push(m);
      if (m.type === 'ready') break;
    }
    // Written to the container's stdout from outside, after the socket is open.
    const exec = await engineRequest(
      'POST',
      `/containers/${id}/exec`,
      JSON.stringify({ Cmd: ['sh', '-c', 'echo late-line > /proc/1/fd/1'] }),
      {
        'content-type': 'application/json',
      },
    );
    const execId = JSON.parse(exec.body).Id;
    await engineRequest('POST', `/exec/${execId}/start`, JSON.stringify({ Detach: true }), {
      'content-type': 'application/json',
    });
    let line: { text?: string } | undefined;
    for (let i = 0; i < 20 && !line; i++) {
      const m = JSON.parse(await ws.next(5000));
      if (m.type === 'log' && String(m.text).endsWith('late-line')) line = m;
    }
    expect(line?.text).toMatch(/^\d{4}-\d\d-\d\dT\S+ late-line$/);
    await ws.close();
  });

  it('answers a stats sample with cpu and memory, and streams them', async () => {
    const res = await t.client.get(`${api}/containers/${id}/stats`);
    expect(res.status).toBe(200);
    expect(typeof res.body.cpu).toBe('number');
    expect(res.body.memBytes).toBeGreaterThan(0);
    expect(res.body.memLimit).toBeGreaterThan(0);
    const ws = await t.client.ws(`/ws/plugins/docker/containers/${id}/stats`);
    const m = JSON.parse(await ws.next(10_000));
    expect(m.type).toBe('stats');
    expect(m.stats.memBytes).toBeGreaterThan(0);
    await ws.close();
  });

  it('runs `echo hi` through the exec WebSocket', async () => {
    const ws = await t.client.ws(
      `/ws/plugins/docker/containers/${id}/exec?cmd=${encodeURIComponent(JSON.stringify(['echo', 'hi']))}`,
    );
    let out = '';
    let exit: { code: number | null } | undefined;
    for (let i = 0; i < 20 && !exit; i++) {
      const m = JSON.parse(await ws.next(5000));
      if (m.type === 'output') out += m.data;
      if (m.type === 'exit') exit = m;
    }
    expect(out.trim()).toBe('hi');
    expect(exit?.code).toBe(0);
  });

  it('drives an interactive shell through the exec WebSocket', async () => {
    const ws = await t.client.ws(`/ws/plugins/docker/containers/${id}/exec?cols=100&rows=30`);
    expect(JSON.parse(await ws.next(5000)).type).toBe('ready');
    ws.send(JSON.stringify({ type: 'input', data: 'echo $((40+2))\n' }));
    let out = '';
    for (let i = 0; i < 20 && !/\r?\n42\r?\n/.test(out); i++) {
      const m = JSON.parse(await ws.next(5000));
      if (m.type === 'output') out += m.data;
    }
    expect(out).toMatch(/\r?\n42\r?\n/);
    ws.send(JSON.stringify({ type: 'input', data: 'exit\n' }));
    await ws.closed;
  });

  it('keeps exec for admins', async () => {
    const operator = await t.clientAs('operator');
    const ws = await operator.ws(`/ws/plugins/docker/containers/${id}/exec`);
    const m = JSON.parse(await ws.next(5000));
    expect(m).toMatchObject({ type: 'error' });
    expect(await ws.closed).toBe(4403);
    const viewer = await t.clientAs('viewer');
    expect((await viewer.get(`${api}/containers`)).status).toBe(200);
    expect((await viewer.post(`${api}/containers/${id}/stop`)).status).toBe(403);
  });

  it('lists containers', async () => {
    const res = await t.client.get(`${api}/containers`);
    expect(res.body.items).toContainEqual(
      expect.objectContaining({ id, name, state: 'running', managed: true }),
    );
  });
});

describe('bad input', () => {
  it('answers 4xx naming the field', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', `${api}/containers`, { name: 'x' }, 400, 'body.image'],
      [
        'POST',
        `${api}/containers`,
        { image: BUSYBOX_IMAGE, limits: { memory: 5 } },
        400,
        'body.limits.memory',
      ],
      [
        'POST',
        `${api}/containers`,
        { image: BUSYBOX_IMAGE, ports: [{ hostPort: 70000, containerPort: 80 }] },
        400,
        'body.ports.0.hostPort',
      ],
      ['POST', `${api}/containers`, { image: BUSYBOX_IMAGE, bogus: 1 }, 400, 'body'],
      ['POST', `${api}/containers/x/rename`, { name: '../etc' }, 400, 'body.name'],
      ['GET', `${api}/containers/bad%20id`, undefined, 400, 'params.id'],
      ['POST', `${api}/stacks`, { name: 'Bad Name', compose: 'services: {}' }, 400, 'body.name'],
      ['POST', `${api}/stacks`, { name: 'ok' }, 400, 'body.compose'],
      ['POST', `${api}/stacks/ok/explode`, undefined, 400, 'params.action'],
      ['GET', `${api}/stacks/ok/logs?tail=-1`, undefined, 400, 'query.tail'],
      ['POST', `${api}/images/pull`, { image: '' }, 400, 'body.image'],
      ['POST', `${api}/networks`, { name: 'n', subnet: 'nope' }, 400, 'body.subnet'],
      ['POST', `${api}/volumes`, { name: '-x' }, 400, 'body.name'],
    ];
    for (const [method, path, body, status, field] of cases) {
      const res = await t.client.request(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(res.body.error.field, `${method} ${path}`).toBe(field);
    }
    const notJson = await t.client.request('POST', `${api}/containers`, '{nope', {
      'content-type': 'application/json',
    });
    expect(notJson.status).toBe(400);
    expect((await t.client.get(`${api}/stacks/nope-${P}`)).status).toBe(404);
  });
});
