import type { Manifest } from '@webcasa/plugin-sdk';
import type { PluginInfo, PluginManager, PluginSource } from '../manager.js';

/**
 * What the installer needs from the plugin manager. `createManagerHost`
 * implements it over {@link PluginManager} (MANAGER-PATCH.md: the three
 * methods the manager gained for it).
 */
export interface InstallerHost {
  readonly apiVersion: string;
  /** Manifests of every plugin the host knows (running or not). */
  manifests(): Manifest[];
  info(id: string): PluginInfo | undefined;
  /** Set up and start new plugins live; throws (and forgets them) when one does not end up running. */
  add(source: PluginSource): Promise<void>;
  /** Stop the running version and set up the new one; on failure the old one is restored and the error rethrown. */
  replace(id: string, source: PluginSource): Promise<void>;
  /** Stop the plugin, call its `uninstall` hook and forget it. */
  remove(id: string, options?: { cascade?: boolean }): Promise<void>;
}

/** The methods MANAGER-PATCH.md added to PluginManager. */
export interface ManagerInstallApi {
  addSources(sources: PluginSource[]): Promise<void>;
  replaceSource(id: string, source: PluginSource): Promise<void>;
  remove(id: string, options?: { cascade?: boolean }): Promise<void>;
}

/**
 * The installer's view of a PluginManager (its `addSources`, `replaceSource`
 * and `remove`, added for the installer: MANAGER-PATCH.md).
 */
export function createManagerHost(manager: PluginManager, apiVersion: string): InstallerHost {
  const api: ManagerInstallApi = manager;
  return {
    apiVersion,
    manifests: () =>
      manager
        .list()
        .map((p) => p.manifest)
        .filter(Boolean),
    info: (id) => manager.info(id),
    add: (source) => api.addSources([source]),
    replace: (id, source) => api.replaceSource(id, source),
    remove: (id, options) => api.remove(id, options),
  };
}
