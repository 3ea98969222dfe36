import { type ManifestInput, parseManifest } from '@webcasa/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { type PluginCandidate, RESOLUTION_CODES, type ResolverManifest, resolvePlugins } from './resolver.js';

const API = '1.0.0';

/** A candidate with a schema-valid manifest (defaults applied). */
function plugin<E extends object = object>(id: string, manifest: Partial<ManifestInput> = {}, extra?: E) {
  const parsed = parseManifest({ id, name: id, version: '1.0.0', engine: '^1.0.0', ...manifest });
  return { ...(extra as E), id, manifest: parsed };
}

/** A candidate built by hand, for graphs the schema forbids (a plugin requiring itself). */
function raw(id: string, dependencies: Record<string, string>, priority = 0): PluginCandidate {
  const manifest: ResolverManifest = {
    version: '1.0.0',
    engine: '^1.0.0',
    dependencies,
    optionalDependencies: {},
    priority,
  };
  return { id, manifest };
}

const ids = (list: readonly { id: string }[]) => list.map((p) => p.id);

describe('resolvePlugins: order', () => {
  it('loads every plugin after its dependencies', () => {
    const result = resolvePlugins(
      [
        plugin('deploy', { dependencies: { docker: '^1.0.0', files: '^1.0.0' } }),
        plugin('docker'),
        plugin('files', { dependencies: { docker: '*' } }),
      ],
      { apiVersion: API },
    );
    expect(ids(result.order)).toEqual(['docker', 'files', 'deploy']);
    expect(result).toMatchObject({ skipped: [], disabled: [], warnings: [] });
  });

  it('breaks ties among ready plugins by higher priority, then id', () => {
    const result = resolvePlugins(
      [
        plugin('zeta'),
        plugin('alpha'),
        plugin('low', { priority: -10 }),
        plugin('high', { priority: 50 }),
        // ready only after low, however high its priority
        plugin('urgent', { priority: 100, dependencies: { low: '*' } }),
      ],
      { apiVersion: API },
    );
    expect(ids(result.order)).toEqual(['high', 'alpha', 'zeta', 'low', 'urgent']);
  });

  it('gives the same result whatever the order of the candidates', () => {
    const candidates = [
      plugin('auth', { dependencies: { billing: '*' }, optionalDependencies: { crm: '*' } }),
      plugin('billing', { priority: 3 }),
      plugin('crm', { dependencies: { missing: '*' } }),
      plugin('dash', { engine: '^2.0.0' }),
      plugin('editor', { dependencies: { dash: '*' } }),
      plugin('files', { priority: 3 }),
      plugin('git'),
    ];
    const options = { apiVersion: API, disabled: new Set(['git']) };
    const expected = resolvePlugins(candidates, options);
    for (const shuffled of [[...candidates].reverse(), [...candidates.slice(3), ...candidates.slice(0, 3)]]) {
      const result = resolvePlugins(shuffled, options);
      expect(ids(result.order)).toEqual(ids(expected.order));
      expect(result.skipped.map(({ candidate: _, ...s }) => s)).toEqual(
        expected.skipped.map(({ candidate: _, ...s }) => s),
      );
      expect(result.disabled).toEqual(expected.disabled);
      expect(result.warnings).toEqual(expected.warnings);
    }
  });

  it('passes candidates through untouched', () => {
    const docker = plugin(
      'docker',
      {},
      { packageName: '@webcasa/plugin-docker', serverEntry: '/x/server.js' },
    );
    const result = resolvePlugins([docker], { apiVersion: API });
    expect(result.order[0]).toBe(docker);
    expect(result.order[0]!.serverEntry).toBe('/x/server.js');
  });

  it('resolves an empty list', () => {
    expect(resolvePlugins([], { apiVersion: API })).toEqual({
      order: [],
      skipped: [],
      disabled: [],
      warnings: [],
    });
  });
});

