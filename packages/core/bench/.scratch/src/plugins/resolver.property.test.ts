import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type PluginCandidate, type Resolution, resolvePlugins } from './resolver.js';

const API = '1.0.0';

interface Spec {
  id: string;
  version: string;
  engine: string;
  priority: number;
  requires: Record<string, string>;
  optional: Record<string, string>;
}

const candidate = (s: Spec): PluginCandidate => ({
  id: s.id,
  manifest: {
    version: s.version,
    engine: s.engine,
    dependencies: s.requires,
    optionalDependencies: s.optional,
    priority: s.priority,
  },
});

/** Ids in a random order unrelated to the graph, so id order cannot hide ordering bugs. */
const idsOf = (n: number) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: 9999 }), { minLength: n, maxLength: n })
    .map((xs) => xs.map((x) => `p${x}`));

/** Random DAGs: node i may depend only on nodes before it; ids shuffled independently. */
const dag = fc.integer({ min: 1, max: 60 }).chain((n) =>
  fc
    .tuple(
      idsOf(n),
      fc.array(
        fc.record({
          priority: fc.integer({ min: -3, max: 3 }),
          requires: fc.uniqueArray(fc.nat(), { maxLength: 4 }),
          optional: fc.uniqueArray(fc.nat(), { maxLength: 2 }),
        }),
        { minLength: n, maxLength: n },
      ),
    )
    .map(([ids, nodes]) =>
      nodes.map((node, i): Spec => {
        const requires: Record<string, string> = {};
        const optional: Record<string, string> = {};
        if (i > 0) {
          for (const k of node.requires) requires[ids[k % i]!] = '^1.0.0';
          for (const k of node.optional) if (!(ids[k % i]! in requires)) optional[ids[k % i]!] = '*';
        }
        return {
          id: ids[i]!,
          version: '1.0.0',
          engine: '^1.0.0',
          priority: node.priority,
          requires,
          optional,
        };
      }),
    ),
);

/** Random directed graphs (required edges only) with at least one cycle forced in. */
const cyclic = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc
    .tuple(
      idsOf(n),
      fc.array(fc.uniqueArray(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
      // the forced cycle: distinct node indexes, length 1 (self-loop) to 6
      fc.uniqueArray(fc.nat({ max: n - 1 }), { minLength: 1, maxLength: Math.min(n, 6) }),
      fc.array(fc.integer({ min: -3, max: 3 }), { minLength: n, maxLength: n }),
    )
    .map(([ids, edges, ring, priorities]) => {
      const requires = ids.map((_, i) => new Set(edges[i]!.map((k) => ids[k % n]!)));
      for (const [k, from] of ring.entries()) requires[from]!.add(ids[ring[(k + 1) % ring.length]!]!);
      return ids.map(
        (id, i): Spec => ({
          id,
          version: '1.0.0',
          engine: '^1.0.0',
          priority: priorities[i]!,
          requires: Object.fromEntries([...requires[i]!].map((d) => [d, '*'])),
          optional: {},
        }),
      );
    }),
);

/** Anything goes: cycles, missing dependencies, wrong versions, bad engines, disabled plugins, optional edges. */
const messy = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc
    .tuple(
      idsOf(n),
      fc.array(
        fc.record({
          major: fc.constantFrom(1, 2),
          engine: fc.constantFrom('^1.0.0', '^1.0.0', '^1.0.0', '^2.0.0'),
          priority: fc.integer({ min: -3, max: 3 }),
          // indexes ≥ n name plugins that are not installed
          requires: fc.uniqueArray(
            fc.tuple(fc.nat({ max: n + 2 }), fc.constantFrom('^1.0.0', '*', '^2.0.0')),
            {
              maxLength: 3,
              selector: ([k]) => k,
            },
          ),
          optional: fc.uniqueArray(fc.tuple(fc.nat({ max: n + 2 }), fc.constantFrom('^1.0.0', '*')), {
            maxLength: 2,
            selector: ([k]) => k,
          }),
          disabled: fc.boolean(),
        }),
        { minLength: n, maxLength: n },
      ),
    )
    .map(([ids, nodes]) => {
      const name = (k: number) => ids[k] ?? `missing${k}`;
      const specs = nodes.map((node, i): Spec => {
        const requires: Record<string, string> = {};
        const optional: Record<string, string> = {};
        for (const [k, range] of node.requires) if (k !== i) requires[name(k)] = range;
        for (const [k, range] of node.optional) if (!(name(k) in requires)) optional[name(k)] = range;
        return {
          id: ids[i]!,
          version: `${node.major}.0.0`,
          engine: node.engine,
          priority: node.priority,
          requires,
          optional,
        };
      });
      const disabled = new Set(ids.filter((_, i) => nodes[i]!.disabled && i % 3 === 0));
      return { specs, disabled };
    }),
);

