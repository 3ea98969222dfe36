export { createManagerHost, type InstallerHost } from './host.js';
export {
  HOST_PEERS,
  INSTALLED_KEY,
  type InstalledRecord,
  type InstallerOptions,
  type InstallPlan,
  type InstallRequest,
  installedSource,
  PluginInstaller,
  recoverPluginOperations,
} from './installer.js';
export { type Journal, readJournal } from './journal.js';
export {
  DEFAULT_REGISTRY,
  parseSpec,
  REGISTRY_KEYS,
  type RegistryConfig,
  readRegistryConfig,
  type SearchHit,
  searchRegistry,
  verifyIntegrity,
  writeRegistryConfig,
} from './registry.js';
export { type InstallerRouteDeps, registerInstallerRoutes } from './routes.js';
export { backupPluginTables, dropPluginTables, pluginTables } from './tables.js';
