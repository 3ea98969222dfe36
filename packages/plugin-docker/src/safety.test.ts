import { describe, expect, it } from 'vitest';
import { reviewCompose, unacceptedRisks } from './safety.js';

const HOSTILE = `
services:
  root:
    image: busybox
    privileged: true
    network_mode: host
    pid: host
    ipc: host
    userns_mode: host
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - /:/host
      - /etc:/host-etc:ro
      - type: bind
        source: /root
        target: /r
      - type: bind
        source: /proc/
        target: /p
      - hostroot:/data
      - ./data:/data2
      - named:/named
    cap_add: [SYS_ADMIN, NET_ADMIN, CAP_SYS_PTRACE, ALL, CHOWN]
    devices:
      - /dev/sda:/dev/sda
    security_opt:
      - seccomp:unconfined
      - apparmor=unconfined
  web:
    image: nginx
    volumes:
      - /sys:/sys
      - /var/run:/run-host
      - /boot:/boot
      - /dev:/dev
volumes:
  named: {}
  hostroot:
    driver: local
    driver_opts: { type: none, o: bind, device: /etc }
`;

describe('reviewCompose', () => {
  it('fires every rule on a hostile file, naming service and path', () => {
    const r = reviewCompose(HOSTILE);
    expect(r.errors).toEqual([]);
    const rules = new Set(r.findings.map((f) => f.rule));
    for (const rule of [
      'privileged',
      'host-network',
      'host-pid',
      'host-ipc',
      'host-userns',
      'docker-socket',
      'sensitive-mount',
      'cap-add',
      'devices',
      'security-opt',
    ]) {
      expect(rules, rule).toContain(rule);
    }
    const at = (path: string) => r.findings.filter((f) => f.path === path);
    expect(at('services.root.privileged')[0]).toMatchObject({
      rule: 'privileged',
      service: 'root',
      severity: 'danger',
    });
    expect(at('services.root.network_mode')[0]?.rule).toBe('host-network');
    expect(at('services.root.volumes[0]')[0]?.rule).toBe('docker-socket');
    expect(at('services.root.volumes[1]')[0]).toMatchObject({ rule: 'sensitive-mount', severity: 'danger' });
    expect(at('services.root.volumes[2]')[0]).toMatchObject({ rule: 'sensitive-mount', severity: 'danger' });
    expect(at('services.root.volumes[3]')[0]?.rule).toBe('sensitive-mount'); // long syntax
    expect(at('services.root.volumes[4]')[0]?.rule).toBe('sensitive-mount'); // trailing slash
    expect(at('services.root.volumes[5]')[0]?.message).toContain('/etc'); // named volume bound to /etc
    expect(at('services.root.volumes[6]')).toEqual([]); // project-relative
    expect(at('services.root.volumes[7]')).toEqual([]); // plain named volume
    expect(at('services.root.cap_add[0]')[0]).toMatchObject({ rule: 'cap-add', severity: 'danger' });
    expect(at('services.root.cap_add[2]')[0]?.message).toContain('SYS_PTRACE');
    expect(at('services.root.cap_add[4]')[0]).toMatchObject({ rule: 'cap-add', severity: 'warning' });
    expect(at('services.root.devices[0]')[0]).toMatchObject({ rule: 'devices', severity: 'danger' });
    expect(at('services.root.security_opt[0]')[0]?.rule).toBe('security-opt');
    expect(at('services.root.security_opt[1]')[0]?.rule).toBe('security-opt');
    for (let i = 0; i < 4; i++)
      expect(at(`services.web.volumes[${i}]`)[0]).toMatchObject({ service: 'web', rule: 'sensitive-mount' });
  });

  it('finds nothing in a plain file, and accepts JSON', () => {
    const plain =
      'services:\n  app:\n    image: busybox\n    ports: ["127.0.0.1:8080:80"]\n    volumes: ["data:/data", "./conf:/conf:ro"]\nvolumes:\n  data: {}\n';
    expect(reviewCompose(plain)).toEqual({ findings: [], errors: [] });
    expect(
      reviewCompose(JSON.stringify({ services: { a: { image: 'x', privileged: true } } })).findings,
    ).toHaveLength(1);
  });

  it('treats a read-only file below a sensitive path as a warning', () => {
    const r = reviewCompose(
      'services:\n  a:\n    image: x\n    volumes: ["/etc/localtime:/etc/localtime:ro"]\n',
    );
    expect(r.findings).toEqual([expect.objectContaining({ rule: 'sensitive-mount', severity: 'warning' })]);
  });

  it('reports parse and shape errors instead of throwing', () => {
    expect(reviewCompose('').errors[0]?.message).toMatch(/empty/);
    expect(reviewCompose('services: [\n').errors.length).toBeGreaterThan(0);
    expect(reviewCompose('just text').errors[0]?.path).toBe('');
    expect(reviewCompose('services:\n  a: 3\n').errors[0]).toEqual({
      path: 'services.a',
      message: 'a service must be a mapping',
    });
    expect(reviewCompose('services:\n  a:\n    build: .\n    volumes: nope\n').errors[0]?.path).toBe(
      'services.a.volumes',
    );
    expect(reviewCompose('services:\n  a:\n    command: x\n').errors[0]?.path).toBe('services.a.image');
  });

  it('lists the findings whose rules are not accepted', () => {
    const r = reviewCompose(HOSTILE);
    const all = [...new Set(r.findings.map((f) => f.rule))];
    expect(unacceptedRisks(r, all)).toEqual([]);
    expect(
      unacceptedRisks(
        r,
        all.filter((x) => x !== 'privileged'),
      ).map((f) => f.rule),
    ).toEqual(['privileged']);
  });
});
