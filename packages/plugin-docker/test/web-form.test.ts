import { describe, expect, it } from 'vitest';
import { createContainerBody } from '../src/container-spec.js';
import {
  emptyContainerForm,
  fieldOfServerError,
  splitCommand,
  toCreateBody,
} from '../src/web/container-form.js';

// The "Create container" form's text fields → the `POST /containers` body the server accepts.
describe('create container form', () => {
  it('turns every field into the body the server validates', () => {
    const r = toCreateBody({
      ...emptyContainerForm(),
      image: ' nginx:alpine ',
      name: 'web',
      command: `sh -c 'echo "a b"; sleep 1' --flag=x\\ y`,
      env: 'A=1\n\n  B=x=y  \nC=',
      ports: '8080:80\n127.0.0.1:5353:53/udp\n[::1]:8443:443/TCP',
      volumes: 'data:/data\n/srv/conf:/etc/app:ro',
      restart: 'unless-stopped',
      memory: '64',
      cpus: '1.5',
      start: false,
    });
    expect(r).toEqual({
      ok: true,
      body: {
        image: 'nginx:alpine',
        name: 'web',
        cmd: ['sh', '-c', 'echo "a b"; sleep 1', '--flag=x y'],
        env: { A: '1', B: 'x=y', C: '' },
        ports: [
          { host: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
          { host: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
          { host: '::1', hostPort: 8443, containerPort: 443, protocol: 'tcp' },
        ],
        volumes: [
          { source: 'data', target: '/data', readOnly: false },
          { source: '/srv/conf', target: '/etc/app', readOnly: true },
        ],
        restart: 'unless-stopped',
        limits: { memory: 64 * 1024 * 1024, cpus: 1.5 },
        start: false,
      },
    });
    if (r.ok) expect(createContainerBody.safeParse(r.body).success).toBe(true);
  });

  it('sends only the image when nothing else is filled in', () => {
    const r = toCreateBody({ ...emptyContainerForm(), image: 'busybox' });
    expect(r).toEqual({ ok: true, body: { image: 'busybox', start: true } });
    if (r.ok) expect(createContainerBody.safeParse(r.body).success).toBe(true);
  });

  it('names the field and line of each malformed entry', () => {
    const r = toCreateBody({
      ...emptyContainerForm(),
      command: 'sh -c "unclosed',
      env: 'OK=1\n1BAD=2',
      ports: '80:80\n8080',
      volumes: 'data:relative/path',
      memory: 'lots',
      cpus: '-1',
    });
    expect(r).toEqual({
      ok: false,
      errors: {
        image: { key: 'docker.err.required' },
        command: { key: 'docker.err.quote' },
        env: { key: 'docker.err.env', params: { line: 2 } },
        ports: { key: 'docker.err.port', params: { line: 2 } },
        volumes: { key: 'docker.err.volume', params: { line: 1 } },
        memory: { key: 'docker.err.number' },
        cpus: { key: 'docker.err.number' },
      },
    });
    const big = toCreateBody({ ...emptyContainerForm(), image: 'x', ports: '70000:80' });
    expect(big.ok).toBe(false);
    const mode = toCreateBody({ ...emptyContainerForm(), image: 'x', volumes: 'a:/b:rx' });
    expect(mode.ok).toBe(false);
  });

  it('reads a JSON array as the command', () => {
    expect(splitCommand('["echo", "a b"]')).toEqual(['echo', 'a b']);
    expect(splitCommand('  ')).toEqual([]);
    expect(splitCommand(`echo ''`)).toEqual(['echo', '']);
  });

  it('maps the server error fields to the form fields', () => {
    expect(fieldOfServerError('body.limits.memory')).toBe('memory');
    expect(fieldOfServerError('body.limits.cpus')).toBe('cpus');
    expect(fieldOfServerError('body.ports.0.hostPort')).toBe('ports');
    expect(fieldOfServerError('body.env.1X')).toBe('env');
    expect(fieldOfServerError('body.cmd.3')).toBe('command');
    expect(fieldOfServerError('body.name')).toBe('name');
    expect(fieldOfServerError('body.acceptRisks')).toBeUndefined();
    expect(fieldOfServerError(undefined)).toBeUndefined();
  });
});
