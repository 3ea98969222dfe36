import type { Manifest } from '@webcasa/plugin-sdk';
import type { PluginInfo, PluginManager, PluginSource } from '../manager.js';

/** What the installer needs from the plugin manager; `createManagerHost` implements it over {@link PluginManager}. */
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

/** The installer's view of a PluginManager: its `addSources`, `replaceSource` and `remove`. */
export function createManagerHost(manager: PluginManager, apiVersion: string): InstallerHost {
  return {
    apiVersion,
    manifests: () =>
      manager
        .list()
        .map((p) => p.manifest)
        .filter(Boolean),
    info: (id) => manager.info(id),
    add: (source) => manager.addSources([source]),
    replace: (id, source) => manager.replaceSource(id, source),
    remove: (id, options) => manager.remove(id, options),
  };
}
