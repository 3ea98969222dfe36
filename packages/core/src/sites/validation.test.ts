import { describe, expect, it } from 'vitest';
import {
  isBcryptHash,
  parseDomain,
  parseIpRange,
  parsePhpFpm,
  parseRoot,
  parseSite,
  parseUpstream,
  sitePatchSchema,
} from './validation.js';

function fieldsOf(input: unknown): string[] {
  const r = parseSite(input);
  return r.ok ? [] : r.issues.map((i) => i.field);
}

describe('parseDomain', () => {
  it('normalises hostnames to lower-case punycode without a trailing dot', () => {
    expect(parseDomain('Example.COM.')).toMatchObject({ value: 'example.com', ip: false, wildcard: false });
    expect(parseDomain('bücher.de')).toMatchObject({ value: 'xn--bcher-kva.de' });
    expect(parseDomain('  app.example.com ')).toMatchObject({ value: 'app.example.com' });
  });

  it('accepts a wildcard only as the whole leftmost label', () => {
    expect(parseDomain('*.example.com')).toMatchObject({ value: '*.example.com', wildcard: true });
    expect(parseDomain('a.*.example.com')).toMatch(/wildcard/);
    expect(parseDomain('*example.com')).toMatch(/wildcard/);
    expect(parseDomain('*.com')).toMatch(/two labels/);
  });

  it('accepts IPv4 and IPv6 addresses and single-label LAN names', () => {
    expect(parseDomain('192.168.1.10')).toEqual({
      value: '192.168.1.10',
      ip: true,
      wildcard: false,
      singleLabel: false,
    });
    expect(parseDomain('[::1]')).toMatchObject({ value: '::1', ip: true });
    expect(parseDomain('nas')).toMatchObject({ value: 'nas', singleLabel: true });
  });

  it('refuses schemes, ports, paths, bad labels and numeric TLDs with a message saying why', () => {
    expect(parseDomain('https://example.com')).toMatch(/without http/);
    expect(parseDomain('example.com:8080')).toMatch(/without a port/);
    expect(parseDomain('example.com/path')).toMatch(/not a valid domain/);
    expect(parseDomain('-bad.example.com')).toMatch(/label "-bad"/);
    expect(parseDomain('under_score.com')).toMatch(/label/);
    expect(parseDomain(`${'a'.repeat(64)}.com`)).toMatch(/label/);
    expect(parseDomain('1.2.3')).toMatch(/IP address/);
    expect(parseDomain('')).toMatch(/empty/);
    expect(parseDomain('exa mple.com')).toMatch(/not a valid/);
  });
});

describe('parseUpstream', () => {
  it('turns host:port and http(s) URLs into dial addresses', () => {
    expect(parseUpstream('127.0.0.1:3000')).toEqual({ dial: '127.0.0.1:3000', tls: false });
    expect(parseUpstream('App.Local:8080')).toEqual({ dial: 'app.local:8080', tls: false });
    expect(parseUpstream('http://app:8080')).toEqual({ dial: 'app:8080', tls: false });
    expect(parseUpstream('http://app')).toEqual({ dial: 'app:80', tls: false });
    expect(parseUpstream('https://api.example.com')).toEqual({ dial: 'api.example.com:443', tls: true });
    expect(parseUpstream('https://api.example.com:8443/')).toEqual({
      dial: 'api.example.com:8443',
      tls: true,
    });
    expect(parseUpstream('[::1]:9000')).toEqual({ dial: '[::1]:9000', tls: false });
    expect(parseUpstream('http://[::1]:9000')).toEqual({ dial: '[::1]:9000', tls: false });
    expect(parseUpstream('unix:/run/app.sock')).toEqual({ dial: 'unix//run/app.sock', tls: false });
  });

  it('refuses missing or out-of-range ports, other schemes and paths', () => {
    expect(parseUpstream('127.0.0.1')).toMatch(/needs a port/);
    expect(parseUpstream('127.0.0.1:0')).toMatch(/between 1 and 65535/);
    expect(parseUpstream('localhost:70000')).toMatch(/between 1 and 65535/);
    expect(parseUpstream('http://localhost:99999')).toMatch(/between 1 and 65535/);
    expect(parseUpstream('localhost:http')).toMatch(/not a number/);
    expect(parseUpstream('ftp://files:21')).toMatch(/not http or https/);
    expect(parseUpstream('http://app:8080/api')).toMatch(/no path/);
    expect(parseUpstream('::1:80')).toMatch(/brackets/);
    expect(parseUpstream('unix:relative.sock')).toMatch(/absolute/);
    expect(parseUpstream('user@host:80')).toMatch(/not host:port/);
  });
});

