declare module 'virtual:webcasa/bundled-plugins' {
  /** Plugin id → loader of its web entry, for plugins bundled into this build. */
  const bundled: Record<string, () => Promise<{ default: unknown }>>;
  export default bundled;
}

declare module 'virtual:webcasa/icons' {
  import type { IconNode } from '@webcasa/ui';
  /** Icons inlined into the first load (the shell's and the bundled plugins' menus). */
  export const icons: Record<string, IconNode>;
  /** Every other Lucide icon, in lazy chunks by first character. */
  export const groups: Record<string, () => Promise<{ default: Record<string, IconNode> }>>;
}
