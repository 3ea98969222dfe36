import { describe, expect, it } from 'vitest';
import { en } from '../messages/en.js';
import { operatorMessages } from '../messages/operator.js';
import { zhCN } from '../messages/zh-CN.js';
import { layoutGraph } from './graph.js';
import { matchPath, pickRoute } from './match.js';
import { safeNext } from './next.js';

describe('translations', () => {
  it('zh-CN has every English key and no extra ones, with the same placeholders', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en)) expect(params(zhCN[key]!), key).toEqual(params(en[key]!));
  });
  it('the operator pages’ catalog too, without clashing with the main one', () => {
    const { en: oen, 'zh-CN': ozh } = operatorMessages;
    expect(Object.keys(ozh).sort()).toEqual(Object.keys(oen).sort());
    const params = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(oen)) expect(params(ozh[key]!), key).toEqual(params(oen[key]!));
    expect(Object.keys(oen).filter((k) => k in en)).toEqual([]);
  });
});

describe('plugin routes', () => {
  it('matches static, parameter and rest segments', () => {
    expect(matchPath('/', '/')).toEqual({});
    expect(matchPath('/checks/:id', '/checks/a%20b')).toEqual({ id: 'a b' });
    expect(matchPath('/checks/:id', '/checks')).toBeNull();
    expect(matchPath('/files/*path', '/files/etc/nginx')).toEqual({ path: 'etc/nginx' });
    expect(matchPath('/', '/other')).toBeNull();
  });
  it('prefers the most specific route', () => {
    const routes = [{ path: '/checks/:id' }, { path: '/checks/new' }, { path: '/*rest' }];
    expect(pickRoute(routes, '/checks/new')?.route.path).toBe('/checks/new');
    expect(pickRoute(routes, '/checks/7')?.route.path).toBe('/checks/:id');
    expect(pickRoute(routes, '/anything/else')?.params).toEqual({ rest: 'anything/else' });
    expect(pickRoute([{ path: '/' }], '/nope')).toBeNull();
  });
});

describe('after sign-in', () => {
  it('follows only same-site paths', () => {
    expect(safeNext('/admin/users?x=1')).toBe('/admin/users?x=1');
    for (const bad of ['//evil.example', 'https://evil.example', '/login?next=/', undefined, 3]) {
      expect(safeNext(bad)).toBe('/');
    }
  });
});

describe('dependency graph layout', () => {
  const p = (id: string, deps: string[] = [], optional: string[] = []) => ({
    id,
    status: 'running' as const,
    dependencies: Object.fromEntries(deps.map((d) => [d, '^1.0.0'])),
    optionalDependencies: Object.fromEntries(optional.map((d) => [d, '^1.0.0'])),
  });
  it('puts every plugin right of what it needs and keeps missing dependencies as edges to report', () => {
    const g = layoutGraph([
      p('deploy', ['docker']),
      p('docker'),
      p('backup', ['deploy'], ['files']),
      p('files'),
      p('x', ['gone']),
    ]);
    const x = (id: string) => g.nodes.get(id)!.x;
    expect(x('docker')).toBeLessThan(x('deploy'));
    expect(x('deploy')).toBeLessThan(x('backup'));
    expect(x('files')).toBeLessThan(x('backup'));
    expect(g.edges.find((e) => e.from === 'backup' && e.to === 'files')?.optional).toBe(true);
    expect(g.edges.find((e) => e.to === 'gone')?.missing).toBe(true);
    expect(g.width).toBeGreaterThan(0);
  });
  it('survives a cycle', () => {
    const g = layoutGraph([p('a', ['b']), p('b', ['a'])]);
    expect(g.nodes.size).toBe(2);
  });
});