/** A stand-in for shuffling: a permutation drawn by fast-check, so failures shrink and replay. */
const withPermutation = <T>(arb: fc.Arbitrary<T[]>) =>
  arb.chain((items) =>
    fc
      .shuffledSubarray(
        items.map((_, i) => i),
        { minLength: items.length, maxLength: items.length },
      )
      .map((perm) => ({ items, shuffled: perm.map((i) => items[i]!) })),
  );

/** The parts of a result that must not depend on candidate order. */
function summary(result: Resolution) {
  return {
    order: result.order.map((c) => c.id),
    skipped: result.skipped.map(({ candidate: _, ...rest }) => rest),
    disabled: result.disabled,
    warnings: result.warnings,
  };
}

/** Ids that can reach themselves along required edges between present, enabled plugins. */
function onCycles(specs: readonly Spec[], disabled: ReadonlySet<string> = new Set()): Set<string> {
  const present = new Set(specs.map((s) => s.id).filter((id) => !disabled.has(id)));
  const next = new Map(specs.map((s) => [s.id, Object.keys(s.requires).filter((d) => present.has(d))]));
  const result = new Set<string>();
  for (const start of present) {
    const seen = new Set<string>();
    const stack = [...next.get(start)!];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (id === start) {
        result.add(start);
        break;
      }
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...next.get(id)!);
    }
  }
  return result;
}

