import { createResource, For, type JSX, Show } from 'solid-js';
import { Dynamic } from 'solid-js/web';

/** A Lucide icon as data: its SVG children, `[tag, attributes]`. */
export type IconNode = [tag: string, attrs: Record<string, string | number>][];

const known = new Map<string, IconNode>();
let loader: ((name: string) => Promise<IconNode | undefined>) | undefined;

/**
 * Add icons the shell (or a plugin) already has as data. The shell registers
 * the icons its own pages and the bundled plugins' menus use, and sets a loader
 * for the rest, so no page pays for the whole Lucide set.
 */
export function registerIcons(icons: Record<string, IconNode>): void {
  for (const [name, node] of Object.entries(icons)) known.set(name, node);
}

/** How icons not registered are fetched (the shell sets this once). */
export function setIconLoader(load: (name: string) => Promise<IconNode | undefined>): void {
  loader = load;
}

async function resolveIcon(name: string): Promise<IconNode | undefined> {
  const hit = known.get(name);
  if (hit) return hit;
  const node = await loader?.(name).catch(() => undefined);
  if (node) known.set(name, node);
  return node;
}

/**
 * A Lucide icon by its kebab-case name (as in manifests: `activity`, `hard-drive`).
 * Decorative unless given a `label`. Unknown names render an empty box of the same size.
 *
 * @example
 * <Icon name="container" /> <Icon name="trash-2" label="Delete" size={16} />
 */
export function Icon(props: { name: string; size?: number; label?: string; class?: string }): JSX.Element {
  const [node] = createResource(() => props.name, resolveIcon);
  const size = () => props.size ?? 18;
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width={size()}
      height={size()}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      class={`wc-icon ${props.class ?? ''}`}
      role={props.label ? 'img' : undefined}
      aria-label={props.label}
      aria-hidden={props.label ? undefined : 'true'}
      data-icon={props.name}
    >
      <Show when={node.latest ?? known.get(props.name)}>
        {(children) => (
          <For each={children()}>{([tag, attrs]) => <Dynamic component={tag} {...attrs} />}</For>
        )}
      </Show>
    </svg>
  );
}