describe('resolvePlugins: duplicates', () => {
  it('keeps the first candidate of an id and names both packages', () => {
    const first = plugin(
      'docker',
      {},
      {
        packageName: '@webcasa/plugin-docker',
        packageVersion: '1.0.0',
        packageDir: '/app/node_modules/@webcasa/plugin-docker',
        source: 'distribution',
      },
    );
    const second = plugin(
      'docker',
      { version: '2.0.0' },
      {
        packageName: '@acme/docker',
        packageVersion: '2.0.0',
        packageDir: '/data/plugins/node_modules/@acme/docker',
        source: 'installed',
      },
    );
    const result = resolvePlugins([first, second], { apiVersion: API });
    expect(result.order).toEqual([first]);
    expect(result.skipped).toEqual([
      {
        id: 'docker',
        code: 'WEBCASA_PLUGIN_DUPLICATE',
        message:
          'plugin id "docker" is provided twice: by @webcasa/plugin-docker@1.0.0 at /app/node_modules/@webcasa/plugin-docker ' +
          '(distribution) and by @acme/docker@2.0.0 at /data/plugins/node_modules/@acme/docker (installed); ' +
          'the first is used and the second skipped',
        involved: ['docker'],
        candidate: second,
      },
    ]);
  });

  it('describes candidates without package data by version', () => {
    const result = resolvePlugins([plugin('docker'), plugin('docker', { version: '1.5.0' })], {
      apiVersion: API,
    });
    expect(result.skipped[0]!.message).toContain(
      'by a package of version 1.0.0 and by a package of version 1.5.0',
    );
  });
});

describe('resolvePlugins: engine', () => {
  it('skips a plugin whose engine range excludes the plugin API version', () => {
    const result = resolvePlugins([plugin('uptime', { engine: '^2.0.0' }), plugin('files')], {
      apiVersion: API,
    });
    expect(ids(result.order)).toEqual(['files']);
    expect(result.skipped).toMatchObject([
      {
        id: 'uptime',
        code: RESOLUTION_CODES.ENGINE,
        message: 'plugin uptime needs plugin API ^2.0.0; this panel offers 1.0.0',
        involved: ['uptime'],
      },
    ]);
  });

  it('checks the plugin API version given, not a host version', () => {
    const candidates = [plugin('uptime', { engine: '>=1.2.0 <3.0.0' })];
    expect(resolvePlugins(candidates, { apiVersion: '1.1.0' }).skipped).toHaveLength(1);
    expect(resolvePlugins(candidates, { apiVersion: '2.4.0' }).skipped).toHaveLength(0);
  });
});

describe('resolvePlugins: required dependencies', () => {
  it('skips a plugin whose dependency is not installed', () => {
    const result = resolvePlugins([plugin('deploy', { dependencies: { docker: '^1.0.0' } })], {
      apiVersion: API,
    });
    expect(result.order).toEqual([]);
    expect(result.skipped).toMatchObject([
      {
        id: 'deploy',
        code: 'WEBCASA_PLUGIN_MISSING_DEPENDENCY',
        message: 'plugin deploy needs plugin docker (^1.0.0), which is not installed',
        involved: ['deploy', 'docker'],
      },
    ]);
  });

  it('skips a plugin whose dependency is out of range, naming both versions', () => {
    const result = resolvePlugins(
      [plugin('deploy', { dependencies: { docker: '^2.0.0' } }), plugin('docker', { version: '1.4.0' })],
      { apiVersion: API },
    );
    expect(ids(result.order)).toEqual(['docker']);
    expect(result.skipped).toMatchObject([
      {
        id: 'deploy',
        code: 'WEBCASA_PLUGIN_DEPENDENCY_VERSION',
        message: 'plugin deploy needs plugin docker ^2.0.0, but docker 1.4.0 is installed',
        involved: ['deploy', 'docker'],
      },
    ]);
  });

  it('accepts a prerelease dependency inside the range', () => {
    const result = resolvePlugins(
      [
        plugin('deploy', { dependencies: { docker: '^2.0.0' } }),
        plugin('docker', { version: '2.1.0-beta.1' }),
      ],
      { apiVersion: API },
    );
    expect(ids(result.order)).toEqual(['docker', 'deploy']);
  });

  it('skips a plugin whose dependency is disabled; the disabled plugin itself is just disabled', () => {
    const result = resolvePlugins(
      [plugin('deploy', { dependencies: { docker: '*' } }), plugin('docker'), plugin('files')],
      { apiVersion: API, disabled: new Set(['docker', 'not-installed']) },
    );
    expect(ids(result.order)).toEqual(['files']);
    expect(result.disabled).toEqual(['docker']);
    expect(result.skipped).toMatchObject([
      {
        id: 'deploy',
        code: 'WEBCASA_PLUGIN_DEPENDENCY_DISABLED',
        message: 'plugin deploy needs plugin docker, which is disabled; enable docker to load deploy',
        involved: ['deploy', 'docker'],
      },
    ]);
  });

  it('reports every fault of a plugin at once, coded by the first', () => {
    const result = resolvePlugins(
      [plugin('deploy', { engine: '^3.0.0', dependencies: { docker: '*', git: '^2.0.0' } }), plugin('git')],
      { apiVersion: API },
    );
    expect(result.skipped).toMatchObject([
      {
        id: 'deploy',
        code: 'WEBCASA_PLUGIN_ENGINE',
        message:
          'plugin deploy needs plugin API ^3.0.0; this panel offers 1.0.0; ' +
          'plugin deploy needs plugin docker (*), which is not installed; ' +
          'plugin deploy needs plugin git ^2.0.0, but git 1.0.0 is installed',
        involved: ['deploy', 'docker', 'git'],
      },
    ]);
  });
});

