import type { PluginInfo } from '@webcasa/ui';
import { createMemo, createUniqueId, For, Show } from 'solid-js';
import { GAP_X, H, layoutGraph, W } from '../state/graph.js';

/** The plugins' dependency graph as a picture, with a text equivalent for screen readers. */
export function DependencyGraph(props: {
  plugins: readonly PluginInfo[];
  title: string;
  description: string;
}) {
  const id = createUniqueId();
  const graph = createMemo(() => layoutGraph(props.plugins));
  return (
    <figure class="graph">
      <svg
        role="img"
        aria-labelledby={`${id}-t ${id}-d`}
        viewBox={`0 0 ${graph().width} ${graph().height}`}
        width={graph().width}
        height={graph().height}
        data-testid="dependency-graph"
      >
        <title id={`${id}-t`}>{props.title}</title>
        <desc id={`${id}-d`}>
          {props.description}{' '}
          {props.plugins
            .map(
              (p) =>
                `${p.id} (${p.status})${Object.keys(p.dependencies).length ? ` → ${Object.keys(p.dependencies).join(', ')}` : ''}`,
            )
            .join('; ')}
        </desc>
        <defs>
          <marker
            id={`${id}-arrow`}
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" class="graph-arrow" />
          </marker>
        </defs>
        <For each={graph().edges.filter((e) => !e.missing)}>
          {(edge) => {
            const a = () => graph().nodes.get(edge.from)!;
            const b = () => graph().nodes.get(edge.to)!;
            return (
              <path
                class="graph-edge"
                classList={{ optional: edge.optional }}
                d={`M ${a().x} ${a().y + H / 2} C ${a().x - GAP_X / 2} ${a().y + H / 2}, ${b().x + W + GAP_X / 2} ${b().y + H / 2}, ${b().x + W} ${b().y + H / 2}`}
                marker-end={`url(#${id}-arrow)`}
                data-edge={`${edge.from}->${edge.to}`}
              />
            );
          }}
        </For>
        <For each={[...graph().nodes.values()]}>
          {(node) => (
            <g class={`graph-node status-${node.status}`} data-node={node.id}>
              <rect x={node.x} y={node.y} width={W} height={H} rx="8" />
              <text x={node.x + W / 2} y={node.y + H / 2 + 5} text-anchor="middle">
                {node.id}
              </text>
            </g>
          )}
        </For>
      </svg>
      <Show when={graph().edges.some((e) => e.missing)}>
        <figcaption class="wc-error">
          {graph()
            .edges.filter((e) => e.missing)
            .map((e) => `${e.from} → ${e.to} (missing)`)
            .join(', ')}
        </figcaption>
      </Show>
    </figure>
  );
}