describe('paths and addresses', () => {
  it('parseRoot wants an absolute path without .. or placeholders', () => {
    expect(parseRoot('/var/www/site/')).toBe('/var/www/site');
    expect(parseRoot('/')).toBe('/');
    expect(parseRoot('var/www')).toEqual({ error: expect.stringMatching(/absolute/) });
    expect(parseRoot('/var/../etc')).toEqual({ error: expect.stringMatching(/\.\./) });
    expect(parseRoot('/srv/{env.HOME}')).toEqual({ error: expect.stringMatching(/placeholders/) });
  });

  it('parsePhpFpm takes a socket path or host:port', () => {
    expect(parsePhpFpm('/run/php/php8.2-fpm.sock')).toBe('unix//run/php/php8.2-fpm.sock');
    expect(parsePhpFpm('unix:/run/php/fpm.sock')).toBe('unix//run/php/fpm.sock');
    expect(parsePhpFpm('127.0.0.1:9000')).toBe('127.0.0.1:9000');
    expect(parsePhpFpm('127.0.0.1')).toEqual({ error: expect.stringMatching(/port/) });
  });

  it('parseIpRange takes addresses and CIDR ranges', () => {
    expect(parseIpRange('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(parseIpRange('::1')).toBe('::1');
    expect(parseIpRange('10.0.0.0/33')).toEqual({ error: expect.stringMatching(/prefix/) });
    expect(parseIpRange('example.com')).toEqual({ error: expect.stringMatching(/not an IP/) });
  });

  it('isBcryptHash recognises bcrypt hashes only', () => {
    expect(isBcryptHash('$2a$14$PH99VFN1l7BnvympAuqcw.6gtO0wcDDNvc6Vv42akR5kve.1tU.IG')).toBe(true);
    expect(isBcryptHash('secret')).toBe(false);
  });
});

describe('parseSite', () => {
  const proxy = { domains: ['app.example.com'], kind: 'reverse_proxy', upstreams: ['127.0.0.1:3000'] };

  it('accepts the smallest site of each kind and normalises domains', () => {
    const r = parseSite({ ...proxy, domains: ['App.Example.com'] });
    expect(r.ok && r.value.domains).toEqual(['app.example.com']);
    expect(fieldsOf({ domains: ['a.example.com'], kind: 'static', root: '/srv/a' })).toEqual([]);
    expect(
      fieldsOf({ domains: ['a.example.com'], kind: 'redirect', redirectTo: 'https://b.example.com' }),
    ).toEqual([]);
    expect(
      fieldsOf({ domains: ['a.example.com'], kind: 'php', root: '/srv/a', phpFpm: '/run/php/fpm.sock' }),
    ).toEqual([]);
  });

  it('names the field a kind needs', () => {
    expect(fieldsOf({ domains: ['a.example.com'], kind: 'reverse_proxy' })).toEqual(['upstreams']);
    expect(fieldsOf({ domains: ['a.example.com'], kind: 'static' })).toEqual(['root']);
    expect(fieldsOf({ domains: ['a.example.com'], kind: 'redirect' })).toEqual(['redirectTo']);
    expect(fieldsOf({ domains: ['a.example.com'], kind: 'php', root: '/srv' })).toEqual(['phpFpm']);
    expect(fieldsOf({ ...proxy, tls: 'custom' })).toEqual(['certificate']);
  });

  it('names the bad element of domains and upstreams', () => {
    expect(fieldsOf({ ...proxy, domains: ['ok.example.com', 'bad_domain!'] })).toEqual(['domains.1']);
    expect(fieldsOf({ ...proxy, upstreams: ['127.0.0.1:3000', '127.0.0.1:0'] })).toEqual(['upstreams.1']);
    expect(fieldsOf({ ...proxy, domains: [] })).toEqual(['domains']);
    expect(fieldsOf({ ...proxy, domains: ['a.example.com', 'A.example.com'] })).toEqual(['domains.1']);
  });

  it('allows IPs and LAN names only with TLS internal or off, wildcards not with auto', () => {
    expect(fieldsOf({ ...proxy, domains: ['10.0.0.5'] })).toEqual(['domains.0']);
    expect(fieldsOf({ ...proxy, domains: ['10.0.0.5'], tls: 'internal' })).toEqual([]);
    expect(fieldsOf({ ...proxy, domains: ['nas'], tls: 'off' })).toEqual([]);
    expect(fieldsOf({ ...proxy, domains: ['nas'] })).toEqual(['domains.0']);
    expect(fieldsOf({ ...proxy, domains: ['*.example.com'] })).toEqual(['domains.0']);
    expect(fieldsOf({ ...proxy, domains: ['*.example.com'], tls: 'internal' })).toEqual([]);
  });

  it('checks paths, URLs, headers, health checks and unknown fields', () => {
    expect(fieldsOf({ domains: ['a.example.com'], kind: 'static', root: 'relative/dir' })).toEqual(['root']);
    expect(fieldsOf({ domains: ['a.example.com'], kind: 'redirect', redirectTo: 'ftp://x' })).toEqual([
      'redirectTo',
    ]);
    expect(fieldsOf({ ...proxy, headers: { 'Bad Name': 'x' } })).toEqual(['headers.Bad Name']);
    expect(fieldsOf({ ...proxy, headers: { 'X-Ok': 'a\r\nb' } })).toEqual(['headers.X-Ok']);
    expect(fieldsOf({ ...proxy, healthCheck: { path: 'health' } })).toEqual(['healthCheck.path']);
    expect(fieldsOf({ ...proxy, upstreams: ['https://a:443', 'b:80'] })).toEqual(['upstreams']);
    expect(fieldsOf({ ...proxy, allow: ['10.0.0.0/99'] })).toEqual(['allow.0']);
    expect(fieldsOf({ ...proxy, basicAuth: [{ username: 'a:b', password: 'x' }] })).toEqual([
      'basicAuth.0.username',
    ]);
    expect(fieldsOf({ ...proxy, upstream: ['x'] })).toEqual(['']);
    expect(fieldsOf({ ...proxy, tls: 'acme' })).toEqual(['tls']);
  });

  it('applies health check defaults', () => {
    const r = parseSite({ ...proxy, healthCheck: { path: '/healthz' } });
    expect(r.ok && r.value.healthCheck).toEqual({ path: '/healthz', intervalSeconds: 30, timeoutSeconds: 5 });
  });
});

describe('sitePatchSchema', () => {
  it('takes any subset, and ignores read-only fields a client echoes back', () => {
    expect(sitePatchSchema.safeParse({ upstreams: ['127.0.0.1:1'] }).success).toBe(true);
    expect(
      sitePatchSchema.safeParse({
        id: 3,
        status: 'applied',
        revision: 2,
        createdAt: 1,
        updatedAt: 2,
        certificate: { fingerprint256: 'AB:CD', subject: 'CN=x' },
      }).success,
    ).toBe(true);
    const bad = sitePatchSchema.safeParse({ upstreams: ['nope'] });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['upstreams', 0]);
  });
});