describe('resolvePlugins properties', () => {
  it('(a) orders a DAG completely, dependencies first, ready plugins by priority then id, for any candidate order', () => {
    fc.assert(
      fc.property(withPermutation(dag), ({ items, shuffled }) => {
        const result = resolvePlugins(items.map(candidate), { apiVersion: API });
        const order = result.order.map((c) => c.id);

        expect(result.skipped).toEqual([]);
        expect(result.warnings).toEqual([]);
        expect([...order].sort()).toEqual(items.map((s) => s.id).sort());

        const position = new Map(order.map((id, i) => [id, i]));
        const byId = new Map(items.map((s) => [s.id, s]));
        for (const spec of items) {
          for (const dep of [...Object.keys(spec.requires), ...Object.keys(spec.optional)]) {
            expect(position.get(dep)!).toBeLessThan(position.get(spec.id)!);
          }
        }
        // The tie-break: each pick is the best of the plugins ready at that moment.
        const loaded = new Set<string>();
        for (const id of order) {
          const ready = items.filter(
            (s) =>
              !loaded.has(s.id) &&
              [...Object.keys(s.requires), ...Object.keys(s.optional)].every((d) => loaded.has(d)),
          );
          ready.sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1));
          expect(id).toBe(ready[0]!.id);
          expect(byId.has(id)).toBe(true);
          loaded.add(id);
        }

        expect(summary(resolvePlugins(shuffled.map(candidate), { apiVersion: API }))).toEqual(
          summary(result),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('(b) never loads a plugin on a cycle, reports each with a real cycle path, and fails their dependents', () => {
    fc.assert(
      fc.property(withPermutation(cyclic), ({ items, shuffled }) => {
        const result = resolvePlugins(items.map(candidate), { apiVersion: API });
        const cycleIds = onCycles(items);
        expect(cycleIds.size).toBeGreaterThan(0);

        const order = new Set(result.order.map((c) => c.id));
        const skipped = new Map(result.skipped.map((s) => [s.id, s]));
        const byId = new Map(items.map((s) => [s.id, s]));

        for (const id of cycleIds) {
          expect(order.has(id)).toBe(false);
          const s = skipped.get(id)!;
          expect(s.code).toBe('WEBCASA_PLUGIN_CYCLE');
          const path = s.cycle!;
          expect(path.length).toBeGreaterThanOrEqual(2);
          expect(path[0]).toBe(path[path.length - 1]);
          for (let i = 0; i + 1 < path.length; i++) {
            expect(Object.keys(byId.get(path[i]!)!.requires)).toContain(path[i + 1]);
          }
          // a simple cycle: no id twice except the closing one
          expect(new Set(path).size).toBe(path.length - 1);
          expect(s.message).toContain(path.join(' → '));
          expect(s.message).toContain(`plugin ${id} `);
          expect(s.involved).toEqual(expect.arrayContaining([...new Set(path)]));
        }
        // Everyone else: loads, unless it requires (transitively) a plugin on a cycle.
        for (const spec of items) {
          if (cycleIds.has(spec.id)) continue;
          const s = skipped.get(spec.id);
          if (s) {
            expect(s.code).toBe('WEBCASA_PLUGIN_DEPENDENCY_FAILED');
            const dep = s.involved[1]!;
            expect(Object.keys(spec.requires)).toContain(dep);
            expect(s.message).toContain(`plugin ${spec.id} needs plugin ${dep}`);
          } else {
            expect(order.has(spec.id)).toBe(true);
            for (const dep of Object.keys(spec.requires)) expect(order.has(dep)).toBe(true);
          }
        }

        expect(summary(resolvePlugins(shuffled.map(candidate), { apiVersion: API }))).toEqual(
          summary(result),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('(c) partitions all ids into order, skipped and disabled, and loads nothing whose requirements fail', () => {
    fc.assert(
      fc.property(
        messy.chain(({ specs, disabled }) =>
          withPermutation(fc.constant(specs)).map((p) => ({ ...p, disabled })),
        ),
        ({ items, shuffled, disabled }) => {
          const result = resolvePlugins(items.map(candidate), { apiVersion: API, disabled });
          const order = result.order.map((c) => c.id);
          const skipped = result.skipped.map((s) => s.id);
          const all = [...order, ...skipped, ...result.disabled];

          expect(new Set(all).size).toBe(all.length);
          expect([...all].sort()).toEqual(items.map((s) => s.id).sort());
          expect(result.disabled).toEqual(
            items
              .map((s) => s.id)
              .filter((id) => disabled.has(id))
              .sort(),
          );

          const byId = new Map(items.map((s) => [s.id, s]));
          const position = new Map(order.map((id, i) => [id, i]));
          for (const id of order) {
            const spec = byId.get(id)!;
            expect(spec.engine).toBe('^1.0.0');
            for (const [dep, range] of Object.entries(spec.requires)) {
              expect(position.get(dep)).toBeLessThan(position.get(id)!);
              const major = byId.get(dep)!.version.split('.')[0];
              expect(range === '*' || range === `^${major}.0.0`).toBe(true);
            }
            for (const [dep, range] of Object.entries(spec.optional)) {
              if (dep === id || !position.has(dep)) continue;
              const inRange = range === '*' || byId.get(dep)!.version === '1.0.0';
              const dropped = result.warnings.some(
                (w) => w.id === id && w.message.startsWith(`plugin ${id} can use plugin ${dep}, but loading`),
              );
              // Present and loadable: loads first, unless out of range or its edge closed a cycle (both warned).
              if (inRange && !dropped) expect(position.get(dep)).toBeLessThan(position.get(id)!);
              if (!inRange) {
                expect(result.warnings.some((w) => w.id === id && w.message.includes(dep))).toBe(true);
              }
            }
          }
          for (const s of result.skipped) expect(s.message).toContain(`plugin ${s.id} `);
          for (const id of onCycles(items, disabled)) expect(position.has(id)).toBe(false);

          expect(summary(resolvePlugins(shuffled.map(candidate), { apiVersion: API, disabled }))).toEqual(
            summary(result),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
