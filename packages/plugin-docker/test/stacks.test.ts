import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { engineRequest, removeContainersByPrefix } from '@webcasa/docker-testkit';
import { defineServerPlugin } from '@webcasa/plugin-sdk';
import type { TestPanel } from '@webcasa/plugin-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerService } from '../src/api.js';
import {
  BUSYBOX_IMAGE,
  finished,
  freePort,
  removeVolumesAndNetworksByPrefix,
  startDockerPanel,
} from './helpers.js';

// Every stack, container, volume and network of this file starts with this prefix.
const P = `wcst${process.pid}`;
let t: TestPanel;
let service: DockerService | undefined;

// A second plugin that depends on docker and uses its service, as the app store does.
const consumer = defineServerPlugin({
  async setup(ctx) {
    service = await ctx.use('docker');
  },
});

beforeAll(async () => {
  t = await startDockerPanel([
    {
      manifest: {
        id: 'docker-consumer',
        name: 'Consumer',
        version: '0.0.1',
        engine: '^1.0.0',
        dependencies: { docker: '^0.1.0' },
      },
      plugin: consumer,
    },
  ]);
}, 60_000);

afterAll(async () => {
  await removeContainersByPrefix(P);
  await removeVolumesAndNetworksByPrefix(P);
  await t?.stop();
});

const composeFor = (port: number) => `
services:
  web:
    image: ${BUSYBOX_IMAGE}
    command: ["sh", "-c", "mkdir -p /www && echo \${GREETING} > /www/index.html && exec httpd -f -p 80 -h /www"]
    stop_grace_period: 1s
    ports:
      - "127.0.0.1:${port}:80"
  worker:
    image: ${BUSYBOX_IMAGE}
    command: ["sh", "-c", "echo worker-started; exec sleep 3600"]
    stop_grace_period: 1s
    volumes:
      - data:/data
volumes:
  data: {}
`;

