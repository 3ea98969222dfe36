import { createContext, useContext } from 'solid-js';
import type { PluginRegistry } from './plugins.js';

export const RegistryContext = createContext<PluginRegistry>();

export function useRegistry(): PluginRegistry {
  const registry = useContext(RegistryContext);
  if (!registry) throw new Error('useRegistry: outside the signed-in layout');
  return registry;
}
