import { type Component, lazy } from 'solid-js';

type Loader = () => Promise<{ default: unknown }>;
const cache = new WeakMap<Loader, Component<Record<string, unknown>>>();

/** One lazy component per loader, so re-rendering a list does not load (or reset) it again. */
export function lazyOf(load: Loader): Component<Record<string, unknown>> {
  let component = cache.get(load);
  if (!component) {
    component = lazy(load as () => Promise<{ default: Component<Record<string, unknown>> }>);
    cache.set(load, component);
  }
  return component;
}
