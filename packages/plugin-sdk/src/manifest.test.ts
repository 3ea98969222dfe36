import { describe, expect, it } from 'vitest';
import {
  configDefaults,
  defineManifest,
  engineSatisfies,
  MAX_PLUGIN_BODY_LIMIT_BYTES,
  ManifestError,
  manifestSchema,
  PLUGIN_API_VERSION,
  parseManifest,
} from './manifest.js';

const minimal = { id: 'uptime', name: 'Uptime', version: '1.2.3', engine: '^1.0.0' };

function issuesOf(data: unknown): string[] {
  try {
    parseManifest(data, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as ManifestError).issues.map((i) => i.path);
  }
  throw new Error('expected the manifest to be refused');
}

describe('manifest schema', () => {
  it('accepts a minimal manifest and applies defaults', () => {
    const m = parseManifest(minimal);
    expect(m).toMatchObject({
      id: 'uptime',
      description: '',
      icon: 'puzzle',
      category: 'other',
      dependencies: {},
      optionalDependencies: {},
      priority: 0,
      permissions: [],
      events: [],
      web: { routes: [], menu: [] },
      isolation: 'in-process',
    });
  });

  it('accepts every documented field', () => {
    const full = defineManifest({
      ...minimal,
      description: 'Checks sites',
      author: { name: 'Acme', email: 'dev@acme.test' },
      icon: 'activity',
      category: 'monitoring',
      dependencies: { docker: '^1.0.0' },
      optionalDependencies: { monitor: '>=0.5.0' },
      priority: 10,
      permissions: ['network', 'docker'],
      scopes: { 'checks.write': { description: 'Edit checks', minRole: 'operator' } },
      config: {
        type: 'object',
        properties: {
          interval: { type: 'integer', default: 60, minimum: 5 },
          apiKey: { type: 'string', secret: true },
        },
        required: ['interval'],
      },
      events: ['uptime.check.failed'],
      web: {
        routes: [{ path: '/' }],
        menu: [{ path: '/', label: 'Uptime', icon: 'activity', group: 'monitoring', order: 5 }],
      },
      isolation: 'process',
    });
    const m = parseManifest(full);
    expect(m.scopes['checks.write']!.minRole).toBe('operator');
    expect(m.web.menu[0]!.order).toBe(5);
  });

  it('names each bad field', () => {
    expect(issuesOf({ ...minimal, id: 'Bad_ID' })).toEqual(['id']);
    expect(issuesOf({ ...minimal, id: 'x' })).toEqual(['id']);
    expect(issuesOf({ ...minimal, id: 'core' })).toEqual(['id']);
    expect(issuesOf({ ...minimal, version: 'one' })).toEqual(['version']);
    expect(issuesOf({ ...minimal, engine: 'latest please' })).toEqual(['engine']);
    expect(issuesOf({ ...minimal, dependencies: { docker: 'nope nope' } })).toEqual(['dependencies.docker']);
    expect(issuesOf({ ...minimal, permissions: ['root'] })).toEqual(['permissions.0']);
    expect(issuesOf({ ...minimal, events: ['NotDotted'] })).toEqual(['events.0']);
    expect(issuesOf({ ...minimal, isolation: 'vm' })).toEqual(['isolation']);
    expect(issuesOf({ ...minimal, web: { menu: [{ path: 'no-slash', label: 'x' }] } })).toEqual([
      'web.menu.0.path',
    ]);
    expect(issuesOf({ name: 'x' }).sort()).toEqual(['engine', 'id', 'version']);
  });

  it('refuses self-dependencies, required-and-optional twins and config oddities', () => {
    expect(issuesOf({ ...minimal, dependencies: { uptime: '^1.0.0' } })).toEqual(['dependencies.uptime']);
    expect(issuesOf({ ...minimal, dependencies: { a1: '*' }, optionalDependencies: { a1: '*' } })).toEqual([
      'optionalDependencies.a1',
    ]);
    expect(
      issuesOf({
        ...minimal,
        config: { type: 'object', properties: { n: { type: 'number', secret: true } } },
      }),
    ).toEqual(['config.properties.n']);
    expect(issuesOf({ ...minimal, config: { type: 'object', properties: {}, required: ['ghost'] } })).toEqual(
      ['config.required'],
    );
  });

  it('the error message names the source and every field', () => {
    expect(() =>
      parseManifest({ ...minimal, id: 'BAD', version: 'x' }, 'node_modules/acme/manifest.json'),
    ).toThrow(/node_modules\/acme\/manifest\.json: id: .*; version: /);
  });

  it('takes per-route body limits up to the 64 MiB cap, and refuses more, bad paths and twins', () => {
    const rule = { method: 'PUT', path: '/upload/:id', maxBytes: 8 * 1024 * 1024 };
    expect(parseManifest({ ...minimal, http: { bodyLimits: [rule] } }).http?.bodyLimits).toEqual([rule]);
    expect(parseManifest(minimal).http).toBeUndefined();
    expect(
      parseManifest({
        ...minimal,
        http: { bodyLimits: [{ ...rule, maxBytes: MAX_PLUGIN_BODY_LIMIT_BYTES }] },
      }).http?.bodyLimits[0]?.maxBytes,
    ).toBe(64 * 1024 * 1024);
    expect(() =>
      parseManifest({
        ...minimal,
        http: { bodyLimits: [{ ...rule, maxBytes: MAX_PLUGIN_BODY_LIMIT_BYTES + 1 }] },
      }),
    ).toThrow(/http\.bodyLimits\.0\.maxBytes: must be at most 67108864 bytes \(64 MiB\), the panel's cap/);
    expect(
      issuesOf({
        ...minimal,
        http: {
          bodyLimits: [
            { ...rule, method: 'GET' },
            { ...rule, path: 'upload' },
            { ...rule, path: '/a/*/b' },
            { ...rule, maxBytes: 0 },
          ],
        },
      }),
    ).toEqual([
      'http.bodyLimits.0.method',
      'http.bodyLimits.1.path',
      'http.bodyLimits.2.path',
      'http.bodyLimits.3.maxBytes',
    ]);
    expect(
      issuesOf({ ...minimal, http: { bodyLimits: [rule, { ...rule, path: '/upload/:other' }] } }),
    ).toEqual(['http.bodyLimits.1.path']);
  });

  it('exposes the zod schema for tooling', () => {
    expect(manifestSchema.safeParse(minimal).success).toBe(true);
  });
});

describe('engineSatisfies', () => {
  it('checks ranges against the plugin API version, not the host version', () => {
    expect(PLUGIN_API_VERSION).toMatch(/^1\./);
    expect(engineSatisfies('^1.0.0')).toBe(true);
    expect(engineSatisfies('>=1.0.0 <2')).toBe(true);
    expect(engineSatisfies('^2.0.0')).toBe(false);
    expect(engineSatisfies('^1.5.0', '1.4.0')).toBe(false);
  });
});

describe('configDefaults', () => {
  it('returns a fresh copy of the defaults', () => {
    const m = parseManifest({
      ...minimal,
      config: {
        type: 'object',
        properties: { tags: { type: 'array', default: ['a'] }, n: { type: 'integer' } },
      },
    });
    const first = configDefaults(m);
    expect(first).toEqual({ tags: ['a'] });
    (first.tags as string[]).push('b');
    expect(configDefaults(m)).toEqual({ tags: ['a'] });
  });
});
