import { describe, expect, it } from 'vitest';
import { detectCompose, parseComposeVersion, selectCompose } from './compose.js';

describe('compose CLI detection', () => {
  it('parses v2 and v1 version output', () => {
    expect(parseComposeVersion('Docker Compose version v2.29.1\n')).toEqual({
      kind: 'v2',
      version: '2.29.1',
    });
    expect(parseComposeVersion('Docker Compose version 2.20.2+ds1-0ubuntu1')).toEqual({
      kind: 'v2',
      version: '2.20.2+ds1-0ubuntu1',
    });
    expect(
      parseComposeVersion('docker-compose version 1.29.2, build unknown\ndocker-py version: 5.0.3'),
    ).toEqual({
      kind: 'v1',
      version: '1.29.2',
    });
    expect(parseComposeVersion("docker: 'compose' is not a docker command.\nSee 'docker --help'")).toBeNull();
    expect(parseComposeVersion('')).toBeNull();
  });

  it('prefers v2, falls back to v1, else none', () => {
    const v2 = { ok: true, output: 'Docker Compose version v2.29.1' };
    const v1 = { ok: true, output: 'docker-compose version 1.29.2, build unknown' };
    const none = { ok: false, output: "docker: 'compose' is not a docker command." };
    expect(selectCompose(v2, v1)).toEqual({
      kind: 'v2',
      argv: ['/usr/bin/docker', 'compose'],
      version: '2.29.1',
    });
    expect(selectCompose(none, v1)).toEqual({ kind: 'v1', argv: ['docker-compose'], version: '1.29.2' });
    expect(selectCompose(none, none)).toBeNull();
    // A failing probe never counts, whatever it printed.
    expect(selectCompose({ ok: false, output: v2.output }, none)).toBeNull();
    // The standalone docker-compose binary may be v2.
    expect(selectCompose(none, { ok: true, output: 'Docker Compose version v2.5.0' })?.kind).toBe('v2');
  });

  it('finds docker-compose v1 on this machine (no compose v2 plugin is installed)', async () => {
    const cmd = await detectCompose();
    expect(cmd?.kind).toBe('v1');
    expect(cmd?.argv).toEqual(['docker-compose']);
  });
});
