import { describe, expect, it } from 'vitest';
import { parseAdminAddress } from './caddy-client.js';
import { SerialQueue } from './queue.js';
import { resolveCaddySettings } from './settings.js';

describe('resolveCaddySettings', () => {
  it('defaults to a managed caddy with its admin socket in the data dir, on ports 80 and 443', () => {
    const s = resolveCaddySettings({}, {}, '/var/lib/webcasa');
    expect(s).toMatchObject({
      mode: 'managed',
      modeSource: 'default',
      httpPort: 80,
      httpsPort: 443,
      bind: '',
      fromEnv: [],
    });
    expect(s.admin).toEqual({
      caddy: 'unix//var/lib/webcasa/caddy/admin.sock',
      socketPath: '/var/lib/webcasa/caddy/admin.sock',
    });
    expect(resolveCaddySettings({}, { mode: 'external' }, '/d').admin?.caddy).toBe('localhost:2019');
    expect(resolveCaddySettings({}, { mode: 'off' }, '/d').admin).toBeUndefined();
  });

  it('lets the environment win over stored settings', () => {
    const s = resolveCaddySettings(
      { WEBCASA_CADDY: 'external', WEBCASA_CADDY_ADMIN: '127.0.0.1:2999', WEBCASA_CADDY_HTTP_PORT: '8080' },
      { mode: 'managed', httpPort: 81, httpsPort: 8443 },
      '/d',
    );
    expect(s).toMatchObject({ mode: 'external', modeSource: 'env', httpPort: 8080, httpsPort: 8443 });
    expect(s.admin).toEqual({ caddy: '127.0.0.1:2999', host: '127.0.0.1', port: 2999 });
    expect(s.fromEnv).toEqual(['mode', 'httpPort', 'admin']);
  });

  it('refuses bad environment values, naming the variable', () => {
    expect(() => resolveCaddySettings({ WEBCASA_CADDY: 'auto' }, {}, '/d')).toThrow(/^WEBCASA_CADDY: /);
    expect(() => resolveCaddySettings({ WEBCASA_CADDY_HTTPS_PORT: '0' }, {}, '/d')).toThrow(
      /WEBCASA_CADDY_HTTPS_PORT: "0" is not a port/,
    );
    expect(() => resolveCaddySettings({ WEBCASA_CADDY_HTTP_PORT: '443' }, {}, '/d')).toThrow(/must differ/);
    expect(() => resolveCaddySettings({ WEBCASA_CADDY_BIND: 'localhost' }, {}, '/d')).toThrow(
      /WEBCASA_CADDY_BIND/,
    );
    expect(() => resolveCaddySettings({ WEBCASA_CADDY_ADMIN: 'nowhere' }, {}, '/d')).toThrow(
      /WEBCASA_CADDY_ADMIN/,
    );
    expect(() => resolveCaddySettings({}, {}, `/${'x'.repeat(120)}`)).toThrow(/too long/);
  });
});

describe('parseAdminAddress', () => {
  it('reads host:port, URLs and unix sockets in both spellings', () => {
    expect(parseAdminAddress('http://localhost:2019/')).toEqual({
      caddy: 'localhost:2019',
      host: 'localhost',
      port: 2019,
    });
    expect(parseAdminAddress('[::1]:2019')).toMatchObject({ caddy: '[::1]:2019', host: '::1' });
    expect(parseAdminAddress('unix:/run/caddy.sock')).toEqual({
      caddy: 'unix//run/caddy.sock',
      socketPath: '/run/caddy.sock',
    });
    expect(parseAdminAddress('/run/caddy.sock').caddy).toBe('unix//run/caddy.sock');
    expect(() => parseAdminAddress('localhost:99999')).toThrow(/between 1 and 65535/);
  });
});

describe('SerialQueue', () => {
  it('runs tasks one at a time in order, and a failure does not stop the next', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const task = (name: string, ms: number, fail = false) =>
      queue.run(async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([task('a', 20), task('b', 1, true), task('c', 5)]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(queue.size).toBe(0);
  });
});
