export type * from './context.js';
export * from './hosts.js';
export * from './manifest.js';
export * from './server.js';
export * from './web.js';
