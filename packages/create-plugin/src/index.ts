export { main } from './cli.js';
export { PLUGIN_ID, type ScaffoldOptions, scaffold, TEMPLATE_DIR } from './scaffold.js';
