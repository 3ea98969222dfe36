export { type CliIo, type Distribution, defineDistribution, runCli } from './cli/index.js';
export { openDatabase, type PanelDatabase } from './db/database.js';
export { createTableGuard, TableAccessError } from './db/table-guard.js';
export { HttpError, PluginError, WebcasaError } from './errors.js';
export { discoverPlugins } from './plugins/discovery.js';
export * from './plugins/installer/index.js';
export { type PluginInfo, PluginManager, type PluginSource, type PluginStatus } from './plugins/manager.js';
export { resolvePlugins } from './plugins/resolver.js';
export { type InlinePlugin, type Panel, type PanelOptions, startPanel } from './server.js';
export { CORE_VERSION } from './version.js';

import './events.js';
