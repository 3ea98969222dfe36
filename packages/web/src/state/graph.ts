import type { PluginInfo } from '@webcasa/ui';

export const W = 150;
export const H = 40;
export const GAP_X = 70;
const GAP_Y = 18;

export interface GraphNode {
  id: string;
  status: PluginInfo['status'];
  x: number;
  y: number;
}

/**
 * Layers plugins by dependency depth (a plugin sits right of everything it
 * needs) and draws the edges. Pure, for tests.
 */
export function layoutGraph(
  plugins: readonly Pick<PluginInfo, 'id' | 'status' | 'dependencies' | 'optionalDependencies'>[],
) {
  const ids = new Set(plugins.map((p) => p.id));
  const byId = new Map(plugins.map((p) => [p.id, p]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle (the panel refuses it; draw it anyway)
    visiting.add(id);
    const p = byId.get(id)!;
    const deps = [...Object.keys(p.dependencies), ...Object.keys(p.optionalDependencies)].filter((d) =>
      ids.has(d),
    );
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  const layers: string[][] = [];
  for (const p of [...plugins].sort((a, b) => a.id.localeCompare(b.id))) {
    const d = depthOf(p.id);
    layers[d] = [...(layers[d] ?? []), p.id];
  }
  const nodes = new Map<string, GraphNode>();
  for (const [col, layer] of layers.entries()) {
    for (const [row, id] of (layer ?? []).entries()) {
      nodes.set(id, {
        id,
        status: byId.get(id)!.status,
        x: 10 + col * (W + GAP_X),
        y: 10 + row * (H + GAP_Y),
      });
    }
  }
  const edges = plugins.flatMap((p) => [
    ...Object.keys(p.dependencies).map((to) => ({ from: p.id, to, optional: false, missing: !ids.has(to) })),
    ...Object.keys(p.optionalDependencies)
      .filter((to) => ids.has(to))
      .map((to) => ({ from: p.id, to, optional: true, missing: false })),
  ]);
  const width = Math.max(1, layers.length) * (W + GAP_X) - GAP_X + 20;
  const height = Math.max(1, ...layers.map((l) => l.length)) * (H + GAP_Y) - GAP_Y + 20;
  return { nodes, edges, width, height };
}