describe('resolvePlugins: failures spread to dependents', () => {
  it('skips dependents transitively, naming the dependency, the chain and the root cause', () => {
    const result = resolvePlugins(
      [
        plugin('auth', { engine: '^2.0.0' }),
        plugin('billing', { dependencies: { auth: '*' } }),
        plugin('crm', { dependencies: { billing: '*' } }),
        plugin('dash', { optionalDependencies: { crm: '*' } }),
      ],
      { apiVersion: API },
    );
    expect(ids(result.order)).toEqual(['dash']);
    expect(result.skipped).toMatchObject([
      { id: 'auth', code: 'WEBCASA_PLUGIN_ENGINE', involved: ['auth'] },
      {
        id: 'billing',
        code: 'WEBCASA_PLUGIN_DEPENDENCY_FAILED',
        message:
          'plugin billing needs plugin auth, which cannot load (plugin auth needs plugin API ^2.0.0; this panel offers 1.0.0)',
        involved: ['billing', 'auth'],
      },
      {
        id: 'crm',
        code: 'WEBCASA_PLUGIN_DEPENDENCY_FAILED',
        message:
          'plugin crm needs plugin billing, which cannot load (billing → auth: plugin auth needs plugin API ^2.0.0; this panel offers 1.0.0)',
        involved: ['crm', 'billing', 'auth'],
      },
    ]);
    // An optional dependency that cannot load is not an error.
    expect(result.warnings).toEqual([]);
  });

  it('blames the shortest chain to a root cause', () => {
    const result = resolvePlugins(
      [
        plugin('root', { dependencies: { gone: '*' } }),
        plugin('mid', { dependencies: { root: '*' } }),
        plugin('top', { dependencies: { mid: '*', root: '*' } }),
      ],
      { apiVersion: API },
    );
    const top = result.skipped.find((s) => s.id === 'top')!;
    expect(top.involved).toEqual(['top', 'root']);
    expect(top.message).toBe(
      'plugin top needs plugin root, which cannot load (plugin root needs plugin gone (*), which is not installed)',
    );
  });
});