describe('stacks', () => {
  const name = `${P}-web`;
  let port = 0;

  it('deploys a two-service stack and serves a file from it', async () => {
    port = await freePort();
    const res = await t.client.post('/api/plugins/docker/stacks', {
      name,
      compose: composeFor(port),
      env: { GREETING: 'hello-stack' },
    });
    expect(res.status).toBe(202);
    const { info, log } = await finished(t, res.body.runId);
    expect(info.status, log).toBe('succeeded');
    expect(log).toMatch(/docker-compose -p/);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect((await page.text()).trim()).toBe('hello-stack');
    // Files under the data dir; the .env is private.
    const dir = join(t.dataDir, 'plugins', 'docker', 'stacks', name);
    expect(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')).toContain('httpd');
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('GREETING=hello-stack\n');
  });

  it('lists the stack with its state, services and labels', async () => {
    const list = await t.client.get('/api/plugins/docker/stacks');
    const stack = list.body.items.find((s: { name: string }) => s.name === name);
    expect(stack).toMatchObject({ name, state: 'running', owner: 'docker' });
    expect(stack.services.map((s: { name: string }) => s.name).sort()).toEqual(['web', 'worker']);
    const web = stack.services.find((s: { name: string }) => s.name === 'web');
    expect(web.ports).toContainEqual({
      host: '127.0.0.1',
      hostPort: port,
      containerPort: 80,
      protocol: 'tcp',
    });
    const inspect = JSON.parse((await engineRequest('GET', `/containers/${web.containerId}/json`)).body);
    expect(inspect.Config.Labels).toMatchObject({
      'casa.web.managed': '1',
      'casa.web.stack': name,
      'casa.web.stack-owner': 'docker',
    });
  });

  it('answers the stack logs', async () => {
    const res = await t.client.get(`/api/plugins/docker/stacks/${name}/logs?tail=50&timestamps=1`);
    expect(res.status).toBe(200);
    expect(res.body.text).toContain('worker-started');
  });

  it('stops, starts and restarts it as runs', async () => {
    for (const action of ['stop', 'start', 'restart']) {
      const res = await t.client.post(`/api/plugins/docker/stacks/${name}/${action}`);
      expect(res.status).toBe(202);
      const { info, log } = await finished(t, res.body.runId);
      expect(info.status, `${action}: ${log}`).toBe('succeeded');
    }
    expect((await t.client.get(`/api/plugins/docker/stacks/${name}`)).body.state).toBe('running');
  });

  it('`down` removes the containers, keeping the stack and its volume', async () => {
    const res = await t.client.post(`/api/plugins/docker/stacks/${name}/down`);
    expect((await finished(t, res.body.runId)).info.status).toBe('succeeded');
    const containers = JSON.parse(
      (
        await engineRequest(
          'GET',
          `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${name}`] }))}`,
        )
      ).body,
    );
    expect(containers).toEqual([]);
    const stack = (await t.client.get(`/api/plugins/docker/stacks/${name}`)).body;
    expect(stack.state).toBe('stopped');
    expect(stack.services.every((s: { state: string }) => s.state === 'missing')).toBe(true);
    expect((await engineRequest('GET', `/volumes/${name}_data`)).status).toBe(200);
  });

  it('deletes it with its volumes', async () => {
    const up = await t.client.post(`/api/plugins/docker/stacks/${name}/up`);
    expect((await finished(t, up.body.runId)).info.status).toBe('succeeded');
    const res = await t.client.delete(`/api/plugins/docker/stacks/${name}?removeVolumes=1`);
    expect(res.status).toBe(202);
    expect((await finished(t, res.body.runId)).info.status).toBe('succeeded');
    expect((await engineRequest('GET', `/volumes/${name}_data`)).status).toBe(404);
    expect(existsSync(join(t.dataDir, 'plugins', 'docker', 'stacks', name))).toBe(false);
    expect((await t.client.get(`/api/plugins/docker/stacks/${name}`)).status).toBe(404);
  });
});

describe('the safety review on deploy', () => {
  const name = `${P}-hostile`;
  const hostile = `
services:
  evil:
    image: ${BUSYBOX_IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    privileged: true
    pid: host
    cap_add: [SYS_ADMIN]
    volumes:
      - /etc:/host-etc:ro
      - type: bind
        source: /var/run/docker.sock
        target: /var/run/docker.sock
`;

  it('refuses without acceptRisks, listing every finding', async () => {
    const res = await t.client.post('/api/plugins/docker/stacks', { name, compose: hostile });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('DOCKER_RISKS_NOT_ACCEPTED');
    expect(res.body.error.field).toBe('acceptRisks');
    const findings = res.body.error.details.findings as { rule: string; service: string; path: string }[];
    expect(findings.map((f) => f.rule).sort()).toEqual([
      'cap-add',
      'docker-socket',
      'host-pid',
      'privileged',
      'sensitive-mount',
    ]);
    expect(findings.every((f) => f.service === 'evil')).toBe(true);
    expect(findings.map((f) => f.path)).toContain('services.evil.volumes[1]');
    // Nothing was written.
    expect(existsSync(join(t.dataDir, 'plugins', 'docker', 'stacks', name))).toBe(false);
    // Accepting only some is not enough.
    const partial = await t.client.post('/api/plugins/docker/stacks', {
      name,
      compose: hostile,
      acceptRisks: ['privileged'],
    });
    expect(partial.status).toBe(422);
    expect(partial.body.error.details.rules.sort()).toEqual([
      'cap-add',
      'docker-socket',
      'host-pid',
      'sensitive-mount',
    ]);
  });

  it('the review route answers the same findings', async () => {
    const res = await t.client.post('/api/plugins/docker/stacks/review', { compose: hostile });
    expect(res.status).toBe(200);
    expect(res.body.findings).toHaveLength(5);
  });

  it('deploys once every risk is accepted', async () => {
    // This sandbox cannot start privileged containers (runc may not apply every capability), so the
    // deployed variant keeps the rules that can run here: host PID, NET_ADMIN and the mounts.
    const runnable = hostile.replace('    privileged: true\n', '').replace('SYS_ADMIN', 'NET_ADMIN');
    const acceptRisks = ['host-pid', 'cap-add', 'sensitive-mount', 'docker-socket'];
    const res = await t.client.post('/api/plugins/docker/stacks', { name, compose: runnable, acceptRisks });
    expect(res.status).toBe(202);
    const done = await finished(t, res.body.runId);
    expect(done.info.status, done.log).toBe('succeeded');
    const stack = (await t.client.get(`/api/plugins/docker/stacks/${name}`)).body;
    const id = stack.services[0].containerId;
    const inspect = JSON.parse((await engineRequest('GET', `/containers/${id}/json`)).body);
    expect(inspect.HostConfig.PidMode).toBe('host');
    expect(inspect.HostConfig.CapAdd).toEqual(['NET_ADMIN']);
    const del = await t.client.delete(`/api/plugins/docker/stacks/${name}`);
    expect((await finished(t, del.body.runId)).info.status).toBe('succeeded');
  });

  it("a failed deploy fails its run with compose's error", async () => {
    const res = await t.client.post('/api/plugins/docker/stacks', {
      name: `${P}-broken`,
      compose: `services:\n  a:\n    image: ${BUSYBOX_IMAGE}\n    command: ["sleep", "60"]\n    ports: ["127.0.0.1:1:99999"]\n`,
    });
    expect(res.status).toBe(202);
    const done = await finished(t, res.body.runId);
    expect(done.info.status).toBe('failed');
    expect(done.info.error).toBeTruthy();
    const del = await t.client.delete(`/api/plugins/docker/stacks/${P}-broken?removeVolumes=1`);
    expect((await finished(t, del.body.runId)).info.status).toBe('succeeded');
  });

  it('refuses an invalid compose file with 400 naming it', async () => {
    const res = await t.client.post('/api/plugins/docker/stacks', {
      name: `${P}-invalid`,
      compose: 'services:\n  a: 1\n',
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'DOCKER_COMPOSE_INVALID', field: 'compose' });
    expect(res.body.error.message).toContain('services.a');
  });
});

describe('the service, used by a plugin that depends on docker', () => {
  const name = `${P}-svc`;

  it('deploys, reads, and removes a stack; answers status and stats', async () => {
    expect(service).toBeDefined();
    const svc = service as DockerService;
    expect(await svc.status()).toMatchObject({ available: true, compose: 'v1' });
    expect(
      (await svc.reviewCompose('services:\n  a:\n    image: x\n    privileged: true\n')).findings[0]?.rule,
    ).toBe('privileged');
    const compose = `services:\n  app:\n    image: ${BUSYBOX_IMAGE}\n    command: ["sh", "-c", "echo from-service; exec sleep 3600"]\n    stop_grace_period: 1s\n`;
    await expect(
      svc.deployStack({ name, compose: compose.replace('image:', 'privileged: true\n    image:') }),
    ).rejects.toMatchObject({
      code: 'DOCKER_RISKS_NOT_ACCEPTED',
      status: 422,
    });
    const deployed = await svc.deployStack({ name, compose, owner: 'app-store' });
    expect(deployed.ok).toBe(true);
    expect(deployed.runId).toMatch(/^run_/);
    expect(deployed.log.length).toBeGreaterThan(0);
    const stack = await svc.getStack(name);
    expect(stack).toMatchObject({ name, owner: 'app-store', state: 'running' });
    expect((await svc.listStacks()).map((s) => s.name)).toContain(name);
    expect(await svc.stackLogs(name, { tail: 10 })).toContain('from-service');
    const stats = await svc.containerStats();
    const mine = stats.find((s) => s.id === stack?.services[0]?.containerId);
    expect(mine).toBeDefined();
    expect(mine?.memBytes).toBeGreaterThan(0);
    expect(typeof mine?.cpu).toBe('number');
    expect((await svc.stackAction(name, 'restart')).ok).toBe(true);
    const bad = await svc.stackAction(name, 'pull');
    expect(bad.ok).toBe(false); // nothing can be pulled here
    expect(bad.error).toBeTruthy();
    expect((await svc.removeStack(name, { removeVolumes: true })).ok).toBe(true);
    expect(await svc.getStack(name)).toBeNull();
  });
});