describe('resolvePlugins: cycles', () => {
  it('skips every plugin on a cycle, naming the cycle path; dependents fail, others load', () => {
    const result = resolvePlugins(
      [
        plugin('auth', { dependencies: { billing: '*' } }),
        plugin('billing', { dependencies: { crm: '*' } }),
        plugin('crm', { dependencies: { auth: '*' } }),
        plugin('dash', { dependencies: { auth: '*' } }),
        plugin('editor'),
      ],
      { apiVersion: API },
    );
    expect(ids(result.order)).toEqual(['editor']);
    for (const id of ['auth', 'billing', 'crm']) {
      expect(result.skipped.find((s) => s.id === id)).toMatchObject({
        code: 'WEBCASA_PLUGIN_CYCLE',
        message: `plugin ${id} is on a dependency cycle: auth → billing → crm → auth`,
        involved: ['auth', 'billing', 'crm'],
        cycle: ['auth', 'billing', 'crm', 'auth'],
      });
    }
    expect(result.skipped.find((s) => s.id === 'dash')).toMatchObject({
      code: 'WEBCASA_PLUGIN_DEPENDENCY_FAILED',
      message:
        'plugin dash needs plugin auth, which cannot load (plugin auth is on a dependency cycle: auth → billing → crm → auth)',
      involved: ['dash', 'auth'],
    });
  });

  it('reports a plugin that requires itself', () => {
    const result = resolvePlugins([raw('loop', { loop: '*' }), raw('ok', {})], { apiVersion: API });
    expect(ids(result.order)).toEqual(['ok']);
    expect(result.skipped).toMatchObject([
      {
        id: 'loop',
        code: 'WEBCASA_PLUGIN_CYCLE',
        message: 'plugin loop is on a dependency cycle: loop → loop',
      },
    ]);
  });

  it('reports one path per tangle and names the members off that path too', () => {
    // a ⇄ b and a ⇄ c: one strongly connected component, two simple cycles.
    const result = resolvePlugins(
      [raw('a', { b: '*', c: '*' }), raw('b', { a: '*' }), raw('c', { a: '*' })],
      { apiVersion: API },
    );
    expect(result.order).toEqual([]);
    expect(result.skipped.map((s) => [s.id, s.code, s.cycle])).toEqual([
      ['a', 'WEBCASA_PLUGIN_CYCLE', ['a', 'b', 'a']],
      ['b', 'WEBCASA_PLUGIN_CYCLE', ['a', 'b', 'a']],
      ['c', 'WEBCASA_PLUGIN_CYCLE', ['a', 'b', 'a']],
    ]);
    expect(result.skipped[2]!.message).toBe(
      'plugin c is caught in a dependency cycle: a → b → a (c both needs and is needed by plugins on it)',
    );
    expect(result.skipped[2]!.involved).toEqual(['a', 'b', 'c']);
  });

  it('reports separate cycles separately', () => {
    const result = resolvePlugins(
      [
        raw('a', { b: '*' }),
        raw('b', { a: '*' }),
        raw('x', { y: '*' }),
        raw('y', { z: '*' }),
        raw('z', { x: '*' }),
      ],
      { apiVersion: API },
    );
    expect(result.skipped.map((s) => s.cycle!.join(' → '))).toEqual([
      'a → b → a',
      'a → b → a',
      'x → y → z → x',
      'x → y → z → x',
      'x → y → z → x',
    ]);
  });

  it('reports a cycle even when a member has other faults too', () => {
    const result = resolvePlugins(
      [
        plugin('auth', { engine: '^9.0.0', dependencies: { billing: '*' } }),
        plugin('billing', { dependencies: { auth: '*' } }),
      ],
      { apiVersion: API },
    );
    expect(result.skipped[0]).toMatchObject({
      id: 'auth',
      code: 'WEBCASA_PLUGIN_CYCLE',
      message:
        'plugin auth is on a dependency cycle: auth → billing → auth; plugin auth needs plugin API ^9.0.0; this panel offers 1.0.0',
    });
  });

  it('does not see a cycle through a disabled plugin', () => {
    const result = resolvePlugins(
      [
        plugin('auth', { dependencies: { billing: '*' } }),
        plugin('billing', { dependencies: { auth: '*' } }),
      ],
      { apiVersion: API, disabled: new Set(['billing']) },
    );
    expect(result.skipped).toMatchObject([{ id: 'auth', code: 'WEBCASA_PLUGIN_DEPENDENCY_DISABLED' }]);
    expect(result.disabled).toEqual(['billing']);
  });
});

describe('resolvePlugins: optional dependencies', () => {
  it('loads a present optional dependency first, whatever the priorities', () => {
    const result = resolvePlugins(
      [
        plugin('monitor', { priority: 100, optionalDependencies: { docker: '^1.0.0' } }),
        plugin('docker', { priority: -5 }),
      ],
      { apiVersion: API },
    );
    expect(ids(result.order)).toEqual(['docker', 'monitor']);
  });

  it('ignores an absent, disabled or failing optional dependency without a word', () => {
    const result = resolvePlugins(
      [
        plugin('monitor', { optionalDependencies: { absent: '*', off: '*', broken: '*' } }),
        plugin('off'),
        plugin('broken', { engine: '^2.0.0' }),
      ],
      { apiVersion: API, disabled: new Set(['off']) },
    );
    expect(ids(result.order)).toEqual(['monitor']);
    expect(result.skipped.map((s) => s.id)).toEqual(['broken']);
    expect(result.warnings).toEqual([]);
  });

  it('warns about an optional dependency out of range and loads without it', () => {
    const result = resolvePlugins(
      [
        plugin('monitor', { priority: 10, optionalDependencies: { docker: '^2.0.0' } }),
        plugin('docker', { version: '1.3.0' }),
      ],
      { apiVersion: API },
    );
    // no edge: monitor's higher priority puts it first
    expect(ids(result.order)).toEqual(['monitor', 'docker']);
    expect(result.warnings).toEqual([
      {
        id: 'monitor',
        message:
          'plugin monitor can use plugin docker ^2.0.0, but docker 1.3.0 is installed; monitor loads without it',
      },
    ]);
  });

  it('drops an optional edge that would close a cycle, with a warning, and loads both', () => {
    const result = resolvePlugins(
      [
        plugin('auth', { dependencies: { billing: '*' } }),
        plugin('billing', { optionalDependencies: { auth: '*' } }),
      ],
      { apiVersion: API },
    );
    expect(ids(result.order)).toEqual(['billing', 'auth']);
    expect(result.skipped).toEqual([]);
    expect(result.warnings).toEqual([
      {
        id: 'billing',
        message:
          'plugin billing can use plugin auth, but loading auth first would close a dependency cycle (billing → auth → billing); billing may load before auth',
      },
    ]);
  });

  it('ignores a plugin listing itself as optional, with a warning', () => {
    const candidate: PluginCandidate = {
      id: 'self',
      manifest: {
        version: '1.0.0',
        engine: '*',
        dependencies: {},
        optionalDependencies: { self: '*' },
        priority: 0,
      },
    };
    const result = resolvePlugins([candidate], { apiVersion: API });
    expect(ids(result.order)).toEqual(['self']);
    expect(result.warnings).toEqual([
      { id: 'self', message: 'plugin self lists itself as an optional dependency; ignored' },
    ]);
  });
});

describe('resolvePlugins: codes and scale', () => {
  it('exports the stable codes', () => {
    expect(RESOLUTION_CODES).toEqual({
      DUPLICATE: 'WEBCASA_PLUGIN_DUPLICATE',
      ENGINE: 'WEBCASA_PLUGIN_ENGINE',
      MISSING_DEPENDENCY: 'WEBCASA_PLUGIN_MISSING_DEPENDENCY',
      DEPENDENCY_VERSION: 'WEBCASA_PLUGIN_DEPENDENCY_VERSION',
      DEPENDENCY_DISABLED: 'WEBCASA_PLUGIN_DEPENDENCY_DISABLED',
      CYCLE: 'WEBCASA_PLUGIN_CYCLE',
      DEPENDENCY_FAILED: 'WEBCASA_PLUGIN_DEPENDENCY_FAILED',
    });
  });

  it('resolves 200 plugins, a random DAG and a 200-plugin ring, completely', () => {
    // A seeded pseudo-random graph: each plugin requires up to 4 earlier ones, plus one big cycle.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const dag: PluginCandidate[] = [];
    for (let i = 0; i < 200; i++) {
      const deps: Record<string, string> = {};
      for (let k = 0; k < 4 && i > 0; k++) deps[`p${Math.floor(random() * i)}`] = '^1.0.0';
      dag.push(raw(`p${i}`, deps, Math.floor(random() * 10)));
    }
    const ring = Array.from({ length: 200 }, (_, i) => raw(`r${i}`, { [`r${(i + 1) % 200}`]: '*' }));

    // Speed is measured by `pnpm bench`, not asserted here; this checks the result is complete.
    for (const candidates of [dag, ring]) {
      const result = resolvePlugins(candidates, { apiVersion: API });
      expect(result.order.length + result.skipped.length).toBe(200);
    }
  });

  it('handles a long chain without running out of stack', () => {
    // The `toposort` walk is recursive; the component search is not.
    const chain = Array.from({ length: 5000 }, (_, i) => raw(`c${i}`, i === 0 ? {} : { [`c${i - 1}`]: '*' }));
    const result = resolvePlugins(chain, { apiVersion: API });
    expect(result.order.map((p) => p.id)).toEqual(chain.map((p) => p.id));
    const ring = Array.from({ length: 2000 }, (_, i) => raw(`r${i}`, { [`r${(i + 1) % 2000}`]: '*' }));
    expect(resolvePlugins(ring, { apiVersion: API }).skipped).toHaveLength(2000);
  });
});
